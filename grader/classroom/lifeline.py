"""A batch's local worker processes die with its coordinator, however it dies.

The coordinator (``grader grade``) keeps the only write end of a pipe, the *lifeline*; each
worker (started by the multiprocessing forkserver) gets its read end and watches it from a
thread: end of file means that the coordinator is gone (even by SIGKILL, which no handler
sees). The worker then kills its kernels (every process below it) and exits; a forked janitor
removes the folders it made (:mod:`grader.kernel.tempdirs`) once it is gone (no other thread of the
worker can write into them any more), and what is left is swept by the coordinator after an
interrupt, or by the next run. A worker also gets a parent-death signal (SIGTERM when the
forkserver that forked it ends; a parent-death signal fires on the death of the parent
*thread*, the forkserver has one) and handles SIGTERM and SIGHUP the same way; it ignores
SIGINT (a Ctrl-C reaches the whole process group: the coordinator alone decides).

Once the workers are gone, the forkserver (which exits when the coordinator and every process
it forked have closed its "alive" pipe) and the resource tracker (same, with its own pipe) end
by themselves. Kernels die with their worker anyway (the launcher's parent-death signal), the
lifeline only makes it immediate and leaves no folder.

The coordinator side: :class:`LocalPool`, a ``ProcessPoolExecutor`` whose :meth:`~LocalPool.stop`
(called when a batch is interrupted: Ctrl-C, SIGTERM, SIGHUP; also on leaving a ``with`` block by
an exception) cancels what has not started, cuts the lifeline and waits briefly for the workers
to be gone, instead of waiting for the notebooks in flight;
and :func:`signals_interrupt`, which turns SIGTERM and SIGHUP into ``KeyboardInterrupt`` in
the coordinator so that they take that same way out.

Interrupts are held while the coordinator touches its pool (:class:`deferred_interrupts`): a
``KeyboardInterrupt`` raised at an arbitrary bytecode of the main thread can leave a
``Future``'s lock taken (``concurrent.futures.wait`` takes the futures' locks one by one in a
loop, ``with future._condition`` runs the Python-level ``Condition.__enter__``); the pool's
manager thread then blocks on that lock for good (``Future.cancel``, ``set_result``), and the
interpreter's exit, which joins that thread without a timeout
(``concurrent.futures.process._python_exit``), never ends: an interrupted ``grader grade`` hung
(measured: 19 of 40 interrupts of a runner with many short tasks). Held, the interrupt is raised
as soon as the block ends, and the block's wait is woken at once.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import shutil
import signal
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

from grader.kernel import tempdirs
from grader.kernel.limits import kill_tree

__all__ = ["LocalPool", "signals_interrupt", "deferred_interrupts", "worker_started"]

PR_SET_PDEATHSIG = 1
WORKER_EXIT = 0  # the worker's exit status after its coordinator died
JANITOR_WAIT = 5.0  # seconds the janitor of a dying worker waits for it to be gone
STOP_WAIT = 10.0  # seconds an interrupted coordinator waits for each worker to be gone
_dying = threading.Lock()


def _set_parent_death_signal(signum: int) -> bool:
    try:
        from grader.kernel.sandbox import libc_call

        libc_call("prctl", PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        return True
    except (OSError, AttributeError):
        return False


def _janitor(folders: list) -> None:
    """Remove ``folders`` once this process is gone: in a forked child (one thread, nothing
    but ``rmtree``), so that no other thread of this process writes into them meanwhile. Then
    sweep: a coordinator that was killed outright leaves its own folder (``day4-pool-*``)."""
    parent = os.getpid()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fork in a process with threads: the child only removes files
        if os.fork():
            return
    try:
        waited = 0.0
        while os.getppid() == parent and waited < JANITOR_WAIT:
            time.sleep(0.01)
            waited += 0.01
        for _ in range(5):
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
            if not any(os.path.lexists(f) for f in folders):
                break
            time.sleep(0.1)
        tempdirs.sweep()
    finally:
        os._exit(0)


def _die(*_args) -> None:
    """The coordinator is gone: kill every process below this worker (its kernels), exit, and
    have its folders removed. Runs once (from the watcher thread or a signal handler)."""
    if not _dying.acquire(blocking=False):
        return
    try:
        folders = tempdirs.close()  # no new folder from now on
        kill_tree(os.getpid())
        _janitor(folders)
    finally:
        os._exit(WORKER_EXIT)


def _watch(lifeline) -> None:
    try:
        while True:
            lifeline.recv_bytes()  # nothing is ever sent: this returns only at end of file
    except BaseException:  # noqa: BLE001 - EOFError, OSError: the coordinator is gone
        pass
    _die()


def _defaulted(*signums) -> list:
    """The signals among ``signums`` whose disposition is the default one."""
    return [s for s in signums if signal.getsignal(s) == signal.SIG_DFL]


def worker_started(lifeline) -> None:
    """Pool initializer, in each worker: ``lifeline`` is the read end of the coordinator's pipe.
    A worker is born with SIGINT blocked (:meth:`LocalPool._start_forkserver`): a Ctrl-C before
    this point waits, and is then dropped."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # ignored from now on (its kernels too)
    for signum in _defaulted(signal.SIGTERM, signal.SIGHUP):  # an ignored SIGHUP (nohup) stays ignored
        signal.signal(signum, _die)
    parent = os.getppid()  # the forkserver
    _set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != parent:  # it died before the signal was armed
        _die()
    threading.Thread(target=_watch, args=(lifeline,), name="day4-lifeline", daemon=True).start()


class LocalPool(ProcessPoolExecutor):
    """The local worker processes of a batch (forkserver), tied to this process by a lifeline."""

    def __init__(self, max_workers: int):
        context = multiprocessing.get_context("forkserver")
        self._own_multiprocessing_folder()
        self._start_forkserver()
        self._lifeline_r, self._lifeline_w = multiprocessing.Pipe(duplex=False)
        try:
            super().__init__(max_workers=max_workers, mp_context=context, initializer=worker_started,
                             initargs=(self._lifeline_r,))
        except BaseException:
            self._cut()
            raise

    @staticmethod
    def _own_multiprocessing_folder() -> None:
        """multiprocessing's temp folder (the forkserver's socket; else a ``pymp-*`` folder that
        a killed coordinator leaves) made one of ours: removed at exit, swept if we die."""
        config = multiprocessing.current_process()._config
        if config.get("tempdir") is None:
            config["tempdir"] = str(tempdirs.make("pool", 0o700))

    @staticmethod
    def _start_forkserver() -> None:
        """Start the forkserver (once per process) with SIGINT blocked, as CPython starts its
        resource tracker (bpo-33613): a Ctrl-C reaches the whole process group, and one that
        came while the forkserver's interpreter starts, before it ignores SIGINT, killed it with
        a traceback. The forkserver never unblocks it, so its workers are born with SIGINT
        blocked until :func:`worker_started` ignores it (else the same window in each worker)."""
        from multiprocessing import forkserver, resource_tracker

        resource_tracker.ensure_running()  # first: starting it unblocks SIGINT in this thread
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            forkserver.ensure_running()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _cut(self) -> None:
        """Close both ends of the lifeline: the workers see end of file and go."""
        for end in (self._lifeline_w, self._lifeline_r):
            with contextlib.suppress(OSError):
                end.close()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if wait:  # the workers are gone
            self._cut()
            tempdirs.sweep()  # the folders of a worker that died

    def stop(self) -> None:
        """Interrupted: cancel what has not started, cut the lifeline (each worker kills its
        kernel, removes its folders and exits at once, whatever it was running) and wait a
        little for the workers to be gone."""
        processes = list((self._processes or {}).values())
        self.shutdown(wait=False, cancel_futures=True)
        self._cut()
        for process in processes:
            process.join(STOP_WAIT)
            if process.exitcode is None:
                process.kill()  # its kernels still die (their parent-death signal)
        manager = getattr(self, "_executor_manager_thread", None)
        if manager is not None:  # it closes its wake-up pipe as it ends: not while the interpreter's
            manager.join(STOP_WAIT)  # exit writes to it (CPython 3.11 checks, then writes: EBADF)
        tempdirs.sweep()  # whatever a worker could not remove

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.shutdown(wait=True)
        else:
            self.stop()
        return False


class _Held:
    """The main thread's interrupt state (signal handlers run in the main thread only)."""

    deferring = False  # inside a deferred_interrupts block
    pending: list = []  # the signals that arrived meanwhile
    wake = None  # called by the handler: the block's wait returns at once


def _raise(signum: int):
    _Held.pending = []
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _interrupt(signum, frame) -> None:
    """The handler of SIGINT, SIGTERM and SIGHUP under :func:`signals_interrupt`."""
    if not _Held.deferring:
        _raise(signum)
    _Held.pending = [*_Held.pending, signum]
    if _Held.wake is not None:
        _Held.wake()


class deferred_interrupts:
    """``with deferred_interrupts(wake):`` in the main thread, an interrupt handled by
    :func:`signals_interrupt` that arrives inside the block is held, ``wake()`` is called (from
    the signal handler: it must be reentrant, e.g. ``queue.SimpleQueue.put``) so that a wait in
    the block can return, and ``KeyboardInterrupt`` is raised when the block ends. For code that
    must not be left halfway (a pool's futures and locks). In another thread, or nested: no effect."""

    def __init__(self, wake=None):
        self.wake, self.active = wake, False

    def __enter__(self):
        if threading.current_thread() is threading.main_thread() and not _Held.deferring:
            _Held.wake = self.wake
            _Held.deferring = self.active = True  # from here on, the handler cannot raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.active:
            self.active = False
            _Held.deferring = False  # from here on, the handler raises at once
            _Held.wake = None
            if _Held.pending:
                _raise(_Held.pending[0])
        return False


@contextlib.contextmanager
def signals_interrupt(sigint: bool = False):
    """In the main thread: SIGTERM and SIGHUP raise ``KeyboardInterrupt`` (as Ctrl-C does)
    while the block runs, so an ended run still stops its workers and removes its folders.
    ``sigint``: Ctrl-C too goes through this handler, for the :class:`deferred_interrupts`
    blocks (inside them, the signals are held). Only where their disposition is the default
    (Python's own handler for SIGINT): ``nohup`` (SIGHUP ignored), a background job's ignored
    SIGINT, asyncio's and an embedding program's own handlers are left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signums = _defaulted(signal.SIGTERM, signal.SIGHUP)
    if sigint and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signums.append(signal.SIGINT)
    previous = {s: signal.signal(s, _interrupt) for s in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

"""The batch runner's loop (:mod:`grader.classroom.runner`): every job on a pool, each result
handed back as it ends, a task that overruns its bound reported and its pool replaced, the pool
stopped at once on an interrupt. In the main thread an interrupt is held while the loop touches
the pool and its futures, and raised right after (:class:`grader.classroom.lifeline.deferred_interrupts`):
raised halfway it could leave a future's lock taken, and the pool's manager thread, which the
interpreter's exit joins, waiting on it for ever (an interrupted ``grader grade`` hung)."""
from __future__ import annotations

import queue
import threading
import time

from grader.kernel.limits import kill_tree

__all__ = ["Pools", "bounded_results"]

_POLL = 1.0  # seconds between two looks at the clock when nothing ends


class _Clock:
    """When each task started: at most ``slots`` run at once (a pool hands out one more task
    than it has workers), so a task's clock starts once it runs and a slot is free for it."""

    def __init__(self, slots: int | None):
        self.slots, self.started = slots, {}

    def overdue(self, pending: dict, bound) -> list:
        if self.slots is None:  # no bound (a Dask cluster: its queue and its workers are its own)
            return []
        now = time.monotonic()
        for future in pending:
            if future not in self.started and future.running() and len(self.started) < self.slots:
                self.started[future] = now
        return [f for f, t in self.started.items() if f in pending and now - t > bound(pending[f])]

    def forget(self, future) -> None:
        self.started.pop(future, None)


def _stop_pool(pool) -> None:
    """Stop a pool at once (:meth:`LocalPool.stop`: its workers clean up and go, or are
    killed) and make sure its worker processes and the kernels below them are gone."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    if hasattr(pool, "stop"):
        pool.stop()
    else:
        pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        kill_tree(process.pid)


class Pools:
    """The run's current pool, replaced when a task overruns; :meth:`stop` (any thread) ends it."""

    def __init__(self, make):
        self.make, self.pool, self.stopped, self.lock = make, None, False, threading.Lock()

    def new(self):
        with self.lock:
            if self.stopped:
                raise KeyboardInterrupt("stopped")
            self.pool = self.make()
            return self.pool

    def replace(self):
        _stop_pool(self.pool)
        return self.new()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            pool = self.pool
        if pool is not None:
            pool.stop() if hasattr(pool, "stop") else pool.shutdown(wait=False, cancel_futures=True)


def _ended(pending: dict, bell: queue.SimpleQueue) -> list:
    """The futures of ``pending`` that have ended, in submitted order, once the ``bell`` rang
    (each future rings it with itself as it ends; an interrupt rings ``None``) or after
    ``_POLL`` seconds."""
    rung = set()
    try:
        rung.add(bell.get(timeout=_POLL))
        while True:
            rung.add(bell.get_nowait())
    except queue.Empty:
        pass
    return [f for f in pending if f in rung]


def bounded_results(make_pool, jobs, submit, bound, slots: int | None, pools: Pools | None = None):
    """Run every job as ``submit(pool, job)`` on a pool from ``make_pool()``; yield ``(job,
    future)`` as each ends, or ``(job, None)`` for a job that did not end within ``bound(job)``
    seconds of its start: then the pool's processes are killed and a new pool runs the jobs
    still pending. No job can hold up the others for longer than its bound. ``slots``: how
    many jobs run at once (``None``: no bound). ``pools``: lets another thread stop the run.

    In the main thread, an interrupt (Ctrl-C, SIGTERM, SIGHUP) is held while this touches the
    pool and its futures, and raised right after (:class:`~grader.classroom.lifeline.deferred_interrupts`:
    raised halfway, it could leave a future's lock taken and the interpreter's exit waiting for
    the pool's manager thread for ever)."""
    from grader.classroom.lifeline import deferred_interrupts, signals_interrupt

    pools = pools or Pools(make_pool)
    bell = queue.SimpleQueue()  # reentrant: rung by the pool's threads and by the signal handler
    held = deferred_interrupts(wake=lambda: bell.put(None))

    def submit_all(pool, jobs) -> dict:
        futures = {}
        for job in jobs:
            future = submit(pool, job)
            future.add_done_callback(bell.put)
            futures[future] = job
        return futures

    with signals_interrupt(sigint=True):
        try:
            with held:
                pending, clock = submit_all(pools.new(), jobs), _Clock(slots)
            while pending and not pools.stopped:
                with held:
                    ended = _ended(pending, bell)
                    for future in ended:  # those that ended together: in submitted order
                        clock.forget(future)
                for future in ended:
                    yield pending.pop(future), future
                with held:
                    late = clock.overdue(pending, bound)
                if late and not pools.stopped:
                    for future in late:
                        yield pending.pop(future), None
                    with held:
                        pending, clock = submit_all(pools.replace(), pending.values()), _Clock(slots)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM, SIGHUP): stop now, do not wait for the class
            with held:
                pools.stop()
            raise
        with held:
            if pools.stopped:
                pools.stop()
            else:
                pools.pool.shutdown(wait=True, cancel_futures=True)

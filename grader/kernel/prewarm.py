"""Prewarming: a batch worker starts the kernel of its next notebook while the current one
runs, so that kernel start-up is hidden. A warm kernel is fresh (never reused) and carries
every protection of a kernel started on demand by :func:`grader.kernel.execute.run_notebook`.

A warm kernel dies with its worker however the worker ends: its launcher has a parent-death
signal (armed in the worker's main thread, which starts every kernel), a worker whose
coordinator died kills every process below it first (:mod:`grader.classroom.lifeline`), and its folders
(:mod:`grader.kernel.tempdirs`) are removed by :meth:`WarmKernel.close`, by the dying worker, or
else by the next run's sweep."""
from __future__ import annotations

import shutil
import subprocess
import time
from collections import deque

from grader.kernel import tempdirs
from grader.kernel.kernel_start import kernel_environment, kernel_root, new_kernel_manager
from grader.kernel.limits import Limits, UidSlot, kill_tree

__all__ = ["WarmKernel", "Prewarmer"]


class WarmKernel:
    """A notebook's first kernel, started before the notebook is known (its start-up is then
    hidden behind the previous notebook's run). It owns everything a kernel started on demand
    has: a throwaway folder with ``work`` (the working directory) and ``exchange`` (the probe's
    shared folder), its kernel folder, a uid slot, the scrubbed environment, the ``limits``.
    :func:`run_notebook` takes it for one notebook (``kernel=``); :meth:`close` ends whatever
    is left (the kernel when it was never used, the uid slot, the folders). Never reused."""

    _count = 0

    def __init__(self, limits: Limits):
        WarmKernel._count += 1
        self.id, self.limits = WarmKernel._count, limits
        self.km = self._state = self._log = None
        self.started_at: float | None = None
        self.root = None
        self.base = tempdirs.make("grader")  # 0711: a kernel under a uid of its own must reach its folders
        try:
            self.workdir, self.exchange = self.base / "work", self.base / "exchange"
            self.workdir.mkdir(mode=0o700)
            self.exchange.mkdir(mode=0o700)
            self.shared = [self.exchange]
            self.env = kernel_environment(self.workdir)
            self.root = kernel_root()
            self.slot = UidSlot(enabled=limits.isolate)
        except BaseException:
            if self.root is not None:
                tempdirs.remove(self.root)
            tempdirs.remove(self.base)
            raise

    def start(self) -> "WarmKernel":
        """Start the kernel process (returns at once: the kernel gets ready meanwhile). A kernel
        that fails to start here is started again on demand by :func:`run_notebook`."""
        km, state, log_path = new_kernel_manager(self.root, 0, self.slot, self.limits, self.workdir, self.shared)
        try:
            with open(log_path, "wb") as log:
                km.start_now(env=self.env, cwd=str(self.workdir), stdout=subprocess.DEVNULL, stderr=log)
        except Exception:
            self._end(km)
            shutil.rmtree(self.root / "ipc0", ignore_errors=True)
            for path in (state, log_path):
                path.unlink(missing_ok=True)
            return self
        self.km, self._state, self._log = km, state, log_path
        self.started_at = time.monotonic()
        return self

    def take(self):
        """``(km, state file, log file)`` of the started kernel, handed over once; ``None``
        when it is not started."""
        if self.km is None:
            return None
        taken, self.km = (self.km, self._state, self._log), None
        return taken

    @staticmethod
    def _end(km) -> None:
        provisioner = getattr(km, "provisioner", None)
        kill_tree(getattr(provisioner, "pid", None), getattr(provisioner, "pgid", None))
        process = getattr(provisioner, "process", None)
        if process is not None:
            try:
                process.wait(5)
            except Exception:
                pass
        km.close_context()

    def close(self) -> None:
        """End the kernel if it was never taken, release the uid slot, remove the folders."""
        if self.km is not None:
            km, self.km = self.km, None
            self._end(km)
        self.slot.release()
        tempdirs.remove(self.root)
        tempdirs.remove(self.base)


class Prewarmer:
    """One worker's next kernel: :meth:`take` hands out a started :class:`WarmKernel` for
    ``limits`` (the prewarmed one when its limits match, else one started now); :meth:`prepare`
    starts the next one while the current notebook runs. ``events``: ``(what, kernel id)``."""

    def __init__(self):
        self.next: WarmKernel | None = None
        self.events: deque[tuple[str, int]] = deque(maxlen=1000)  # the latest

    def _start(self, limits: Limits) -> WarmKernel:
        kernel = WarmKernel(limits).start()
        self.events.append(("start", kernel.id))
        return kernel

    def take(self, limits: Limits) -> WarmKernel:
        kernel, self.next = self.next, None
        if kernel is not None and kernel.limits != limits:
            self._close(kernel)
            kernel = None
        kernel = kernel or self._start(limits)
        self.events.append(("take", kernel.id))
        return kernel

    def prepare(self, limits: Limits) -> None:
        if self.next is None:
            try:
                self.next = self._start(limits)
            except Exception:  # no folder or uid slot now: the next kernel starts on demand
                self.next = None

    def _close(self, kernel: WarmKernel) -> None:
        kernel.close()
        self.events.append(("close", kernel.id))

    def close(self) -> None:
        kernel, self.next = self.next, None
        if kernel is not None:
            self._close(kernel)

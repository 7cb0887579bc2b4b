"""Running a notebook: with :mod:`grader.kernel.client`, the only module that talks to
nbclient and jupyter_client.

A fresh kernel per notebook, started (:mod:`grader.kernel.kernel_start`) through
:mod:`grader.kernel.launcher` (rlimits, a scrubbed environment, and where the system allows: a
uid of its own, PID/network/IPC/mount namespaces), talking over IPC sockets in a throwaway
folder. Cells run one by one with ``allow_errors``: an error is recorded with its cell index and
execution goes on.

- A cell that outlives its timeout is interrupted; if the kernel does not answer within
  ``interrupt_grace`` of the interrupt (a loop that ignores SIGINT, or loops in C), its process
  tree is killed (:meth:`grader.kernel.client.OutputCappedClient.grace_left`).
- A cell that killed or hung the kernel is recorded and skipped: a fresh kernel runs the
  notebook again without it (at most ``restarts`` times), so the other cells still count.
- The whole run has a wall-clock deadline, enforced from outside by a watchdog thread that
  kills the kernel's whole process tree; it also kills a kernel that fills the folders it
  shares with the grader beyond ``disk_bytes``.
- Outputs are capped while they arrive (:mod:`grader.kernel.client`).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grader.kernel import tempdirs
from grader.kernel.client import OutputCappedClient
from grader.kernel.kernel_start import (ENV_ALLOWLIST, KERNEL_NAME, kernel_environment, kernel_root, log_tail,
                                        new_kernel_manager)
from grader.kernel.launcher import PROTECTIONS
from grader.kernel.limits import Limits, UidSlot, kill_tree
from grader.grading.results import CellError

if TYPE_CHECKING:  # a warm kernel comes from grader.kernel.prewarm
    from grader.kernel.prewarm import WarmKernel

__all__ = ["Limits", "Execution", "kernel_environment", "run_notebook", "kernel_root", "new_kernel_manager", "KERNEL_NAME",
           "ENV_ALLOWLIST"]

@dataclass
class Execution:
    errors: list[CellError] = field(default_factory=list)
    probe_ran: bool = False
    stopped: str | None = None  # why execution ended early, if it did
    seconds: float = 0.0
    protections: dict = field(default_factory=dict)  # what was in force (see README, threat model)
    problems: list[str] = field(default_factory=list)  # why a protection was off
    restarts: int = 0


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _folder_usage(folders, cap_entries: int = 10_000) -> int:
    """Bytes in ``folders`` (recursively, links not followed); a huge entry count is huge."""
    total, entries, todo = 0, 0, [str(f) for f in folders]
    while todo:
        try:
            with os.scandir(todo.pop()) as it:
                for entry in it:
                    entries += 1
                    if entries > cap_entries:
                        return 1 << 62
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                    else:
                        total += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return total


class _Run:
    """One notebook's execution: attempts (fresh kernels) until the cells and the probe ran."""

    def __init__(self, nb, limits: Limits, workdir: Path, env: dict, shared, on_probe_failure,
                 kernel: "WarmKernel | None" = None, on_ready=None):
        self.nb, self.limits, self.workdir, self.env = nb, limits, workdir, env
        self.shared = [Path(s) for s in shared]
        self.on_probe_failure = on_probe_failure
        self.warm, self.on_ready = kernel, on_ready
        self.cells = len(nb.cells)  # the notebook's own cells; the probe is appended after them
        self.execution = Execution()
        self.killed = threading.Event()  # the deadline: no kernel any more
        self.disk_full = threading.Event()  # this kernel wrote too much: killed, its files removed
        self.lock = threading.Lock()
        self.km = None  # the current attempt's kernel manager
        if kernel is not None:  # its first kernel already started: its folder and uid are this run's
            self.root, self.slot = kernel.root, kernel.slot
        else:
            self.root, self.slot = kernel_root(), UidSlot(enabled=limits.isolate)

    def kill(self) -> None:
        """Kill the current kernel's whole process tree for good (the outer deadline)."""
        with self.lock:
            self.killed.set()
            self._kill_current()

    def _kill_current(self) -> None:
        provisioner = getattr(self.km, "provisioner", None) if self.km is not None else None
        kill_tree(getattr(provisioner, "pid", None), getattr(provisioner, "pgid", None), self.slot.uid)

    def _kill_hung(self) -> None:
        with self.lock:
            self._kill_current()

    def _written_to(self) -> list[Path]:
        """The folders the kernel writes on the grader's disk (its private tmpfs do not count)."""
        folders = self.shared + [self.root]
        return folders if self.execution.protections.get("private_tmp") else folders + [self.workdir]

    def _watchdog(self, stop: threading.Event, deadline_at: float) -> None:
        while not stop.wait(0.25):
            if time.monotonic() >= deadline_at:
                return self.kill()
            if not self.disk_full.is_set() and _folder_usage(self._written_to()) > self.limits.disk_bytes:
                self.disk_full.set()
                self._kill_hung()

    def _remove_written(self) -> None:
        """After a kernel filled the disk: remove every file it left (the grader's stay)."""
        for folder in self._written_to():
            for entry in set(os.listdir(folder)) - self.initial.get(folder, set()):
                path = folder / entry
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        self.disk_full.clear()

    def run(self, probe_source: str | None) -> Execution:
        start = time.monotonic()
        stop = threading.Event()
        threading.Thread(target=self._watchdog, args=(stop, start + self.limits.deadline), daemon=True).start()
        skipped: dict[int, CellError] = {}  # cells not run again: they killed, hung or timed out a kernel
        errors: list[CellError] = []
        self.initial = {f: set(os.listdir(f)) for f in self.shared + [self.root, self.workdir]}
        try:
            for attempt in range(self.limits.restarts + 1):
                self.execution.restarts = attempt
                culprit, errors = self._attempt(probe_source, skipped, attempt)
                if culprit is None:
                    break
                kind, index = culprit
                if self.killed.is_set():
                    self._stop("deadline", index, errors)
                    break
                if self.disk_full.is_set():
                    kind = "disk-limit"
                    self._remove_written()
                skipped.update({e.cell: e for e in errors if e.kind == "timeout" and e.cell is not None})
                errors = [e for e in errors if e.cell not in skipped]
                if index is None:  # the probe: skip the step it was running, then everything again
                    probe_source = self.on_probe_failure() if self.on_probe_failure else None
                    if attempt == self.limits.restarts or not probe_source:
                        self._stop(kind, None, errors)
                        break
                    if len(self.nb.cells) > self.cells:
                        self.nb.cells[self.cells].source = probe_source
                    continue
                skipped[index] = CellError(index, kind, self._describe(kind))
                if attempt == self.limits.restarts:
                    self._stop("kernel-died", None, errors)
        finally:
            stop.set()
            self.slot.release()
            self.execution.seconds = time.monotonic() - start
        self.execution.errors = sorted(list(skipped.values()) + errors, key=lambda e: (e.cell is None, e.cell or 0))
        return self.execution

    def _describe(self, kind: str) -> str:
        return {"timeout": f"{self.limits.cell_timeout:g}", "deadline": f"{self.limits.deadline:g}",
                "disk-limit": f"{self.limits.disk_bytes}"}.get(kind, "the kernel process ended")

    def _stop(self, kind: str, index, errors: list) -> None:
        if not self.execution.stopped:
            self.execution.stopped = kind
            errors.append(CellError(index, kind, self._describe(kind)))

    def _attempt(self, probe_source, skipped, attempt: int):
        """Run every code cell but the skipped ones, then the probe, in a fresh kernel.
        Returns ``(culprit, errors)``: ``(kind, index)`` of the cell that killed or hung the
        kernel (index ``None``: the probe), ``None`` when all ran; and this attempt's errors."""
        if self.killed.is_set():
            return ("deadline", None), []
        warm = self.warm.take() if attempt == 0 and self.warm is not None else None
        if warm is not None:
            km, state, log_path = warm
        else:
            km, state, log_path = new_kernel_manager(self.root, attempt, self.slot, self.limits, self.workdir,
                                                      self.shared)
        client = OutputCappedClient(self.nb, km=km, limits=self.limits, probe_index=self.cells)
        try:
            with open(log_path, "ab") as log:  # a prewarmed kernel already writes to it
                with self.lock:
                    self.km = km
                with client.setup_kernel(env=self.env, cwd=str(self.workdir), stdout=subprocess.DEVNULL, stderr=log):
                    try:
                        self._read_state(state)
                        client.watch_iopub()
                        if attempt == 0 and self.on_ready is not None:
                            self.on_ready()  # e.g. start the next notebook's kernel meanwhile
                        return self._run_cells(client, probe_source, skipped), client.errors
                    finally:  # the whole tree, before nbclient's shutdown kills only the process group
                        self._kill_hung()
        except DeadKernelError:
            return ("kernel-died", None), client.errors
        except RuntimeError as exc:  # the kernel failed to start or died while starting
            message = _short(f"{exc} {log_tail(log_path)}")
            return None, client.errors + [CellError(None, "kernel-died", message)]
        finally:
            client.close_monitor()
            with self.lock:
                self._kill_current()
                self.km = None
            km.close_context()

    def _read_state(self, state: Path) -> None:
        if self.execution.protections:
            return  # the first attempt's
        data, waited = {}, 0.0
        while waited < 2.0:  # the outer launcher writes it once the kernel's setup is done
            try:
                data = json.loads(state.read_text(encoding="utf-8")[:100_000])
                break
            except (OSError, ValueError):
                time.sleep(0.05)
                waited += 0.05
        reported = data.get("protections", {})
        self.execution.protections = {k: bool(reported.get(k, False)) for k in PROTECTIONS}  # unreported: off
        self.execution.protections["output_caps"] = True
        self.execution.problems = [str(p)[:300] for p in data.get("problems", [])][:20]

    def _run_cells(self, client, probe_source, skipped):
        for index in range(self.cells):
            cell = self.nb.cells[index]
            if cell.cell_type == "code" and index not in skipped:
                culprit = self._execute(client, cell, index)
                if culprit:
                    return culprit
        if probe_source is not None:
            if len(self.nb.cells) == self.cells:
                self.nb.cells.append(nbformat.v4.new_code_cell(probe_source))
            culprit = self._execute(client, self.nb.cells[self.cells], self.cells)
            if culprit:
                return culprit[0], None
            self.execution.probe_ran = True
        return None

    def _execute(self, client, cell, index):
        """``None`` when the kernel is still usable after the cell, else ``(kind, index)``."""
        if self.killed.is_set():
            return "deadline", index
        try:
            client.execute_cell(cell, index)
        except (DeadKernelError, CellTimeoutError):
            return ("timeout" if index in client.timed_out else "kernel-died"), index
        client.check_dropped(index)
        if index in client.timed_out and not client.ping(client.grace_left(self.limits.interrupt_grace)):
            self._kill_hung()  # the interrupt did not stop it: a loop ignoring SIGINT, or in C
            return "timeout", index
        if client.iopub_lost:  # the kernel goes on: with an output socket that receives
            client.reconnect_iopub(self.limits.interrupt_grace)
        return None


def run_notebook(nb, workdir: Path, limits: Limits = Limits(), probe_source: str | None = None,
                 env: dict | None = None, shared=(), on_probe_failure=None, kernel: "WarmKernel | None" = None,
                 on_ready=None) -> Execution:
    """Execute ``nb`` (modified in place: outputs, the probe cell appended) in a fresh kernel
    whose working directory is ``workdir``. ``shared``: folders the kernel reads and writes
    besides it (the probe's exchange folder). ``on_probe_failure()``: called when the probe
    killed or hung the kernel; it returns the probe's source for another run (without the
    step that did it), or ``None`` to stop there. ``kernel``: a :class:`WarmKernel` started with
    these ``workdir``, ``shared`` folders, environment and ``limits``, used for the first attempt
    (the caller closes it afterwards). ``on_ready()``: called once the first kernel answered."""
    workdir = Path(workdir)
    env = kernel_environment(workdir) if env is None else env
    if kernel is not None and (kernel.limits != limits or kernel.workdir != workdir or env != kernel.env
                               or [Path(s) for s in shared] != kernel.shared):
        raise ValueError("the prewarmed kernel was started for another workdir, environment or limits")
    run = _Run(nb, limits, workdir, env, shared, on_probe_failure, kernel, on_ready)
    try:
        return run.run(probe_source)
    finally:
        tempdirs.remove(run.root)

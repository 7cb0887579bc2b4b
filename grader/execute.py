"""Running a notebook: the only module that talks to nbclient and jupyter_client.

A fresh kernel per notebook, named explicitly (never the notebook's own kernelspec), in a
throwaway working directory with a scrubbed environment. Cells run one by one with
``allow_errors``: an error is recorded with its cell index and execution goes on. A cell
that outlives its timeout is interrupted; the whole run has a wall-clock deadline enforced
from outside by killing the kernel's process group, so a cell that ignores interrupts or
loops in C cannot hang the grader.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .results import CellError

__all__ = ["Limits", "Execution", "kernel_environment", "run_notebook", "KERNEL_NAME", "ENV_ALLOWLIST"]

KERNEL_NAME = "python3"
ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "MNIST_DIR", "OPENBLAS_CORETYPE",
                 "OPENBLAS_L2_SIZE", "VIRTUAL_ENV", "PYTHONPATH")
_TIMEOUT_NAME = "CellTimeoutError"


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 60.0  # seconds per cell before it is interrupted
    deadline: float = 300.0  # seconds for the whole notebook, probe included
    startup_timeout: float = 60.0


@dataclass
class Execution:
    errors: list[CellError] = field(default_factory=list)
    probe_ran: bool = False
    stopped: str | None = None  # why execution ended early, if it did
    seconds: float = 0.0


def kernel_environment(workdir: Path, extra: dict | None = None) -> dict:
    """The kernel's environment: an allowlist of the grader's variables (no secrets, no
    grading seed), a private HOME and temp dir, one BLAS thread."""
    env = {k: os.environ[k] for k in ENV_ALLOWLIST if k in os.environ}
    env.update({
        "HOME": str(workdir), "TMPDIR": str(workdir), "IPYTHONDIR": str(workdir / ".ipython"),
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(workdir / ".mpl"), "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "JPY_SESSION_NAME": "", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    env.update(extra or {})
    return env


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Run:
    """One notebook's execution; collects errors through nbclient's ``on_cell_error`` hook."""

    def __init__(self, nb, limits: Limits, workdir: Path, env: dict):
        self.limits, self.workdir, self.env = limits, workdir, env
        self.execution = Execution()
        self.km = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(workdir.parent / "kernel"))
        self.client = NotebookClient(
            nb, km=self.km, timeout=int(limits.cell_timeout), startup_timeout=int(limits.startup_timeout),
            allow_errors=True, interrupt_on_timeout=True, record_timing=False,
            error_on_timeout={"ename": _TIMEOUT_NAME, "evalue": f"{limits.cell_timeout:g}", "traceback": []},
            on_cell_error=self._on_error, resources={"metadata": {"path": str(workdir)}},
            shutdown_kernel="immediate",
        )
        self.client.owns_km = True  # nbclient then shuts the kernel down and closes its sockets
        self.killed = threading.Event()
        self.probe_index: int | None = None

    def _on_error(self, cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        index = None if cell_index == self.probe_index else cell_index
        if content.get("ename") == _TIMEOUT_NAME:
            self.execution.errors.append(CellError(index, "timeout", f"{self.limits.cell_timeout:g}"))
        else:
            message = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
            self.execution.errors.append(CellError(index, "error", _short(message)))

    def kill(self):
        """Kill the kernel's whole process group (the deadline's last resort)."""
        self.killed.set()
        pgid = getattr(self.km.provisioner, "pgid", None) if self.km.has_kernel else None
        try:
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
            elif self.km.has_kernel:
                self.km.provisioner.process.kill()
        except (ProcessLookupError, PermissionError, AttributeError):
            pass

    def run(self, nb, probe_source: str | None) -> Execution:
        start = time.monotonic()
        watchdog = threading.Timer(self.limits.deadline, self.kill)
        watchdog.daemon = True
        try:
            with self.client.setup_kernel(env=self.env, cwd=str(self.workdir)):
                watchdog.start()
                self._run_cells(nb, probe_source)
        except DeadKernelError:
            self._stopped(None, "kernel-died")
        except RuntimeError as exc:  # kernel failed to start or died during start-up
            if not self.execution.stopped:
                self.execution.stopped = "kernel-died"
                self.execution.errors.append(CellError(None, "kernel-died", _short(str(exc))))
        finally:
            watchdog.cancel()
            self.execution.seconds = time.monotonic() - start
        return self.execution

    def _stopped(self, index, kind):
        kind = "deadline" if self.killed.is_set() else kind
        self.execution.stopped = kind
        message = f"{self.limits.deadline:g}" if kind == "deadline" else "the kernel process ended"
        self.execution.errors.append(CellError(index, kind, message))

    def _run_cells(self, nb, probe_source):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                self.client.execute_cell(cell, index)
            except (DeadKernelError, CellTimeoutError):
                return self._stopped(index, "kernel-died")
        if probe_source is not None:
            probe = nbformat.v4.new_code_cell(probe_source)
            nb.cells.append(probe)
            self.probe_index = len(nb.cells) - 1
            try:
                self.client.execute_cell(probe, self.probe_index)
            except (DeadKernelError, CellTimeoutError):
                return self._stopped(None, "kernel-died")
            self.execution.probe_ran = True


def run_notebook(nb, workdir: Path, limits: Limits = Limits(), probe_source: str | None = None,
                 env: dict | None = None) -> Execution:
    """Execute ``nb`` (modified in place: outputs, and the probe cell appended) in a fresh
    kernel whose working directory is ``workdir``."""
    workdir = Path(workdir)
    env = kernel_environment(workdir) if env is None else env
    return _Run(nb, limits, workdir, env).run(nb, probe_source)

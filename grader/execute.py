"""Running a notebook: the only module that talks to nbclient and jupyter_client.

A fresh kernel per notebook, started through :mod:`grader.launcher` (rlimits, a scrubbed
environment, and where the system allows: a uid of its own, PID/network/IPC/mount
namespaces), talking over IPC sockets in a throwaway folder. Cells run one by one with
``allow_errors``: an error is recorded with its cell index and execution goes on.

- A cell that outlives its timeout is interrupted; if the kernel does not answer within
  ``interrupt_grace`` (a loop that ignores SIGINT, or loops in C), its process tree is killed.
- A cell that killed or hung the kernel is recorded and skipped: a fresh kernel runs the
  notebook again without it (at most ``restarts`` times), so the other cells still count.
- The whole run has a wall-clock deadline, enforced from outside by a watchdog thread that
  kills the kernel's whole process tree; it also kills a kernel that fills the folders it
  shares with the grader beyond ``disk_bytes``.
- Outputs are capped while they arrive (:class:`OutputCappedClient`): per cell and per
  notebook; a flood is cut off (the cell is interrupted) and recorded as ``output-limit``.
  No kernel message larger than ``message_bytes`` is ever received (ZMQ_MAXMSGSIZE: the
  connection is dropped instead, and the loss recorded), and at most ``_QUEUED`` wait.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import zmq
import zmq.asyncio
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from zmq.utils.monitor import recv_monitor_message

from .launcher import launcher_argv
from .limits import Limits, UidSlot, kill_tree
from .results import CellError

__all__ = ["Limits", "Execution", "kernel_environment", "run_notebook", "KERNEL_NAME", "ENV_ALLOWLIST"]

KERNEL_NAME = "python3"
ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "MNIST_DIR", "OPENBLAS_CORETYPE",
                 "OPENBLAS_L2_SIZE", "VIRTUAL_ENV", "PYTHONPATH")


@dataclass
class Execution:
    errors: list[CellError] = field(default_factory=list)
    probe_ran: bool = False
    stopped: str | None = None  # why execution ended early, if it did
    seconds: float = 0.0
    protections: dict = field(default_factory=dict)  # what was in force (see README, threat model)
    problems: list[str] = field(default_factory=list)  # why a protection was off
    restarts: int = 0


def kernel_environment(workdir: Path, extra: dict | None = None) -> dict:
    """The kernel's environment: an allowlist of the grader's variables (no secrets, no
    grading seed), a private HOME and temp dir, one BLAS thread."""
    env = {k: os.environ[k] for k in ENV_ALLOWLIST if k in os.environ}
    env.update({
        "HOME": str(workdir), "TMPDIR": str(workdir), "IPYTHONDIR": str(workdir / ".ipython"),
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(workdir / ".mpl"), "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
        "JPY_SESSION_NAME": "", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    env.update(extra or {})
    return env


_TIMEOUT_NAME = "CellTimeoutError"
_QUEUED = 32  # ZMQ_RCVHWM: kernel messages waiting in the grader, each at most message_bytes


class GraderKernelManager(AsyncKernelManager):
    """Starts the kernel through the launcher, and gives clients a zmq context whose sockets
    refuse oversized messages and queue few."""

    def configure(self, wrap_argv, limits: Limits) -> None:
        self._wrap_argv = wrap_argv
        self._context = zmq.asyncio.Context()
        self._context.setsockopt(zmq.MAXMSGSIZE, int(limits.message_bytes))
        self._context.setsockopt(zmq.RCVHWM, _QUEUED)
        self._context.setsockopt(zmq.LINGER, 0)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", os.path.realpath(self.connection_file)]
        return self._wrap_argv(argv + list(extra_arguments or []))

    def client(self, **kwargs):
        kwargs.setdefault("context", self._context)
        return super().client(**kwargs)

    def close_context(self) -> None:
        self._context.destroy(linger=0)


def _size(value, budget: int) -> int:
    """Roughly the bytes of a message's content (strings and containers), at most ``budget``."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, dict):
        value = list(value.keys()) + list(value.values())
    if isinstance(value, (list, tuple)):
        total = 0
        for item in value:
            total += _size(item, budget - total)
            if total >= budget:
                break
        return total
    return 8


class OutputCappedClient(NotebookClient):
    """nbclient with the grader's policies: errors collected (``errors``), timeouts noted
    (``timed_out``), outputs kept only up to the caps, and a ``ping`` to tell an interrupted
    kernel from a hung one."""

    def __init__(self, nb, km, limits: Limits, probe_index: int):
        super().__init__(
            nb, km=km, timeout=max(1, int(limits.cell_timeout)), startup_timeout=int(limits.startup_timeout),
            allow_errors=True, interrupt_on_timeout=True, record_timing=False, iopub_timeout=2,
            error_on_timeout={"ename": _TIMEOUT_NAME, "evalue": f"{limits.cell_timeout:g}", "traceback": []},
            on_cell_error=self._on_error, shutdown_kernel="immediate", resources={"metadata": {}},
        )
        self.owns_km = True  # nbclient then shuts the kernel down and closes its sockets
        self.caps, self.probe_index = limits, probe_index
        self.errors: list[CellError] = []
        self.timed_out: set[int] = set()
        self.flooded: set[int] = set()
        self.kept_cell = self.kept_total = 0
        self.monitor = None
        self.current_index = -2

    def _index(self, cell_index):
        return None if cell_index == self.probe_index else cell_index

    def _on_error(self, cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        if content.get("ename") == _TIMEOUT_NAME:
            self.timed_out.add(cell_index)
            self.errors.append(CellError(self._index(cell_index), "timeout", f"{self.caps.cell_timeout:g}"))
        elif cell_index not in self.flooded:  # a flood's KeyboardInterrupt is not the trainee's error
            message = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}"
            self.errors.append(CellError(self._index(cell_index), "error", _short(message)))

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self.kept_cell, self.current_index = 0, cell_index
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    execute_cell = run_sync(async_execute_cell)

    def _admit(self, content, cell_index: int) -> bool:
        budget = self.caps.output_cell_bytes - self.kept_cell
        size = _size(content, max(0, budget) + 1)
        if size <= budget and self.kept_total + size <= self.caps.output_notebook_bytes:
            self.kept_cell += size
            self.kept_total += size
            return True
        self.flood(cell_index)
        return False

    def flood(self, cell_index: int) -> None:
        """Cut a flood off: record it once per cell, interrupt the cell."""
        if cell_index in self.flooded:
            return
        self.flooded.add(cell_index)
        limit = min(self.caps.output_cell_bytes, self.caps.output_notebook_bytes)
        self.errors.append(CellError(self._index(cell_index), "output-limit", str(limit)))
        pgid = getattr(self.km.provisioner, "pgid", None) if self.km is not None else None
        if pgid:
            try:
                os.killpg(pgid, signal.SIGINT)
            except OSError:
                pass

    def output(self, outs, msg, display_id, cell_index):
        if not self._admit(msg.get("content"), cell_index):
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        if self._admit(msg.get("content"), self.current_index):
            super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs, msg, cell_index):
        if self._admit(msg.get("content"), cell_index):
            super().handle_comm_msg(outs, msg, cell_index)

    def watch_iopub(self) -> None:
        """Watch the output socket for connections dropped over an oversized message (a
        synchronous PAIR socket on the same zmq context, polled after each cell)."""
        socket = self.kc.iopub_channel.socket
        address = f"inproc://day4-monitor-{id(self)}"
        socket.monitor(address, zmq.EVENT_DISCONNECTED)
        self.monitor = zmq.Context.shadow(socket.context.underlying).socket(zmq.PAIR)
        self.monitor.connect(address)

    def close_monitor(self) -> None:
        if self.monitor is not None:
            self.monitor.close(linger=0)
            self.monitor = None

    def check_dropped(self, cell_index: int) -> None:
        dropped = False
        while self.monitor is not None and self.monitor.poll(0):
            dropped = recv_monitor_message(self.monitor)["event"] == zmq.EVENT_DISCONNECTED or dropped
        if dropped:
            self.flood(cell_index)

    async def _async_ping(self, timeout: float) -> bool:
        """Whether the kernel answers a request within ``timeout`` seconds."""
        msg_id = self.kc.execute("", silent=True, store_history=False)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=left))
            except Exception:  # queue.Empty, or the kernel died meanwhile
                return False
            if msg["parent_header"].get("msg_id") == msg_id:
                return True
        return False

    ping = run_sync(_async_ping)


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

    def __init__(self, nb, limits: Limits, workdir: Path, env: dict, shared, on_probe_failure):
        self.nb, self.limits, self.workdir, self.env = nb, limits, workdir, env
        self.shared = [Path(s) for s in shared]
        self.on_probe_failure = on_probe_failure
        self.cells = len(nb.cells)  # the notebook's own cells; the probe is appended after them
        self.execution = Execution()
        self.killed = threading.Event()
        self.kill_reason = "deadline"
        self.lock = threading.Lock()
        self.km = None  # the current attempt's kernel manager
        self.root = Path(tempfile.mkdtemp(prefix="day4-kernel-", dir="/tmp" if os.path.isdir("/tmp") else None))
        os.chmod(self.root, 0o711)
        self.slot = UidSlot(enabled=limits.isolate)

    def kill(self, reason: str = "deadline") -> None:
        """Kill the current kernel's whole process tree (the outer deadline's last resort)."""
        with self.lock:
            if not self.killed.is_set():
                self.kill_reason = reason
                self.killed.set()
            self._kill_current()

    def _kill_current(self) -> None:
        provisioner = getattr(self.km, "provisioner", None) if self.km is not None else None
        kill_tree(getattr(provisioner, "pid", None), getattr(provisioner, "pgid", None), self.slot.uid)

    def _kill_hung(self) -> None:
        with self.lock:
            self._kill_current()

    def _watchdog(self, stop: threading.Event, deadline_at: float) -> None:
        while not stop.wait(0.25):
            if time.monotonic() >= deadline_at:
                return self.kill("deadline")
            folders = self.shared + [self.root]
            if not self.execution.protections.get("private_tmp"):
                folders.append(self.workdir)
            if _folder_usage(folders) > self.limits.disk_bytes:
                return self.kill("disk-limit")

    def run(self, probe_source: str | None) -> Execution:
        start = time.monotonic()
        stop = threading.Event()
        threading.Thread(target=self._watchdog, args=(stop, start + self.limits.deadline), daemon=True).start()
        skipped: dict[int, CellError] = {}  # cells not run again: they killed, hung or timed out a kernel
        errors: list[CellError] = []
        try:
            for attempt in range(self.limits.restarts + 1):
                self.execution.restarts = attempt
                culprit, errors = self._attempt(probe_source, skipped, attempt)
                if culprit is None:
                    break
                kind, index = culprit
                if self.killed.is_set():
                    self._stop(self.kill_reason, index, errors)
                    break
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
        ipc = self.root / f"ipc{attempt}"
        ipc.mkdir(mode=0o700)
        state = self.root / f"launcher{attempt}.json"
        config = {"uid": self.slot.uid, "gid": self.slot.uid, "isolate": self.limits.isolate,
                  "rlimits": self.limits.rlimits(self.slot.uid is not None), "workdir": str(self.workdir),
                  "rw": [str(ipc)] + [str(s) for s in self.shared], "state": str(state),
                  "grader_pid": os.getpid(), "tmpfs_bytes": self.limits.tmpfs_bytes,
                  "connection_file": str(ipc / "kernel.json")}
        km = GraderKernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(ipc / "k"),
                                 connection_file=str(ipc / "kernel.json"))
        km.configure(lambda argv: launcher_argv(config, argv), self.limits)
        client = OutputCappedClient(self.nb, km=km, limits=self.limits, probe_index=self.cells)
        log_path = self.root / f"kernel{attempt}.log"
        try:
            with open(log_path, "wb") as log:
                with self.lock:
                    self.km = km
                with client.setup_kernel(env=self.env, cwd=str(self.workdir), stdout=subprocess.DEVNULL, stderr=log):
                    self._read_state(state)
                    client.watch_iopub()
                    return self._run_cells(client, probe_source, skipped), client.errors
        except DeadKernelError:
            return ("kernel-died", None), client.errors
        except RuntimeError as exc:  # the kernel failed to start or died while starting
            message = _short(f"{exc} {_log_tail(log_path)}")
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
        try:
            data = json.loads(state.read_text(encoding="utf-8")[:100_000])
        except (OSError, ValueError):
            data = {}
        self.execution.protections = {str(k): bool(v) for k, v in data.get("protections", {}).items()}
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
        if index in client.timed_out and not client.ping(self.limits.interrupt_grace):
            self._kill_hung()  # the interrupt did not stop it: a loop ignoring SIGINT, or in C
            return "timeout", index
        return None


def _log_tail(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            lines = f.read(4000).decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""
    except OSError:
        return ""


def run_notebook(nb, workdir: Path, limits: Limits = Limits(), probe_source: str | None = None,
                 env: dict | None = None, shared=(), on_probe_failure=None) -> Execution:
    """Execute ``nb`` (modified in place: outputs, the probe cell appended) in a fresh kernel
    whose working directory is ``workdir``. ``shared``: folders the kernel reads and writes
    besides it (the probe's exchange folder). ``on_probe_failure()``: called when the probe
    killed or hung the kernel; it returns the probe's source for another run (without the
    step that did it), or ``None`` to stop there."""
    workdir = Path(workdir)
    env = kernel_environment(workdir) if env is None else env
    run = _Run(nb, limits, workdir, env, shared, on_probe_failure)
    try:
        return run.run(probe_source)
    finally:
        shutil.rmtree(run.root, ignore_errors=True)


"""The nbclient/jupyter_client classes :mod:`grader.kernel.execute` runs kernels with (only these
two modules talk to nbclient and jupyter_client).

- :class:`GraderKernelManager` starts the kernel through :mod:`grader.kernel.launcher` and gives its
  clients a zmq context whose sockets refuse any message larger than ``message_bytes``
  (ZMQ_MAXMSGSIZE: the connection is dropped instead, the loss noticed by a socket monitor)
  and queue at most ``_QUEUED`` of them, so the grader stays bounded in memory whatever the
  kernel sends.
- :class:`OutputCappedClient` is nbclient with the grader's policies: errors collected,
  timeouts noted, outputs kept only up to the caps (per cell, per notebook) as they arrive; a
  flood is cut off (the cell is interrupted) and recorded as an ``output-limit`` error; an output
  socket whose connection dropped is replaced before the next cell.
- :class:`PromptClient` (the manager's client class) is ready without jupyter_client's final
  0.2 s wait for a silent IOPub.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sys
import time
from queue import Empty

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from traitlets import DottedObjectName, Type
from zmq.utils.monitor import recv_monitor_message

from grader.kernel.limits import Limits
from grader.grading.results import CellError

__all__ = ["GraderKernelManager", "OutputCappedClient"]

_TIMEOUT_NAME = "CellTimeoutError"
_MONITORS = itertools.count()  # inproc addresses of the output sockets' monitors
_QUEUED = 32  # ZMQ_RCVHWM: kernel messages waiting in the grader, each at most message_bytes


class PromptClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel answered ``kernel_info`` with IOPub
    connected. jupyter_client's own ``wait_for_ready`` then also waits until IOPub has been
    silent for 0.2 s, to drop the kernel's startup messages: nbclient reads only the messages
    whose parent is the cell it runs, so that wait is 0.2 s lost per kernel and nothing else."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:  # any message on IOPub (this request's status) says it is connected
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class GraderKernelManager(AsyncKernelManager):
    """Starts the kernel through the launcher, and gives clients a zmq context whose sockets
    refuse oversized messages and queue few."""

    client_class = DottedObjectName("grader.kernel.client.PromptClient")
    client_factory = Type(PromptClient, klass=AsyncKernelClient)

    def configure(self, wrap_argv, limits: Limits) -> None:
        self._wrap_argv = wrap_argv
        self._kernel_python = limits.kernel_python  # None: the grader's own interpreter
        self._context = zmq.asyncio.Context()
        self._context.setsockopt(zmq.MAXMSGSIZE, int(limits.message_bytes))
        self._context.setsockopt(zmq.RCVHWM, _QUEUED)
        self._context.setsockopt(zmq.LINGER, 0)

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        python = self._kernel_python or sys.executable
        argv = [python, "-m", "ipykernel_launcher", "-f", os.path.realpath(self.connection_file)]
        return self._wrap_argv(argv + list(extra_arguments or []))

    def start_now(self, **kwargs) -> None:
        """Start the kernel process from synchronous code; returns without waiting for the
        kernel to be ready (a client's ``wait_for_ready`` does that)."""
        run_sync(self.start_kernel)(**kwargs)

    def client(self, **kwargs):
        kwargs.setdefault("context", self._context)
        return super().client(**kwargs)

    def close_context(self) -> None:
        self._close_control_socket()  # already closed when the kernel was shut down
        self._context.destroy(linger=0)
        if getattr(self, "_created_context", False) and not self.context.closed:  # the control socket's
            self.context.destroy(linger=0)


def _size(value, budget: int) -> int:
    """Roughly the bytes of a message's content (strings and containers), at most ``budget``
    (iterative: a deeply nested content does not exhaust the stack)."""
    total, todo = 0, [value]
    while todo and total < budget:
        item = todo.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
        else:
            total += 8
    return total


PING_FLOOR = 0.25  # seconds an interrupted kernel gets to answer, however late it stopped


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
        self.unfinished: int | None = None  # a timed out cell whose output may still be coming
        self.interrupted_at: float | None = None  # when the last timed out cell was interrupted
        self.iopub_lost = False  # the output socket's connection dropped (an oversized message)

    def _index(self, cell_index):
        return None if cell_index == self.probe_index else cell_index

    def _on_error(self, cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        if content.get("ename") == _TIMEOUT_NAME:
            self.timed_out.add(cell_index)
            self.unfinished = cell_index
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
        address = f"inproc://day4-monitor-{id(self)}-{next(_MONITORS)}"  # a replaced socket's may still be bound
        socket.monitor(address, zmq.EVENT_DISCONNECTED)
        self.monitor = zmq.Context.shadow(socket.context.underlying).socket(zmq.PAIR)
        self.monitor.connect(address)

    def close_monitor(self) -> None:
        if self.monitor is not None:
            self.monitor.close(linger=0)
            self.monitor = None

    def check_dropped(self, cell_index: int) -> None:
        """Record a dropped connection as a flood of the cell whose output was still coming:
        a cell that timed out before its output ended, else ``cell_index``."""
        dropped = False
        while self.monitor is not None and self.monitor.poll(0):
            dropped = recv_monitor_message(self.monitor)["event"] == zmq.EVENT_DISCONNECTED or dropped
        if dropped:
            self.iopub_lost = True
            self.flood(self.unfinished if self.unfinished is not None else cell_index)

    def reconnect_iopub(self, timeout: float) -> None:
        """Between two cells, after a connection dropped over an oversized message: zmq does not
        connect that socket again (libzmq 4.3), so every later cell waited ``iopub_timeout`` for
        output that never came and lost what it printed. A new socket takes its place, and is
        used once it receives (a ``kernel_info`` request's status, within ``timeout`` seconds;
        a kernel that does not answer is the next cell's timeout)."""
        self.iopub_lost = False
        self.close_monitor()
        old, self.kc._iopub_channel = self.kc._iopub_channel, None  # noqa: SLF001 - jupyter_client makes one on use
        if old is not None:
            with contextlib.suppress(zmq.ZMQError):
                old.socket.disable_monitor()
            old.close()
        self.watch_iopub()  # the new socket (subscribed to everything), and its monitor
        try:
            run_sync(self.kc.wait_for_ready)(timeout=timeout)
        except Exception:  # noqa: BLE001 - not answering, or dead: the next cell finds out
            pass

    def process_message(self, msg, cell, cell_index):
        self.check_dropped(cell_index)
        self.unfinished = None  # messages arrive in order: the timed out cell's output has ended
        return super().process_message(msg, cell, cell_index)

    async def _async_check_alive(self) -> None:
        # nbclient calls this every second while a cell runs: also the moment to notice a
        # flood of oversized messages, which never reach ``output``
        self.check_dropped(self.current_index)
        await super()._async_check_alive()

    async def _async_handle_timeout(self, timeout: int, cell=None):
        self.interrupted_at = time.monotonic()  # nbclient interrupts the kernel now
        return await super()._async_handle_timeout(timeout, cell)

    def grace_left(self, grace: float) -> float:
        """How long to wait for an interrupted cell's kernel to answer: what is left of ``grace``
        since the interrupt. nbclient has already waited up to ``iopub_timeout`` for the cell's
        output to end; that wait is part of the grace, not added to it (a loop ignoring SIGINT
        spun for the two). Output that ended sooner means the cell stopped: the kernel then only
        has to answer, within the whole grace. At least :data:`PING_FLOOR`."""
        since = time.monotonic() - self.interrupted_at if self.interrupted_at is not None else 0.0
        if since < self.iopub_timeout:
            return grace
        return max(PING_FLOOR, grace - since)

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

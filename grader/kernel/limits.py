"""What a kernel may use, and ending what it started.

:class:`Limits` holds every bound of one notebook's execution: time (per cell, per notebook),
resources of the kernel's processes (set as rlimits, hard = soft, by :mod:`grader.kernel.launcher`),
the size of its private temporary file systems and of its output. The rest of this module
serves :mod:`grader.kernel.execute`: a dedicated uid per concurrent grading (a lock file per slot),
and killing a process tree so that nothing a notebook started outlives its grading.
"""
from __future__ import annotations

import fcntl
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Limits", "MiB", "GiB", "UidSlot", "descendants", "processes_of_uid", "kill_tree", "SLOT_DIR",
           "FIRST_UID", "SLOTS"]

MiB = 1024 * 1024
GiB = 1024 * MiB
FIRST_UID = 64000  # kernels run as FIRST_UID + slot when the grader runs as root
SLOTS = 256
SLOT_DIR = Path("/run/day4-grader/slots")


@dataclass(frozen=True)
class Limits:
    """Bounds of one notebook's execution; every field has a default, tests shorten them."""

    cell_timeout: float = 60.0  # seconds per cell before it is interrupted
    deadline: float = 300.0  # seconds for the whole notebook (restarts and probe included)
    startup_timeout: float = 60.0
    memory_bytes: int = 4 * GiB  # RLIMIT_AS of each kernel process
    cpu_seconds: int | None = None  # RLIMIT_CPU of each process; None: the deadline plus 10 s
    file_bytes: int = 64 * MiB  # RLIMIT_FSIZE: the largest file the kernel may write
    open_files: int = 1024  # RLIMIT_NOFILE
    processes: int = 128  # RLIMIT_NPROC (threads count), only under a dedicated uid
    tmpfs_bytes: int = 256 * MiB  # each private tmpfs: the working directory, /tmp, /dev/shm...
    disk_bytes: int = 512 * MiB  # what the kernel may leave in the folders it shares with the grader
    output_cell_bytes: int = 1 * MiB  # outputs kept per cell; a flood beyond is cut off
    output_notebook_bytes: int = 8 * MiB  # outputs kept per notebook
    message_bytes: int = 16 * MiB  # the largest kernel message the grader accepts at all
    interrupt_grace: float = 3.0  # seconds an interrupted cell has to stop before the kernel is killed
    restarts: int = 3  # fresh kernels after cells that killed or hung one (those cells are then skipped)
    isolate: bool = True  # namespaces and a dedicated uid where the system allows them
    kernel_python: str | None = None  # the kernel's interpreter (--kernel-python); None: the grader's own

    def rlimits(self, dedicated_uid: bool) -> dict[str, int]:
        """The ``resource.RLIMIT_*`` names and values the launcher sets (hard = soft)."""
        cpu = self.cpu_seconds if self.cpu_seconds is not None else int(self.deadline) + 10
        values = {"RLIMIT_AS": self.memory_bytes, "RLIMIT_CPU": max(1, cpu), "RLIMIT_FSIZE": self.file_bytes,
                  "RLIMIT_NOFILE": self.open_files, "RLIMIT_CORE": 0}
        if dedicated_uid:  # RLIMIT_NPROC counts every process of the real uid: only meaningful alone on it
            values["RLIMIT_NPROC"] = self.processes
        return values


class UidSlot:
    """A uid of its own for one grading: ``FIRST_UID + n`` for the first free slot ``n``, held
    by an exclusive lock on a file under :data:`SLOT_DIR` (root only) until :meth:`release`.
    Concurrent gradings (threads, worker processes, other grader runs) never share a uid, so
    RLIMIT_NPROC counts one kernel's processes and killing by uid kills only that kernel's."""

    def __init__(self, enabled: bool = True, directory: Path = SLOT_DIR, slots: int = SLOTS):
        self.uid: int | None = None
        self._fd: int | None = None
        if not enabled or os.geteuid() != 0:
            return
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return
        for slot in range(slots):
            fd = os.open(directory / f"{slot}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            if processes_of_uid(FIRST_UID + slot):  # left over by a grader that was killed: clean up first
                kill_tree(None, uid=FIRST_UID + slot)
            self.uid, self._fd = FIRST_UID + slot, fd
            return

    def release(self) -> None:
        if self.uid is not None:
            kill_tree(None, uid=self.uid)
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
        self.uid = self._fd = None


def _status_fields(pid: int) -> tuple[int, int] | None:
    """``(ppid, real uid)`` of ``pid`` from ``/proc``, ``None`` when it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            text = f.read(4096).decode("ascii", "replace")
    except OSError:
        return None
    ppid = uid = -1
    for line in text.splitlines():
        if line.startswith("State:") and line.split()[1] in ("Z", "X"):
            return None
        if line.startswith("PPid:"):
            ppid = int(line.split()[1])
        elif line.startswith("Uid:"):
            uid = int(line.split()[1])
    return ppid, uid


def _all_processes() -> dict[int, tuple[int, int]]:
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _status_fields(int(name))
            if fields is not None:
                table[int(name)] = fields
    return table


def descendants(pid: int, table: dict | None = None) -> set[int]:
    """Every live process below ``pid`` (its children, their children, ...)."""
    table = _all_processes() if table is None else table
    children: dict[int, list[int]] = {}
    for child, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(child)
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def processes_of_uid(uid: int) -> set[int]:
    return {pid for pid, (_, owner) in _all_processes().items() if owner == uid}


def _signal_all(pids, signum) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def kill_tree(pid: int | None, pgid: int | None = None, uid: int | None = None, rounds: int = 20) -> bool:
    """SIGKILL ``pid``, everything below it, its process group and (a dedicated uid only!)
    every process of ``uid``. Processes are stopped first so that none can fork meanwhile;
    repeated until nothing is left. ``True`` when nothing is left."""
    me = os.getpid()
    for _ in range(rounds):
        table = _all_processes()
        targets = set()
        if pid is not None and pid in table:
            targets |= {pid} | descendants(pid, table)
        if uid is not None:
            targets |= {p for p, (_, owner) in table.items() if owner == uid}
        targets.discard(me)
        if pgid:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not targets:
            return True
        _signal_all(targets, signal.SIGSTOP)
        _signal_all(targets | descendants(pid, _all_processes()) if pid is not None else targets, signal.SIGKILL)
        time.sleep(0.02)
    return False

"""The grader's throwaway folders: made in one place, owned by the process that made them,
removed when it is done with them, and swept by a later run when that process died.

Every folder is ``<root>/day4-<kind>-XXXXXXXX`` (``kind``: ``grader`` for a notebook's
working and exchange folders, ``kernel`` for its kernels' sockets, state and logs, ``pool``
for a batch coordinator's multiprocessing files, the forkserver's socket) with an
``owner.json``: the pid of the process that made it, that process's start time (from
``/proc/<pid>/stat``, so a reused pid does not pass for the owner) and the boot id.

- :func:`make` / :func:`remove` / :func:`temporary`: create and remove; the folders a process
  made and has not removed yet are removed by :func:`remove_mine` at the process's exit, or
  handed out by :func:`close` (a batch worker whose coordinator died, :mod:`grader.classroom.lifeline`).
- :func:`sweep` (run once per process at its first :func:`make`, at the start and end of every
  batch, and by a dying batch worker): removes the folders whose owner is dead. A folder is removed only when its name has
  our prefix, it is a real directory (not a link) of our uid, and either its owner record is
  valid and names a process that is no longer alive (or a zombie), or it has no valid owner
  record (made by an older grader, or its maker died between ``mkdir`` and writing the
  record) and was last modified more than :data:`UNOWNED_AGE` seconds ago. A live run's
  folders are never touched.

``root()``: ``$TMPDIR`` (Python's :func:`tempfile.gettempdir`), unless its path is too long for
the kernels' IPC socket paths, then ``/tmp``. A run only sweeps the root it uses itself. Pids
are those of the sweeper's PID namespace: graders in containers that share one temp folder
but not their PID namespace should each have a ``TMPDIR`` of their own.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import stat
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["KINDS", "OWNER_FILE", "UNOWNED_AGE", "Closed", "root", "make", "remove", "temporary", "remove_mine",
           "close", "sweep", "owner_alive", "process_identity"]

KINDS = ("grader", "kernel", "pool")
OWNER_FILE = "owner.json"
UNOWNED_AGE = 24 * 3600  # a folder without a valid owner record is left alone for a day
MAX_ROOT_LENGTH = 64  # <root>/day4-kernel-XXXXXXXX/ipc0/k-NNNNN must fit in a socket path (107 bytes)
_BOOT_ID = "/proc/sys/kernel/random/boot_id"

_lock = threading.RLock()  # re-entrant: a signal handler in the same thread may ask (grader.classroom.lifeline)
_mine: set[Path] = set()
_swept = False
_closed = False  # this process is ending: no new folder


class Closed(RuntimeError):
    """A folder was asked for after :func:`close` (the process is ending)."""


def _reset_after_fork() -> None:  # a forked child owns nothing of its parent's
    global _swept, _closed
    _mine.clear()
    _swept, _closed = True, False


os.register_at_fork(after_in_child=_reset_after_fork)


def root() -> Path:
    """Where the folders go: ``$TMPDIR``, or ``/tmp`` when that path is too long for sockets."""
    base = tempfile.gettempdir()
    if len(base) > MAX_ROOT_LENGTH and os.path.isdir("/tmp"):
        return Path("/tmp")
    return Path(base)


def _boot_id() -> str:
    try:
        with open(_BOOT_ID, encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of ``/proc/<pid>/stat`` after the command name (field 3, the state, first)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rfind(b")") + 2:].decode("ascii", "replace").split()


def process_identity(pid: int | None = None) -> dict:
    """``{"pid", "start", "boot"}`` of ``pid`` (this process by default): what tells it apart
    from a later process with the same pid."""
    pid = os.getpid() if pid is None else pid
    fields = _stat_fields(pid)
    return {"pid": pid, "start": int(fields[19]) if fields and len(fields) > 19 else None, "boot": _boot_id()}


def owner_alive(owner: dict) -> bool:
    """Whether the process recorded in ``owner`` (see :func:`process_identity`) still runs."""
    if owner.get("boot") != _boot_id():
        return False
    fields = _stat_fields(owner["pid"])
    if fields is None or len(fields) <= 19 or fields[0] in ("Z", "X", "x"):
        return False
    return owner.get("start") is None or int(fields[19]) == owner["start"]


def make(kind: str, mode: int = 0o711) -> Path:
    """A fresh folder ``<root>/day4-<kind>-XXXXXXXX`` (``mode``: 0711 lets a kernel running
    under a uid of its own reach its subfolders), owned by this process until :func:`remove`."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of temp folder: {kind!r}")
    sweep_once()
    path = Path(tempfile.mkdtemp(prefix=f"day4-{kind}-", dir=root()))
    with _lock:
        if not _closed:
            _mine.add(path)
    if _closed:
        shutil.rmtree(path, ignore_errors=True)
        raise Closed("this process is ending: no new temp folder")
    try:
        os.chmod(path, mode)
        fd = os.open(path / OWNER_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(process_identity(), f)
    except BaseException:
        remove(path)
        raise
    return path


def remove(path) -> None:
    """Remove a folder made by :func:`make` (whatever it holds)."""
    path = Path(path)
    shutil.rmtree(path, ignore_errors=True)
    with _lock:
        _mine.discard(path)


@contextlib.contextmanager
def temporary(kind: str, mode: int = 0o711):
    """``with temporary("grader") as path:`` a folder from :func:`make`, removed at the end."""
    path = make(kind, mode)
    try:
        yield path
    finally:
        remove(path)


def remove_mine() -> None:
    """Remove every folder this process made and has not removed (its last act)."""
    with _lock:
        paths = list(_mine)
    for path in paths:
        remove(path)


atexit.register(remove_mine)


def close() -> list[Path]:
    """No new folder from now on (:func:`make` raises :class:`Closed`); returns the folders
    this process made and has not removed, for whoever removes them once it is gone."""
    global _closed
    with _lock:
        _closed = True
        return sorted(_mine)


def _read_owner(folder: Path) -> dict | None:
    try:
        fd = os.open(folder / OWNER_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return None
            data = json.loads(f.read(4096))
    except (OSError, ValueError):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("pid"), int) and data["pid"] > 0
            and isinstance(data.get("start"), (int, type(None))) and isinstance(data.get("boot"), str)):
        return None
    return data


def _abandoned(folder: Path, now: float) -> bool:
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return False
    owner = _read_owner(folder)
    if owner is None:
        return now - info.st_mtime > UNOWNED_AGE
    return not owner_alive(owner)


def sweep(where: Path | None = None) -> list[Path]:
    """Remove the folders in ``where`` (default :func:`root`) of processes no longer alive
    (see the module's docstring for the rules). Returns what was removed."""
    where = root() if where is None else Path(where)
    prefixes = tuple(f"day4-{kind}-" for kind in KINDS)
    removed, now = [], time.time()
    try:
        names = [e.name for e in os.scandir(where) if e.name.startswith(prefixes)]
    except OSError:
        return removed
    for name in names:
        folder = where / name
        if _abandoned(folder, now):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def sweep_once() -> None:
    """:func:`sweep`, the first time this process asks."""
    global _swept
    with _lock:
        if _swept:
            return
        _swept = True
    try:
        sweep()
    except Exception:  # noqa: BLE001 - sweeping is a courtesy, never a reason to fail a grading
        pass

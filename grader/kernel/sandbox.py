"""The kernel's denylist view of the machine (the fallback when the allowlisted root of
:mod:`grader.kernel.sandbox_root` cannot be built), and the helpers both use. Built by
:mod:`grader.kernel.launcher` inside a new mount namespace (Linux only, root or a user namespace): a fresh ``/proc`` showing only the kernel's
own processes, every file system read-only, private size-capped tmpfs on ``/tmp``,
``/var/tmp``, ``/dev/shm``, ``/run/lock`` and the working directory, and ``/root``, ``/home``,
``/run/user`` hidden. The paths the kernel needs (the interpreter, its packages, the course
data, the folders it shares with the grader) are bound back in, read-only or, for the shared
folders, writable. Each step is best effort: what failed is reported, never fatal."""
from __future__ import annotations

import ctypes
import os
import stat

__all__ = ["libc_call", "unshare", "private_mounts", "needed_paths", "CLONE"]

CLONE = {"mount": 0x00020000, "ipc": 0x08000000, "user": 0x10000000, "pid": 0x20000000, "net": 0x40000000}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
MNT_DETACH = 2
TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
HIDDEN_DIRS = ("/root", "/home", "/run/user")
_SKIP_READONLY = ("/proc", "/sys", "/dev")
SMALL_TMPFS = 16 * 1024 * 1024  # /var/tmp, /dev/shm, /run/lock and the hidden folders

_libc = ctypes.CDLL(None, use_errno=True)


def libc_call(name: str, *args) -> int:
    """Call ``libc.name(*args)``; raise ``OSError`` on -1."""
    result = getattr(_libc, name)(*args)
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{name}: {os.strerror(err)}")
    return result


def unshare(*kinds: str) -> None:
    flags = 0
    for kind in kinds:
        flags |= CLONE[kind]
    libc_call("unshare", ctypes.c_int(flags))


def _mount(source, target, fstype, flags, data=None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    libc_call("mount", enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))


def _locked_flags(path: str) -> int:
    """The per-mount flags of ``path`` that a remount must keep (a user namespace refuses to
    clear them)."""
    f = os.statvfs(path).f_flag
    flags = f & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    return flags | (MS_RELATIME if f & 4096 else 0)  # ST_RELATIME is 4096


def _mount_points() -> list[str]:
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
        points = [line.split()[4].replace("\\040", " ") for line in f if len(line.split()) > 4]
    return list(dict.fromkeys(points))


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def needed_paths(extra=()) -> list[str]:
    """What the kernel reads: the interpreter, its prefixes, ``sys.path``, this project (its
    ``grader`` and ``reference`` packages), ``PYTHONPATH`` and ``MNIST_DIR``; real paths too.
    ``extra``: the launcher config's ``ro`` (the course shim folder of :mod:`grader.kernel.course_shim`,
    and the prefixes and ``sys.path`` of a ``--kernel-python`` interpreter)."""
    import importlib.util
    import sys

    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))]
    found += [p for p in sys.path if p]
    found += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    found += [os.environ["MNIST_DIR"]] if os.environ.get("MNIST_DIR") else []
    for name in ("grader", "reference"):
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append(os.path.dirname(location))
    found += list(extra)
    paths = []
    for path in found:
        for candidate in (os.path.abspath(path), os.path.realpath(path)):
            if os.path.isdir(candidate) and candidate not in paths:
                paths.append(candidate)
    return paths


def _closed_ancestor(path: str, covers) -> str | None:
    """The first ancestor of ``path`` that others may not traverse (outside ``covers``)."""
    parts = path.strip("/").split("/")
    for i in range(1, len(parts)):
        ancestor = "/" + "/".join(parts[:i])
        if any(_under(ancestor, c) for c in covers):
            return None
        try:
            if not os.stat(ancestor).st_mode & stat.S_IXOTH:
                return ancestor
        except OSError:
            return None
    return None


class _Plan:
    def __init__(self, keep_ro, keep_rw, foreign_uid: bool):
        self.rw = [os.path.abspath(p) for p in keep_rw if os.path.isdir(p)]
        self.ro = [p for p in keep_ro if os.path.isdir(p) and not any(_under(p, r) for r in self.rw)]
        self.temp = [d for d in TEMP_DIRS if os.path.isdir(d) and not os.path.islink(d)]
        self.hidden = [d for d in HIDDEN_DIRS if os.path.isdir(d) and not os.path.islink(d)]
        covers = self.temp + self.hidden
        if foreign_uid:  # a uid of its own cannot pass a 0700 ancestor: hide it, bind the path back
            for path in self.ro + self.rw:
                closed = _closed_ancestor(path, covers)
                if closed and closed not in self.hidden:
                    self.hidden.append(closed)
                    covers.append(closed)
        self.fds = {p: os.open(p, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for p in self.ro + self.rw}

    def keeps_under(self, top: str) -> list[str]:
        keeps = sorted((p for p in self.fds if _under(p, top)), key=lambda p: p.count("/"))
        return [p for p in keeps if p in self.rw or not any(_under(p, q) and q != p and q in self.ro for q in keeps)]

    def bind_back(self, path: str) -> None:
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{self.fds[path]}", path, None, MS_BIND | MS_REC)
        if path in self.rw:
            _mount(None, path, None, MS_REMOUNT | MS_BIND | _locked_flags(path))


def _cover(plan: _Plan, top: str, mode: int, size: int) -> None:
    """A fresh tmpfs on ``top`` with the kept paths below it bound back in; undone on failure."""
    _mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},nr_inodes=65536,mode={mode:o}")
    try:
        for path in plan.keeps_under(top):
            plan.bind_back(path)
    except OSError:
        libc_call("umount2", os.fsencode(top), ctypes.c_int(MNT_DETACH))
        raise


def private_mounts(*, new_proc: bool, keep_ro, keep_rw, workdir: str, owner: tuple[int, int] | None,
                   tmpfs_bytes: int) -> tuple[dict, list[str]]:
    """Build the kernel's file system view in the (already unshared) mount namespace of this
    process. Returns ``(protections, problems)``."""
    done = {"proc": False, "readonly_fs": False, "private_tmp": False, "hidden_home": False}
    problems: list[str] = []
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    if new_proc:
        try:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
            done["proc"] = True
        except OSError as exc:
            problems.append(f"/proc: {exc}")
    plan = _Plan(keep_ro, keep_rw, owner is not None)
    failed = []
    for point in _mount_points():
        if point == "/" or not any(_under(point, s) for s in _SKIP_READONLY):
            try:
                _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _locked_flags(point))
            except OSError as exc:
                failed.append(f"{point}: {exc.strerror}")
    done["readonly_fs"] = not failed
    problems += [f"read-only {f}" for f in failed[:5]]
    covered = {"private_tmp": [], "hidden_home": []}
    for key, tops, mode in (("private_tmp", plan.temp, 0o1777), ("hidden_home", plan.hidden, 0o755)):
        for top in tops:
            try:
                _cover(plan, top, mode, tmpfs_bytes if top == "/tmp" else min(tmpfs_bytes, SMALL_TMPFS))
                covered[key].append(top)
            except OSError as exc:
                problems.append(f"tmpfs on {top}: {exc}")
        done[key] = len(covered[key]) == len(tops)
    for path in plan.rw:  # shared folders outside every cover: writable again
        if not any(_under(path, c) for c in covered["private_tmp"] + covered["hidden_home"]):
            try:
                plan.bind_back(path)
            except OSError as exc:
                problems.append(f"shared folder {path}: {exc}")
    try:
        os.makedirs(workdir, exist_ok=True)
        ids = f",uid={owner[0]},gid={owner[1]}" if owner else ""
        _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmpfs_bytes},nr_inodes=65536,mode=700{ids}")
    except OSError as exc:
        done["private_tmp"] = False
        problems.append(f"tmpfs on the working directory: {exc}")
    for fd in plan.fds.values():
        os.close(fd)
    return done, problems

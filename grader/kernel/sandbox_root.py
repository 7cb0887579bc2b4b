"""Building the kernel's allowlisted root (the policy is :mod:`grader.kernel.view`'s): inside the
kernel's new mount namespace, a small tmpfs becomes the new root; only the listed paths are
bound into it (read-only, or writable for the shared folders), ``/proc`` is mounted fresh,
``/dev`` holds a few devices, ``/tmp``, ``/var/tmp``, ``/dev/shm`` and the working directory
are private size-capped tmpfs; the root is made read-only and the process ``pivot_root``s into
it, detaching the old root entirely. Standard library only (run by :mod:`grader.kernel.launcher`).

Any failure undoes the new root and raises :class:`ViewError`: the launcher then falls back to
the denylist view of :func:`grader.kernel.sandbox.private_mounts` and reports ``allowlist_fs`` off."""
from __future__ import annotations

import ctypes
import os
import platform

from grader.kernel.sandbox import (MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT,
                      SMALL_TMPFS, _locked_flags, _mount, libc_call)

__all__ = ["ViewError", "build_root"]

_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41, "ppc64le": 203, "s390x": 217, "riscv64": 41}


class ViewError(OSError):
    """The allowlisted root could not be built (the caller falls back)."""


def _depth(path: str) -> int:
    return len([p for p in path.split("/") if p])


def _covers(source: str, path: str) -> bool:
    """Whether binding ``source`` would show ``path`` (``source`` is ``path`` or above it)."""
    source, path = os.path.realpath(source), os.path.realpath(path)
    return path == source or path.startswith(source.rstrip("/") + "/")


def _inside(newroot: str, path: str) -> str:
    return newroot.rstrip("/") + "/" + path.lstrip("/")


def _make_target(target: str, is_dir: bool) -> None:
    if is_dir:
        os.makedirs(target, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if not os.path.lexists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))


def _bind(source: str, target: str, writable: bool) -> None:
    _make_target(target, os.path.isdir(source))
    _mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | _locked_flags(source) | (0 if writable else MS_RDONLY)
    _mount(None, target, None, flags)


def _tmpfs(target: str, size: int, mode: int, owner=None, readonly: bool = False) -> None:
    _make_target(target, True)
    ids = f",uid={owner[0]},gid={owner[1]}" if owner else ""
    flags = MS_NOSUID | MS_NODEV | (MS_RDONLY if readonly else 0)
    _mount("tmpfs", target, "tmpfs", flags, f"size={size},nr_inodes=65536,mode={mode:o}{ids}")


def _mask(target: str) -> None:
    """Hide what is at ``target`` below a read-only bind: an empty read-only tmpfs (a folder)
    or ``/dev/null`` (a file)."""
    if os.path.isdir(target):
        _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4096,nr_inodes=16,mode=555")
    elif os.path.lexists(target):
        _mount("/dev/null", target, None, MS_BIND)


def _operations(view: dict, rw, workdir: str, owner, tmpfs_bytes: int, new_proc: bool) -> list[tuple]:
    """``(target, kind, args)`` in mount order: parents before what is bound below them."""
    ops = [("/tmp", "tmpfs", (tmpfs_bytes, 0o1777)), ("/var/tmp", "tmpfs", (SMALL_TMPFS, 0o1777)),
           ("/dev", "tmpfs", (65536, 0o755)), ("/dev/shm", "tmpfs", (SMALL_TMPFS, 0o1777))]
    ops += [(device, "bind", (device, True)) for device in view.get("devices", ())]
    ops.append(("/dev/pts", "devpts", ()))  # a private instance: IPython's `!` runs commands on a pty
    ops.append(("/proc", "proc", (new_proc,)))
    never = list(view.get("excluded", ())) + [workdir, *rw]
    ops += [(target, "bind", (source, False)) for source, target in view.get("ro", ())
            if os.path.exists(source) and not any(_covers(source, e) for e in never)]
    ops += [(path, "bind", (path, True)) for path in rw]
    ops.append((workdir, "workdir", (tmpfs_bytes, owner)))
    ops += [(path, "mask", ()) for path in view.get("masks", ())]
    ops += [(path, "drop", ()) for path in view.get("drops", ())]
    order = {"tmpfs": 0, "proc": 0, "devpts": 0, "bind": 1, "workdir": 2, "mask": 3, "drop": 3}
    return sorted(ops, key=lambda op: (_depth(op[0]), order[op[1]]))


def _apply(newroot: str, op: tuple) -> None:
    target, kind, args = op
    where = _inside(newroot, target)
    if kind == "tmpfs":
        _tmpfs(where, args[0], args[1])
    elif kind == "proc":
        _make_target(where, True)
        try:
            if not args[0]:
                raise ViewError("no PID namespace of its own")
            _mount("proc", where, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError:  # e.g. a container's masked /proc refuses a new one: the old one, reported off
            _mount("/proc", where, None, MS_BIND | MS_REC)
            raise
    elif kind == "devpts":
        _make_target(where, True)
        _mount("devpts", where, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620")
        os.symlink("pts/ptmx", _inside(newroot, "/dev/ptmx"))
    elif kind == "bind":
        _bind(args[0], where, args[1])
    elif kind == "workdir":
        _tmpfs(where, args[0], 0o700, args[1])
    elif kind in ("mask", "drop"):  # a drop: masked too, but not data (its failure hides nothing secret)
        _mask(where)


def _pivot(newroot: str) -> None:
    number = _SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise ViewError(f"pivot_root: unknown system call number on {platform.machine()}")
    os.chdir(newroot)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(ctypes.c_long(number), b".", b".") != 0:
        err = ctypes.get_errno()
        raise ViewError(err, f"pivot_root: {os.strerror(err)}")
    libc_call("umount2", b".", ctypes.c_int(MNT_DETACH))  # the old root, stacked on the new one
    os.chdir("/")


def build_root(view: dict, *, rw, workdir: str, owner, tmpfs_bytes: int, new_proc: bool) -> tuple[dict, list[str]]:
    """Build the allowlisted root described by ``view`` and pivot into it. Returns
    ``(protections, problems)``; raises :class:`ViewError` when it could not be done (nothing
    of it is left mounted then)."""
    newroot = view["newroot"]
    problems: list[str] = []
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    os.makedirs(newroot, mode=0o755, exist_ok=True)
    _mount("tmpfs", newroot, "tmpfs", MS_NOSUID | MS_NODEV, "size=1048576,nr_inodes=8192,mode=755")
    try:
        for link, points_to in view.get("links", {}).items():
            os.symlink(points_to, _inside(newroot, link))
        done = {"proc": False, "eval_data_hidden": True}
        for op in _operations(view, rw, workdir, owner, tmpfs_bytes, new_proc):
            try:
                _apply(newroot, op)
                done["proc"] = done["proc"] or op[1] == "proc"  # a fresh one
            except OSError as exc:
                if op[1] in ("tmpfs", "workdir") or (op[1] == "bind" and op[2][1]):
                    raise ViewError(f"{op[1]} {op[0]}: {exc}") from None  # the kernel needs these
                if op[1] == "mask":
                    done["eval_data_hidden"] = False
                problems.append(f"view: {op[1]} {op[0]}: {exc.strerror or exc}")
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                             ("stderr", "/proc/self/fd/2")):
            os.symlink(target, _inside(newroot, f"/dev/{name}"))
        _mount(None, newroot, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        _pivot(newroot)
    except OSError as exc:
        os.chdir("/")
        try:
            libc_call("umount2", os.fsencode(newroot), ctypes.c_int(MNT_DETACH))
        except OSError:
            pass
        raise exc if isinstance(exc, ViewError) else ViewError(f"allowlisted root: {exc}") from None
    done.update(readonly_fs=True, private_tmp=True, hidden_home=True, allowlist_fs=True)
    return done, problems

"""A seccomp filter on the kernel: system calls a notebook never needs fail with ``EPERM``.

Installed by :mod:`grader.kernel.launcher` in the kernel's process right before it execs the kernel,
after the launcher's own namespaces and mounts, so it holds for the kernel and everything it
starts (a seccomp filter is inherited and cannot be removed). It denies:

- new namespaces (``unshare``/``clone`` with any ``CLONE_NEW*`` flag, ``setns``; ``clone3``
  fails with ``ENOSYS`` so that the C library falls back to ``clone``, whose flags are seen):
  no user namespace in which the notebook would be root, so no ``mount`` of a tmpfs past the caps;
- mounting and changing the root (``mount``, ``umount2``, ``pivot_root``, ``chroot``, the new
  mount API);
- the kernel keyrings (``keyctl``, ``add_key``, ``request_key``): nothing can be stored there,
  so nothing a grading stores is left for a later grading under the same uid slot (and before
  the filter, :func:`clear_keyrings` gives the kernel a session keyring of its own and empties
  its slot uid's keyrings: the same holds where no filter can be loaded);
- reading or writing other processes (``ptrace``, ``process_vm_readv``/``writev``, ``pidfd_getfd``);
- ``bpf``, ``perf_event_open``, ``userfaultfd``, ``io_uring_*`` (its operations bypass seccomp),
  file handles (``open_by_handle_at``), modules, ``kexec``, swap, clocks, reboot and the like.

System calls of another ABI (32-bit ``int 0x80`` on x86_64) kill the process: libseccomp
filters the native architecture only. The filter is built with libseccomp through its Python
binding: ``seccomp`` (libseccomp's own, Debian's ``python3-seccomp``) when importable, else
``pyseccomp`` (PyPI: the same API over ``libseccomp.so.2`` through ctypes). Without either
(or without libseccomp), the kernel runs without the filter and the result says so
(protection ``seccomp`` off).
"""
from __future__ import annotations

import ctypes
import errno
import importlib
import platform

__all__ = ["binding", "prepare", "load", "clear_keyrings", "DENIED", "NAMESPACE_FLAGS", "problem"]

NAMESPACE_FLAGS = {"CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
                   "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
                   "CLONE_NEWNET": 0x40000000}
CLONE_NEWTIME = 0x80  # unshare only: in clone's first argument these bits are the exit signal
DENIED = ("setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
          "fsmount", "fspick", "mount_setattr",
          "keyctl", "add_key", "request_key",
          "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd",
          "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
          "open_by_handle_at", "name_to_handle_at", "init_module", "finit_module", "delete_module",
          "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "acct", "quotactl", "syslog",
          "iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "lookup_dcookie",
          "uselib", "vhangup")


def _import_binding():
    """libseccomp's own binding (Debian: python3-seccomp), else ``pyseccomp`` (PyPI, the same
    API through ctypes); ``(module or None, why not)``. Never raises: the launcher must start."""
    why = "not installed"
    for name in ("seccomp", "pyseccomp"):
        try:
            module = importlib.import_module(name)
            if hasattr(module, "SyscallFilter"):  # not some other module of that name
                return module, None
            why = f"{name}: no SyscallFilter"
        except Exception as exc:  # noqa: BLE001 - not installed, no libseccomp.so.2, a broken install
            why = f"{type(exc).__name__}: {exc}"
    return None, f"seccomp: no libseccomp binding ({why})"


# Imported once, when the launcher starts (before any namespace or mount: finding the shared
# library may run ``ldconfig``).
_BINDING, _PROBLEM = _import_binding()
_prepared = None


def binding():
    """The libseccomp binding module in use, or ``None``."""
    return _BINDING


def problem() -> str | None:
    """Why there is no filter, when there is none."""
    return _PROBLEM


def _rules(lib, flt) -> None:
    deny = lib.ERRNO(errno.EPERM)
    for flag in (*NAMESPACE_FLAGS.values(), CLONE_NEWTIME):  # any one of these bits set: denied
        flt.add_rule(deny, "unshare", lib.Arg(0, lib.MASKED_EQ, flag, flag))
    for flag in NAMESPACE_FLAGS.values():
        flt.add_rule(deny, "clone", lib.Arg(0, lib.MASKED_EQ, flag, flag))
    flt.add_rule(lib.ERRNO(errno.ENOSYS), "clone3")  # its flags are out of reach: fall back to clone
    for name in DENIED:
        try:
            flt.add_rule(deny, name)
        except (OSError, ValueError, RuntimeError):  # no such system call on this architecture
            continue


def prepare(problems: list[str] | None = None) -> bool:
    """Build the filter (in the launcher, before forking the kernel). ``True`` when it is ready
    for :func:`load`; else why not is appended to ``problems``."""
    global _prepared
    if _BINDING is None:
        if problems is not None:
            problems.append(_PROBLEM or "seccomp: unavailable")
        return False
    try:
        flt = _BINDING.SyscallFilter(_BINDING.ALLOW)
        _rules(_BINDING, flt)
    except Exception as exc:  # noqa: BLE001 - reported as a protection that was off
        if problems is not None:
            problems.append(f"seccomp: cannot build the filter: {type(exc).__name__}: {exc}")
        return False
    _prepared = flt
    return True


_KEYCTL = {"x86_64": 250, "aarch64": 219}  # the keyctl system call's number
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR = 1, 7
KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -4, -5


def clear_keyrings(own_uid: bool) -> None:
    """In the kernel's process, before the filter: a new, empty session keyring of its own
    (never the grader's); under a uid of its own (a slot), that uid's user keyrings emptied, so
    nothing a previous grading under the slot stored is left (the filter then keeps this one
    from storing anything). Failures are ignored (keyrings disabled, another architecture)."""
    number = _KEYCTL.get(platform.machine())
    if number is None:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.syscall(number, KEYCTL_JOIN_SESSION_KEYRING, None)
    if own_uid:  # never the keyrings of the instructor's own uid
        for ring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING):
            libc.syscall(number, KEYCTL_CLEAR, ring)


def load(own_uid: bool = False) -> None:
    """In the kernel's process, right before exec: :func:`clear_keyrings`, then load the
    prepared filter (nothing when none was prepared). Raises ``OSError`` when the kernel
    refuses the filter: the launcher then does not start the kernel at all rather than run it
    unfiltered while reporting a filter."""
    clear_keyrings(own_uid)
    if _prepared is not None:
        _prepared.load()

"""How one notebook's kernel is started (for :mod:`grader.kernel.execute` and
:mod:`grader.kernel.prewarm`): its environment (an allowlist of the grader's variables, no
secret, no grading seed), its throwaway folder (IPC sockets, launcher state, logs) and a kernel
manager whose kernel runs through :mod:`grader.kernel.launcher` with the sandbox's
configuration (uid, rlimits, namespaces, the allowlisted file system of :mod:`grader.kernel.view`).
"""
from __future__ import annotations

import os
from pathlib import Path

from grader.kernel import tempdirs
from grader.kernel.client import GraderKernelManager
from grader.kernel.course_shim import ensure_shim_folder, kernel_pythonpath
from grader.kernel.data import dataset_environment
from grader.kernel.launcher import launcher_argv
from grader.kernel.limits import Limits, UidSlot
from grader.kernel.view import view_config

__all__ = ["KERNEL_NAME", "ENV_ALLOWLIST", "MALLOC_ENVIRONMENT", "kernel_environment", "kernel_root", "new_kernel_manager", "log_tail"]

KERNEL_NAME = "python3"
ENV_ALLOWLIST = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "MNIST_DIR", "OPENBLAS_CORETYPE",
                 "OPENBLAS_L2_SIZE", "VIRTUAL_ENV", "PYTHONPATH")


# glibc's malloc gives freed memory back to the system (blocks above its mmap threshold, and the
# heap's top above its trim threshold) and page-faults it in again at the next allocation. Both
# thresholds rise as a process frees blocks (up to 32 MiB and twice that), so a kernel that never
# freed a large block keeps low ones: a training step whose temporaries add up to more than twice
# the largest of them is given back and faulted in again at every step. A grading kernel (MNIST
# read from IDX files) spent ~40 % of a SimpleConvNet step so (3,300 faults per step of batch
# 50); a trainee's Jupyter, which had decoded MNIST's pickle, did not. Fixed at the values the
# rise converges to, every kernel trains as a long-running one does.
MALLOC_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(64 << 20)}


def kernel_environment(workdir: Path, extra: dict | None = None) -> dict:
    """The kernel's environment: an allowlist of the grader's variables (no secrets, no
    grading seed), a private HOME and temp dir, one BLAS thread, and glibc's malloc set as a
    long-running Python converges to (:data:`MALLOC_ENVIRONMENT`)."""
    env = {k: os.environ[k] for k in ENV_ALLOWLIST if k in os.environ}
    env.update({
        "HOME": str(workdir), "TMPDIR": str(workdir), "IPYTHONDIR": str(workdir / ".ipython"),
        "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(workdir / ".mpl"), "PYTHONDONTWRITEBYTECODE": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
        "JPY_SESSION_NAME": "", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        **MALLOC_ENVIRONMENT,
    })
    env["PYTHONPATH"] = kernel_pythonpath(workdir, env.get("PYTHONPATH"))  # the book's layout first
    env.update(dataset_environment())  # MNIST_DIR: the kernel's data, without the evaluation images
    env.update(extra or {})
    return env


def kernel_root() -> Path:
    """The throwaway folder of one notebook's kernels (IPC sockets, launcher state, logs)."""
    return tempdirs.make("kernel")  # 0711, owned by this process, swept if it dies (grader.kernel.tempdirs)


def _kernel_python_paths(limits: Limits) -> list[str]:
    """What a ``--kernel-python`` interpreter reads, for the sandbox to bind read-only."""
    if not limits.kernel_python:
        return []
    from grader.kernel.interpreter import kernel_paths

    return list(kernel_paths(limits.kernel_python))


def new_kernel_manager(root: Path, attempt: int, slot: UidSlot, limits: Limits, workdir: Path, shared):
    """A kernel manager (not started) whose kernel runs through the launcher with these
    protections. Returns ``(km, state file, log file)``."""
    ipc = root / f"ipc{attempt}"
    ipc.mkdir(mode=0o700)
    state = root / f"launcher{attempt}.json"
    config = {"uid": slot.uid, "gid": slot.uid, "isolate": limits.isolate,
              "rlimits": limits.rlimits(slot.uid is not None), "workdir": str(workdir),
              "rw": [str(ipc)] + [str(s) for s in shared], "state": str(state),
              "grader_pid": os.getpid(), "tmpfs_bytes": limits.tmpfs_bytes,
              "connection_file": str(ipc / "kernel.json"),
              "ro": [str(ensure_shim_folder(workdir))] + _kernel_python_paths(limits),
              "view": view_config(workdir, _kernel_python_paths(limits))}  # the allowlist (grader.kernel.view)
    km = GraderKernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(ipc / "k"),
                             connection_file=str(ipc / "kernel.json"))
    km.configure(lambda argv: launcher_argv(config, argv), limits)
    return km, state, root / f"kernel{attempt}.log"


def log_tail(path: Path) -> str:
    """The last line of the first 4,000 bytes of a kernel's log (why it failed to start), or ``""``."""
    try:
        with open(path, "rb") as f:
            lines = f.read(4000).decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else ""
    except OSError:
        return ""

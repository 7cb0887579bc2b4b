"""``--kernel-python PATH``: grading kernels run on the course's own Python environment.

An instructor whose course environment is not the grader's (other package versions, the
packages the course installs) points the kernel at its interpreter. The kernel then runs
``PATH -m ipykernel_launcher -f {connection_file}`` through the same launcher and sandbox,
whose read-only view gets that interpreter's prefixes and ``sys.path`` (:func:`kernel_paths`).
The probe needs only NumPy there, so :func:`check_kernel_python` asks for ``ipykernel`` and
``numpy`` and refuses anything else with a :class:`~grader.errors.UsageError` (exit 2).
"""
from __future__ import annotations

import functools
import json
import os
import subprocess

from grader.errors import UsageError
from grader.reports.messages import text

__all__ = ["check_kernel_python", "kernel_paths"]

_PROBE_TIMEOUT = 120.0  # seconds: importing ipykernel on a cold disk can be slow
_PATHS = "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix] + sys.path))"


def _clean_env() -> dict:
    """The environment to ask the interpreter in: without the grader's PYTHONPATH/PYTHONHOME,
    so what it reports is its own."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}


def _run(path: str, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([path, "-c", code], capture_output=True, text=True, timeout=_PROBE_TIMEOUT,
                          env=_clean_env(), stdin=subprocess.DEVNULL, check=False)


def check_kernel_python(path, lang: str) -> str:
    """The absolute path of the interpreter ``path`` (links kept: a virtual environment's
    ``bin/python`` is a link whose location matters), after checking that it exists, runs, and
    imports ipykernel and numpy; else :class:`UsageError` naming ``path``, in ``lang``."""
    path = os.path.abspath(os.fspath(path))
    if not os.path.isfile(path):
        raise UsageError(text("kernel_python_missing", lang, path=path))
    if not os.access(path, os.X_OK):
        raise UsageError(text("kernel_python_unusable", lang, path=path, problem="not executable"))
    try:
        done = _run(path, "import ipykernel, numpy")
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(text("kernel_python_unusable", lang, path=path, problem=str(exc)[:300])) from None
    if done.returncode != 0:
        lines = (done.stderr or done.stdout or f"exit status {done.returncode}").strip().splitlines()
        raise UsageError(text("kernel_python_unusable", lang, path=path, problem=(lines or ["?"])[-1][:300]))
    return path


@functools.lru_cache(maxsize=8)
def kernel_paths(path: str) -> tuple[str, ...]:
    """The folders the interpreter ``path`` reads (its prefixes and ``sys.path``, real paths
    too), for the sandbox to bind read-only. Asked once per process and interpreter."""
    found = [os.path.dirname(path), os.path.dirname(os.path.dirname(os.path.realpath(path)))]
    try:
        done = _run(path, _PATHS)
        found += [p for p in json.loads(done.stdout) if isinstance(p, str) and p] if done.returncode == 0 else []
    except (OSError, subprocess.SubprocessError, ValueError):
        pass  # the kernel then fails to start, and says why
    paths = []
    for entry in found:
        for candidate in (os.path.abspath(entry), os.path.realpath(entry)):
            if os.path.isdir(candidate) and candidate not in paths:
                paths.append(candidate)
    return tuple(paths)

"""The probe's exchange folder, grader side: write the plan (``plan.json``, ``inputs.npz``) for
the kernel and read its results back (``status.json``, ``outputs.npz``, ``progress``): regular
files only, opened without following a link, every size capped and every ``.npy`` header
checked before anything is loaded, never a pickle. Whatever the kernel forged there is a
:class:`ProbeReadError`.
"""
from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import numpy as np

from grader.grading.plan import Plan, ProbeOutputs

__all__ = ["ProbeReadError", "write_exchange", "read_outputs", "killed_step", "MAX_OUTPUT_BYTES", "MAX_STATUS_BYTES"]

MAX_OUTPUT_BYTES = 256 * 1024 * 1024  # uncompressed, all arrays together
MAX_STATUS_BYTES = 4 * 1024 * 1024


class ProbeReadError(Exception):
    """The kernel's result files are missing, forged or too large."""


def write_exchange(plan: Plan, folder: Path) -> None:
    folder = Path(folder)
    np.savez(folder / "inputs.npz", **plan.arrays)
    (folder / "plan.json").write_text(json.dumps(plan.as_json()), encoding="utf-8")


def _open_folder(folder: Path) -> int:
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise ProbeReadError(f"the exchange folder cannot be opened ({exc.strerror})") from None


def _open_regular(folder_fd: int, name: str, limit: int):
    """``name`` in the folder, opened without following a link: a regular file with a single
    link and at most ``limit`` bytes, checked on the open file (no race with the kernel)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder_fd)
    except FileNotFoundError:
        raise ProbeReadError(f"{name} was not written") from None
    except OSError as exc:  # ELOOP: a symbolic link
        raise ProbeReadError(f"{name} is not a regular file ({exc.strerror})") from None
    info = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = "is not a regular file"
    elif info.st_nlink != 1:
        problem = "is not a regular file (it has other hard links)"
    elif info.st_size > limit:
        problem = f"is {info.st_size:,} bytes (limit {limit:,})"
    if problem:
        os.close(fd)
        raise ProbeReadError(f"{name} {problem}")
    return os.fdopen(fd, "rb")


def _npy_header(member):
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(member)
    raise ValueError(f"unsupported .npy version {version}")


def _checked_npz_members(archive: zipfile.ZipFile) -> None:
    """Refuse an npz that holds anything but plain numeric ``.npy`` members, or whose members
    would expand beyond the cap: the sizes in the zip directory and every member's header
    (shape and dtype) are read before any data."""
    total = 0
    for member in archive.infolist():
        if not member.filename.endswith(".npy") or member.is_dir():
            raise ProbeReadError(f"unexpected member {member.filename!r} in outputs.npz")
        total += member.file_size
        if total > MAX_OUTPUT_BYTES:
            raise ProbeReadError(f"outputs.npz expands to more than {MAX_OUTPUT_BYTES:,} bytes")
        with archive.open(member) as f:
            shape, _, dtype = _npy_header(f)
        if dtype.hasobject or dtype.kind not in "biuf":
            raise ProbeReadError(f"outputs.npz member {member.filename!r} has dtype {dtype}")
        if int(np.prod(shape, dtype=object)) * dtype.itemsize > member.file_size:
            raise ProbeReadError(f"outputs.npz member {member.filename!r} claims more data than it holds")


def _read_status(folder_fd: int) -> dict:
    with _open_regular(folder_fd, "status.json", MAX_STATUS_BYTES) as f:
        raw = f.read(MAX_STATUS_BYTES + 1)
    try:
        status = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProbeReadError(f"status.json is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(status, dict) or not all(isinstance(v, dict) for v in status.values()):
        raise ProbeReadError("status.json has the wrong structure")
    return status


def read_outputs(folder: Path) -> ProbeOutputs:
    """Load ``status.json`` and ``outputs.npz`` written by the kernel: regular files only (no
    link followed), every size capped before loading, no pickle."""
    folder_fd = _open_folder(Path(folder))
    try:
        status = _read_status(folder_fd)
        with _open_regular(folder_fd, "outputs.npz", MAX_OUTPUT_BYTES) as f:
            arrays = {}
            try:
                with zipfile.ZipFile(f) as archive:
                    _checked_npz_members(archive)
                f.seek(0)
                with np.load(f, allow_pickle=False) as data:
                    for name in data.files:
                        value = data[name]
                        if value.dtype.kind not in "biuf":
                            raise ProbeReadError(f"outputs.npz member {name!r} has dtype {value.dtype}")
                        arrays[name] = value
            except ProbeReadError:
                raise
            except Exception as exc:  # noqa: BLE001 - a forged archive breaks zipfile/numpy in many ways
                raise ProbeReadError(f"outputs.npz cannot be read: {type(exc).__name__}: {str(exc)[:200]}") from None
    finally:
        os.close(folder_fd)
    return ProbeOutputs(arrays, status)


def killed_step(folder: Path) -> str | None:
    """The key of the step the probe was running (its ``progress`` file), for a probe that
    killed or hung the kernel; ``None`` when unknown."""
    try:
        folder_fd = _open_folder(Path(folder))
    except ProbeReadError:
        return None
    try:
        with _open_regular(folder_fd, "progress", 1000) as f:
            key = f.read(1000).decode("utf-8", "replace").strip()
    except (ProbeReadError, OSError):
        return None
    finally:
        os.close(folder_fd)
    return key or None

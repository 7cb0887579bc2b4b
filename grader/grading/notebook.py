"""Reading notebooks: size cap before parsing, nbformat 4 after upgrade, explicit validation,
outputs cleared, and the exercise identified (metadata, then file name, then the caller)."""
from __future__ import annotations

import json
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import registry
from grader.errors import NotebookError, UsageError

if TYPE_CHECKING:  # nbformat (and jsonschema) load when a notebook is parsed: not in a self-check's kernel
    import nbformat

__all__ = ["EXERCISES", "MAX_NOTEBOOK_BYTES", "open_regular", "file_kind", "read_notebook", "parse_notebook",
           "identify_exercise", "exercise_disagreement", "exercise_from_filename", "normalize_file_name", "clear_outputs"]

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
# the exercise ids a file name names are the registered ids it holds as whole tokens
# (grader.course.registry.id_pattern: "4_10" is 4_10, never 4_1); this looser token only words the
# error for a name that holds exercise-like numbers none of which is registered
_NAME_TOKEN = re.compile(r"(?<![0-9])([0-9]{1,2})[_\-. ]([0-9]{1,2})(?![0-9])")
# what Japanese input methods and file managers add: "のコピー", "Copy of", "-Copy1", "(1)"
_COPY_MARKS = re.compile(r"(のコピー|コピー|^copy of |-copy[0-9]*|\([0-9]+\))", re.IGNORECASE)


def __getattr__(name: str):
    if name == "EXERCISES":  # derived from the registry, kept importable for compatibility
        return registry.ids()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def file_kind(mode: int) -> str:
    """What a non-regular ``st_mode`` is, in words ("a FIFO", "a symbolic link", ...)."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "not a file"


def open_regular(path, follow_symlinks: bool = False):
    """``path`` opened for reading (binary) only if it is a regular file: ``lstat`` first, then
    ``open`` with ``O_NONBLOCK`` (a FIFO or device can never block the grader) and
    ``O_NOFOLLOW`` (unless ``follow_symlinks``: a path the user typed), then ``fstat`` of what
    was opened. Raises :class:`NotebookError` ("not a regular file (a FIFO)", ...)."""
    try:
        info = os.stat(path) if follow_symlinks else os.lstat(path)
        if stat.S_ISDIR(info.st_mode):
            raise NotebookError(path, f"not a regular file (a folder); to grade a folder of submissions: "
                                f"grader grade {path} --out DIR", key="err_folder")
        if not stat.S_ISREG(info.st_mode):
            raise NotebookError(path, f"not a regular file ({file_kind(info.st_mode)})", key="err_not_regular",
                                kind=file_kind(info.st_mode))
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotebookError(path, "no such file", key="err_no_such_file") from None
    except OSError as exc:  # ELOOP: swapped for a link since the lstat
        raise NotebookError(path, f"cannot be read ({exc.strerror or exc})", key="err_cannot_read",
                            reason=exc.strerror or str(exc)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotebookError(path, f"not a regular file ({file_kind(info.st_mode)})")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_notebook(path, max_bytes: int = MAX_NOTEBOOK_BYTES, follow_symlinks: bool = False) -> nbformat.NotebookNode:
    """Read and validate ``path`` (a regular file only, see :func:`open_regular`); raise
    :class:`NotebookError` naming the file and the problem."""
    path = Path(path)
    if path.suffix.lower() == ".py":
        raise NotebookError(path, "a Python file (.py), not a notebook (.ipynb)", key="err_py_file")
    with open_regular(path, follow_symlinks) as f:
        size = os.fstat(f.fileno()).st_size
        if size > max_bytes:
            raise NotebookError(path, f"file is {size:,} bytes, larger than the limit of {max_bytes:,}", key="err_too_large",
                                size=f"{size:,}", limit=f"{max_bytes:,}")
        try:
            raw = f.read(max_bytes + 1)
        except OSError as exc:
            raise NotebookError(path, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > max_bytes:
        raise NotebookError(path, f"file is larger than the limit of {max_bytes:,} bytes", key="err_too_large",
                            size=f"> {max_bytes:,}", limit=f"{max_bytes:,}")
    return parse_notebook(raw, path)


def parse_notebook(raw: bytes, path="<notebook>") -> nbformat.NotebookNode:
    """Parse notebook bytes (UTF-8, a BOM tolerated), upgrade to nbformat 4, validate."""
    if not raw.strip():
        raise NotebookError(path, "the file is empty", key="err_empty")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(path, f"not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})", key="err_not_utf8",
                            byte=f"{exc.start}: {raw[exc.start:exc.start + 1]!r}") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise NotebookError(path, "JSON nested too deeply", key="err_json_deep") from None
    except json.JSONDecodeError as exc:
        raise NotebookError(path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", key="err_not_json",
                            line=exc.lineno, column=exc.colno, msg=exc.msg) from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise NotebookError(path, "JSON is not a Jupyter notebook (no 'cells')", key="err_not_notebook")
    import nbformat

    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise NotebookError(path, f"invalid notebook: {exc.message}", key="err_invalid_notebook",
                            detail=exc.message) from None
    except Exception as exc:  # nbformat raises assorted errors on malformed input
        raise NotebookError(path, f"invalid notebook: {type(exc).__name__}: {exc}", key="err_invalid_notebook",
                            detail=f"{type(exc).__name__}: {exc}") from None
    return nb


def normalize_file_name(name: str) -> str:
    """A file name as it is matched: NFKC (full-width ``４＿４`` becomes ``4_4``, full-width
    spaces and brackets become ASCII), with the marks copies get (``のコピー``, ``Copy of``,
    ``-Copy1``, ``(1)``) removed."""
    text = unicodedata.normalize("NFKC", Path(name).name)
    return _COPY_MARKS.sub(" ", text).strip()


def exercise_from_filename(name: str) -> str | None:
    """``4_4_im2col_col2im_trainee.ipynb``, ``4_4 (1).ipynb``, ``tanaka_4_4.ipynb``,
    ``４＿４_im2col のコピー.ipynb`` -> ``"4_4"``; ``4_10_katakana.ipynb`` is ``4_10`` when that
    exercise exists and never ``4_1``. ``None`` when no known exercise, or more than one, is named."""
    found = set(registry.ids_in(normalize_file_name(name)))
    return found.pop() if len(found) == 1 else None


def identify_exercise(nb, path=None, fallback: str | None = None) -> str:
    """The notebook's exercise, as CONTRACT.md orders it: ``metadata.grader.exercise``, else
    the file name (``4_x`` token), else ``fallback`` (the ``--exercise`` option)."""
    EXERCISES = registry.ids()
    if fallback is not None and fallback not in EXERCISES:
        raise UsageError.keyed("err_unknown_exercise", exercise=fallback, known=", ".join(EXERCISES))
    meta = nb.get("metadata", {}).get("grader", {})
    exercise = meta.get("exercise") if isinstance(meta, dict) else None
    if registry.known(exercise):
        return exercise
    from_name = exercise_from_filename(str(path)) if path is not None else None
    if from_name:
        return from_name
    if fallback is not None:
        return fallback
    if exercise is not None:  # the metadata names an exercise this grader does not know
        raise UsageError.keyed("err_unknown_in_name", path=path, meta=exercise, known=", ".join(EXERCISES))
    stem = normalize_file_name(str(path or ""))
    named = sorted(set(registry.ids_in(stem)) | {f"{int(m[1])}_{int(m[2])}" for m in _NAME_TOKEN.finditer(stem)})
    if named:  # the name holds 4_x tokens, but none or several of the known exercises
        raise UsageError.keyed("err_name_ambiguous", path=path, named=", ".join(named), known=", ".join(EXERCISES))
    raise UsageError.keyed("err_which_exercise", path=path)


def exercise_disagreement(nb, path, given: str | None) -> str | None:
    """The exercise the notebook's metadata or file name names when ``given`` (``--exercise``)
    differs from it (``--exercise`` is then ignored, as CONTRACT.md orders), else ``None``."""
    if given is None:
        return None
    used = identify_exercise(nb, path, None) if _names_exercise(nb, path) else None
    return used if used is not None and used != given else None


def _names_exercise(nb, path) -> bool:
    meta = nb.get("metadata", {}).get("grader", {})
    if isinstance(meta, dict) and registry.known(meta.get("exercise")):
        return True
    return path is not None and exercise_from_filename(str(path)) is not None


def clear_outputs(nb) -> None:
    """Drop outputs and execution counts in place: only what the grader runs counts."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None

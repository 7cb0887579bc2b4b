"""Finding a class's notebooks: one folder per trainee, one zip per trainee, or a flat folder
of ``<trainee>_<4_x>...ipynb`` files. Zips are extracted safely. Every notebook found is
either a submission or a reported problem, never silently dropped. Only regular files are ever
opened: FIFOs, devices, sockets and links are listed as problems (``lstat``, then
``O_NONBLOCK | O_NOFOLLOW`` and ``fstat``), so none can hang discovery."""
from __future__ import annotations

import hashlib
import json
import os
import unicodedata
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError, NotebookError, UsageError
from grader.course import registry
from grader.grading.notebook import _NAME_TOKEN, MAX_NOTEBOOK_BYTES, exercise_from_filename, file_kind, open_regular

__all__ = ["Submission", "Problem", "discover", "safe_extract", "ZIP_LIMITS"]

ZIP_LIMITS = {"files": 200, "bytes": 200 * 1024 * 1024, "ratio": 200}
_FLAT_SEPARATORS = "_- "  # <trainee><separators><exercise id>...ipynb


@dataclass(frozen=True)
class Submission:
    trainee: str
    exercise: str
    path: Path
    sha256: str
    mtime: float


@dataclass(frozen=True)
class Problem:
    trainee: str
    path: str
    message: str


def _read_once(path: Path) -> tuple[str, str | None, float]:
    """``(sha256, metadata.grader.exercise or None, mtime)`` from one read of the file (the
    metadata is not validated here; the grader validates later). Only a regular file is ever
    opened (:func:`~grader.grading.notebook.open_regular`: a FIFO, device or socket raises
    ``NotebookError``, it cannot block). A file over the notebook size cap is only hashed."""
    digest = hashlib.sha256()
    with open_regular(path) as f:
        info = os.fstat(f.fileno())
        if info.st_size > MAX_NOTEBOOK_BYTES:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
            return digest.hexdigest(), None, info.st_mtime
        raw = f.read(MAX_NOTEBOOK_BYTES + 1)
    digest.update(raw)
    try:
        exercise = json.loads(raw.decode("utf-8-sig")).get("metadata", {}).get("grader", {}).get("exercise")
    except (ValueError, AttributeError, RecursionError):
        exercise = None
    return digest.hexdigest(), exercise if registry.known(exercise) else None, info.st_mtime


def safe_extract(archive: Path, target: Path) -> list[Path]:
    """Extract the ``.ipynb`` members of ``archive`` into ``target``: no absolute paths or
    ``..``, no links, at most ``ZIP_LIMITS`` files, bytes and compression ratio."""
    extracted = []
    with open_regular(archive) as raw, zipfile.ZipFile(raw) as zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > ZIP_LIMITS["files"]:
            raise UsageError(f"{archive}: {len(members)} files, more than {ZIP_LIMITS['files']}")
        total = sum(m.file_size for m in members)
        if total > ZIP_LIMITS["bytes"]:
            raise UsageError(f"{archive}: expands to {total:,} bytes, more than {ZIP_LIMITS['bytes']:,}")
        for member in members:
            name = Path(member.filename)
            mode = member.external_attr >> 16
            if name.is_absolute() or ".." in name.parts or stat.S_ISLNK(mode):
                raise UsageError(f"{archive}: unsafe member {member.filename!r}")
            if member.compress_size and member.file_size / member.compress_size > ZIP_LIMITS["ratio"]:
                raise UsageError(f"{archive}: member {member.filename!r} is compressed suspiciously well")
            if name.suffix != ".ipynb" or "__MACOSX" in name.parts or name.name.startswith("."):
                continue
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(member) as src, _create_regular(destination) as dst:
                _copy_at_most(src, dst, member.file_size, archive)
            extracted.append(destination)
    return extracted


def _create_regular(path: Path):
    """``path`` created (or truncated) for writing, never through a link, never a FIFO."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UsageError(f"{path}: not a regular file")
    return os.fdopen(fd, "wb")


def _copy_at_most(src, dst, size: int, archive: Path) -> None:
    """Copy a zip member, never more than the size its header claims."""
    left = size
    while block := src.read(min(1 << 20, left + 1)):
        left -= len(block)
        if left < 0:
            raise UsageError(f"{archive}: a member expands past the size it claims")
        dst.write(block)


def _entry_kind(path: Path) -> str:
    """``"dir"``, ``"file"`` (regular), or what else it is (``"a FIFO"``, ``"a symbolic link"``...)
    from ``lstat``: nothing is opened or followed to find out."""
    mode = os.lstat(path).st_mode
    return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else file_kind(mode)


def _notebooks_in(folder: Path, trainee: str, problems: list) -> list[Path]:
    """The regular ``.ipynb`` files under ``folder``; anything else with that name (a FIFO, a
    link, a device) is a problem, never opened."""
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        kind = _entry_kind(path)
        if kind == "file":
            found.append(path)
        elif kind != "dir":
            problems.append(Problem(trainee, str(path), f"not a regular file ({kind}); not read"))
    return found


def _flat_trainee(name: str) -> str | None:
    """``tanaka`` of ``tanaka_4_4.ipynb``: what comes before the first registered exercise id
    (else the first exercise-like number) that follows a separator. NFKC: full-width "４_４" too."""
    text = unicodedata.normalize("NFKC", name)
    for pattern in (registry.id_pattern(), _NAME_TOKEN):
        for start in range(1, len(text)):  # every position after a separator: "t4_4_4" is t4's 4_4
            trainee = text[:start].rstrip(_FLAT_SEPARATORS)
            if trainee and len(trainee) < start and text[start] not in _FLAT_SEPARATORS and pattern.match(text, start):
                return trainee
    return None


def _collect(root: Path, staging: Path, problems: list) -> dict[str, list[Path]]:
    """``{trainee: [notebook paths]}`` for any of the three layouts. An entry that is neither a
    folder nor a regular file (a FIFO, socket, device or link) is a problem of its trainee."""
    by_trainee: dict[str, list[Path]] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        kind = _entry_kind(entry)
        if kind == "dir":
            by_trainee.setdefault(entry.name, []).extend(_notebooks_in(entry, entry.name, problems))
        elif kind != "file":
            trainee = entry.stem if entry.suffix == ".zip" else _flat_trainee(entry.name) or "?"
            problems.append(Problem(trainee, str(entry), f"not a regular file ({kind}); not read"))
        elif entry.suffix == ".zip":
            trainee = entry.stem
            try:
                by_trainee.setdefault(trainee, []).extend(safe_extract(entry, staging / trainee))
            except (GraderError, zipfile.BadZipFile, OSError) as exc:
                problems.append(Problem(trainee, str(entry), f"zip refused: {exc}"))
        elif entry.suffix == ".ipynb":
            trainee = _flat_trainee(entry.name)
            if trainee:
                by_trainee.setdefault(trainee, []).append(entry)
            else:
                problems.append(Problem("?", str(entry), "cannot tell the trainee from the file name "
                                        "(expected <trainee>_<4_x>...ipynb)"))
    return by_trainee


def discover(root: Path, staging: Path, exercises: tuple[str, ...] | None = None) -> tuple[list[Submission], list[Problem]]:
    """Every trainee's notebooks under ``root``: one submission per (trainee, exercise) — the
    most recently modified when there are duplicates, which are reported. ``exercises``:
    those to keep (default: every registered one)."""
    exercises = registry.ids() if exercises is None else exercises
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder of submissions")
    problems: list[Problem] = []
    submissions: list[Submission] = []
    for trainee, paths in _collect(root, Path(staging), problems).items():
        found: dict[str, list[Path]] = {}
        digests: dict[Path, str] = {}
        mtimes: dict[Path, float] = {}
        for path in paths:
            try:
                digests[path], from_metadata, mtimes[path] = _read_once(path)
            except NotebookError as exc:  # swapped for a FIFO or a link since it was listed
                problems.append(Problem(trainee, str(path), exc.problem))
                continue
            exercise = from_metadata or exercise_from_filename(path.name)
            if exercise is None:
                problems.append(Problem(trainee, str(path), "cannot tell which exercise this notebook is"))
            elif exercise in exercises:
                found.setdefault(exercise, []).append(path)
        for exercise, candidates in sorted(found.items()):
            candidates.sort(key=lambda p: mtimes[p])
            chosen = candidates[-1]
            for other in candidates[:-1]:
                problems.append(Problem(trainee, str(other), f"duplicate {exercise} notebook; graded {chosen.name} (newest)"))
            submissions.append(Submission(trainee, exercise, chosen, digests[chosen], mtimes[chosen]))
    return submissions, problems

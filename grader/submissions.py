"""Finding a class's notebooks: one folder per trainee, one zip per trainee, or a flat folder
of ``<trainee>_<4_x>...ipynb`` files. Zips are extracted safely. Every notebook found is
either a submission or a reported problem, never silently dropped."""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .notebook import EXERCISES, MAX_NOTEBOOK_BYTES, exercise_from_filename

__all__ = ["Submission", "Problem", "discover", "safe_extract", "ZIP_LIMITS"]

ZIP_LIMITS = {"files": 200, "bytes": 200 * 1024 * 1024, "ratio": 200}
_FLAT_NAME = re.compile(r"^(?P<trainee>.+?)[_\- ]+4[_\-. ]?[1-7](?![0-9])")


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


def _read_once(path: Path) -> tuple[str, str | None]:
    """``(sha256, metadata.grader.exercise or None)`` from one read of the file (the metadata
    is not validated here; the grader validates later). A file over the notebook size cap is
    only hashed."""
    digest = hashlib.sha256()
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest(), None
    raw = path.read_bytes()
    digest.update(raw)
    try:
        exercise = json.loads(raw.decode("utf-8-sig")).get("metadata", {}).get("grader", {}).get("exercise")
    except (ValueError, AttributeError, RecursionError):
        exercise = None
    return digest.hexdigest(), exercise if exercise in EXERCISES else None


def safe_extract(archive: Path, target: Path) -> list[Path]:
    """Extract the ``.ipynb`` members of ``archive`` into ``target``: no absolute paths or
    ``..``, no links, at most ``ZIP_LIMITS`` files, bytes and compression ratio."""
    extracted = []
    with zipfile.ZipFile(archive) as zf:
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
            with zf.open(member) as src, open(destination, "wb") as dst:
                shutil.copyfileobj(src, dst)
            extracted.append(destination)
    return extracted


def _notebooks_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and p.is_file() and not p.is_symlink())


def _collect(root: Path, staging: Path, problems: list) -> dict[str, list[Path]]:
    """``{trainee: [notebook paths]}`` for any of the three layouts."""
    by_trainee: dict[str, list[Path]] = {}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir():
            by_trainee.setdefault(entry.name, []).extend(_notebooks_in(entry))
        elif entry.suffix == ".zip":
            trainee = entry.stem
            try:
                by_trainee.setdefault(trainee, []).extend(safe_extract(entry, staging / trainee))
            except (UsageError, zipfile.BadZipFile, OSError) as exc:
                problems.append(Problem(trainee, str(entry), f"zip refused: {exc}"))
        elif entry.suffix == ".ipynb":
            match = _FLAT_NAME.match(entry.name)
            if match:
                by_trainee.setdefault(match.group("trainee"), []).append(entry)
            else:
                problems.append(Problem("?", str(entry), "cannot tell the trainee from the file name "
                                        "(expected <trainee>_<4_x>...ipynb)"))
    return by_trainee


def discover(root: Path, staging: Path, exercises: tuple[str, ...] = EXERCISES) -> tuple[list[Submission], list[Problem]]:
    """Every trainee's notebooks under ``root``: one submission per (trainee, exercise) — the
    most recently modified when there are duplicates, which are reported."""
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: not a folder of submissions")
    problems: list[Problem] = []
    submissions: list[Submission] = []
    for trainee, paths in _collect(root, Path(staging), problems).items():
        found: dict[str, list[Path]] = {}
        digests: dict[Path, str] = {}
        for path in paths:
            digests[path], from_metadata = _read_once(path)
            exercise = from_metadata or exercise_from_filename(path.name)
            if exercise is None:
                problems.append(Problem(trainee, str(path), "cannot tell which exercise this notebook is"))
            elif exercise in exercises:
                found.setdefault(exercise, []).append(path)
        for exercise, candidates in sorted(found.items()):
            candidates.sort(key=lambda p: p.stat().st_mtime)
            chosen = candidates[-1]
            for other in candidates[:-1]:
                problems.append(Problem(trainee, str(other), f"duplicate {exercise} notebook; graded {chosen.name} (newest)"))
            submissions.append(Submission(trainee, exercise, chosen, digests[chosen], chosen.stat().st_mtime))
    return submissions, problems

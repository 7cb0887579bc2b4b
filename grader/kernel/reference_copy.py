"""The ``reference`` package a grading kernel sees: a per-exercise copy that holds neither the
graded names of the exercise being graded nor the code that computes them.

What stays visible (the contract's "Course helpers a notebook may import"): ``reference.data``
(MNIST loading), the layers, optimizers and trainer of the course, and, from exercise 4_5 on,
every other name of ``reference.__all__`` (``im2col``, ``col2im``, ``Convolution``,
``MaxPooling`` ...). The exercise's graded names are withheld, and so is every visible name
whose code reaches a withheld one (for 4_5, ``SimpleConvNet`` builds a ``Convolution``).

The copy is made from the source by its syntax tree: each module keeps only the top-level
definitions that the visible names need (transitively, across the package's relative imports);
private helpers that only a withheld name used (``windows`` for ``im2col`` in 4_4) are gone
too. ``selftest`` and ``train`` (command-line tools) are not copied. Copies are cached per
exercise and per version of the reference's source (:func:`reference_copy`).
Which names are withheld is :mod:`grader.kernel.reference_names` (:func:`withheld_names`, the one
list, shared with the book-layout shim); the parsed source is :mod:`grader.kernel.reference_source`.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from grader.kernel.reference_names import (GRADER_ONLY, SKIPPED_MODULES, WHOLE_MODULES, split_names, visible_keys,
                                           visible_names, withheld_names)
from grader.kernel.reference_source import SourceModule, closure, package_dir, parse_package, targets

__all__ = ["withheld_names", "visible_names", "reference_copy", "build_copy", "cache_root", "COPY_VERSION"]

COPY_VERSION = "1"  # bump when the way copies are made changes
DATA_FILES = {"katakana_data": ("MANIFEST.json", "train.npz", "test.npz")}  # package data a kernel may read


@functools.lru_cache(maxsize=4)
def _usable_cache(preferred: str) -> Path:
    folder = Path(preferred)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o755)
        if os.access(folder, os.W_OK | os.X_OK):
            return folder
    except OSError:
        pass
    fallback = Path(tempfile.gettempdir()) / f"day4-cache-{os.geteuid()}"
    fallback.mkdir(exist_ok=True, mode=0o755)
    info = os.lstat(fallback)
    if info.st_uid != os.geteuid() or info.st_mode & 0o022 or not os.path.isdir(fallback) or fallback.is_symlink():
        fallback = Path(tempfile.mkdtemp(prefix="day4-cache-"))  # someone else's: one of our own
        os.chmod(fallback, 0o755)
    return fallback


def cache_root() -> Path:
    """Where generated kernel files are cached (readable by every kernel's uid, written only
    by the grader): ``$DAY4_GRADER_CACHE``, else ``/var/cache/day4-grader`` as root, else
    ``~/.cache/day4-grader``; a folder in the temp dir when that one cannot be written."""
    if os.environ.get("DAY4_GRADER_CACHE"):
        preferred = os.environ["DAY4_GRADER_CACHE"]
    elif os.geteuid() == 0:
        preferred = "/var/cache/day4-grader"
    else:
        preferred = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "day4-grader")
    return _usable_cache(preferred)


def _module_text(mod: SourceModule, keep: set[str], withheld: list[str]) -> str:
    """The module's source with only the ``keep`` definitions (and the imports they use)."""
    body = mod.tree.body
    has_doc = bool(body) and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    pruned = set(mod.defs) - keep
    out = []
    if has_doc:
        out.append(mod.segment(body[0]) if not pruned else
                   f'"""Course helpers (grading copy: {", ".join(sorted(withheld)) or "nothing"} withheld)."""\n')
    kept_defs = [mod.defs[n] for n in keep if n in mod.defs]
    for node in body[1:] if has_doc else body:
        if isinstance(node, ast.ImportFrom) and node.level:
            names = [a for a in node.names if (a.asname or a.name) in keep]
            if names:
                listed = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in names)
                out.append(f"from {'.' * node.level}{node.module or ''} import {listed}\n")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.append(mod.segment(node))
        elif "__all__" in (targets(node) if isinstance(node, (ast.Assign, ast.AnnAssign)) else []):
            out.append(f"__all__ = {[n for n in ast.literal_eval(node.value) if n in keep]!r}\n")
        elif any(node is d for d in kept_defs):
            out.append("\n\n" + mod.segment(node))
    return "".join(out).rstrip() + "\n"


def build_copy(exercise: str | None, dest: Path) -> Path:
    """Write the copy of the package for ``exercise`` into ``dest/reference``; returns it."""
    package = package_dir()
    modules = parse_package(package)
    visible, withheld = split_names(exercise, package)
    whole = [(stem, n) for stem in WHOLE_MODULES if stem in modules
             for n in [*modules[stem].defs, *modules[stem].imports] if n not in GRADER_ONLY]
    needed = closure(modules, visible_keys(exercise, modules) + whole)
    target = Path(dest) / "reference"
    target.mkdir(parents=True, mode=0o755)
    for stem, mod in modules.items():
        if stem == "__init__" or stem in SKIPPED_MODULES:
            continue
        keep = {name for module, name in needed if module == stem}
        if stem in WHOLE_MODULES and not set(GRADER_ONLY) & (set(mod.defs) | set(mod.imports)):
            shutil.copyfile(mod.path, target / mod.path.name)
        elif keep & set(mod.defs):
            (target / mod.path.name).write_text(_module_text(mod, keep, withheld), encoding="utf-8")
    _copy_data_files(package, target)
    init = modules["__init__"]
    lines = [f'"""The course\'s reference helpers: the copy a grading kernel of exercise {exercise} sees '
             f'(withheld: {", ".join(withheld) or "nothing"})."""\n']
    visible = [name for name in visible if name in init.imports]
    for name in visible:
        module, original = init.imports[name]
        lines.append(f"from .{module} import {original}" + (f" as {name}" if original != name else "") + "\n")
    import reference

    lines.append(f"\n__all__ = {visible!r}\n__version__ = {reference.__version__!r}\n")
    (target / "__init__.py").write_text("".join(lines), encoding="utf-8")
    for path in [target, *target.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return target


def _copy_data_files(package: Path, target: Path) -> None:
    """The package data a kernel may read (:data:`DATA_FILES`), next to the module that reads it;
    never the hidden evaluation sets."""
    for folder, names in DATA_FILES.items():
        for name in names:
            source = package / folder / name
            if source.is_file():
                (target / folder).mkdir(mode=0o755, exist_ok=True)
                shutil.copyfile(source, target / folder / name)


def _source_version() -> str:
    digest = hashlib.sha256(COPY_VERSION.encode())
    for path in sorted(package_dir().glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for folder, names in DATA_FILES.items():
        for name in names:
            path = package_dir() / folder / name
            if path.is_file():
                info = path.stat()
                digest.update(f"{folder}/{name} {info.st_size} {info.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def reference_copy(exercise: str | None) -> Path:
    """The cached copy's ``reference`` folder for ``exercise`` (made on first use; safe when
    several processes make it at once)."""
    folder = cache_root() / "reference" / f"{exercise or 'all'}-{_source_version()}"
    if not (folder / "reference" / "__init__.py").is_file():
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
        try:
            os.chmod(staging, 0o755)
            build_copy(exercise, staging)
            try:
                os.rename(staging, folder)
            except OSError:  # another process made it first
                pass
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return folder / "reference"

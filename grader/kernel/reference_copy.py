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
:func:`withheld_names` is the one list of withheld names, shared with the book-layout shim.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["withheld_names", "visible_names", "reference_copy", "build_copy", "cache_root", "COPY_VERSION"]

COPY_VERSION = "1"  # bump when the way copies are made changes
ALWAYS_VISIBLE = ("Relu", "Affine", "SoftmaxWithLoss", "softmax", "SGD", "Momentum", "Adam",
                  "Trainer", "History", "EpochRecord")
ALL_HELPERS_FROM = (4, 5)  # from this exercise on, every name the exercise does not grade is a helper
WHOLE_MODULES = ("data",)  # every definition kept (but grader-only names)
DATASET_MODULES = ("katakana",)  # loaders of kernel datasets: their public names are always visible
SKIPPED_MODULES = ("selftest", "train")  # command-line tools, not course helpers
GRADER_ONLY = ("load_katakana_hidden",)  # never in a kernel: the hidden evaluation sets
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


def _package_dir() -> Path:
    import reference

    return Path(reference.__file__).resolve().parent


def _exercise_key(exercise: str | None) -> tuple:
    try:
        return tuple(int(p) for p in str(exercise).split("_"))
    except ValueError:
        return (99,)


def _graded(exercise: str | None) -> tuple[str, ...]:
    if exercise is None:
        return ()
    from grader.course import checks

    try:
        return tuple(checks.load(exercise).GRADED)
    except Exception:  # noqa: BLE001 - an unknown exercise grades nothing of the reference
        return ()


class _Module:
    """One module's top-level statements: definitions by name, relative imports by alias, and
    the names each definition uses."""

    def __init__(self, path: Path):
        self.path, self.source = path, path.read_text(encoding="utf-8")
        self.tree = ast.parse(self.source, str(path))
        self.defs: dict[str, ast.stmt] = {}
        self.all: list[str] = []
        self.imports: dict[str, tuple[str, str]] = {}  # alias -> (module, name) within the package
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defs[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                self.defs.update((name, node) for name in _targets(node) if name != "__all__")
                if "__all__" in _targets(node):
                    self.all = [n for n in ast.literal_eval(node.value) if isinstance(n, str)]
            elif isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (node.module, alias.name)

    def uses(self, name: str) -> set[str]:
        node = self.defs[name]
        found = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        return {n for n in found if n != name and (n in self.defs or n in self.imports)}

    def segment(self, node: ast.stmt) -> str:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        return "".join(self.source.splitlines(keepends=True)[start - 1:node.end_lineno])


@functools.lru_cache(maxsize=4)
def _parse(package: Path) -> dict[str, _Module]:
    return {p.stem: _Module(p) for p in sorted(package.glob("*.py"))}


def _closure(modules: dict, roots, stop=frozenset()) -> set[tuple[str, str]]:
    """Every ``(module, name)`` the roots need: definitions and the relative imports on the way.
    ``stop``: definitions not followed (withheld)."""
    seen, todo = set(), list(roots)
    while todo:
        key = todo.pop()
        module, name = key
        if key in seen or key in stop or module not in modules:
            continue
        seen.add(key)
        mod = modules[module]
        if name in mod.imports:
            todo.append(mod.imports[name])
        elif name in mod.defs:
            todo.extend((module, used) for used in mod.uses(name))
    return seen


def _public(modules: dict) -> list[tuple[str, tuple[str, str]]]:
    """``(name, (module, name))`` of every public name: ``reference.__all__`` (as the package
    exports it) and the ``__all__`` of modules the package does not import (``augment``,
    ``katakana``)."""
    init = modules["__init__"]
    imported = {module for module, _ in init.imports.values()}
    found = [(name, ("__init__", name)) for name in init.imports]
    for stem, mod in modules.items():
        if stem not in imported and stem != "__init__" and stem not in SKIPPED_MODULES + WHOLE_MODULES:
            found += [(name, (stem, name)) for name in mod.all if name in mod.defs]
    return found


def _resolve(modules: dict, key: tuple[str, str]) -> tuple[str, str]:
    """Where a public name is defined, following the package's imports."""
    while key[1] in modules[key[0]].imports:
        key = modules[key[0]].imports[key[1]]
    return key


def _shown(exercise: str | None, key: tuple[str, str], graded: set) -> bool:
    module, name = key
    if name in GRADER_ONLY or name in graded:
        return False
    if exercise is None or module in DATASET_MODULES or _exercise_key(exercise) >= ALL_HELPERS_FROM:
        return True
    return name in ALWAYS_VISIBLE


def _split(exercise: str | None, package: Path) -> tuple[list[str], list[str]]:
    modules = _parse(package)
    public = _public(modules)
    graded = set(_graded(exercise))
    visible = [key for _, key in public if _shown(exercise, key, graded)]
    changed = True
    while changed:  # a visible name whose code reaches a withheld one is withheld too
        withheld = {_resolve(modules, key) for _, key in public if key not in visible}
        withheld |= {(m, n) for m, mod in modules.items() for n in GRADER_ONLY if n in mod.defs}
        reaching = [key for key in visible if _closure(modules, [key]) & withheld]
        visible = [key for key in visible if key not in reaching]
        changed = bool(reaching)
    return ([name for name, key in public if key in visible], [name for name, key in public if key not in visible])


def _visible_keys(exercise: str | None, modules: dict) -> list[tuple[str, str]]:
    names = set(_split(exercise, _package_dir())[0])
    return [key for name, key in _public(modules) if name in names]


def withheld_names(exercise: str | None) -> frozenset[str]:
    """The public names (``reference.__all__`` and the ``__all__`` of ``reference.augment``,
    ``reference.katakana``) a grading kernel of ``exercise`` does not see."""
    return frozenset(_split(exercise, _package_dir())[1])


def visible_names(exercise: str | None) -> tuple[str, ...]:
    return tuple(_split(exercise, _package_dir())[0])


def _targets(node) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _module_text(mod: _Module, keep: set[str], withheld: list[str]) -> str:
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
        elif "__all__" in (_targets(node) if isinstance(node, (ast.Assign, ast.AnnAssign)) else []):
            out.append(f"__all__ = {[n for n in ast.literal_eval(node.value) if n in keep]!r}\n")
        elif any(node is d for d in kept_defs):
            out.append("\n\n" + mod.segment(node))
    return "".join(out).rstrip() + "\n"


def build_copy(exercise: str | None, dest: Path) -> Path:
    """Write the copy of the package for ``exercise`` into ``dest/reference``; returns it."""
    package = _package_dir()
    modules = _parse(package)
    visible, withheld = _split(exercise, package)
    whole = [(stem, n) for stem in WHOLE_MODULES if stem in modules
             for n in [*modules[stem].defs, *modules[stem].imports] if n not in GRADER_ONLY]
    needed = _closure(modules, _visible_keys(exercise, modules) + whole)
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
    for path in sorted(_package_dir().glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for folder, names in DATA_FILES.items():
        for name in names:
            path = _package_dir() / folder / name
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

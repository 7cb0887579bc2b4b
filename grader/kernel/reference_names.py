"""Which public names of ``reference`` a grading kernel of an exercise sees, and which it does
not: the exercise's graded names are withheld, and so is every visible name whose code reaches
a withheld one (for 4_5, ``SimpleConvNet`` builds a ``Convolution``). Before 4_5 only the course
helpers of :data:`ALWAYS_VISIBLE` are shown; from 4_5 on every name the exercise does not grade.
:func:`withheld_names` is the one list of withheld names, shared with the book-layout shim.
"""
from __future__ import annotations

from pathlib import Path

from grader.kernel.reference_source import closure, package_dir, parse_package

__all__ = ["withheld_names", "visible_names", "public_names", "split_names", "visible_keys", "ALWAYS_VISIBLE",
           "ALL_HELPERS_FROM", "WHOLE_MODULES", "DATASET_MODULES", "SKIPPED_MODULES", "GRADER_ONLY"]

ALWAYS_VISIBLE = ("Relu", "Affine", "SoftmaxWithLoss", "softmax", "SGD", "Momentum", "Adam",
                  "Trainer", "History", "EpochRecord")
ALL_HELPERS_FROM = (4, 5)  # from this exercise on, every name the exercise does not grade is a helper
WHOLE_MODULES = ("data",)  # every definition kept (but grader-only names)
DATASET_MODULES = ("katakana",)  # loaders of kernel datasets: their public names are always visible
SKIPPED_MODULES = ("selftest", "train")  # command-line tools, not course helpers
GRADER_ONLY = ("load_katakana_hidden",)  # never in a kernel: the hidden evaluation sets


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


def public_names(modules: dict) -> list[tuple[str, tuple[str, str]]]:
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


def split_names(exercise: str | None, package: Path) -> tuple[list[str], list[str]]:
    modules = parse_package(package)
    public = public_names(modules)
    graded = set(_graded(exercise))
    visible = [key for _, key in public if _shown(exercise, key, graded)]
    changed = True
    while changed:  # a visible name whose code reaches a withheld one is withheld too
        withheld = {_resolve(modules, key) for _, key in public if key not in visible}
        withheld |= {(m, n) for m, mod in modules.items() for n in GRADER_ONLY if n in mod.defs}
        reaching = [key for key in visible if closure(modules, [key]) & withheld]
        visible = [key for key in visible if key not in reaching]
        changed = bool(reaching)
    return ([name for name, key in public if key in visible], [name for name, key in public if key not in visible])


def visible_keys(exercise: str | None, modules: dict) -> list[tuple[str, str]]:
    names = set(split_names(exercise, package_dir())[0])
    return [key for name, key in public_names(modules) if name in names]


def withheld_names(exercise: str | None) -> frozenset[str]:
    """The public names (``reference.__all__`` and the ``__all__`` of ``reference.augment``,
    ``reference.katakana``) a grading kernel of ``exercise`` does not see."""
    return frozenset(split_names(exercise, package_dir())[1])


def visible_names(exercise: str | None) -> tuple[str, ...]:
    return tuple(split_names(exercise, package_dir())[0])

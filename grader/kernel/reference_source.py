"""The ``reference`` package's source as syntax trees, for :mod:`grader.kernel.reference_names`
(which public names a kernel sees) and :mod:`grader.kernel.reference_copy` (the copy it gets):
each module's top-level definitions by name, its relative imports by alias, the names each
definition uses, and the closure of what a set of definitions needs."""
from __future__ import annotations

import ast
import functools
from pathlib import Path

__all__ = ["SourceModule", "package_dir", "parse_package", "closure", "targets"]


def package_dir() -> Path:
    """The folder of the installed ``reference`` package."""
    import reference

    return Path(reference.__file__).resolve().parent


class SourceModule:
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
                self.defs.update((name, node) for name in targets(node) if name != "__all__")
                if "__all__" in targets(node):
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
def parse_package(package: Path) -> dict[str, SourceModule]:
    return {p.stem: SourceModule(p) for p in sorted(package.glob("*.py"))}


def closure(modules: dict, roots, stop=frozenset()) -> set[tuple[str, str]]:
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


def targets(node) -> list[str]:
    """The plain names an assignment binds."""
    found = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [t.id for t in found if isinstance(t, ast.Name)]

"""Implementations the course knows, kept as data: the similarity report compares every trainee
with them ("copied the reference" is told from "copied a classmate"), and the benchmarks
measure the reference against the book-style one. Never imported by a grading kernel."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

__all__ = ["known_sources", "BOOK_ALIASES"]

BOOK_FILE = Path(__file__).with_name("book_style.py")
BOOK_ALIASES = {"MaxPooling": "Pooling"}  # the book's name of a graded name, where it differs


def _reference_source(names) -> str:
    """The reference's source of ``names`` and of the module-level helpers their modules define."""
    import reference

    modules, parts = [], []
    for name in names:
        obj = getattr(reference, name, None)
        if obj is None:
            continue
        module = inspect.getmodule(obj)
        if module not in modules:
            modules.append(module)
    for module in modules:
        parts.append(inspect.getsource(module))
    return "\n".join(parts)


def _book_source(names) -> str:
    """The book-style definitions of ``names`` (and ``im2col``/``col2im``, which its layers use)."""
    wanted = {BOOK_ALIASES.get(n, n) for n in names}
    if wanted & {"Convolution", "Pooling", "SimpleConvNet"}:
        wanted |= {"im2col", "col2im"}
    source = BOOK_FILE.read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines()
    return "\n".join("\n".join(lines[node.lineno - 1:node.end_lineno]) for node in tree.body
                     if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in wanted)


def known_sources(graded) -> dict[str, str]:
    """``{"reference": source, "book": source}``: the implementations of the graded names that
    the course publishes (empty texts are left out)."""
    found = {"reference": _reference_source(graded), "book": _book_source(graded)}
    return {name: text for name, text in found.items() if text.strip()}

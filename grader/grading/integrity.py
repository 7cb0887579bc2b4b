"""Static integrity scan of a notebook's code cells, in the grader process: the source is
parsed (IPython syntax turned into Python first, in one linear pass), never run. Findings are
flags for the instructor (kind ``suspicious-code``), shown in every report; they cost no
points by themselves (what the scores rest on is that the kernel cannot reach the reference's
graded names). What is looked for:

- ``reference``: the reference implementation of a name this exercise grades (imported,
  used, subclassed, reached by ``getattr``/``vars``/``__dict__``/``sys.modules``), a
  wildcard import from ``reference``, or the grader's internals;
- ``dynamic``: ``exec``/``eval``/``compile``/``__import__``, ``importlib``, ``runpy``, and the
  ``%run``/``%load``/``%%writefile`` magics (code the scan cannot see);
- ``tracing``: ``sys.setprofile``/``settrace`` (and ``threading``'s);
- ``ipython``: IPython input transformers, AST transformers, event hooks, magic registration;
- ``patch``: assignments to (or ``setattr``/``del`` on) attributes of ``numpy``, ``sys``,
  ``json``, ``threading``, ``builtins``, ``reference`` or ``grader``;
- ``budget``/``unscannable``: the scan stopped at its budget, or a cell was nested too deeply
  to be analysed (code a human should look at).

The bodies of cell magics (``%%capture``, ``%%time`` ...) and the statements of ``%time`` /
``%timeit`` / ``%prun`` are scanned as code. The scan is bounded: at most ``SCAN_CHARS``
characters and ``seconds`` of wall time per notebook (:func:`grader.grading.grade.grade_parsed`
counts its time in the notebook's deadline). IPython syntax is turned into Python by
:mod:`grader.grading.ipython_syntax`.
"""
from __future__ import annotations

import ast
import dataclasses
import sys
import time
from contextlib import contextmanager

from grader.grading.ipython_syntax import python_source
from grader.reports.messages import text
from grader.grading.results import Flag

__all__ = ["scan_notebook", "scan_sources", "drop_confirmed", "after_scan", "Finding", "KIND", "MAX_FLAGS",
           "SCAN_CHARS", "SCAN_SECONDS"]

KIND = "suspicious-code"
MAX_FLAGS = 12
SCAN_CHARS = 1024 * 1024  # characters scanned per notebook (course notebooks hold well under 100 KB of code)
SCAN_SECONDS = 10.0  # wall time per notebook at most
MAX_SOURCE = SCAN_CHARS  # the former name
_DYNAMIC = {"exec", "eval", "compile", "__import__", "builtins.exec", "builtins.eval", "builtins.compile",
            "builtins.__import__"}
_DYNAMIC_MODULES = ("importlib", "runpy")
_TRACING = {"sys.setprofile", "sys.settrace", "threading.setprofile", "threading.settrace",
            "threading.setprofile_all_threads", "threading.settrace_all_threads"}
_IPYTHON_ATTRS = {"input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
                  "ast_transformers", "register_magic_function", "register_magics", "register_magic"}
_MAGICS = {"run", "load", "writefile", "file"}
_PATCHED = ("numpy", "builtins", "__builtins__", "reference", "grader", "sys", "json", "threading")
_ALLOWED_GRADER = {"grader", "grader.selfcheck", "grader.grading.selfcheck"}
_INTROSPECTION = {"vars", "inspect.getmembers", "inspect.getmembers_static"}


class Finding(tuple):
    """``(rule, what, cell, line)``."""

    __slots__ = ()

    def __new__(cls, rule, what, cell, line):
        return super().__new__(cls, (rule, what, cell, line))

    rule = property(lambda self: self[0])
    what = property(lambda self: self[1])
    cell = property(lambda self: self[2])
    line = property(lambda self: self[3])


class _OutOfBudget(Exception):
    pass


class _Budget:
    """Characters and wall time left for one notebook's scan."""

    def __init__(self, chars: int, seconds: float):
        self.chars, self.stop_at, self.truncated = chars, time.monotonic() + seconds, False

    def take(self, source: str) -> str:
        """The part of ``source`` within the budget (cut at a line end); raises when none is left."""
        self.tick()
        if self.chars <= 0:
            raise _OutOfBudget
        if len(source) > self.chars:  # the rest of the notebook is not scanned
            source, self.truncated, self.chars = source[: max(0, source.rfind("\n", 0, self.chars))], True, 0
        else:
            self.chars -= max(1, len(source))
        return source

    def tick(self) -> None:
        if time.monotonic() > self.stop_at:
            self.truncated = True
            raise _OutOfBudget


@contextmanager
def _deep_recursion(limit: int = 12_000):
    """AST walks of deeply nested (still compilable) code; Python-to-Python calls use no C stack."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


class _Scanner(ast.NodeVisitor):
    def __init__(self, graded, budget: _Budget):
        self.graded = set(graded)
        self.budget = budget
        self.aliases: dict[str, str] = {}
        self.found: list[Finding] = []
        self.cell = self.offset = self.nodes = 0

    def add(self, rule, what, node=None, line=None):
        line = getattr(node, "lineno", 0) if line is None else line
        self.found.append(Finding(rule, what, self.cell, self.offset + line))

    def scan(self, source: str, offset: int = 0, nesting: int = 0) -> None:
        """Scan one cell's (or one magic's) source, ``offset`` lines into its cell."""
        python, embedded, magic = python_source(self.budget.take(source))
        self.offset = offset
        if magic in ("writefile", "file"):
            self.add("dynamic", f"%{magic}", line=1)
        try:
            tree = ast.parse(python)  # under the usual recursion limit: the parser recurses in C
            with _deep_recursion():
                self.visit(tree)
        except (SyntaxError, ValueError):
            pass  # the kernel reports a cell that does not parse
        except (RecursionError, MemoryError):
            self.add("unscannable", f"cell {self.cell}", line=1)
        for line, code in embedded:
            if nesting < 4:
                self.scan(code, offset + line, nesting + 1)

    def visit(self, node):
        self.nodes += 1
        if not self.nodes & 1023:
            self.budget.tick()
        return super().visit(node)

    def path(self, node) -> str | None:
        """The dotted name an expression refers to, through the import aliases (and
        ``sys.modules['name']``)."""
        attrs = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            base = self.aliases.get(node.id, node.id)
        elif self._module_item(node):
            base = node.slice.value
        else:
            return None
        return ".".join([base, *reversed(attrs)])

    def _module_item(self, node) -> bool:
        return (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str) and self.path(node.value) == "sys.modules")

    def _bind(self, name: str, target: str, node) -> None:
        self.aliases[name] = target
        self._check_module(target, node)

    def _check_module(self, target: str, node) -> None:
        top = target.split(".")[0]
        if top == "grader" and target not in _ALLOWED_GRADER:
            self.add("reference", target, node)
        elif top in _DYNAMIC_MODULES:
            self.add("dynamic", target, node)
        elif top == "reference" and target.split(".")[-1] in self.graded:
            self.add("reference", target, node)

    def visit_Import(self, node):
        for alias in node.names:
            if alias.asname:
                self._bind(alias.asname, alias.name, node)
            else:
                self.aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
                self._check_module(alias.name, node)

    def visit_ImportFrom(self, node):
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                if module.split(".")[0] in ("reference", "grader"):
                    self.add("reference", f"{module}.*", node)
                continue
            self._bind(alias.asname or alias.name, f"{module}.{alias.name}", node)

    def visit_Name(self, node):
        self._check_use(self.path(node), node)

    def visit_Attribute(self, node):
        """The whole chain ``a.b.c`` at once (linear in its length), then its base."""
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.append(base)
            base = base.value
        path = self.path(base) if isinstance(base, ast.Name) or self._module_item(base) else None
        for link in reversed(chain):
            attr = link.attr
            if attr in _IPYTHON_ATTRS or (attr in ("register", "unregister") and
                                          isinstance(link.value, ast.Attribute) and link.value.attr == "events"):
                self.add("ipython", attr if attr in _IPYTHON_ATTRS else f"events.{attr}", link)
            path = f"{path}.{attr}" if path else None
            self._check_use(path, link)
            if attr == "__dict__" and path and path.split(".")[0] == "reference":
                self.add("reference", path, link)
        self.visit(base)

    def _check_use(self, path, node):
        if path and path.split(".")[0] == "reference" and path.split(".")[-1] in self.graded:
            self.add("reference", path, node)

    def _check_introspection(self, func: str | None, node) -> None:
        """``getattr(reference, "im2col")``, ``vars(reference)``, ``inspect.getmembers(reference)``."""
        if func not in ("getattr", "hasattr", *_INTROSPECTION) or not node.args:
            return
        owner = self.path(node.args[0])
        if not owner or owner.split(".")[0] != "reference":
            return
        if func in _INTROSPECTION:
            self.add("reference", f"{func}({owner})", node)
            return
        name = node.args[1] if len(node.args) > 1 else None
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            if name.value in self.graded:
                self.add("reference", f"{owner}.{name.value}", node)
        else:
            self.add("reference", f"{func}({owner}, ...)", node)

    def visit_Call(self, node):
        func = self.path(node.func)
        if func in _DYNAMIC:
            self.add("dynamic", func.split(".")[-1], node)
        elif func in _TRACING:
            self.add("tracing", func, node)
        elif func in ("setattr", "delattr", "builtins.setattr") and node.args:
            self._check_patch(node.args[0], node, attr=True)
        self._check_introspection(func, node)
        name = node.func.attr if isinstance(node.func, ast.Attribute) else None
        if name in ("run_line_magic", "run_cell_magic") and node.args and isinstance(node.args[0], ast.Constant):
            if node.args[0].value in _MAGICS:
                self.add("dynamic", f"%{node.args[0].value}", node)
        self.generic_visit(node)

    def _check_patch(self, target, node, attr=False):
        base = target if attr else getattr(target, "value", None)
        path = self.path(base) if base is not None else None
        if path and any(path == p or path.startswith(p + ".") for p in _PATCHED):
            what = path if attr else (f"{path}.{target.attr}" if isinstance(target, ast.Attribute) else f"{path}[...]")
            self.add("patch", what, node)

    def _visit_targets(self, targets, node):
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                    self._check_patch(sub, node)

    def _rebind(self, name: str) -> None:
        self.aliases.pop(name, None)  # the trainee's own definition from now on

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        self._rebind(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_Assign(self, node):
        self._visit_targets(node.targets, node)
        self.generic_visit(node)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._rebind(target.id)

    def visit_AugAssign(self, node):
        self._visit_targets([node.target], node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._visit_targets([node.target], node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        self._visit_targets(node.targets, node)
        self.generic_visit(node)


def scan_sources(sources, graded=(), *, chars: int = SCAN_CHARS, seconds: float = SCAN_SECONDS) -> list[Finding]:
    """Findings in the code cells ``sources`` (a list of ``(cell_index, source)``), in order,
    one per ``(rule, what)``. When the budget (``chars`` characters, ``seconds`` of wall time)
    runs out, the scan stops and says so: a ``budget`` finding ``scan-truncated``."""
    budget = _Budget(chars, seconds)
    scanner = _Scanner(graded, budget)
    try:
        for index, source in sources:
            scanner.cell, scanner.offset = index, 0
            scanner.scan(source)
    except _OutOfBudget:
        pass
    if budget.truncated:
        scanner.offset = 0
        scanner.add("budget", "scan-truncated", line=0)
    seen, unique = set(), []
    for finding in scanner.found:
        if (finding.rule, finding.what) not in seen:
            seen.add((finding.rule, finding.what))
            unique.append(finding)
    return unique


def scan_notebook(nb, graded, lang: str, seconds: float = SCAN_SECONDS) -> tuple[Flag, ...]:
    """The findings of the notebook's code cells as flags for the report (the budget's flag
    always kept: it says the rest was not looked at)."""
    sources = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code" and isinstance(c.source, str)]
    findings = scan_sources(sources, graded, seconds=seconds)
    shown = [f for f in findings if f.rule == "budget"] + [f for f in findings if f.rule != "budget"]
    flags = [Flag(KIND, f.what, text(f"integrity_{f.rule}", lang, cell=f.cell, line=f.line, what=f.what))
             for f in shown[:MAX_FLAGS]]
    if len(shown) > MAX_FLAGS:
        flags.append(Flag(KIND, "...", text("integrity_more", lang, count=len(shown) - MAX_FLAGS)))
    return tuple(flags)


def after_scan(limits, seconds: float):
    """``limits`` with the scan's time taken from the notebook's deadline (a scan under half a
    second is left out, so that a prewarmed kernel's limits still match)."""
    if seconds < 0.5:
        return limits
    return dataclasses.replace(limits, deadline=max(1.0, limits.deadline - seconds))


def drop_confirmed(flags, confirmed) -> tuple[Flag, ...]:
    """``flags`` without the static findings of the reference's version of a graded name that
    the probe already flagged (``uses-reference``) while running it: one finding, not two."""
    return tuple(f for f in flags if not (f.name.startswith("reference") and f.name.split(".")[-1] in confirmed))

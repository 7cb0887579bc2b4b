"""Static integrity scan of a notebook's code cells, in the grader process: the source is
parsed (IPython syntax turned into Python first), never run. Findings are flags for the
instructor (kind ``suspicious-code``), shown in every report; they cost no points by
themselves (the probe's own ``uses-reference`` flag does, for a graded name that is the
reference's). What is looked for:

- ``reference``: the reference implementation of a name this exercise grades (imported,
  used, subclassed), a wildcard import from ``reference``, or the grader's internals;
- ``dynamic``: ``exec``/``eval``/``compile``/``__import__``, ``importlib``, ``runpy``, and the
  ``%run``/``%load``/``%%writefile`` magics (code the scan cannot see);
- ``tracing``: ``sys.setprofile``/``settrace`` (and ``threading``'s);
- ``ipython``: IPython input transformers, AST transformers, event hooks, magic registration;
- ``patch``: assignments to (or ``setattr``/``del`` on) attributes of ``numpy``,
  ``builtins``, ``reference`` or ``grader``, and to ``sys.modules``.
"""
from __future__ import annotations

import ast

from .messages import text
from .results import Flag

__all__ = ["scan_notebook", "scan_sources", "drop_confirmed", "Finding", "KIND", "MAX_FLAGS"]

KIND = "suspicious-code"
MAX_FLAGS = 12
MAX_SOURCE = 2 * 1024 * 1024  # characters scanned per notebook
_DYNAMIC = {"exec", "eval", "compile", "__import__", "builtins.exec", "builtins.eval", "builtins.compile",
            "builtins.__import__"}
_DYNAMIC_MODULES = ("importlib", "runpy")
_TRACING = {"sys.setprofile", "sys.settrace", "threading.setprofile", "threading.settrace",
            "threading.setprofile_all_threads", "threading.settrace_all_threads"}
_IPYTHON_ATTRS = {"input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
                  "ast_transformers", "register_magic_function", "register_magics", "register_magic"}
_MAGICS = {"run", "load", "writefile", "file"}
_PATCHED = ("numpy", "builtins", "__builtins__", "reference", "grader", "sys.modules")
_ALLOWED_GRADER = {"grader", "grader.selfcheck"}


class Finding(tuple):
    """``(rule, what, cell, line)``."""

    __slots__ = ()

    def __new__(cls, rule, what, cell, line):
        return super().__new__(cls, (rule, what, cell, line))

    rule = property(lambda self: self[0])
    what = property(lambda self: self[1])
    cell = property(lambda self: self[2])
    line = property(lambda self: self[3])


def _python_source(source: str) -> str:
    """IPython syntax (magics, ``!`` commands) as Python calls, so the AST sees them."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - fall back to dropping the lines IPython would rewrite
        return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


class _Scanner(ast.NodeVisitor):
    def __init__(self, graded):
        self.graded = set(graded)
        self.aliases: dict[str, str] = {}
        self.found: list[Finding] = []
        self.cell = 0

    def add(self, rule, what, node):
        self.found.append(Finding(rule, what, self.cell, getattr(node, "lineno", 0)))

    def path(self, node) -> str | None:
        """The dotted name an expression refers to, through the import aliases."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id, node.id)
        if isinstance(node, ast.Attribute):
            base = self.path(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

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
        if node.attr in _IPYTHON_ATTRS or (node.attr in ("register", "unregister") and
                                           isinstance(node.value, ast.Attribute) and node.value.attr == "events"):
            self.add("ipython", node.attr if node.attr in _IPYTHON_ATTRS else f"events.{node.attr}", node)
        self._check_use(self.path(node), node)
        self.generic_visit(node)

    def _check_use(self, path, node):
        if path and path.split(".")[0] == "reference" and path.split(".")[-1] in self.graded:
            self.add("reference", path, node)

    def visit_Call(self, node):
        func = self.path(node.func)
        if func in _DYNAMIC:
            self.add("dynamic", func.split(".")[-1], node)
        elif func in _TRACING:
            self.add("tracing", func, node)
        elif func in ("setattr", "delattr", "builtins.setattr") and node.args:
            self._check_patch(node.args[0], node, attr=True)
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


def scan_sources(sources, graded=()) -> list[Finding]:
    """Findings in the code cells ``sources`` (a list of ``(cell_index, source)``), in order,
    one per ``(rule, what)``."""
    scanner = _Scanner(graded)
    budget = MAX_SOURCE
    for index, source in sources:
        if budget <= 0:
            break
        budget -= len(source)
        scanner.cell = index
        try:
            scanner.visit(ast.parse(_python_source(source[:MAX_SOURCE])))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # the kernel reports a cell that does not parse
    seen, unique = set(), []
    for finding in scanner.found:
        if (finding.rule, finding.what) not in seen:
            seen.add((finding.rule, finding.what))
            unique.append(finding)
    return unique


def scan_notebook(nb, graded, lang: str) -> tuple[Flag, ...]:
    """The findings of the notebook's code cells as flags for the report."""
    sources = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code" and isinstance(c.source, str)]
    findings = scan_sources(sources, graded)
    flags = [Flag(KIND, f.what, text(f"integrity_{f.rule}", lang, cell=f.cell, line=f.line, what=f.what))
             for f in findings[:MAX_FLAGS]]
    if len(findings) > MAX_FLAGS:
        flags.append(Flag(KIND, "...", text("integrity_more", lang, count=len(findings) - MAX_FLAGS)))
    return tuple(flags)


def drop_confirmed(flags, confirmed) -> tuple[Flag, ...]:
    """``flags`` without the static findings of the reference's version of a graded name that
    the probe already flagged (``uses-reference``) while running it: one finding, not two."""
    return tuple(f for f in flags if not (f.name.startswith("reference") and f.name.split(".")[-1] in confirmed))

"""The rules of the static integrity scan (:mod:`grader.grading.integrity`, which lists them):
:class:`Scanner`, an AST visitor over one notebook's cells that follows import aliases and
records a :class:`Finding` for every use of a graded name of ``reference``, dynamic code,
tracing, IPython hooks and patched modules; the sets of names each rule looks for."""
from __future__ import annotations

import ast

from grader.grading.ipython_syntax import python_source
from grader.grading.scan_budget import Budget, deep_recursion

__all__ = ["Finding", "Scanner"]

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


class Scanner(ast.NodeVisitor):
    def __init__(self, graded, budget: Budget):
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
            with deep_recursion():
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

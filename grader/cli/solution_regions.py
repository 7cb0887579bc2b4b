"""Solution regions: how a source notebook marks its solutions, and how they are found and
replaced (for :mod:`grader.cli.release`, and ``exercises/samples/make_samples.py``).

A code cell holds the solution inside marked regions::

    def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

Releasing replaces every region by a placeholder at the marker's indentation::

        # ここにコードを書いてください (write your code here)
        raise NotImplementedError("未実装です: im2col を実装してください / not implemented yet: implement im2col")

The name is the function or method the region is in (``Convolution.backward``), found by
parsing the cell; a region outside any ``def`` is named by the fallback (the exercise id). A
markdown cell may hold a ``<!-- BEGIN SOLUTION --> ... <!-- END SOLUTION -->`` region, removed
on release.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["BEGIN", "END", "MD_BEGIN", "MD_END", "PLACEHOLDER_COMMENT", "Region", "find_regions", "replace_regions",
           "placeholder_lines", "release_code", "release_markdown"]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
MD_BEGIN = "<!-- BEGIN SOLUTION -->"
MD_END = "<!-- END SOLUTION -->"
PLACEHOLDER_COMMENT = "# ここにコードを書いてください (write your code here)"

_MD_MARKER = re.compile(r"<!--\s*(BEGIN|END) SOLUTION\s*-->")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def placeholder_lines(name: str, indent: str = "") -> list[str]:
    """The two lines that replace a solution region (without line ends)."""
    message = f"未実装です: {name} を実装してください / not implemented yet: implement {name}"
    return [f"{indent}{PLACEHOLDER_COMMENT}", f'{indent}raise NotImplementedError("{message}")']


# ---------------------------------------------------------------- code cells


def _solution_regions(lines: list[str], where: str) -> list[tuple[int, int]]:
    """``(begin, end)`` line indices of every marked region; ValueError when unbalanced."""
    regions, begin = [], None
    for i, line in enumerate(lines):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise ValueError(f"{where}: line {i + 1}: '{BEGIN}' inside the region opened on line "
                                 f"{begin + 1} (regions cannot nest; is an '{END}' missing?)")
            begin = i
        elif marker == END:
            if begin is None:
                raise ValueError(f"{where}: line {i + 1}: '{END}' without a '{BEGIN}' before it")
            regions.append((begin, i))
            begin = None
    if begin is not None:
        raise ValueError(f"{where}: line {begin + 1}: '{BEGIN}' is never closed by '{END}'")
    return regions


def _parse_cell(source: str) -> ast.Module | None:
    """The cell as Python, IPython magics and shell lines blanked out; None if it does not parse."""
    masked = "\n".join("#" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))
    try:
        return ast.parse(masked)
    except SyntaxError:
        return None


def _enclosing_name(tree: ast.Module | None, lineno: int, fallback: str) -> str:
    """``Class.method`` / ``function`` around 1-based ``lineno``: the classes down to the first
    function (a helper nested inside a graded function counts as that function)."""
    names, body = [], tree.body if tree is not None else []
    while True:
        node = next((n for n in body if isinstance(n, _DEFS) and n.lineno <= lineno <= n.end_lineno), None)
        if node is None:
            break
        names.append(node.name)
        if not isinstance(node, ast.ClassDef):
            break
        body = node.body
    return ".".join(names) or fallback


def _region_line(lines: list[str], begin: int, end: int) -> int:
    """1-based line of the first code line inside a region (of the marker when there is none)."""
    for i in range(begin + 1, end):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            return i + 1
    return begin + 1


@dataclass(frozen=True)
class Region:
    """One solution region of a code cell: the 0-based line indices of its markers, the
    graded name it belongs to and the indentation of its ``BEGIN`` marker."""

    begin: int
    end: int
    name: str
    indent: str


def find_regions(source: str, fallback_name: str, where: str) -> list[Region]:
    """The solution regions of a code cell's ``source``; ValueError (naming ``where``) when
    the markers are unbalanced."""
    lines = source.split("\n")
    spans = _solution_regions(lines, where)
    tree = _parse_cell(source) if spans else None
    return [Region(begin, end, _enclosing_name(tree, _region_line(lines, begin, end), fallback_name),
                   lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())])
            for begin, end in spans]


def replace_regions(source: str, regions: list[Region], replacement) -> str:
    """``source`` with each region (markers included) replaced by ``replacement(region)``, a list
    of lines."""
    lines, out, start = source.split("\n"), [], 0
    for region in regions:
        out += lines[start:region.begin] + list(replacement(region))
        start = region.end + 1
    return "\n".join(out + lines[start:])


def release_code(source: str, fallback_name: str, where: str) -> str:
    """``source`` with every solution region replaced by the placeholder."""
    regions = find_regions(source, fallback_name, where)
    if not regions:
        return source
    released = replace_regions(source, regions, lambda r: placeholder_lines(r.name, r.indent))
    if _parse_cell(source) is not None and _parse_cell(released) is None:
        raise ValueError(f"{where}: the cell is no longer valid Python once its solution regions are "
                         "replaced: put the markers around whole statements of one block")
    return released


# ---------------------------------------------------------------- markdown cells


def release_markdown(source: str, where: str) -> str:
    """``source`` without its ``<!-- BEGIN SOLUTION --> ... <!-- END SOLUTION -->`` regions."""
    out, start, begin = [], 0, None
    for match in _MD_MARKER.finditer(source):
        if match.group(1) == "BEGIN":
            if begin is not None:
                raise ValueError(f"{where}: '{MD_BEGIN}' inside another solution region")
            begin = match
        else:
            if begin is None:
                raise ValueError(f"{where}: '{MD_END}' without a '{MD_BEGIN}' before it")
            cut_end = match.end()
            at_line_start = begin.start() == 0 or source[begin.start() - 1] == "\n"
            if at_line_start and source[cut_end:cut_end + 1] == "\n":
                cut_end += 1  # the markers were on lines of their own: drop the whole lines
            out.append(source[start:begin.start()])
            start, begin = cut_end, None
    if begin is not None:
        raise ValueError(f"{where}: '{MD_BEGIN}' is never closed by '{MD_END}'")
    return "".join(out) + source[start:]

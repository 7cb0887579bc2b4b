"""Release: write the trainee notebooks from the source notebooks, solutions removed.

A source notebook (``exercises/source/<name>.ipynb``) holds the solution inside marked
regions of its code cells::

    def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

Releasing replaces every region by a placeholder at the marker's indentation::

        # ここにコードを書いてください (write your code here)
        raise NotImplementedError("未実装です: im2col を実装してください / not implemented yet: implement im2col")

The name is the function or method the region is in (``Convolution.backward``), found by
parsing the cell; a region outside any ``def`` is named by the exercise id. A markdown cell
may hold a ``<!-- BEGIN SOLUTION --> ... <!-- END SOLUTION -->`` region, removed on release.
Outputs and execution counts are cleared, volatile metadata is dropped, cell ids are kept and
``metadata.grader.exercise`` is set, so releasing is a pure function of the source's bytes.
"""
from __future__ import annotations

import ast
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.errors import GraderError, UsageError
from grader.course import registry
from grader.grading.notebook import exercise_from_filename

__all__ = [
    "BEGIN", "END", "MD_BEGIN", "MD_END", "PLACEHOLDER_COMMENT",
    "Region", "find_regions", "replace_regions", "placeholder_lines", "exercise_id",
    "release_code", "release_markdown", "release_notebook", "release_all", "write_notebook_bytes",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
MD_BEGIN = "<!-- BEGIN SOLUTION -->"
MD_END = "<!-- END SOLUTION -->"
PLACEHOLDER_COMMENT = "# ここにコードを書いてください (write your code here)"

_MD_MARKER = re.compile(r"<!--\s*(BEGIN|END) SOLUTION\s*-->")
_VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")
_VOLATILE_NB_METADATA = ("widgets", "varInspector", "toc", "celltoolbar")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def placeholder_lines(name: str, indent: str = "") -> list[str]:
    """The two lines that replace a solution region (without line ends)."""
    message = f"未実装です: {name} を実装してください / not implemented yet: implement {name}"
    return [f"{indent}{PLACEHOLDER_COMMENT}", f'{indent}raise NotImplementedError("{message}")']


def exercise_id(nb: nbformat.NotebookNode, path: Path) -> str:
    """``metadata.grader.exercise`` of a source notebook, else the registered exercise id in its file name."""
    grader = nb.metadata.get("grader")
    declared = grader.get("exercise") if isinstance(grader, dict) else None
    if declared is not None:
        if not registry.known(declared):
            raise ValueError(f"{path}: metadata.grader.exercise must be one of {', '.join(registry.ids())}, "
                             f"got {declared!r}")
        return declared
    from_name = exercise_from_filename(Path(path).name)
    if from_name is None:
        raise ValueError(f"{path}: cannot tell the exercise: no metadata.grader.exercise and "
                         f"none of the registered exercises ({', '.join(registry.ids())}) in the file name")
    return from_name


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


# ---------------------------------------------------------------- notebooks


def _cell_id(path: Path, index: int) -> str:
    return hashlib.sha1(f"{path.name}:{index}".encode()).hexdigest()[:8]


def release_notebook(source_path: Path) -> nbformat.NotebookNode:
    """The trainee version of one source notebook (the source file is not changed)."""
    source_path = Path(source_path)
    nb = nbformat.read(source_path, as_version=4)
    exercise = exercise_id(nb, source_path)
    for index, cell in enumerate(nb.cells):
        where = f"{source_path.name}: cell {index}"
        if cell.cell_type == "code":
            cell.source = release_code(cell.source, exercise, where)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = release_markdown(cell.source, where)
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if not cell.get("id"):
            cell["id"] = _cell_id(source_path, index)
    nb.nbformat, nb.nbformat_minor = 4, max(nb.nbformat_minor, 5)
    for key in _VOLATILE_NB_METADATA:
        nb.metadata.pop(key, None)
    if "language_info" in nb.metadata:
        nb.metadata["language_info"] = {"name": nb.metadata["language_info"].get("name", "python")}
    nb.metadata["grader"] = dict(nb.metadata.get("grader", {}), exercise=exercise)
    _append_selfcheck(nb, source_path)
    return nb


SELFCHECK_SOURCE = "# セルフチェック (self-check): 公開の入力で自分の実装を確かめます\nfrom grader import selfcheck\nselfcheck()"


def _append_selfcheck(nb: nbformat.NotebookNode, source_path: Path) -> None:
    """End the trainee notebook with a short Japanese note and a ``selfcheck()`` cell (unless
    the source already ends with one): how a trainee checks the work before submitting."""
    if any(c.cell_type == "code" and "selfcheck()" in c.source for c in nb.cells[-2:]):
        return
    from grader.reports.messages import text

    note = nbformat.v4.new_markdown_cell(text("release_note", "ja"))
    check = nbformat.v4.new_code_cell(SELFCHECK_SOURCE)
    for offset, cell in enumerate((note, check)):
        cell["id"] = _cell_id(source_path, len(nb.cells) + offset)
    nb.cells.extend((note, check))


def write_notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    """The notebook as the bytes of its file: nbformat's JSON, one trailing newline."""
    text = nbformat.writes(nb, version=4)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


class NoSourceNotebooks(UsageError, FileNotFoundError):
    """No ``*.ipynb`` in the source folder: a usage error for the command line (exit 2, ja/en),
    still a ``FileNotFoundError`` for callers that catch that (``grader ci``)."""


def release_all(source_dir: Path, trainee_dir: Path, *, check: bool = False) -> list[Path]:
    """Release every ``*.ipynb`` of ``source_dir`` into ``trainee_dir`` (same file names).

    Returns the trainee files whose bytes differ from a fresh release (missing ones
    included), sorted. ``check=False`` (re)writes exactly those; ``check=True`` writes nothing.
    Files of ``trainee_dir`` without a source are left alone.
    """
    source_dir, trainee_dir = Path(source_dir), Path(trainee_dir)
    sources = sorted(source_dir.glob("*.ipynb"))
    if not sources:  # run outside the course folder: a usage error (exit 2), not a traceback
        raise NoSourceNotebooks.keyed("err_release_no_course", path=source_dir)
    stale = []
    for source in sources:
        data = write_notebook_bytes(release_notebook(source))
        target = trainee_dir / source.name
        if not target.is_file() or target.read_bytes() != data:
            stale.append(target)
            if not check:
                trainee_dir.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
    return stale


def main(argv: list[str] | None = None) -> int:
    """``python -m grader.cli.release [--check] [SRC] [DST]`` (defaults: exercises/source, exercises/trainee)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m grader.cli.release", description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a trainee notebook is out of date")
    parser.add_argument("source_dir", nargs="?", type=Path, default=Path("exercises/source"))
    parser.add_argument("trainee_dir", nargs="?", type=Path, default=Path("exercises/trainee"))
    args = parser.parse_args(argv)
    try:
        stale = release_all(args.source_dir, args.trainee_dir, check=args.check)
    except GraderError as exc:
        from grader.reports.messages import default_lang

        print(f"error: {exc.in_lang(default_lang())}", file=sys.stderr)
        return exc.exit_code
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path}")
    if not stale:
        print("trainee notebooks are up to date")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())

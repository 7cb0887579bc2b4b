"""Release: write the trainee notebooks from the source notebooks, solutions removed.

Every solution region of a source notebook (``exercises/source/<name>.ipynb``) is replaced by a
placeholder, markdown solution regions are removed (:mod:`grader.cli.solution_regions`: the
markers and how they are found). Outputs and execution counts are cleared, volatile metadata is
dropped, cell ids are kept and ``metadata.grader.exercise`` is set, so releasing is a pure
function of the source's bytes; the trainee notebook ends with a ``selfcheck()`` cell.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nbformat

from grader.errors import GraderError, UsageError
from grader.course import registry
from grader.grading.notebook import exercise_from_filename
from grader.cli.solution_regions import (BEGIN, END, MD_BEGIN, MD_END, PLACEHOLDER_COMMENT, Region, find_regions,
                                         placeholder_lines, release_code, release_markdown, replace_regions)

__all__ = [
    "BEGIN", "END", "MD_BEGIN", "MD_END", "PLACEHOLDER_COMMENT",
    "Region", "find_regions", "replace_regions", "placeholder_lines", "exercise_id",
    "release_code", "release_markdown", "release_notebook", "release_all", "write_notebook_bytes",
]

_VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")
_VOLATILE_NB_METADATA = ("widgets", "varInspector", "toc", "celltoolbar")


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

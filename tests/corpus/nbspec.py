"""What one corpus notebook is: its file, its cells (Python source strings, as a trainee left
them: magics, prints, saved outputs, cells out of order) and its expected outcome.

Cells are written as plain strings (code) or with :func:`md` (markdown) and :func:`out`
(code with the outputs a trainee's saved notebook carries, which the grader clears)."""
from __future__ import annotations

import hashlib
import textwrap
from dataclasses import dataclass, field
from typing import Callable

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

# the graders' current maximum per exercise (informational: the tests compare with the
# result's own max_score, so checks added later do not break them)
MAX_SCORE = {"4_1": 12, "4_2": 10, "4_3": 13, "4_4": 10, "4_5": 10, "4_6": 11, "4_7": 14}
# points of the checks worth more than 1
POINTS = {"SimpleConvNet.predict": 2, "SimpleConvNet.loss": 2, "SimpleConvNet.gradient": 2,
          "SimpleConvNet.trained_accuracy": 4}


@dataclass(frozen=True)
class Cell:
    kind: str  # "code" or "markdown"
    source: str
    outputs: tuple = ()  # (("stream", text) | ("error", ename, evalue) | ("result", text))
    count: int | None = None


def md(text: str) -> Cell:
    return Cell("markdown", textwrap.dedent(text).strip("\n"))


def out(source: str, *outputs, count: int | None = None) -> Cell:
    """A code cell with saved outputs: ``("stream", text)``, ``("error", ename, evalue)``,
    ``("result", text)``."""
    return Cell("code", textwrap.dedent(source).strip("\n"), tuple(outputs), count)


def _cell(item) -> Cell:
    return item if isinstance(item, Cell) else Cell("code", textwrap.dedent(item).strip("\n"))


@dataclass(frozen=True)
class Notebook:
    """``path`` under ``tests/corpus/notebooks``; ``failing``: check ids that must fail;
    ``fail_prefixes``: further check ids that may fail (checks being added by other work, e.g.
    boundary cases of the public plan); with no ``failing``, at least one of those must fail.
    ``accuracy``: for 4_7, the range the grader's measured test accuracy must fall in.
    ``verify``: an in-process, independent check (plain numpy, not ``reference``) that the
    mistake of a wrong notebook is really there, given the namespace of its graded cells."""

    path: str
    exercise: str
    cells: tuple
    style: str
    failing: tuple = ()
    fail_prefixes: tuple = ()
    needs: tuple = ()  # the issue-11 fixes this outcome depends on (H1 numerics, H2 plans, H3 environment, lead: names)
    colab: bool = False
    accuracy: tuple | None = None
    measured_accuracy: float | None = None  # 4_7: what the grader measured when the corpus was made
    allowed_flags: tuple = ()  # integrity flag kinds tolerated (a habit the scan finds suspicious)
    metadata: tuple = ()  # extra notebook metadata, as (key, value) pairs
    graded_cells: tuple = ()  # indexes (into cells) of the cells that define the graded names
    verify: Callable | None = field(default=None, compare=False)

    @property
    def correct(self) -> bool:
        return not self.failing and not self.fail_prefixes

    def expected_score(self) -> float:
        lost = sum(POINTS.get(c, 1) for c in self.failing)
        if self.accuracy and "SimpleConvNet.trained_accuracy" not in self.failing:
            lo, hi = self.accuracy
            accuracy = self.measured_accuracy if self.measured_accuracy is not None else (lo + hi) / 2
            share = min(1.0, max(0.0, (accuracy - 0.90) / 0.07))
            lost += 4 - round(4 * share, 2)
        return round(MAX_SCORE[self.exercise] - lost, 2)

    def graded_source(self) -> str:
        return "\n\n".join(_cell(self.cells[i]).source for i in self.graded_cells)

    def to_notebook(self) -> nbformat.NotebookNode:
        nb = new_notebook()
        nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
        nb.metadata["language_info"] = {"name": "python", "version": "3.10.12" if self.colab else "3.11.7"}
        for key, value in self.metadata:
            nb.metadata[key] = value
        if self.colab:
            nb.metadata["colab"] = {"provenance": [], "name": self.path.rsplit("/", 1)[-1]}
            nb.metadata["accelerator"] = "GPU"
        cells = []
        for index, item in enumerate(self.cells):
            cell = _cell(item)
            seed = hashlib.sha1(f"{self.path}:{index}".encode()).hexdigest()
            if cell.kind == "markdown":
                node = new_markdown_cell(cell.source)
            else:
                node = new_code_cell(cell.source)
                node.execution_count = cell.count
                node.outputs = [_output(o) for o in cell.outputs]
            node.id = seed[:8]
            if self.colab:
                node.metadata["id"] = seed[8:20]
            cells.append(node)
        nb.cells = cells
        return nb


def _output(spec: tuple):
    kind = spec[0]
    if kind == "stream":
        return new_output("stream", name="stdout", text=spec[1])
    if kind == "error":
        return new_output("error", ename=spec[1], evalue=spec[2], traceback=[f"{spec[1]}: {spec[2]}"])
    return new_output("execute_result", data={"text/plain": spec[1]}, execution_count=None)

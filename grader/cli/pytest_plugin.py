"""pytest plugin: ``pytest --grade-notebooks DIR`` grades every notebook under DIR and reports
one test per notebook and check, named ``<notebook>::<check id>``; a test fails with the
check's message (and hint).

Registered through the ``pytest11`` entry point ``day4_grader``, so it is loaded by every
pytest run once the package is installed. Without ``--grade-notebooks`` it only adds its
options: no hook of it runs, nothing is imported beyond this module.

- With no paths on the command line only DIR is collected; with paths, DIR is collected
  as well (``pytest tests --grade-notebooks exercises/source``).
- All notebooks are graded in parallel as soon as the session starts (the batch runner,
  :mod:`grader.classroom.runner`: fresh kernels, the same limits and bounds as ``grader grade``); a
  notebook's tests are collected when its grading is done, so the check ids are those of the
  real result.
- ``--grade-seed N`` (default: the public seed of ``grader check``), ``--grade-workers N``
  (default: the number of cores), ``--grade-lang ja|en`` (default: en).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

__all__ = ["NotebookFile", "CheckItem", "CheckFailed"]

_PLUGIN_NAME = "day4-grader-notebooks"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("grade-notebooks", "DAY4 grader: one test per notebook and check")
    group.addoption("--grade-notebooks", metavar="DIR", default=None,
                    help="grade every *.ipynb under DIR: one test per notebook and check")
    group.addoption("--grade-seed", type=int, default=None, metavar="N",
                    help="seed of the grader's inputs (default: the public seed of `grader check`)")
    group.addoption("--grade-workers", type=int, default=None, metavar="N",
                    help="notebooks graded in parallel (default: number of cores)")
    group.addoption("--grade-lang", choices=("ja", "en"), default="en", help="language of the check messages")


def pytest_configure(config) -> None:
    folder = config.getoption("grade_notebooks")
    if not folder:
        return
    folder = Path(folder)
    if not folder.is_dir():
        raise pytest.UsageError(f"--grade-notebooks {folder}: not a folder")
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        config.args.append(str(folder))
    else:
        config.args[:] = [str(folder)]
    config.pluginmanager.register(_Grading(config, folder), _PLUGIN_NAME)


class CheckFailed(Exception):
    """A check that did not pass (its message is the test's failure report)."""


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p.resolve() for p in folder.rglob("*.ipynb")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


class _Grading:
    """The session's grading: the batch runner grades every notebook in a background thread
    while pytest collects; a notebook's tests wait for its own result only."""

    def __init__(self, config, folder: Path):
        self.config, self.folder = config, folder
        self.ready: dict[Path, threading.Event] = {}
        self.outcomes: dict[Path, object] = {}
        self.problems: dict[Path, str] = {}
        self.runner = self.thread = None

    def pytest_sessionstart(self, session) -> None:
        from grader.errors import GraderError
        from grader.grading.judging import PUBLIC_SEED
        from grader.grading.notebook import identify_exercise, read_notebook
        from grader.classroom.runner import Job, RunOptions, Runner

        seed = self.config.getoption("grade_seed")
        seed = PUBLIC_SEED if seed is None else seed
        lang = self.config.getoption("grade_lang")
        workers = self.config.getoption("grade_workers") or os.cpu_count() or 1
        jobs = []
        for path in _notebooks(self.folder):
            try:
                jobs.append(Job(str(path), identify_exercise(read_notebook(path), path), seed, tag=path))
                self.ready[path] = threading.Event()
            except GraderError as exc:
                self.problems[path] = str(exc)
        self.runner = Runner(RunOptions(workers=workers, lang=lang))  # the longest exercises start first
        self.thread = threading.Thread(target=self._run, args=(jobs,), name="day4-grading", daemon=True)
        self.thread.start()

    def _run(self, jobs) -> None:
        try:
            for outcome in self.runner.run(jobs):
                path = outcome.job.tag
                self.outcomes[path] = outcome.result if outcome.result is not None else outcome.error
                self.ready[path].set()
        except BaseException as exc:  # noqa: BLE001 - the pool could not start, or the run was stopped
            for path in self.ready:
                self.outcomes.setdefault(path, f"{type(exc).__name__}: {exc}")
        finally:
            for event in self.ready.values():
                event.set()

    def pytest_unconfigure(self, config) -> None:
        if self.runner is not None:
            self.runner.stop()  # nothing left to stop after a full session; at once after Ctrl-C
            self.thread.join()

    def pytest_collect_file(self, file_path: Path, parent):
        path = Path(file_path).resolve()
        if path in self.ready or path in self.problems:
            return NotebookFile.from_parent(parent, path=Path(file_path), grading=self)
        return None

    def outcome(self, path: Path):
        """The notebook's ``GradingResult``, or a message when it could not be graded."""
        path = path.resolve()
        if path in self.problems:
            return self.problems[path]
        self.ready[path].wait()
        return self.outcomes.get(path, "the grading was stopped before this notebook")


class NotebookFile(pytest.File):
    """A notebook: its children are its checks, known once it is graded."""

    def __init__(self, *, grading: _Grading, **kwargs):
        super().__init__(**kwargs)
        self.grading = grading

    def collect(self):
        outcome = self.grading.outcome(self.path)
        if isinstance(outcome, str):
            yield CheckItem.from_parent(self, name="notebook.graded", passed=False, message=outcome)
            return
        for check in outcome.checks:
            message = check.message + (f"\nhint: {check.hint}" if check.hint else "")
            item = CheckItem.from_parent(self, name=check.id, passed=check.passed,
                                         message=f"{check.status}: {message}")
            item.user_properties += [("points", check.points), ("max_points", check.max_points)]
            yield item


class CheckItem(pytest.Item):
    """One check of one notebook: passes when the check passed."""

    def __init__(self, *, passed: bool, message: str, **kwargs):
        super().__init__(**kwargs)
        self.passed, self.message = passed, message

    def runtest(self) -> None:
        if not self.passed:
            raise CheckFailed(self.message)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CheckFailed):
            return self.message
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        # a headline the node id does not end with: pytest would otherwise show its dots as "::"
        return self.path, None, f"{self.parent.name}::{self.name} (grader check)"

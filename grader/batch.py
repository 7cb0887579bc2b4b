"""Batch grading of a class: discover submissions, grade the new or changed ones in parallel
worker processes (each notebook in its own kernel), record each result as it arrives (the
coordinator alone writes the gradebook), then render the reports."""
from __future__ import annotations

import multiprocessing
import os
import secrets
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .errors import GraderError, NotebookError
from .gradebook import Gradebook
from .late import LatePolicy
from .limits import Limits
from .results import CellError, CheckResult, GradingResult, Status
from .submissions import Submission, discover

__all__ = ["BatchOptions", "BatchSummary", "grade_class", "resolve_seed", "SEED_ENV"]

SEED_ENV = "GRADER_SECRET_SEED"


@dataclass(frozen=True)
class BatchOptions:
    workers: int = os.cpu_count() or 1
    seed: int | None = None
    exercises: tuple[str, ...] = ("4_1", "4_2", "4_3", "4_4", "4_5", "4_6", "4_7")
    lang: str = "ja"
    late: LatePolicy = field(default_factory=LatePolicy)
    progress: bool | None = None  # None: a bar on a terminal, plain lines otherwise
    scheduler: str | None = None  # tcp://HOST:PORT of a Dask scheduler: run the notebooks there
    limits: Limits | None = None  # None: each exercise's own limits (grader.checks.<ex>.LIMITS)


@dataclass
class BatchSummary:
    graded: int = 0
    skipped: int = 0
    failed: int = 0
    problems: int = 0
    seconds: float = 0.0


def resolve_seed(explicit: int | None, book: Gradebook) -> int:
    """``--seed``, else the secret seed from the environment, else the seed this gradebook was
    first graded with, else a fresh random one (recorded, so reruns stay comparable)."""
    if explicit is not None:
        return explicit
    if os.environ.get(SEED_ENV):
        try:
            return int(os.environ[SEED_ENV])
        except ValueError:
            raise GraderError(f"{SEED_ENV} must be an integer") from None
    stored = book.meta("seed")
    if stored is not None:
        return int(stored)
    seed = secrets.randbelow(2**31)
    book.set_meta("seed", str(seed))
    return seed


_prewarmer = None  # in a local worker process: its next kernel, started while a notebook runs


def _worker_prewarmer():
    """This worker process's :class:`~grader.prewarm.Prewarmer`, closed (the unused kernel
    ended, its uid slot and folders released) when the worker process exits."""
    global _prewarmer
    if _prewarmer is None:
        from multiprocessing.util import Finalize

        from .prewarm import Prewarmer

        _prewarmer = Prewarmer()
        Finalize(None, _prewarmer.close, exitpriority=100)  # run by the worker's normal exit
    return _prewarmer


def _grade_worker(path: str, exercise: str, seed: int, lang: str, data: bytes | None = None,
                  limits: Limits | None = None, prewarm: bool = False) -> str:
    """Runs in a worker process: returns the result as JSON (no pickled objects). ``data``: the
    notebook's bytes, sent to workers on other machines that cannot read ``path``. ``prewarm``
    (a local worker process running one notebook at a time): the kernel was started during the
    previous notebook, and the next one starts while this one runs."""
    from .grade import grade_parsed
    from .notebook import MAX_NOTEBOOK_BYTES, parse_notebook, read_notebook

    if data is not None and len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(path, f"file is larger than the limit of {MAX_NOTEBOOK_BYTES:,} bytes")
    nb = read_notebook(path) if data is None else parse_notebook(data, path)
    prewarmer = _worker_prewarmer() if prewarm else None
    result = grade_parsed(nb, path, exercise, seed=seed, lang=lang, limits=limits, prewarmer=prewarmer)
    if prewarmer is not None:
        prewarmer.events.append(("done", 0))
    return result.to_json()


def _executor(options: BatchOptions):
    """Where the notebooks run: local worker processes, or the Dask cluster of ``options.scheduler``."""
    if options.scheduler:
        from .distributed import dask_executor

        return dask_executor(options.scheduler)
    context = multiprocessing.get_context("forkserver")
    return ProcessPoolExecutor(max_workers=max(1, options.workers), mp_context=context)


def _unreadable(sub: Submission, seed: int, message: str) -> GradingResult:
    """A notebook the grader could not read or that broke the grader: recorded, zero points
    attributed to the grader, not silently dropped."""
    check = CheckResult(id="notebook.readable", passed=False, points=0.0, max_points=0.0,
                        message=message, status=Status.GRADER_ERROR)
    return GradingResult(sub.exercise, str(sub.path), (check,), errors=(CellError(None, "unreadable", message),),
                         seed=seed, grader_version=__version__)


class _Progress:
    def __init__(self, total: int, enabled: bool | None):
        self.total, self.done = total, 0
        self.tty = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None
        if self.tty and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="nb", desc="grading", file=sys.stderr)

    def step(self, sub: Submission, result: GradingResult) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"{sub.trainee} {sub.exercise}")
        else:
            print(f"[{self.done}/{self.total}] {sub.trainee} {sub.exercise}: {result.score:g}/{result.max_score:g}",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _record(book: Gradebook, sub: Submission, result: GradingResult, options: BatchOptions, submitted: dict) -> None:
    when = submitted.get(sub.trainee, sub.mtime)
    penalty = options.late.penalty(result.score, when)
    book.record(sub.trainee, sub.sha256, result, penalty=penalty, submitted_at=when)


def grade_class(root: Path, out_dir: Path, options: BatchOptions, submitted: dict | None = None) -> BatchSummary:
    """Grade every submission under ``root`` into ``out_dir`` (gradebook + reports)."""
    started = time.monotonic()
    summary = BatchSummary()
    with Gradebook(out_dir) as book:
        seed = resolve_seed(options.seed, book)
        subs, problems = discover(root, Path(out_dir) / "extracted", options.exercises)
        book.replace_problems(problems)
        summary.problems = len(problems)
        todo = [s for s in subs if not book.is_current(s.trainee, s.exercise, s.sha256, seed, __version__)]
        summary.skipped = len(subs) - len(todo)
        progress = _Progress(len(todo), options.progress)
        with _executor(options) as pool:
            prewarm = not options.scheduler  # local worker processes: one notebook at a time each
            pending = {pool.submit(_grade_worker, str(s.path), s.exercise, seed, options.lang, limits=options.limits,
                                   prewarm=prewarm): s
                       for s in todo}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    sub = pending.pop(future)
                    try:
                        result = GradingResult.from_json(future.result())
                    except GraderError as exc:
                        result = _unreadable(sub, seed, str(exc))
                    except Exception as exc:  # a grader bug or a dead worker: recorded, not fatal
                        result = _unreadable(sub, seed, f"grader failure: {type(exc).__name__}: {exc}")
                        summary.failed += 1
                    _record(book, sub, result, options, submitted or {})
                    summary.graded += 1
                    progress.step(sub, result)
        progress.close()
        from .class_report import write_reports

        write_reports(book, Path(out_dir), options.lang)
    summary.seconds = time.monotonic() - started
    return summary

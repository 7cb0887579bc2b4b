"""Batch grading of a class: discover submissions, grade the new or changed ones with the batch
runner (:mod:`grader.classroom.runner`: parallel workers, each notebook in its own kernel), record each
result as it arrives (the coordinator alone writes the gradebook), then render the reports."""
from __future__ import annotations

import os
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from grader import __version__

from grader.kernel import tempdirs
from grader.errors import GraderError
from grader.classroom.gradebook import SEED_ENV, Gradebook, derive_seed
from grader.course import registry
from grader.grading.fingerprint import grading_code
from grader.classroom.late import LatePolicy, PolicyUpdate
from grader.classroom.lifeline import signals_interrupt
from grader.kernel.limits import Limits
from grader.reports.messages import text
from grader.grading.results import CellError, CheckResult, GradingResult, Status
from grader.classroom.runner import Job, RunOptions, Runner, bounded_results, task_bound  # bounded_results, task_bound: re-exported
from grader.classroom.roster import record_run_options
from grader.reports.safe_text import visible
from grader.classroom.submissions import Submission, discover

__all__ = ["BatchOptions", "BatchSummary", "grade_class", "SEED_ENV", "task_bound", "bounded_results"]


@dataclass(frozen=True)
class BatchOptions:
    workers: int = os.cpu_count() or 1
    seed: int | None = None
    exercises: tuple[str, ...] | None = None  # None: every registered exercise (grader.course.registry)
    lang: str = "ja"
    late: LatePolicy | PolicyUpdate | None = None  # None: keep the gradebook's policy (grader.classroom.late)
    progress: bool | None = None  # None: a bar on a terminal, plain lines otherwise
    scheduler: str | None = None  # tcp://HOST:PORT of a Dask scheduler: run the notebooks there
    limits: Limits | None = None  # None: each exercise's own limits (grader.course.checks.<ex>.LIMITS)
    kernel_python: str | None = None  # the kernels' interpreter (--kernel-python); None: the grader's own
    similarity: bool = True  # similarity.json and the summary's section (--no-similarity)
    roster: tuple | None = None  # grader.classroom.roster.Member records (--roster); None: keep the gradebook's, if any
    roster_source: str = ""  # the roster file, as given


@dataclass
class BatchSummary:
    graded: int = 0
    skipped: int = 0
    failed: int = 0
    problems: int = 0
    seconds: float = 0.0
    warnings: list = field(default_factory=list)  # for the instructor (times file, naive times), in options.lang


def _unreadable(sub: Submission, seed: int, message: str, kind: str = "unreadable") -> GradingResult:
    """A notebook the grader could not read or that broke the grader: recorded, zero points
    attributed to the grader, not silently dropped."""
    check = CheckResult(id="notebook.readable", passed=False, points=0.0, max_points=0.0,
                        message=message, status=Status.GRADER_ERROR)
    return GradingResult(sub.exercise, str(sub.path), (check,), errors=(CellError(None, kind, message),),
                         seed=seed, grader_version=__version__)


def _run_options(options: BatchOptions) -> RunOptions:
    return RunOptions(workers=options.workers, lang=options.lang, limits=options.limits,
                      kernel_python=options.kernel_python, scheduler=options.scheduler)


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
            self.bar.set_postfix_str(f"{visible(sub.trainee, multiline=False)} {sub.exercise}")
        else:
            print(f"[{self.done}/{self.total}] {visible(sub.trainee, multiline=False)} {sub.exercise}: "
                  f"{result.score:g}/{result.max_score:g}",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _record(book: Gradebook, sub: Submission, result: GradingResult, code: str) -> None:
    """Record a result with its file's time under the run's grading code; late penalties are a
    view (grader.classroom.standing)."""
    book.record(sub.trainee, sub.sha256, result, submitted_at=sub.mtime, code=code)


def _changed_checks(book: Gradebook, codes: dict, lang: str) -> list:
    """A line for the instructor per exercise whose stored grades were computed by other checks
    (an updated grader): they are graded again, and their scores may move."""
    stored = book.codes()
    lines = []
    for exercise in sorted(codes, key=registry.order_key):
        stale = sum(n for code, n in stored.get(exercise, {}).items() if code != codes[exercise])
        if stale:
            lines.append(text("regraded_changed_checks", lang, exercise=exercise, count=stale))
    return lines


def _similarity(subs, out_dir: Path, options: BatchOptions) -> dict | None:
    """The similarity report over every current submission (graded now or before); evidence
    for the instructor, never a score change. ``None`` with ``--no-similarity``."""
    if not options.similarity:
        return None
    from grader.reports.report import template_environment
    from grader.reports.similarity_report import analyse_submissions, write_similarity

    return write_similarity(Path(out_dir), analyse_submissions(subs), template_environment(), options.lang)


def grade_class(root: Path, out_dir: Path, options: BatchOptions, submitted: dict | None = None) -> BatchSummary:
    """Grade every submission under ``root`` into ``out_dir`` (gradebook + reports)."""
    started = time.monotonic()
    summary = BatchSummary()
    tempdirs.sweep()  # the temp folders of runs that died
    with signals_interrupt(), Gradebook(out_dir) as book:
        secret = book.secret(options.seed)  # --seed, $GRADER_SECRET_SEED or the gradebook's own (0600)
        subs, problems = discover(root, Path(out_dir) / "extracted", options.exercises)
        book.replace_problems(problems)
        summary.warnings = record_run_options(book, options.roster, options.roster_source, options.late,
                                              {s.trainee for s in subs}, options.lang, submitted)
        summary.problems = len(problems)
        seeds = {s.path: derive_seed(secret, s.trainee, s.exercise, s.sha256) for s in subs}  # per submission
        codes = {e: grading_code(e) for e in {s.exercise for s in subs}}  # what would grade each exercise now
        summary.warnings += _changed_checks(book, codes, options.lang)
        todo = [s for s in subs
                if not book.is_current(s.trainee, s.exercise, s.sha256, seeds[s.path], __version__, codes[s.exercise])]
        summary.skipped = len(subs) - len(todo)
        progress = _Progress(len(todo), options.progress)
        jobs = [Job(str(s.path), s.exercise, seeds[s.path], tag=s) for s in todo]
        with closing(Runner(_run_options(options)).run(jobs)) as outcomes:  # an interrupt here stops it too
            for outcome in outcomes:  # an interrupt: what is recorded stays
                sub, seed = outcome.job.tag, outcome.job.seed
                result = outcome.result
                if outcome.timed_out:  # the worker hung: stopped and replaced
                    result = _unreadable(sub, seed, text("worker_timeout", options.lang, seconds=f"{outcome.bound:g}"),
                                         kind="worker-timeout")
                    summary.failed += 1
                elif isinstance(outcome.exception, GraderError):
                    result = _unreadable(sub, seed, str(outcome.exception))
                elif result is None:  # a grader bug or a dead worker: recorded, not fatal
                    exc = outcome.exception
                    result = _unreadable(sub, seed, f"grader failure: {type(exc).__name__}: {exc}")
                    summary.failed += 1
                _record(book, sub, result, codes[sub.exercise])
                summary.graded += 1
                progress.step(sub, result)
        progress.close()
        from grader.reports.class_report import write_reports

        write_reports(book, Path(out_dir), options.lang, similarity=_similarity(subs, out_dir, options))
    summary.seconds = time.monotonic() - started
    return summary

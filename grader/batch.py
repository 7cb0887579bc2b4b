"""Batch grading of a class: discover submissions, grade the new or changed ones in parallel
worker processes (each notebook in its own kernel), record each result as it arrives (the
coordinator alone writes the gradebook), then render the reports."""
from __future__ import annotations

import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, tempdirs
from .errors import GraderError, NotebookError
from .gradebook import SEED_ENV, Gradebook, derive_seed
from .late import LatePolicy, PolicyUpdate
from .lifeline import LocalPool, signals_interrupt
from .limits import Limits, kill_tree
from .messages import text
from .results import CellError, CheckResult, GradingResult, Status
from .roster import record_run_options
from .safe_text import visible
from .submissions import Submission, discover

__all__ = ["BatchOptions", "BatchSummary", "grade_class", "SEED_ENV", "task_bound"]


@dataclass(frozen=True)
class BatchOptions:
    workers: int = os.cpu_count() or 1
    seed: int | None = None
    exercises: tuple[str, ...] | None = None  # None: every registered exercise (grader.registry)
    lang: str = "ja"
    late: LatePolicy | PolicyUpdate | None = None  # None: keep the gradebook's policy (grader.late)
    progress: bool | None = None  # None: a bar on a terminal, plain lines otherwise
    scheduler: str | None = None  # tcp://HOST:PORT of a Dask scheduler: run the notebooks there
    limits: Limits | None = None  # None: each exercise's own limits (grader.checks.<ex>.LIMITS)
    kernel_python: str | None = None  # the kernels' interpreter (--kernel-python); None: the grader's own
    similarity: bool = True  # similarity.json and the summary's section (--no-similarity)
    roster: tuple | None = None  # grader.roster.Member records (--roster); None: keep the gradebook's, if any
    roster_source: str = ""  # the roster file, as given


@dataclass
class BatchSummary:
    graded: int = 0
    skipped: int = 0
    failed: int = 0
    problems: int = 0
    seconds: float = 0.0
    warnings: list = field(default_factory=list)  # for the instructor (times file, naive times), in options.lang


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
                  limits: Limits | None = None, prewarm: bool = False, kernel_python: str | None = None) -> str:
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
    result = grade_parsed(nb, path, exercise, seed=seed, lang=lang, limits=limits, prewarmer=prewarmer,
                          kernel_python=kernel_python)
    if prewarmer is not None:
        prewarmer.events.append(("done", 0))
    return result.to_json()


def _executor(options: BatchOptions):
    """Where the notebooks run: local worker processes, or the Dask cluster of ``options.scheduler``."""
    if options.scheduler:
        from .distributed import dask_executor

        return dask_executor(options.scheduler)
    return LocalPool(max(1, options.workers))  # its workers die with this process (grader.lifeline)


def _unreadable(sub: Submission, seed: int, message: str, kind: str = "unreadable") -> GradingResult:
    """A notebook the grader could not read or that broke the grader: recorded, zero points
    attributed to the grader, not silently dropped."""
    check = CheckResult(id="notebook.readable", passed=False, points=0.0, max_points=0.0,
                        message=message, status=Status.GRADER_ERROR)
    return GradingResult(sub.exercise, str(sub.path), (check,), errors=(CellError(None, kind, message),),
                         seed=seed, grader_version=__version__)


TASK_MARGIN = 60.0  # seconds a worker gets beyond a notebook's deadline and kernel start-up
_POLL = 1.0


def task_bound(options: BatchOptions, exercise: str) -> float:
    """Seconds within which a worker must return one notebook's result (its clock starts when
    it runs): the deadline (the static scan counts in it), the kernel's start-up, a margin."""
    limits = options.limits
    if limits is None:
        from . import checks

        limits = getattr(checks.load(exercise), "LIMITS", None) or Limits()
    return limits.deadline + limits.startup_timeout + TASK_MARGIN


class _Clock:
    """When each task started: at most ``slots`` run at once (a pool hands out one more task
    than it has workers), so a task's clock starts once it runs and a slot is free for it."""

    def __init__(self, slots: int | None):
        self.slots, self.started = slots, {}

    def overdue(self, pending: dict, bound) -> list:
        if self.slots is None:  # no bound (a Dask cluster: its queue and its workers are its own)
            return []
        now = time.monotonic()
        for future in pending:
            if future not in self.started and future.running() and len(self.started) < self.slots:
                self.started[future] = now
        return [f for f, t in self.started.items() if f in pending and now - t > bound(pending[f])]

    def forget(self, future) -> None:
        self.started.pop(future, None)


def _replace_pool(pool, make_pool):
    """Stop a local pool (:meth:`LocalPool.stop`: its workers clean up and go, or are killed),
    make sure its worker processes and the kernels below them are gone; a new pool."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    if hasattr(pool, "stop"):
        pool.stop()
    else:
        pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        kill_tree(process.pid)
    return make_pool()


def bounded_results(make_pool, jobs, submit, bound, slots: int | None):
    """Run every job as ``submit(pool, job)`` on a pool from ``make_pool()``; yield ``(job,
    future)`` as each ends, or ``(job, None)`` for a job that did not end within ``bound(job)``
    seconds of its start: then the pool's processes are killed and a new pool runs the jobs
    still pending. No job can hold up the others for longer than its bound. ``slots``: how
    many jobs run at once (``None``: no bound)."""
    pool = make_pool()
    try:
        pending = {submit(pool, job): job for job in jobs}
        clock = _Clock(slots)
        while pending:
            done, _ = wait(pending, timeout=_POLL, return_when=FIRST_COMPLETED)
            for future in done:
                clock.forget(future)
                yield pending.pop(future), future
            late = clock.overdue(pending, bound)
            if late:
                for future in late:
                    yield pending.pop(future), None
                pool = _replace_pool(pool, make_pool)
                pending, clock = {submit(pool, job): job for job in pending.values()}, _Clock(slots)
    except BaseException:  # interrupted (Ctrl-C, SIGTERM, SIGHUP): stop now, do not wait for the class
        pool.stop()
        raise
    pool.shutdown(wait=True, cancel_futures=True)


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


def _record(book: Gradebook, sub: Submission, result: GradingResult, options: BatchOptions, submitted: dict) -> None:
    """Record a result with its file's time; late penalties are a view (grader.standing)."""
    book.record(sub.trainee, sub.sha256, result, submitted_at=sub.mtime)


def _similarity(subs, out_dir: Path, options: BatchOptions) -> dict | None:
    """The similarity report over every current submission (graded now or before); evidence
    for the instructor, never a score change. ``None`` with ``--no-similarity``."""
    if not options.similarity:
        return None
    from .report import template_environment
    from .similarity_report import analyse_submissions, write_similarity

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
        todo = [s for s in subs if not book.is_current(s.trainee, s.exercise, s.sha256, seeds[s.path], __version__)]
        summary.skipped = len(subs) - len(todo)
        progress = _Progress(len(todo), options.progress)
        prewarm = not options.scheduler  # local worker processes: one notebook at a time each

        def submit(pool, s: Submission):
            return pool.submit(_grade_worker, str(s.path), s.exercise, seeds[s.path], options.lang,
                               limits=options.limits, prewarm=prewarm, kernel_python=options.kernel_python)

        for sub, future in bounded_results(lambda: _executor(options), todo, submit,
                                           lambda s: task_bound(options, s.exercise),
                                           None if options.scheduler else options.workers):
            seed = seeds[sub.path]
            try:
                if future is None:  # the worker hung: stopped and replaced
                    result = _unreadable(sub, seed, text("worker_timeout", options.lang,
                                                         seconds=f"{task_bound(options, sub.exercise):g}"),
                                         kind="worker-timeout")
                    summary.failed += 1
                else:
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

        write_reports(book, Path(out_dir), options.lang, similarity=_similarity(subs, out_dir, options))
    summary.seconds = time.monotonic() - started
    return summary

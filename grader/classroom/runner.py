"""The one batch runner: grades many notebooks in parallel, each in a fresh kernel, and hands
back each result as it ends. ``grader grade`` (:mod:`grader.classroom.batch`), ``grader ci``
(:mod:`grader.cli.ci`) and the pytest plugin (:mod:`grader.cli.pytest_plugin`) all go through it.

- **Where**: local worker processes (:class:`grader.classroom.lifeline.LocalPool`: they die with the
  coordinator, however it dies, and leave no folder), or the Dask cluster of
  ``RunOptions.scheduler`` (:mod:`grader.classroom.distributed`). Each task is :func:`grade_job`.
- **Prewarming**: a local worker starts its next kernel while a notebook runs (:mod:`grader.kernel.prewarm`),
  except during the run's last ``workers`` notebooks, after which no worker needs another kernel.
- **Order**: the longest first (by each job's bound), so a training exercise does not end the run alone.
- **Per-notebook bound** (:func:`task_bound`): a local task that has not returned within its
  notebook's deadline, kernel start-up and a margin is reported as timed out, the pool's
  processes (and their kernels) are killed and a new pool runs what is left.
- **Interrupts**: Ctrl-C, SIGTERM, SIGHUP (in the main thread: :func:`grader.classroom.lifeline.signals_interrupt`)
  or :meth:`Runner.stop` (another thread) stop the pool at once; results already handed out stay
  with the caller, who decides what to keep (``grader grade`` exits 130).
- **The loop** over a pool (bounds, replacement, interrupts held while it touches the futures):
  :func:`grader.classroom.bounded.bounded_results`.
"""
from __future__ import annotations

import os
from contextlib import closing
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from grader.classroom.bounded import Pools, bounded_results
from grader.errors import NotebookError
from grader.kernel.limits import Limits

__all__ = ["Job", "RunOptions", "Outcome", "Runner", "run_jobs", "grade_job", "make_pool", "task_bound",
           "bounded_results", "TASK_MARGIN"]

TASK_MARGIN = 60.0  # seconds a worker gets beyond a notebook's deadline and kernel start-up


@dataclass(frozen=True, eq=False)  # compared by identity: a job is one submission of one run
class Job:
    path: str
    exercise: str
    seed: int
    tag: object = None  # the caller's own record of it (a Submission, a CI job, a path); never sent to a worker


@dataclass(frozen=True)
class RunOptions:
    workers: int = os.cpu_count() or 1
    lang: str = "ja"
    limits: Limits | None = None  # None: each exercise's own limits (its LIMITS)
    kernel_python: str | None = None  # the kernels' interpreter; None: the grader's own
    scheduler: str | None = None  # tcp://HOST:PORT of a Dask scheduler; None: local worker processes
    prewarm: bool = True  # local workers start their next kernel while a notebook runs


@dataclass(frozen=True)
class Outcome:
    """How one job ended: its ``result`` (a :class:`~grader.grading.results.GradingResult`), or the
    ``exception`` that stopped it, or ``timed_out`` (no result within ``bound`` seconds)."""

    job: Job
    result: object = None
    exception: BaseException | None = None
    timed_out: bool = False
    bound: float = 0.0

    @property
    def error(self) -> str | None:
        """Why there is no result, in one line (English); ``None`` when there is one."""
        if self.result is not None:
            return None
        if self.timed_out:
            return f"the worker did not return within {self.bound:g} s: stopped and replaced"
        return f"{type(self.exception).__name__}: {self.exception}"


# ---------------------------------------------------------------- in a worker process

_prewarmer = None  # in a local worker process: its next kernel, started while a notebook runs


def _worker_prewarmer():
    """This worker process's :class:`~grader.kernel.prewarm.Prewarmer`, closed (the unused kernel
    ended, its uid slot and folders released) when the worker process exits."""
    global _prewarmer
    if _prewarmer is None:
        from multiprocessing.util import Finalize

        from grader.kernel.prewarm import Prewarmer

        _prewarmer = Prewarmer()
        Finalize(None, _prewarmer.close, exitpriority=100)  # run by the worker's normal exit
    return _prewarmer


def grade_job(path: str, exercise: str, seed: int, lang: str, data: bytes | None = None,
              limits: Limits | None = None, prewarm: bool = False, kernel_python: str | None = None) -> str:
    """Runs in a worker process: returns the result as JSON (no pickled objects). ``data``: the
    notebook's bytes, sent to workers on other machines that cannot read ``path``. ``prewarm``
    (a local worker process running one notebook at a time): the kernel was started during the
    previous notebook, and the next one starts while this one runs."""
    from grader.grading.grade import grade_parsed
    from grader.grading.notebook import MAX_NOTEBOOK_BYTES, parse_notebook, read_notebook

    if data is not None and len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(path, f"file is larger than the limit of {MAX_NOTEBOOK_BYTES:,} bytes")
    nb = read_notebook(path) if data is None else parse_notebook(data, path)
    prewarmer = _worker_prewarmer() if prewarm else None
    result = grade_parsed(nb, path, exercise, seed=seed, lang=lang, limits=limits, prewarmer=prewarmer,
                          kernel_python=kernel_python)
    if prewarmer is not None:
        prewarmer.events.append(("done", 0))
    return result.to_json()


# ---------------------------------------------------------------- pools and bounds

def make_pool(options: RunOptions):
    """Where the notebooks run: local worker processes, or the Dask cluster of ``options.scheduler``."""
    if options.scheduler:
        from grader.classroom.distributed import dask_executor

        return dask_executor(options.scheduler)
    from grader.classroom.lifeline import LocalPool

    return LocalPool(max(1, options.workers))  # its workers die with this process (grader.classroom.lifeline)


def task_bound(options, exercise: str) -> float:
    """Seconds within which a worker must return one notebook's result (its clock starts when
    it runs): the deadline (the static scan counts in it), the kernel's start-up, a margin.
    ``options``: anything with a ``limits`` (``None``: the exercise's own)."""
    limits = options.limits
    if limits is None:
        from grader.course import checks

        limits = getattr(checks.load(exercise), "LIMITS", None) or Limits()
    return limits.deadline + limits.startup_timeout + TASK_MARGIN


# ---------------------------------------------------------------- the runner

class Runner:
    """``Runner(options).run(jobs)`` yields each job's :class:`Outcome` as it ends;
    :meth:`stop` (from another thread) ends the run at once."""

    def __init__(self, options: RunOptions):
        self.options = options
        self._pools = Pools(lambda: make_pool(options))
        self._bounds: dict[str, float] = {}
        self._warm: set[Job] = set()  # the jobs during which a worker starts its next kernel

    def bound(self, exercise: str) -> float:
        if exercise not in self._bounds:
            self._bounds[exercise] = task_bound(self.options, exercise)
        return self._bounds[exercise]

    def _submit(self, pool, job: Job):
        o = self.options
        return pool.submit(grade_job, job.path, job.exercise, job.seed, o.lang, limits=o.limits,
                           prewarm=job in self._warm, kernel_python=o.kernel_python)

    def _outcome(self, job: Job, future) -> Outcome:
        if future is None:  # the worker hung: stopped and replaced
            return Outcome(job, timed_out=True, bound=self.bound(job.exercise))
        from grader.grading.results import GradingResult

        try:
            return Outcome(job, result=GradingResult.from_json(future.result()))
        except Exception as exc:  # an unreadable notebook, a grader bug, a dead worker: the caller decides
            return Outcome(job, exception=exc)

    def run(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        """Grade ``jobs`` (the longest first); yield each :class:`Outcome` as its job ends."""
        from grader.classroom.lifeline import deferred_interrupts, signals_interrupt

        order = sorted(jobs, key=lambda j: -self.bound(j.exercise))  # stable: the caller's order otherwise
        slots = None if self.options.scheduler else self.options.workers
        self._warm = set(order[:max(0, len(order) - slots)]) if self.options.prewarm and slots else set()
        with signals_interrupt():  # SIGTERM/SIGHUP take Ctrl-C's way out (main thread only)
            for job, future in bounded_results(None, order, self._submit, lambda j: self.bound(j.exercise),
                                               slots, self._pools):
                with deferred_interrupts():  # reads the future (its lock): not to be left halfway
                    outcome = self._outcome(job, future)
                yield outcome

    def stop(self) -> None:
        """End the run now: cancel what has not started, stop the workers and their kernels."""
        self._pools.stop()


def run_jobs(jobs: Iterable[Job], options: RunOptions,
             on_result: Callable[[Outcome, int, int], None] | None = None) -> list[Outcome]:
    """Grade every job; ``on_result(outcome, done, total)`` as each ends. The outcomes, in the
    order they ended. An interrupt (``KeyboardInterrupt``) propagates once the workers are stopped."""
    jobs = list(jobs)
    outcomes = []
    with closing(Runner(options).run(jobs)) as run:  # an exception in on_result stops the workers too
        for outcome in run:
            outcomes.append(outcome)
            if on_result is not None:
                on_result(outcome, len(outcomes), len(jobs))
    return outcomes

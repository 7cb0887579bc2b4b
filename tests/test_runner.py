"""The one batch runner (grader.classroom.runner), used by ``grader grade``, ``grader ci`` and the pytest
plugin. Kernels are not needed here: unreadable notebooks fail in the worker before any
kernel starts; what a real class does (bounds, interrupts, a killed coordinator, Dask) is in
test_batch, test_integrity_attacks, test_killed_grader and test_dask."""
from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import psutil

import grader
from grader.errors import NotebookError
from grader.classroom.runner import Job, RunOptions, Runner, run_jobs, task_bound


def test_outcomes_come_back_longest_first_with_the_callback(tmp_path):
    short, long = tmp_path / "a_4_4.ipynb", tmp_path / "b_4_7.ipynb"
    short.write_text("not a notebook")
    long.write_bytes(b"")
    options = RunOptions(workers=1, lang="en")
    assert task_bound(options, "4_7") > task_bound(options, "4_4")
    seen = []
    jobs = [Job(str(short), "4_4", 1, tag="short"), Job(str(long), "4_7", 1, tag="long")]
    outcomes = run_jobs(jobs, options, on_result=lambda o, done, total: seen.append((o.job.tag, done, total)))
    # one worker runs them in the order submitted: the longest exercise first
    assert seen == [("long", 1, 2), ("short", 2, 2)]
    assert [o.job for o in outcomes] == [jobs[1], jobs[0]]
    for outcome in outcomes:
        assert outcome.result is None and not outcome.timed_out
        assert isinstance(outcome.exception, NotebookError)
        assert outcome.error.startswith("NotebookError: ")


class _Sleeper(Runner):
    """Every task sleeps: a run that only :meth:`Runner.stop` can end."""

    def _submit(self, pool, job):
        return pool.submit(time.sleep, 600)


def test_stop_from_another_thread_ends_the_run_and_its_workers(tmp_path):
    runner = _Sleeper(RunOptions(workers=2, lang="en", prewarm=False))
    outcomes, workers = [], []

    def run():
        outcomes.extend(runner.run([Job(str(tmp_path / f"{i}.ipynb"), "4_4", 1) for i in range(4)]))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    for _ in range(600):  # the pool's workers started
        pool = runner._pools.pool
        workers = list((getattr(pool, "_processes", None) or {}).values())
        if len(workers) == 2:
            break
        time.sleep(0.1)
    assert len(workers) == 2
    runner.stop()
    thread.join(120)
    assert not thread.is_alive(), "the run did not stop"
    assert all(o.result is None for o in outcomes)  # nothing graded, nothing invented
    for worker in workers:
        assert not psutil.pid_exists(worker.pid) or psutil.Process(worker.pid).status() == psutil.STATUS_ZOMBIE


def test_no_module_imports_the_runners_private_names():
    """grade, ci and the plugin use the runner's public names only."""
    package = Path(grader.__file__).parent
    owners = {"batch", "runner", "lifeline", "distributed"}
    found = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level and (node.module or "").split(".")[-1] in owners:
                if path.stem != node.module.split(".")[-1]:
                    found += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
    assert found == []


class _PrewarmRecorder(Runner):
    """Records the ``prewarm`` each job is submitted with; the task itself returns at once."""

    def __init__(self, options):
        super().__init__(options)
        self.prewarm = {}

    def _submit(self, pool, job):
        runner = self

        class Recording:
            def submit(self, fn, *args, **kwargs):
                runner.prewarm[job.tag] = kwargs["prewarm"]
                return pool.submit(time.sleep, 0)

        return super()._submit(Recording(), job)


def test_no_worker_starts_a_kernel_it_will_not_use(tmp_path):
    """A worker starts its next kernel while it grades, except during the run's last ``workers``
    notebooks (in the run's order: the longest first), after which no worker needs one."""
    def jobs(n):
        return [Job(str(tmp_path / f"{i}.ipynb"), "4_7" if i == n - 1 else "4_4", 1, tag=i) for i in range(n)]

    def warm(n, **options):
        runner = _PrewarmRecorder(RunOptions(lang="en", **options))
        list(runner.run(jobs(n)))
        return runner.prewarm

    # the 4_7 job runs first (the longest), then the 4_4 jobs in the caller's order
    assert warm(5, workers=2) == {4: True, 0: True, 1: True, 2: False, 3: False}
    assert warm(3, workers=1) == {2: True, 0: True, 1: False}
    assert warm(2, workers=2) == {1: False, 0: False}
    assert warm(1, workers=4) == {0: False}
    assert warm(5, workers=2, prewarm=False) == dict.fromkeys(range(5), False)

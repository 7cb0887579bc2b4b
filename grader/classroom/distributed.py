"""Grading on a Dask distributed cluster: ``grader grade ... --scheduler tcp://HOST:PORT``.

Only *where* the notebooks run changes. The coordinator (the ``grader grade`` process)
discovers the class, skips what is already graded, and alone writes the gradebook as the
results come back, exactly as with local worker processes (:mod:`grader.classroom.runner`). Each task
is the same :func:`grader.classroom.runner.grade_job` call as locally, with every limit of the local
runner, plus the notebook's bytes: the workers need this package and MNIST, not the
coordinator's disk.

Tasks are submitted with ``pure=False`` (a resubmitted notebook is graded again, never taken
from a cache) and ``retries=2``. When a worker dies, the scheduler gives its tasks to other
workers (up to ``distributed.scheduler.allowed-failures`` deaths per task); a result reaches
the gradebook once per ``(trainee, exercise)``, its primary key.

The coordinator's local pieces are the ``Client`` and its threads, in the coordinator's own
process: they end with it, however it ends (nothing is forked here). An interrupted run
(Ctrl-C, SIGTERM, SIGHUP) cancels its unfinished tasks (:meth:`DaskExecutor.stop`); a
coordinator killed outright leaves them to the scheduler, which releases the tasks of a
client that is gone. Each worker removes the temp folders of a notebook when it is done with
it, and the next grading on that machine sweeps those of a worker process that died
(:mod:`grader.kernel.tempdirs`).

``distributed`` is an optional dependency: ``pip install "day4-grader[dask]"``.
"""
from __future__ import annotations

import concurrent.futures as cf
import sys

from grader.errors import UsageError
from grader.grading.notebook import MAX_NOTEBOOK_BYTES

__all__ = ["DaskExecutor", "dask_executor", "RETRIES", "CONNECT_TIMEOUT"]

RETRIES = 2
CONNECT_TIMEOUT = "20s"


def _read_capped(path: str) -> bytes:
    """The notebook's bytes, at most one byte past the size limit (the worker then refuses it)."""
    try:
        with open(path, "rb") as f:
            return f.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError:
        return b""  # the worker reports it as an empty, unreadable notebook


class DaskExecutor(cf.Executor):
    """A ``concurrent.futures`` executor on a Dask ``Client``: ``submit(fn, path, *args)`` runs
    ``fn(path, *args, data=<the bytes of path>)`` on some worker and returns a
    ``concurrent.futures.Future``, so the runner waits on it as on a local one."""

    def __init__(self, client):
        self.client = client
        self._inner = client.get_executor(pure=False, retries=RETRIES)

    def submit(self, fn, path, /, *args, **kwargs):
        return self._inner.submit(fn, path, *args, data=_read_capped(path), **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Close the client; its unfinished tasks are then released by the scheduler."""
        try:
            self._inner.shutdown(wait=wait and not cancel_futures)
        finally:
            self.client.close()

    def stop(self) -> None:
        """Interrupted: cancel every unfinished task and close the client (see :mod:`grader.classroom.runner`)."""
        self.shutdown(wait=False, cancel_futures=True)

    def __exit__(self, exc_type, exc, tb):
        # an interrupted run cancels what is left: a rerun resumes from the gradebook
        self.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)
        return False


def dask_executor(address: str) -> DaskExecutor:
    """Connect to the scheduler at ``address`` (``tcp://HOST:PORT``)."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask distributed: pip install \"day4-grader[dask]\"") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--scheduler {address}: cannot connect to a Dask scheduler ({exc})") from None
    workers = client.scheduler_info().get("workers", {})
    if not workers:
        print(f"grader: the scheduler at {address} has no workers yet; the notebooks wait for one "
              f"(start some with: dask worker {address} --nthreads 1)", file=sys.stderr)
    return DaskExecutor(client)

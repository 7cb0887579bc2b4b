"""Prewarmed kernels in batch workers: the next notebook's kernel starts while one runs,
results are those of kernels started on demand, nothing is left behind."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from grader.classroom import runner
from grader.classroom.batch import BatchOptions, grade_class
from grader.classroom.runner import grade_job
from nbfactory import make_notebook
from test_grader_4_4 import COL2IM, IM2COL

pytestmark = pytest.mark.slow


def _kernel_processes(roots) -> set[int]:
    """Live processes (from /proc) whose command line names one of the kernel folders ``roots``."""
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().decode(errors="replace")
            state = next(line.split()[1] for line in Path(f"/proc/{name}/status").read_text().splitlines()
                         if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if state not in ("Z", "X") and any(str(root) in cmdline for root in roots):
            found.add(int(name))
    return found


def _temp_folders() -> set[str]:
    return {n for n in os.listdir(tempfile.gettempdir()) if n.startswith(("day4-grader-", "day4-kernel-"))}


def _comparable(result: str) -> dict:
    data = json.loads(result)
    data.pop("timings", None)
    return data


def test_prewarmed_kernels_in_one_worker(tmp_path):
    paths = [str(make_notebook(tmp_path / f"nb{i}.ipynb", [IM2COL, COL2IM if i != 1 else COL2IM.replace("+=", "=")],
                               exercise="4_4")) for i in range(3)]
    try:
        warm = [grade_job(p, "4_4", 11, "en", prewarm=True) for p in paths]
        events = list(runner._prewarmer.events)
        # notebook k+1's kernel is started before notebook k is done; each kernel is taken once
        assert events == [("start", events[0][1]), ("take", events[0][1])] + sum(
            ([("start", events[0][1] + k + 1), ("done", 0), ("take", events[0][1] + k + 1)] for k in range(2)), []
        ) + [("start", events[0][1] + 3), ("done", 0)]
        unused = runner._prewarmer.next
        assert _kernel_processes([unused.root])  # the unused next kernel is running
    finally:
        runner._prewarmer.close()
        runner._prewarmer = None
    assert not _kernel_processes([unused.root])
    assert not unused.root.exists() and not unused.base.exists()
    cold = [grade_job(p, "4_4", 11, "en") for p in paths]
    assert [_comparable(r) for r in warm] == [_comparable(r) for r in cold]
    assert json.loads(warm[0])["protections"] == json.loads(cold[0])["protections"]
    assert json.loads(warm[1])["score"] < json.loads(warm[0])["score"]


def test_pool_workers_leave_nothing(tmp_path):
    for i in range(4):
        (tmp_path / "class" / f"t{i}").mkdir(parents=True)
        make_notebook(tmp_path / "class" / f"t{i}" / "4_4.ipynb", [IM2COL, COL2IM], exercise="4_4")
    options = BatchOptions(workers=2, seed=11, exercises=("4_4",), lang="en", progress=False)
    summary = grade_class(tmp_path / "class", tmp_path / "out", options)
    assert summary.graded == 4 and summary.failed == 0
    # no process of a finished grading is left: every kernel process names a folder that still
    # exists (another grader's running grading; none when this test runs alone)
    tmp = Path(tempfile.gettempdir())
    for pid in _kernel_processes([tmp / "day4-kernel-"]):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        assert any(str(tmp / n) in cmdline for n in _temp_folders()), cmdline[:300]

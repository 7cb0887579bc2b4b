"""``grader grade --scheduler``: notebooks run on a real ``distributed.LocalCluster`` of two
worker processes; the coordinator alone writes the gradebook. The gradebook equals the local
run's, and a worker killed mid-run costs nothing: its notebooks are graded elsewhere, once."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import psutil
import pytest
from distributed import Client, LocalCluster

import grader.classroom.distributed
from grader.classroom.batch import BatchOptions, grade_class
from grader.cli.commands import main
from nbfactory import make_notebook
from test_grader_4_4 import COL2IM, IM2COL

# under pytest-xdist the module on one worker: one LocalCluster (two at once fight over a port)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dask")]
SEED = 7
OPTIONS = BatchOptions(workers=2, seed=SEED, exercises=("4_4",), lang="en", progress=False)
EXPECTED_SCORE = {True: 10.0, False: 7.0}


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      worker_dashboard_address=None) as local:
        yield local


@pytest.fixture
def client(cluster):
    with Client(cluster.scheduler_address, set_as_default=False) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


def _class(root: Path, n: int) -> dict[str, bool]:
    """``n`` trainees, alternately right and with a col2im that overwrites (7 of 10)."""
    root.mkdir()
    right = {}
    for i in range(n):
        right[f"t{i}"] = i % 2 == 0
        code = COL2IM if right[f"t{i}"] else COL2IM.replace("] += col[", "] = col[")
        make_notebook(root / f"t{i}_4_4.ipynb", [IM2COL, code], exercise="4_4")
    return right


def _book(out: Path) -> dict:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return {(t, e): (s, [c["id"] for c in json.loads(checks) if not c["passed"]])
                for t, e, s, checks in db.execute("SELECT trainee, exercise, score, checks_json FROM grades")}


def test_gradebook_equals_the_local_run(tmp_path, cluster, client, capsys):
    right = _class(tmp_path / "class", 4)
    local = grade_class(tmp_path / "class", tmp_path / "local", OPTIONS)
    code = main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "dask"), "--seed", str(SEED),
                 "--exercises", "4_4", "--lang", "en", "--scheduler", cluster.scheduler_address])
    assert code == 0 and local.failed == 0
    assert "graded 4, unchanged 0, grader failures 0" in capsys.readouterr().out
    assert _book(tmp_path / "dask") == _book(tmp_path / "local")
    assert {t: s for (t, _), (s, _) in _book(tmp_path / "dask").items()} == {t: EXPECTED_SCORE[r] for t, r in right.items()}
    assert (tmp_path / "dask" / "index.html").is_file()
    again = grade_class(tmp_path / "class", tmp_path / "dask", BatchOptions(**{**OPTIONS.__dict__,
                                                                             "scheduler": cluster.scheduler_address}))
    assert (again.graded, again.skipped) == (0, 4)  # resumable exactly as locally


def _kill_a_busy_worker(client: Client, killed: dict, stop: threading.Event) -> None:
    """Wait until a worker is grading a notebook, then SIGKILL it and its kernel (a machine lost)."""
    pids = client.run(os.getpid)
    while not stop.is_set():
        busy = [address for address, keys in client.processing().items() if keys]
        worker = psutil.Process(pids[busy[0]]) if busy else None
        if worker is not None and worker.children():  # its kernel is running a notebook
            time.sleep(0.3)
            family = [worker] + worker.children(recursive=True)
            for proc in family:
                try:
                    proc.send_signal(signal.SIGKILL)
                except psutil.NoSuchProcess:
                    pass
            killed.update(address=busy[0], pid=worker.pid, processes=len(family))
            return
        time.sleep(0.05)


def test_a_killed_worker_loses_nothing_and_grades_nothing_twice(tmp_path, client, cluster):
    right = _class(tmp_path / "class", 6)
    killed: dict = {}
    stop = threading.Event()
    killer = threading.Thread(target=_kill_a_busy_worker, args=(client, killed, stop), daemon=True)
    killer.start()
    try:
        summary = grade_class(tmp_path / "class", tmp_path / "out",
                              BatchOptions(**{**OPTIONS.__dict__, "scheduler": cluster.scheduler_address}))
    finally:
        stop.set()
        killer.join(30)
    assert killed.get("processes", 0) >= 2, killed  # the worker and its kernel
    assert not psutil.pid_exists(killed["pid"]) or psutil.Process(killed["pid"]).status() == psutil.STATUS_ZOMBIE
    assert (summary.graded, summary.failed) == (6, 0)
    book = _book(tmp_path / "out")
    assert {t: s for (t, _), (s, _) in book.items()} == {t: EXPECTED_SCORE[r] for t, r in right.items()}
    with sqlite3.connect(tmp_path / "out" / "gradebook.sqlite") as db:
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT trainee) FROM grades").fetchone() == (6, 6)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def test_unreachable_scheduler_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(grader.classroom.distributed, "CONNECT_TIMEOUT", "1s")
    (tmp_path / "class").mkdir()
    make_notebook(tmp_path / "class" / "t0_4_4.ipynb", [IM2COL, COL2IM], exercise="4_4")
    code = main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--seed", "1",
                 "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "cannot connect to a Dask scheduler" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["local", "dask"])
def test_an_unreadable_notebook_is_recorded_and_breaks_nothing(tmp_path, cluster, where):
    """The worker's NotebookError crosses the process boundary (it used to break the local pool)."""
    root = tmp_path / "class"
    root.mkdir()
    (root / "mallory_4_4.ipynb").write_text("{not json", encoding="utf-8")
    make_notebook(root / "t0_4_4.ipynb", [IM2COL, COL2IM], exercise="4_4")
    scheduler = cluster.scheduler_address if where == "dask" else None
    summary = grade_class(root, tmp_path / "out", BatchOptions(**{**OPTIONS.__dict__, "scheduler": scheduler}))
    assert (summary.graded, summary.failed) == (2, 0)
    with sqlite3.connect(tmp_path / "out" / "gradebook.sqlite") as db:
        rows = dict(db.execute("SELECT trainee, errors_json FROM grades"))
    assert json.loads(rows["t0"]) == []
    assert "not valid JSON" in json.loads(rows["mallory"])[0]["message"]

"""A killed grader leaves nothing behind (issue 18).

The temp-folder sweep's rules are checked in-process (fast). The kill tests start ``grader
grade --workers 2`` on the sample class in a session of its own with a private ``TMPDIR``,
wait until a worker has a notebook in flight *and* its next, prewarmed kernel waiting, then
end the coordinator with SIGKILL (an out-of-memory killer, a CI timeout), SIGTERM (``kill``)
or SIGINT (Ctrl-C, sent to the whole process group as a terminal does). Then no process of
that run may be left (found by descent from the coordinator while it ran, and by the private
``TMPDIR`` in any process's environment or command line), and after the next run no temp
folder of either run."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from grader.kernel import tempdirs

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "exercises" / "samples"
GONE_WITHIN = 30.0  # seconds: a liveness bound (it takes well under a second), not a benchmark
START_WITHIN = 240.0  # seconds for the first notebook to be in flight with a prewarmed kernel


# ---- the sweep's rules (no kernel) ---------------------------------------------------------

def _folder(where: Path, kind: str, owner: dict | None) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"day4-{kind}-", dir=where))
    if owner is not None:
        (path / tempdirs.OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
    (path / "work").mkdir()
    (path / "work" / "file").write_text("x")
    return path


def _dead_identity() -> dict:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = tempdirs.process_identity(child.pid)
    child.wait()
    return identity


def test_sweep_removes_dead_owners_only(tmp_path):
    me = tempdirs.process_identity()
    dead = _folder(tmp_path, "grader", _dead_identity())
    reused = _folder(tmp_path, "kernel", dict(me, start=me["start"] - 1))  # our pid, another process
    other_boot = _folder(tmp_path, "kernel", dict(me, boot="another-boot"))
    live = _folder(tmp_path, "grader", me)
    young = _folder(tmp_path, "grader", None)  # no owner record (an older grader, or being made)
    old = _folder(tmp_path, "kernel", None)
    os.utime(old, (time.time() - tempdirs.UNOWNED_AGE - 60,) * 2)
    garbled = _folder(tmp_path, "grader", None)
    (garbled / tempdirs.OWNER_FILE).write_text("{not json")
    foreign = _folder(tmp_path, "other", _dead_identity())  # not our prefix
    target = _folder(tmp_path, "target", None)
    link = tmp_path / "day4-grader-link"
    link.symlink_to(target)  # a link is never followed nor removed
    removed = set(tempdirs.sweep(tmp_path))
    assert removed == {dead, reused, other_boot, old}
    for path in (live, young, garbled, foreign, target, link):
        assert path.exists() and (path / "work" / "file").exists()
    assert not any(p.exists() for p in removed)


def test_made_folders_are_owned_and_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # as $TMPDIR would
    with tempdirs.temporary("grader") as path:
        assert path.parent == tmp_path and path.name.startswith("day4-grader-")
        assert os.stat(path).st_mode & 0o777 == 0o711
        owner = json.loads((path / tempdirs.OWNER_FILE).read_text())
        assert owner == tempdirs.process_identity() and tempdirs.owner_alive(owner)
        assert tempdirs.sweep(tmp_path) == []  # its owner, this process, is alive
    assert not path.exists()
    with pytest.raises(ValueError):
        tempdirs.make("elsewhere")


def test_root_falls_back_to_tmp_when_too_long_for_sockets(tmp_path, monkeypatch):
    long = tmp_path / ("x" * tempdirs.MAX_ROOT_LENGTH)
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    assert tempdirs.root() == Path("/tmp")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert tempdirs.root() == tmp_path or len(str(tmp_path)) > tempdirs.MAX_ROOT_LENGTH


# ---- the lifeline alone (no kernel) --------------------------------------------------------

_COORDINATOR = """
import os, sys, time
from pathlib import Path
from grader.kernel import tempdirs
from grader.classroom.lifeline import LocalPool

def hold(report):
    folder = tempdirs.make("grader")
    Path(report, str(os.getpid())).write_text(str(folder))
    time.sleep(600)

if __name__ == "__main__":
    pool = LocalPool(2)
    futures = [pool.submit(hold, sys.argv[1]) for _ in range(2)]
    time.sleep(600)
"""


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=lambda s: s.name)
def test_workers_and_their_folders_go_with_the_coordinator(private_tmp, signum):
    script, report = private_tmp / "coordinator.py", private_tmp / "report"
    script.write_text(_COORDINATOR)
    report.mkdir()
    env = dict(os.environ, TMPDIR=str(private_tmp))
    proc = subprocess.Popen([sys.executable, str(script), str(report)], env=env, cwd=private_tmp,
                            start_new_session=True, stdout=subprocess.DEVNULL)
    seen: dict[int, float] = {}
    try:
        started = time.monotonic()
        while len(os.listdir(report)) < 2 and time.monotonic() - started < START_WITHIN:
            time.sleep(0.05)
        workers = {int(name): Path((report / name).read_text()) for name in os.listdir(report)}
        assert len(workers) == 2 and all(folder.is_dir() for folder in workers.values())
        for p in psutil.Process(proc.pid).children(recursive=True):
            seen[p.pid] = p.create_time()
        assert set(workers) <= set(seen)
        os.kill(proc.pid, signum)
        proc.wait(GONE_WITHIN)
        left = _wait_all_gone(seen, str(private_tmp))
        assert not left, "\n".join(left)  # the workers, the forkserver, the resource tracker
        assert _day4_folders(private_tmp) == []  # the workers' and the coordinator's own (day4-pool-*)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for line in _left(seen, str(private_tmp)):
            try:
                os.kill(int(line.split(":")[0]), signal.SIGKILL)
            except OSError:
                pass


# ---- killing a real batch ------------------------------------------------------------------

@pytest.fixture
def private_tmp():
    """A short private TMPDIR (the kernels' socket paths live below it)."""
    path = Path(tempfile.mkdtemp(prefix="day4t-", dir="/tmp" if os.path.isdir("/tmp") else None))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _grade(submissions: Path, out: Path, tmp: Path, workers: int = 2) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONUNBUFFERED="1")
    with open(tmp / f"{out.name}.stderr", "wb") as err:
        return subprocess.Popen([sys.executable, "-m", "grader.cli.commands", "grade", str(submissions), "--out", str(out),
                                 "--workers", str(workers), "--lang", "en"],
                                cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)


def _cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def _prewarmed_in_flight(tree: list[psutil.Process]) -> bool:
    """Some worker has two kernel launchers: a notebook in flight and its next kernel."""
    outer: dict[int, int] = {}
    for p in tree:
        try:
            if "grader.kernel.launcher" in _cmdline(p) and "grader.kernel.launcher" not in _cmdline(p.parent()):
                outer[p.ppid()] = outer.get(p.ppid(), 0) + 1
        except psutil.Error:
            continue
    return any(n >= 2 for n in outer.values())


def _watch_until_prewarmed(proc: subprocess.Popen, seen: dict) -> None:
    """Record every descendant of the coordinator until the moment to kill it has come."""
    coordinator = psutil.Process(proc.pid)
    started = time.monotonic()
    while time.monotonic() - started < START_WITHIN:
        if proc.poll() is not None:
            pytest.fail(f"the batch ended (exit {proc.returncode}) before a prewarmed kernel was seen")
        try:
            tree = coordinator.children(recursive=True)
        except psutil.Error:
            tree = []
        for p in tree:
            try:
                seen[p.pid] = p.create_time()
            except psutil.Error:
                pass
        if _prewarmed_in_flight(tree):
            return
        time.sleep(0.1)
    pytest.fail("no notebook in flight with a prewarmed kernel")


def _marked(p: psutil.Process, marker: str) -> bool:
    try:
        return marker in _cmdline(p) or p.environ().get("TMPDIR") == marker
    except psutil.Error:
        return False


def _left(seen: dict, marker: str) -> list[str]:
    """The run's processes still alive (zombies are dead): descendants seen while it ran, and
    any process naming its private TMPDIR."""
    left = {}
    for pid, created in seen.items():
        try:
            p = psutil.Process(pid)
            if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                left[pid] = _cmdline(p)
        except psutil.Error:
            pass
    for p in psutil.process_iter():
        try:
            if p.pid not in left and p.pid != os.getpid() and p.status() != psutil.STATUS_ZOMBIE and _marked(p, marker):
                left[p.pid] = _cmdline(p)
        except psutil.Error:
            pass
    return [f"{pid}: {cmd[:160]}" for pid, cmd in sorted(left.items())]


def _wait_all_gone(seen: dict, marker: str) -> list[str]:
    started = time.monotonic()
    while (left := _left(seen, marker)) and time.monotonic() - started < GONE_WITHIN:
        time.sleep(0.1)
    return left


def _day4_folders(tmp: Path) -> list[str]:
    return sorted(n for n in os.listdir(tmp) if n.startswith("day4-"))


def _one_notebook_class(tmp: Path) -> Path:
    root = tmp / "next-class" / "t01_sato"
    root.mkdir(parents=True)
    shutil.copy(SAMPLES / "t01_sato" / "4_1_convolution.ipynb", root)
    return root.parent


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_killed_batch_leaves_nothing(private_tmp, signum):
    seen: dict[int, float] = {}
    marker = str(private_tmp)
    proc = _grade(SAMPLES, private_tmp / "out", private_tmp)
    try:
        _watch_until_prewarmed(proc, seen)
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)  # Ctrl-C: the terminal's whole foreground process group
        else:
            os.kill(proc.pid, signum)
        proc.wait(GONE_WITHIN + 30)
        left = _wait_all_gone(seen, marker)
        assert not left, f"left running after {signum.name}:\n" + "\n".join(left)
        stderr = (private_tmp / "out.stderr").read_text(errors="replace")
        if signum == signal.SIGKILL:
            assert proc.returncode == -signal.SIGKILL
        else:  # an orderly end: exit 130, no traceback, and its own folders already removed
            assert proc.returncode == 130, stderr
            assert "Traceback" not in stderr, stderr
            assert _day4_folders(private_tmp) == []
        after_first = _day4_folders(private_tmp)
        nxt = _grade(_one_notebook_class(private_tmp), private_tmp / "next", private_tmp)
        assert nxt.wait(300) == 0, (private_tmp / "next.stderr").read_text(errors="replace")
        assert _day4_folders(private_tmp) == [], f"left by the killed run: {after_first}"
        assert not _wait_all_gone({}, marker)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for line in _left(seen, marker):  # never leak into the other tests
            try:
                os.kill(int(line.split(":")[0]), signal.SIGKILL)
            except OSError:
                pass

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


def _ctrl_c_as_in_a_terminal() -> None:
    """In the child before it runs: SIGINT with its default disposition and not blocked, as in
    a terminal's foreground job. A disposition and a signal mask are inherited: a pytest started
    by a non-interactive shell in the background (or by a tool that ignores SIGINT) passes SIGINT
    ignored to its children, Python then keeps it ignored, and Ctrl-C (rightly) does nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


# how each coordinator below is started: a session of its own, Ctrl-C as in a terminal
TERMINAL_JOB = {"start_new_session": True, "preexec_fn": _ctrl_c_as_in_a_terminal}


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


def test_made_folders_are_owned_and_removed(private_tmp, monkeypatch):
    tmp_path = private_tmp  # short: a pytest-xdist worker's tmp_path can be too long a root (MAX_ROOT_LENGTH)
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
                            stdout=subprocess.DEVNULL, **TERMINAL_JOB)
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


# ---- Ctrl-C at the moment that hung (no kernel) ----------------------------------------------
# An interrupt raised while the coordinator's main thread held a Future's lock (taken in
# concurrent.futures.wait, Future.running, Future.result...) left that lock taken: the pool's
# manager thread then waited on it for good, and so did the interpreter's exit, which joins that
# thread. Here every future's lock delivers a Ctrl-C (signal.raise_signal: the handler runs before
# it returns) the n-th time the main thread takes one, once the run reaches a given point: at
# the start (the workers are starting), after the first result, after a hung task's pool was
# replaced. The coordinator must then exit with 130 and leave no worker.

_TRIPPING = """
import os, signal, sys, threading, time
from concurrent.futures import _base
from grader.classroom.runner import Job, RunOptions, Runner

TRIP_AT, WHEN = int(sys.argv[1]), sys.argv[2]
MAIN = threading.main_thread()
state = {"armed": WHEN == "start", "taken": 0, "tripped": False}


def trip():
    if state["armed"] and not state["tripped"] and threading.current_thread() is MAIN:
        state["taken"] += 1
        if state["taken"] == TRIP_AT:
            state["tripped"] = True
            frames, f = [], sys._getframe(2)
            while f is not None and len(frames) < 4:
                frames.append(f"{f.f_code.co_name}:{f.f_lineno}")
                f = f.f_back
            print("tripped in", " < ".join(frames), flush=True)
            signal.raise_signal(signal.SIGINT)


class TrippingLock:
    def __init__(self):
        self._lock = threading.RLock()
        self._is_owned = self._lock._is_owned
        self._release_save = self._lock._release_save
        self._acquire_restore = self._lock._acquire_restore

    def acquire(self, blocking=True, timeout=-1):
        taken = self._lock.acquire(blocking, timeout)
        if taken:
            trip()
        return taken

    def release(self):
        self._lock.release()

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self._lock.release()


_init = _base.Future.__init__


def _tripping_init(self):
    _init(self)
    self._condition = threading.Condition(TrippingLock())


_base.Future.__init__ = _tripping_init


def nap(seconds):
    time.sleep(seconds)
    return seconds


class Napper(Runner):
    def _submit(self, pool, job):
        return pool.submit(nap, job.seed / 1000)

    def bound(self, exercise):
        return 2.0


if __name__ == "__main__":
    jobs = [Job("hung", "x", 600_000)] + [Job(f"quick{i}", "x", 50) for i in range(60)]
    print("workers", flush=True)
    try:
        for outcome in Napper(RunOptions(workers=2, lang="en", prewarm=False)).run(jobs):
            if WHEN == "result" or (WHEN == "replaced" and outcome.timed_out):
                state["armed"] = True
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(130)
    print("not interrupted", flush=True)
"""


@pytest.mark.parametrize("when, trip_at", [("start", 1), ("start", 3), ("result", 1), ("result", 2), ("result", 5),
                                           ("replaced", 1), ("replaced", 3)])
def test_ctrl_c_while_a_future_is_locked_still_ends_the_coordinator(private_tmp, when, trip_at):
    script = private_tmp / "coordinator.py"
    script.write_text(_TRIPPING)
    env = dict(os.environ, TMPDIR=str(private_tmp), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, str(script), str(trip_at), when], env=env, cwd=private_tmp,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **TERMINAL_JOB)
    seen: dict[int, float] = {}
    try:
        assert proc.stdout.readline() == "workers\n"
        while proc.poll() is None and len(seen) < 2:  # the workers (and the forkserver, the tracker)
            try:
                for p in psutil.Process(proc.pid).children(recursive=True):
                    seen.setdefault(p.pid, p.create_time())
            except psutil.Error:
                pass
            time.sleep(0.01)
        try:
            out, err = proc.communicate(timeout=GONE_WITHIN)  # a liveness bound: it takes well under a second
        except subprocess.TimeoutExpired:
            pytest.fail(f"the interrupted coordinator hung ({when}, lock {trip_at})")
        assert "tripped in" in out, (out, err)  # the Ctrl-C came while the main thread held a future's lock
        assert proc.returncode == 130 and out.rstrip().endswith("interrupted"), (out, err)
        assert "Traceback" not in err, err
        left = _wait_all_gone(seen, str(private_tmp))
        assert not left, "\n".join(left)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        for line in _left(seen, str(private_tmp)):
            try:
                os.kill(int(line.split(":")[0]), signal.SIGKILL)
            except OSError:
                pass


def test_an_interrupt_inside_a_deferred_block_is_held_then_raised():
    term_default = signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    # Python's own Ctrl-C handler, as in a terminal (a pytest-xdist worker may run with another)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _held_then_raised(term_default)
    finally:
        signal.signal(signal.SIGINT, inherited)


def _held_then_raised(term_default: bool) -> None:
    from grader.classroom.lifeline import deferred_interrupts, signals_interrupt

    rung, reached = [], []
    with signals_interrupt(sigint=True):
        with pytest.raises(KeyboardInterrupt):
            with deferred_interrupts(wake=lambda: rung.append(1)):
                signal.raise_signal(signal.SIGINT)  # the handler runs before this returns: held
                reached.append("after the signal")
                with deferred_interrupts():  # nested: no effect
                    pass
                reached.append("after the nested block")
        assert reached == ["after the signal", "after the nested block"] and rung == [1]
        with pytest.raises(KeyboardInterrupt):  # outside a block: at once
            signal.raise_signal(signal.SIGINT)
        with deferred_interrupts():  # nothing held from before
            pass
        if term_default:  # else signals_interrupt leaves SIGTERM alone
            with pytest.raises(KeyboardInterrupt, match="SIGTERM"):
                with deferred_interrupts():
                    signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back
    assert (signal.getsignal(signal.SIGTERM) == signal.SIG_DFL) == term_default


_BARRAGE = """
import os, signal, sys, time
from grader.classroom.lifeline import LocalPool

got = []
signal.signal(signal.SIGINT, lambda signum, frame: got.append(signum))  # this one goes on: its helpers are tested
if __name__ == "__main__":
    print("ready", flush=True)
    while not got:
        time.sleep(0.001)
    pool = LocalPool(2)  # starts the forkserver (and the resource tracker), which start the workers
    pids = [pool.submit(os.getpid).result() for _ in range(4)]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the barrage goes on while this exits
    print("done", len(pids) == 4, len(got) > 1, flush=True)
    pool.shutdown()
"""


def test_ctrl_c_while_the_pool_starts_kills_no_helper(private_tmp):
    """Ctrl-C reaches the whole process group: one that came while the forkserver or a worker
    was starting (before it ignores SIGINT) killed it with a traceback. Here SIGINT is sent to
    the group every few milliseconds for as long as the pool starts and runs; the coordinator
    ignores it (only its helpers are tested): every task must still run, with no traceback."""
    script = private_tmp / "coordinator.py"
    script.write_text(_BARRAGE)
    env = dict(os.environ, TMPDIR=str(private_tmp), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, str(script)], env=env, cwd=private_tmp, **TERMINAL_JOB,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n"
        started = time.monotonic()
        while proc.poll() is None and time.monotonic() - started < GONE_WITHIN:  # a liveness bound
            try:
                os.killpg(proc.pid, signal.SIGINT)
            except ProcessLookupError:
                break
            time.sleep(0.002)
        out, err = proc.communicate(timeout=GONE_WITHIN)
        assert proc.returncode == 0 and out.strip() == "done True True", (out, err)
        assert "Traceback" not in err, err
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()


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
                                **TERMINAL_JOB)


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

"""Attacks of issue 12 on the grading's integrity, each named by what it tries, each with its
contained outcome: seeds that cannot be learned (a lookup table of answers for a known seed
earns nothing for hidden inputs), a kernel that cannot make namespaces, mount or use the
keyrings (seccomp), a static scan that reads what was hidden from it and cannot be stalled,
a private out dir, and a batch that no hanging worker can hold up."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import reference
from grader.classroom.batch import BatchOptions, bounded_results, grade_class, task_bound
from grader.grading.grade import PUBLIC_SEED, grade_parsed
from grader.classroom.gradebook import GRADEBOOK_NAME, SECRET_NAME, SEED_ENV, Gradebook, derive_seed, load_secret
from grader.grading.integrity import scan_notebook
from grader.classroom.lifeline import LocalPool
from grader.kernel.limits import Limits
from grader.grading.notebook import read_notebook
from inprocess import grade_in_process
from nbfactory import make_notebook
from test_grader_4_4 import COL2IM, IM2COL
from points import full

GRADED = ("im2col", "col2im")
ROOT = os.geteuid() == 0

# --- seeds that cannot be learned --------------------------------------------------------------

KEY_SOURCE = '''
import hashlib, numpy as np
def _key(args, kwargs):
    h = hashlib.sha256()
    for a in list(args) + [v for _, v in sorted(kwargs.items())]:
        if isinstance(a, np.ndarray):
            h.update(str((a.dtype.str, a.shape)).encode()); h.update(np.ascontiguousarray(a).tobytes())
        else:
            h.update(repr(a).encode())
    return h.hexdigest()
'''
LOOKUP_SOURCE = '''
import base64, io
_table = dict(np.load(io.BytesIO(base64.b64decode("{table}"))))
def _answer(*args, **kwargs):
    return _table.get("k" + _key(args, kwargs), np.zeros((1, 1)))
def im2col(*args, **kwargs):
    return _answer(*args, **kwargs)
def col2im(*args, **kwargs):
    return _answer(*args, **kwargs)
'''


def _key_namespace() -> dict:
    ns: dict = {}
    exec(KEY_SOURCE, ns)
    return ns


def answers_for(seed: int) -> dict[str, np.ndarray]:
    """What an attacker computes offline for a known seed: every call of the plan, answered by
    the reference, keyed by its arguments."""
    key, table = _key_namespace()["_key"], {}

    def recorder(name):
        def call(*args, **kwargs):
            out = getattr(reference, name)(*args, **kwargs)
            table["k" + key(args, kwargs)] = np.array(out, copy=True)
            return out
        return call

    grade_in_process("4_4", {name: recorder(name) for name in GRADED}, seed)
    return table


def lookup_sources(table: dict) -> list[str]:
    buffer = io.BytesIO()
    np.savez(buffer, **table)
    return [KEY_SOURCE, LOOKUP_SOURCE.replace("{table}", base64.b64encode(buffer.getvalue()).decode())]


def _lookup_namespace(table: dict) -> dict:
    ns: dict = {}
    for cell in lookup_sources(table):
        exec(cell, ns)
    return ns


def _passed(result) -> set[str]:
    return {c.id for c in result.checks if c.passed}


def test_derived_seed_depends_on_secret_trainee_exercise_and_notebook():
    base = derive_seed(b"s3cret", "alice", "4_4", "a" * 64)
    assert base == derive_seed(b"s3cret", "alice", "4_4", "a" * 64)  # reproducible by the instructor
    others = {derive_seed(b"other", "alice", "4_4", "a" * 64), derive_seed(b"s3cret", "bob", "4_4", "a" * 64),
              derive_seed(b"s3cret", "alice", "4_5", "a" * 64), derive_seed(b"s3cret", "alice", "4_4", "b" * 64)}
    assert base not in others and len(others) == 4 and PUBLIC_SEED not in others | {base}
    assert all(0 <= s < 2**63 for s in others | {base})


def test_lookup_table_for_the_public_seed_earns_nothing_for_hidden_inputs():
    """Answers computed offline for the public seed (the one self-checks show) pass every check
    there, and under a graded submission's seed only the fixed, public examples: exactly what a
    table for some unrelated seed passes too."""
    public = answers_for(PUBLIC_SEED)
    attack = _lookup_namespace(public)
    assert grade_in_process("4_4", attack, PUBLIC_SEED).score == full("4_4")  # the attack works where the seed is known
    graded_seed = derive_seed(b"class secret", "mallory", "4_4", hashlib.sha256(b"notebook").hexdigest())
    graded = grade_in_process("4_4", attack, graded_seed)
    blind = grade_in_process("4_4", _lookup_namespace(answers_for(12345)), graded_seed)
    assert _passed(graded) == _passed(blind) and graded.score == blind.score < 5, graded.checks


def test_lookup_table_for_the_last_graded_seed_misses_after_resubmission():
    """Even a seed that leaked from a grading is useless: the resubmitted notebook (which holds
    the table, so its sha256 differs) is graded on a new seed."""
    first = derive_seed(b"class secret", "mallory", "4_4", hashlib.sha256(b"first notebook").hexdigest())
    table = answers_for(first)
    second_bytes = "".join(lookup_sources(table)).encode()
    second = derive_seed(b"class secret", "mallory", "4_4", hashlib.sha256(second_bytes).hexdigest())
    assert second != first
    assert grade_in_process("4_4", _lookup_namespace(table), first).score == full("4_4")
    assert grade_in_process("4_4", _lookup_namespace(table), second).score < 5


def test_secret_comes_from_seed_option_environment_or_a_private_file(tmp_path, monkeypatch):
    monkeypatch.delenv(SEED_ENV, raising=False)
    made = load_secret(tmp_path)
    assert len(made) == 64 and load_secret(tmp_path) == made  # kept: reruns stay comparable
    assert stat.S_IMODE(os.stat(tmp_path / SECRET_NAME).st_mode) == 0o600
    monkeypatch.setenv(SEED_ENV, "271828")
    assert load_secret(tmp_path) == b"271828" == load_secret(tmp_path / "elsewhere", 271828)  # --seed is the secret


# --- a private out dir ----------------------------------------------------------------------------

def test_out_dir_is_0700_and_gradebook_secret_and_lock_0600(tmp_path, monkeypatch):
    monkeypatch.delenv(SEED_ENV, raising=False)
    out = tmp_path / "out"
    out.mkdir(mode=0o755)
    with Gradebook(out) as book:
        book.secret()
        book.set_meta("x", "y")  # the WAL files exist now
        assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
        for path in out.iterdir():
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path.name
        assert {GRADEBOOK_NAME, SECRET_NAME, ".grader.lock"} <= {p.name for p in out.iterdir()}


# --- the static scan ------------------------------------------------------------------------------

SCAN_ATTACKS = {
    "disable_the_probe_profiler": ("import sys\nsys.setprofile = lambda *a: None", "sys.setprofile"),
    "hide_reference_calls_from_status_json": ("import json\n_dump = json.dump\njson.dump = lambda o, f, **k: _dump({}, f)",
                                              "json.dump"),
    "fetch_reference_by_getattr": ("import reference\nim2col = getattr(reference, 'im2col')", "reference.im2col"),
    "import_under_capture_magic": ("%%capture\nfrom reference import col2im", "reference.col2im"),
    "patch_builtins_module": ("import builtins\nbuiltins.isinstance = lambda *a: True", "builtins.isinstance"),
}


@pytest.mark.parametrize("attack", sorted(SCAN_ATTACKS))
def test_scan_flags(attack):
    source, name = SCAN_ATTACKS[attack]
    nb = new_notebook(cells=[new_code_cell(IM2COL), new_code_cell(source)])
    assert name in {f.name for f in scan_notebook(nb, GRADED, "en")}


def test_huge_cell_of_shell_lines_is_scanned_quickly_and_the_truncation_flagged():
    """The 38 KB cell that kept the old scan busy for 86 s, grown to 2 MB: the scan stops at its
    budget and says so (a flag for the instructor), instead of stalling the batch."""
    cell = "\n".join(f"!echo {i} && ls -la /tmp | head -n 3" for i in range(60_000))
    assert len(cell) > 2_000_000
    flags = scan_notebook(new_notebook(cells=[new_code_cell(cell), new_code_cell("from reference import im2col")]),
                          GRADED, "en")
    assert [f.name for f in flags] == ["scan-truncated"]


# --- the batch coordinator ------------------------------------------------------------------------

WORKERS: dict[int, set[int]] = {}  # id(pool) -> its worker processes


def _submit(pool, job):
    name, value = job
    future = pool.submit(time.sleep if name == "sleep" else abs, value)
    WORKERS.setdefault(id(pool), set()).update(pool._processes or ())
    return future


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.Error:
        return False


def test_hanging_worker_task_does_not_hang_the_batch():
    """One task never returns; it is reported as timed out at its bound, its worker process is
    killed and replaced, and every other task still ends."""
    pools = []

    def make_pool():
        pools.append(LocalPool(2))  # the batch's own pool
        return pools[-1]

    jobs = [("sleep", 3600), ("abs", -1), ("abs", -2), ("abs", -3)]
    seen: list = []
    runner = threading.Thread(target=lambda: seen.extend(
        (job, None if f is None else f.result()) for job, f in bounded_results(make_pool, jobs, _submit,
                                                                               lambda job: 2.0, 2)), daemon=True)
    runner.start()
    runner.join(300)  # a backstop for this test only: without the bound it would never end
    assert not runner.is_alive(), "the batch hung"
    assert dict(seen) == {("sleep", 3600): None, ("abs", -1): 1, ("abs", -2): 2, ("abs", -3): 3}
    assert len(pools) == 2  # the pool with the hung worker was replaced
    hung = WORKERS[id(pools[0])]
    assert hung and not any(_alive(pid) for pid in hung), hung  # its processes were killed


def test_task_bound_is_the_deadline_plus_start_up_plus_a_margin():
    options = BatchOptions(limits=Limits(deadline=40, startup_timeout=30))
    assert 70 < task_bound(options, "4_4") <= 70 + 120
    assert task_bound(BatchOptions(), "4_4") > Limits().deadline


# --- in a real kernel -----------------------------------------------------------------------------

NAMESPACE_ATTACK = '''
import ctypes, subprocess
_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
assert _libc.unshare(CLONE_NEWUSER) != 0, "unshare(CLONE_NEWUSER) made a user namespace"
assert _libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0, "a user and mount namespace were made"
import os
os.makedirs("mnt", exist_ok=True)  # never a shared folder: were the filter off and the kernel root, nothing else is hit
assert _libc.mount(b"none", os.path.abspath("mnt").encode(), b"tmpfs", 0, b"size=480m") != 0, "a tmpfs was mounted"
try:
    _r = subprocess.run(["unshare", "-U", "-r", "true"], capture_output=True)
    assert _r.returncode != 0, "unshare -U succeeded"
except FileNotFoundError:
    pass  # no unshare command in the kernel's view at all
'''
KEYRING_ATTACK = '''
import ctypes, platform
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[platform.machine()]
KEY_SPEC_USER_KEYRING = -4
_key = _libc.syscall(ADD_KEY, b"user", b"day4-left-behind", b"answers", 7, KEY_SPEC_USER_KEYRING)
assert _key == -1, f"add_key stored key {_key} in the uid's keyring"
assert _libc.syscall(KEYCTL, 0, KEY_SPEC_USER_KEYRING, 0) == -1, "keyctl reached the uid's keyring"
'''


@pytest.mark.slow
@pytest.mark.skipif(not ROOT, reason="the kernel's filter is checked where the grader runs as root (CI)")
def test_namespaces_mounts_and_keyrings_fail_inside_the_kernel(tmp_path):
    path = make_notebook(tmp_path / "mallory_4_4.ipynb", [IM2COL, COL2IM, NAMESPACE_ATTACK, KEYRING_ATTACK],
                         exercise="4_4")
    limits = Limits(cell_timeout=10, deadline=60, startup_timeout=30)
    result = grade_parsed(read_notebook(path), str(path), "4_4", seed=7, lang="en", limits=limits)
    assert result.protections.get("seccomp"), result.protections
    assert result.errors == (), result.errors  # each attack cell asserts that the attack failed
    assert result.score == result.max_score  # and ordinary code, threads and subprocesses still work


@pytest.mark.slow
def test_graded_class_keeps_seeds_out_of_trainee_reports_and_regrades_a_changed_notebook(tmp_path, monkeypatch):
    """mallory submits answers for the public seed; the class is graded on per-submission seeds
    from the gradebook's own secret: no hidden-input check passes, no trainee report shows a
    seed, a rerun skips both notebooks, and mallory's changed notebook is graded on a new seed."""
    monkeypatch.delenv(SEED_ENV, raising=False)
    root, out = tmp_path / "class", tmp_path / "out"
    root.mkdir()
    make_notebook(root / "alice_4_4.ipynb", [IM2COL, COL2IM], exercise="4_4")
    make_notebook(root / "mallory_4_4.ipynb", lookup_sources(answers_for(PUBLIC_SEED)), exercise="4_4")
    options = BatchOptions(workers=2, exercises=("4_4",), lang="en", progress=False)
    assert grade_class(root, out, options).graded == 2
    rows = _rows(out)
    assert rows["alice"][1] == 10 and rows["mallory"][1] < 5
    assert PUBLIC_SEED not in {rows["alice"][0], rows["mallory"][0]} and rows["alice"][0] != rows["mallory"][0]
    for trainee in ("alice", "mallory"):
        page = next((out / "trainees").glob(f"{trainee}*.html")).read_text(encoding="utf-8")
        assert str(rows[trainee][0]) not in page and ">seed<" not in page.lower()
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(out / GRADEBOOK_NAME).st_mode) == 0o600
    assert (grade_class(root, out, options).skipped, grade_class(root, out, options).graded) == (2, 0)
    make_notebook(root / "mallory_4_4.ipynb", lookup_sources(answers_for(rows["mallory"][0])) + ["x = 1"],
                  exercise="4_4")  # answers for the seed that was just used: the notebook changes, so does the seed
    again = grade_class(root, out, options)
    assert (again.graded, again.skipped) == (1, 1)
    new_seed, new_score = _rows(out)["mallory"]
    assert new_seed != rows["mallory"][0] and new_score < 5


def _rows(out: Path) -> dict[str, tuple[int, float]]:
    with sqlite3.connect(out / GRADEBOOK_NAME) as db:
        return {t: (seed, score) for t, seed, score in db.execute("SELECT trainee, seed, score FROM grades")}


CLEAR_CHECK = '''
import ctypes, os, sys
from grader.kernel.seccomp import clear_keyrings
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
uid = int(sys.argv[1])
os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)
key = libc.syscall(248, b"user", b"day4-left-behind", b"answers", 7, -4)  # add_key to the uid's keyring
assert key > 0, ctypes.get_errno()
assert libc.syscall(250, 10, -4, b"user", b"day4-left-behind", 0) == key  # KEYCTL_SEARCH finds it
clear_keyrings(own_uid=True)  # what the next kernel under this uid slot does before it starts
print(libc.syscall(250, 10, -4, b"user", b"day4-left-behind", 0))
'''


@pytest.mark.skipif(not ROOT or os.uname().machine != "x86_64", reason="needs root to take a slot's uid (x86_64 numbers)")
def test_keys_left_in_a_slot_uid_keyring_are_gone_for_the_next_kernel(tmp_path):
    """Where no filter can be loaded, a grading may store keys in its slot uid's keyring; the
    next kernel under that uid empties it before it starts."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", CLEAR_CHECK, "64250"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "-1"  # not found any more

"""The gradebook: an SQLite file written by the coordinator alone, one transaction per
result, so a run killed at any moment keeps everything it had recorded.

The out dir is private (0700), the gradebook and the grading secret in it 0600. Each graded
submission's hidden inputs come from a seed derived from the secret and the submission itself
(:func:`derive_seed`): nobody without the secret can learn it, and a changed notebook gets new
inputs. The derived seed is stored in the gradebook, so the instructor can reproduce a grading.
"""
from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from pathlib import Path

from grader.errors import GraderError
from grader.classroom.late import LatePolicy
from grader.grading.results import GradingResult

__all__ = ["Gradebook", "GradebookLocked", "GRADEBOOK_NAME", "SECRET_NAME", "SEED_ENV", "derive_seed", "load_secret"]

GRADEBOOK_NAME = "gradebook.sqlite"
SECRET_NAME = ".grader-secret"  # beside the gradebook, 0600
SEED_ENV = "GRADER_SECRET_SEED"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (
    trainee TEXT NOT NULL, exercise TEXT NOT NULL, notebook TEXT NOT NULL, sha256 TEXT NOT NULL,
    seed INTEGER NOT NULL, grader_version TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, penalty REAL NOT NULL DEFAULT 0, final_score REAL NOT NULL,
    submitted_at REAL, checks_json TEXT NOT NULL, flags_json TEXT NOT NULL, errors_json TEXT NOT NULL,
    result_json TEXT NOT NULL, seconds REAL, graded_at REAL NOT NULL, grading_code TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (trainee, exercise));
CREATE TABLE IF NOT EXISTS problems (trainee TEXT, path TEXT, message TEXT, PRIMARY KEY (trainee, path, message));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS roster (position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    email TEXT, lms_id TEXT, section TEXT, line INTEGER);
CREATE TABLE IF NOT EXISTS submission_times (trainee TEXT PRIMARY KEY, submitted_at TEXT NOT NULL, line INTEGER);
CREATE TABLE IF NOT EXISTS overrides (trainee TEXT NOT NULL, exercise TEXT NOT NULL, check_id TEXT NOT NULL DEFAULT '',
    points REAL NOT NULL, reason TEXT NOT NULL, created_at REAL NOT NULL, sha256 TEXT, previous REAL,
    PRIMARY KEY (trainee, exercise, check_id));
"""


class GradebookLocked(GraderError):
    exit_code = 2


def derive_seed(secret: bytes, trainee: str, exercise: str, sha256: str) -> int:
    """The seed of one submission's hidden inputs: HMAC-SHA256 of the secret over the trainee,
    the exercise and the notebook's sha256, as a 63-bit integer."""
    message = json.dumps([trainee, exercise, sha256], ensure_ascii=False).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _private_file(path: Path, flags: int) -> int:
    """Open ``path`` (never through a link), created 0600, and make an existing one 0600."""
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def load_secret(out_dir: Path, explicit: int | None = None) -> bytes:
    """The grading secret: ``--seed`` (then it is the secret), else ``$GRADER_SECRET_SEED``,
    else ``out_dir/.grader-secret`` (0600), created with 256 random bits on the first run."""
    if explicit is not None:
        return str(explicit).encode()
    if os.environ.get(SEED_ENV, "").strip():
        return os.environ[SEED_ENV].strip().encode()
    path = Path(out_dir) / SECRET_NAME
    try:
        fd = _private_file(path, os.O_RDONLY)
    except FileNotFoundError:
        fd = _private_file(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
        return load_secret(out_dir)
    with os.fdopen(fd, "rb") as f:
        secret = f.read(4096).strip()
    if not secret:
        raise GraderError(f"{path}: the grading secret is empty; remove the file to make a new one "
                          "(every submission is then graded again on new inputs)")
    return secret


class Gradebook:
    """``Gradebook(out_dir)`` opens (creating) ``out_dir/gradebook.sqlite`` and takes an
    exclusive lock on the folder: a second run on the same folder is refused."""

    def __init__(self, out_dir: Path, lock: bool = True):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock_file = None
        if lock:
            os.chmod(self.out_dir, 0o700)  # private: trainees' notebooks, the secret, everyone's grades
            self._lock_file = os.fdopen(_private_file(self.out_dir / ".grader.lock", os.O_RDWR | os.O_CREAT), "a+")
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock_file.close()
                raise GradebookLocked(f"{self.out_dir}: another grader run is using this folder; "
                                      "wait for it to finish or choose another --out") from None
        if lock:
            os.close(_private_file(self.out_dir / GRADEBOOK_NAME, os.O_RDWR | os.O_CREAT))
        self.db = sqlite3.connect(self.out_dir / GRADEBOOK_NAME, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")  # SQLite gives -wal and -shm the database's mode
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)
        if "grading_code" not in {row[1] for row in self.db.execute("PRAGMA table_info(grades)")}:
            # a gradebook of a release before grading codes: its rows match no code, so they are graded again
            self.db.execute("ALTER TABLE grades ADD COLUMN grading_code TEXT NOT NULL DEFAULT ''")

    def close(self) -> None:
        self.db.close()
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def secret(self, explicit: int | None = None) -> bytes:
        """The grading secret of this gradebook (see :func:`load_secret`)."""
        return load_secret(self.out_dir, explicit)

    def is_current(self, trainee: str, exercise: str, sha256: str, seed: int, version: str, code: str) -> bool:
        """Whether the stored grade is of this notebook, grader version, seed and grading code
        (the seed is derived from the secret: a new secret regrades everything; the code is
        :func:`grader.grading.fingerprint.grading_code`: changed checks regrade their exercise)."""
        row = self.db.execute("SELECT sha256, seed, grader_version, grading_code FROM grades WHERE trainee=? AND "
                              "exercise=?", (trainee, exercise)).fetchone()
        return row == (sha256, seed, version, code)

    def codes(self) -> dict:
        """``{exercise: {grading code: number of stored grades}}``."""
        out: dict = {}
        for exercise, code, n in self.db.execute("SELECT exercise, grading_code, COUNT(*) FROM grades "
                                                 "GROUP BY exercise, grading_code"):
            out.setdefault(exercise, {})[code] = n
        return out

    def record(self, trainee: str, sha256: str, result: GradingResult, *, penalty: float = 0.0,
               submitted_at: float | None = None, code: str | None = None) -> None:
        """Insert or replace the row of ``(trainee, result.exercise)`` in one transaction;
        ``code`` (default ``result.grading_code``) is the grading code it is stored under."""
        data = result.to_dict()
        final = max(0.0, result.score - penalty)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR REPLACE INTO grades VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (trainee, result.exercise, result.notebook, sha256, result.seed, result.grader_version,
                 result.score, result.max_score, penalty, final, submitted_at,
                 json.dumps(data["checks"], ensure_ascii=False), json.dumps(data["flags"], ensure_ascii=False),
                 json.dumps(data["errors"], ensure_ascii=False), json.dumps(data, ensure_ascii=False),
                 result.timings.get("total"), time.time(), result.grading_code if code is None else code))

    def replace_problems(self, problems) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM problems")
            self.db.executemany("INSERT OR IGNORE INTO problems VALUES (?, ?, ?)",
                                [(p.trainee, p.path, p.message) for p in problems])

    def rows(self) -> list[dict]:
        cursor = self.db.execute("SELECT * FROM grades ORDER BY trainee, exercise")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def problems(self) -> list[dict]:
        return [{"trainee": t, "path": p, "message": m}
                for t, p, m in self.db.execute("SELECT * FROM problems ORDER BY trainee, path")]

    # --- the class and the instructor's decisions: roster, late policy, overrides ----------------

    def set_roster(self, members, source: str = "") -> None:
        """Replace the stored roster (``grader.classroom.roster.Member`` records, in file order)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM roster")
            self.db.executemany("INSERT INTO roster VALUES (?,?,?,?,?,?,?)",
                                [(i, m.id, m.name, m.email, m.lms_id, m.section, m.line) for i, m in enumerate(members)])
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('roster_source', ?)", (source,))

    def roster(self):
        """The stored roster as a tuple of ``Member``, or ``None`` when no run gave one."""
        from grader.classroom.roster import Member

        if self.meta("roster_source") is None:
            return None
        return tuple(Member(*row) for row in
                     self.db.execute("SELECT id, name, email, lms_id, section, line FROM roster ORDER BY position"))

    def set_late_policy(self, policy: LatePolicy, times: dict | None = None) -> None:
        """Store the late policy; ``times`` (``{trainee: (iso text, line)}``), when given,
        replaces the stored submission times."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('late_policy', ?)", (json.dumps(policy.to_dict()),))
            if times is not None:
                self.db.execute("DELETE FROM submission_times")
                self.db.executemany("INSERT INTO submission_times VALUES (?,?,?)",
                                    [(t, value, line) for t, (value, line) in times.items()])

    def late_policy(self) -> LatePolicy | None:
        stored = self.meta("late_policy")
        return None if stored is None else LatePolicy.from_dict(json.loads(stored))

    def submission_times(self) -> dict[str, tuple[str, int]]:
        return {t: (v, line) for t, v, line in self.db.execute("SELECT * FROM submission_times")}

    def set_override(self, trainee: str, exercise: str, check: str | None, points: float, reason: str,
                     sha256: str | None, previous: float | None) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT OR REPLACE INTO overrides VALUES (?,?,?,?,?,?,?,?)",
                            (trainee, exercise, check or "", points, reason, time.time(), sha256, previous))

    def clear_override(self, trainee: str, exercise: str, check: str | None) -> bool:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            cursor = self.db.execute("DELETE FROM overrides WHERE trainee=? AND exercise=? AND check_id=?",
                                     (trainee, exercise, check or ""))
            return cursor.rowcount > 0

    def overrides(self) -> list[dict]:
        cursor = self.db.execute("SELECT * FROM overrides ORDER BY trainee, exercise, check_id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def results(self) -> dict[tuple[str, str], GradingResult]:
        return {(r["trainee"], r["exercise"]): GradingResult.from_json(r["result_json"]) for r in self.rows()}


def open_readonly(out_dir: Path) -> Gradebook:
    """Open an existing gradebook for export without taking the run lock."""
    path = Path(out_dir) / GRADEBOOK_NAME
    if not path.is_file():
        raise GraderError(f"{out_dir}: no {GRADEBOOK_NAME} here (run `grader grade ... --out {out_dir}` first)")
    return Gradebook(out_dir, lock=False)

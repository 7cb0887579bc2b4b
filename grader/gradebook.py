"""The gradebook: an SQLite file written by the coordinator alone, one transaction per
result, so a run killed at any moment keeps everything it had recorded."""
from __future__ import annotations

import fcntl
import json
import sqlite3
import time
from pathlib import Path

from .errors import GraderError
from .results import GradingResult

__all__ = ["Gradebook", "GradebookLocked", "GRADEBOOK_NAME"]

GRADEBOOK_NAME = "gradebook.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (
    trainee TEXT NOT NULL, exercise TEXT NOT NULL, notebook TEXT NOT NULL, sha256 TEXT NOT NULL,
    seed INTEGER NOT NULL, grader_version TEXT NOT NULL,
    score REAL NOT NULL, max_score REAL NOT NULL, penalty REAL NOT NULL DEFAULT 0, final_score REAL NOT NULL,
    submitted_at REAL, checks_json TEXT NOT NULL, flags_json TEXT NOT NULL, errors_json TEXT NOT NULL,
    result_json TEXT NOT NULL, seconds REAL, graded_at REAL NOT NULL,
    PRIMARY KEY (trainee, exercise));
CREATE TABLE IF NOT EXISTS problems (trainee TEXT, path TEXT, message TEXT, PRIMARY KEY (trainee, path, message));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


class GradebookLocked(GraderError):
    exit_code = 2


class Gradebook:
    """``Gradebook(out_dir)`` opens (creating) ``out_dir/gradebook.sqlite`` and takes an
    exclusive lock on the folder: a second run on the same folder is refused."""

    def __init__(self, out_dir: Path, lock: bool = True):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._lock_file = None
        if lock:
            self._lock_file = open(self.out_dir / ".grader.lock", "a+")
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._lock_file.close()
                raise GradebookLocked(f"{self.out_dir}: another grader run is using this folder; "
                                      "wait for it to finish or choose another --out") from None
        self.db = sqlite3.connect(self.out_dir / GRADEBOOK_NAME, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

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

    def is_current(self, trainee: str, exercise: str, sha256: str, seed: int, version: str) -> bool:
        row = self.db.execute("SELECT sha256, seed, grader_version FROM grades WHERE trainee=? AND exercise=?",
                              (trainee, exercise)).fetchone()
        return row == (sha256, seed, version)

    def record(self, trainee: str, sha256: str, result: GradingResult, *, penalty: float = 0.0,
               submitted_at: float | None = None) -> None:
        """Insert or replace the row of ``(trainee, result.exercise)`` in one transaction."""
        data = result.to_dict()
        final = max(0.0, result.score - penalty)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR REPLACE INTO grades VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (trainee, result.exercise, result.notebook, sha256, result.seed, result.grader_version,
                 result.score, result.max_score, penalty, final, submitted_at,
                 json.dumps(data["checks"], ensure_ascii=False), json.dumps(data["flags"], ensure_ascii=False),
                 json.dumps(data["errors"], ensure_ascii=False), json.dumps(data, ensure_ascii=False),
                 result.timings.get("total"), time.time()))

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

    def results(self) -> dict[tuple[str, str], GradingResult]:
        return {(r["trainee"], r["exercise"]): GradingResult.from_json(r["result_json"]) for r in self.rows()}


def open_readonly(out_dir: Path) -> Gradebook:
    """Open an existing gradebook for export without taking the run lock."""
    path = Path(out_dir) / GRADEBOOK_NAME
    if not path.is_file():
        raise GraderError(f"{out_dir}: no {GRADEBOOK_NAME} here (run `grader grade ... --out {out_dir}` first)")
    return Gradebook(out_dir, lock=False)

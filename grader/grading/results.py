"""Results of a grading: small frozen records, totals, and their JSON round trip. No I/O."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

__all__ = ["Status", "CheckResult", "CellError", "Flag", "Note", "GradingResult", "MAX_ERRORS", "ERRORS_DROPPED",
           "cap_errors"]

MAX_ERRORS = 50  # cell errors kept in a result; the rest are counted in one last entry
ERRORS_DROPPED = "errors-dropped"  # the kind of that entry; its message says how many


class Status:
    """How a check ended. ``GRADER_ERROR`` is the grader's fault and never counts against the trainee."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the trainee's code raised
    MISSING = "missing"  # the graded name is not defined
    GRADER_ERROR = "grader-error"
    ALL = (PASSED, FAILED, ERROR, MISSING, GRADER_ERROR)


@dataclass(frozen=True)
class CheckResult:
    """One check: stable ``id`` (``<graded name>.<aspect>``), points earned of ``max_points``,
    a message in the trainee's language and an optional hint. ``details`` holds data for the
    reports (the call, array excerpts), JSON-compatible."""

    id: str
    passed: bool
    points: float
    max_points: float
    message: str
    hint: str | None = None
    status: str = Status.PASSED
    details: dict = field(default_factory=dict)
    # added (issue 14): the message as a key of grader.reports.messages with its fields, and the hint in
    # every language, so a report can be rendered in another language than the grading's
    message_key: str | None = None
    message_fields: dict = field(default_factory=dict)
    hints: dict | None = None

    def __post_init__(self):
        if self.status not in Status.ALL:
            raise ValueError(f"unknown status {self.status!r}")
        if not 0 <= self.points <= self.max_points:
            raise ValueError(f"{self.id}: points {self.points} outside 0..{self.max_points}")

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class CellError:
    """A cell that raised, timed out, or whose kernel died (``cell`` is the 0-based index;
    ``None`` for the grader's own probe cell)."""

    cell: int | None
    kind: str  # "error" | "timeout" | "kernel-died" | "deadline" | "output-limit"
    message: str
    # added (issue 14): the message's key of grader.reports.messages and fields when it is one of the
    # grader's own sentences (taken from a grader.reports.messages.text() string); not compared
    message_key: str | None = field(default=None, compare=False)
    message_fields: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        _remember_key(self)


def _remember_key(record) -> None:
    """A record made with a :func:`grader.reports.messages.text` string keeps that string's key and
    fields (JSON-ready: numbers and strings as they are, anything else as its ``str``), so a
    report can word it again in another language; its ``message`` is stored as a plain str."""
    key = getattr(record.message, "key", None)
    if key and record.message_key is None:
        fields = {k: v if v is None or isinstance(v, (bool, int, float, str)) else str(v)
                  for k, v in (getattr(record.message, "fields", None) or {}).items()}
        object.__setattr__(record, "message_key", key)
        object.__setattr__(record, "message_fields", fields)
    if type(record.message) is not str and isinstance(record.message, str):
        object.__setattr__(record, "message", str(record.message))


def cap_errors(errors, message=lambda n: f"{n} more errors not shown", limit: int = MAX_ERRORS) -> tuple:
    """``errors`` with at most ``limit`` entries kept, and when some were dropped one last
    ``errors-dropped`` entry whose message (``message(count)``, in the reader's language) says
    how many. An earlier such entry (a result capped before) is counted in, not repeated."""
    errors = tuple(errors)
    kept = [e for e in errors if e.kind != ERRORS_DROPPED]
    if len(kept) <= limit:
        return errors
    counted = (re.search(r"[0-9]+", e.message) for e in errors if e.kind == ERRORS_DROPPED)
    dropped = len(kept) - limit + sum(int(m.group()) for m in counted if m)
    return tuple(kept[:limit]) + (CellError(None, ERRORS_DROPPED, message(dropped)),)


@dataclass(frozen=True)
class Flag:
    """An integrity finding for the instructor (e.g. ``uses-reference``)."""

    kind: str
    name: str
    message: str
    message_key: str | None = field(default=None, compare=False)  # as CellError's
    message_fields: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        _remember_key(self)


@dataclass(frozen=True)
class Note:
    """Information for the reader that costs no points, e.g. ``env-cell-skipped``: a Colab or
    package-install line of cell ``cell`` that grading did not run (``message`` in the
    reader's language)."""

    kind: str
    cell: int | None
    message: str
    message_key: str | None = field(default=None, compare=False)  # as CellError's
    message_fields: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        _remember_key(self)


@dataclass(frozen=True)
class GradingResult:
    exercise: str
    notebook: str
    checks: tuple[CheckResult, ...]
    flags: tuple[Flag, ...] = ()
    errors: tuple[CellError, ...] = ()
    seed: int = 0
    grader_version: str = ""
    timings: dict = field(default_factory=dict)
    protections: dict = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    grading_code: str = ""  # grader.grading.fingerprint: what computed this result

    def __post_init__(self):
        if sum(e.kind != ERRORS_DROPPED for e in self.errors) > MAX_ERRORS:  # however it was made
            object.__setattr__(self, "errors", cap_errors(self.errors))

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 6)

    @property
    def all_passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def grader_failed(self) -> bool:
        return any(c.status == Status.GRADER_ERROR for c in self.checks)

    def to_dict(self) -> dict:
        out = {
            "exercise": self.exercise, "notebook": self.notebook,
            "score": self.score, "max_score": self.max_score,
            "checks": [asdict(c) for c in self.checks],
            "flags": [asdict(f) for f in self.flags],
            "errors": [asdict(e) for e in self.errors],
            "seed": self.seed, "grader_version": self.grader_version,
            "timings": dict(self.timings), "protections": dict(self.protections),
            "notes": [asdict(n) for n in self.notes], "grading_code": self.grading_code,
        }
        return out

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict) -> "GradingResult":
        return cls(
            exercise=data["exercise"], notebook=data["notebook"],
            checks=tuple(CheckResult(**c) for c in data["checks"]),
            flags=tuple(Flag(**f) for f in data.get("flags", ())),
            errors=tuple(CellError(**e) for e in data.get("errors", ())),
            seed=data.get("seed", 0), grader_version=data.get("grader_version", ""),
            timings=data.get("timings", {}), protections=data.get("protections", {}),
            notes=tuple(Note(**n) for n in data.get("notes", ())), grading_code=data.get("grading_code", ""),
        )

    @classmethod
    def from_json(cls, text: str) -> "GradingResult":
        return cls.from_dict(json.loads(text))

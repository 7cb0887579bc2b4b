"""Results of a grading: small frozen records, totals, and their JSON round trip. No I/O."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

__all__ = ["Status", "CheckResult", "CellError", "Flag", "GradingResult"]


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


@dataclass(frozen=True)
class Flag:
    """An integrity finding for the instructor (e.g. ``uses-reference``)."""

    kind: str
    name: str
    message: str


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
        )

    @classmethod
    def from_json(cls, text: str) -> "GradingResult":
        return cls.from_dict(json.loads(text))

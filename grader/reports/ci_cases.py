"""What a ``grader ci`` run found, as records: one :class:`Case` per check (a JUnit test case),
grouped into the :data:`SUITES`, and the whole :class:`CiReport`. The CLI
(:mod:`grader.cli.ci`) makes them, :mod:`grader.reports.ci_report` renders them; they live
here, below both, so that rendering a report never imports the command line."""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SUITES", "Case", "CiReport"]

SUITES = ("release", "source", "trainee", "samples", "reference")


@dataclass(frozen=True)
class Case:
    """One JUnit test case: ``classname`` is the notebook (or ``reference``), ``name`` the check."""

    suite: str
    classname: str
    name: str
    file: str | None = None
    failure: str | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failure is None and self.error is None


@dataclass
class CiReport:
    cases: list[Case] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Case]:
        return [c for c in self.cases if not c.ok]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

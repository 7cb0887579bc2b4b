"""Late submissions: a deadline and a policy (none, zero, or a percentage off per day late)."""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import UsageError

__all__ = ["LatePolicy", "parse_policy", "parse_deadline", "read_submission_times"]


@dataclass(frozen=True)
class LatePolicy:
    """``kind``: ``"none"`` (no penalty), ``"zero"`` (late scores 0) or ``"percent"``
    (``percent`` of the raw score off per started day late, at most all of it)."""

    deadline: float | None = None  # POSIX timestamp
    kind: str = "none"
    percent: float = 0.0

    def days_late(self, submitted_at: float | None) -> int:
        if self.deadline is None or submitted_at is None or submitted_at <= self.deadline:
            return 0
        return math.ceil((submitted_at - self.deadline) / 86400)

    def penalty(self, score: float, submitted_at: float | None) -> float:
        days = self.days_late(submitted_at)
        if days == 0 or self.kind == "none":
            return 0.0
        if self.kind == "zero":
            return score
        return round(min(score, score * self.percent / 100 * days), 6)


def parse_deadline(text: str) -> float:
    """ISO 8601 (``2026-12-01T23:59:00+09:00``); without a zone it is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--deadline: not an ISO date/time: {text!r} (e.g. 2026-12-01T23:59+09:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_policy(text: str, deadline: float | None) -> LatePolicy:
    """``none``, ``zero`` or ``percent:N`` (N percent off per day late)."""
    if text in ("none", "zero"):
        return LatePolicy(deadline, text)
    if text.startswith("percent:"):
        try:
            percent = float(text.split(":", 1)[1])
        except ValueError:
            percent = -1
        if 0 <= percent <= 100:
            return LatePolicy(deadline, "percent", percent)
    raise UsageError(f"--late-policy: expected none, zero or percent:N (0..100), not {text!r}")


def read_submission_times(path: Path) -> dict[str, float]:
    """A CSV with columns ``trainee,submitted_at`` (ISO 8601) -> ``{trainee: timestamp}``."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"trainee", "submitted_at"} <= set(reader.fieldnames):
                raise UsageError(f"{path}: expected the columns trainee,submitted_at")
            times = {}
            for line, row in enumerate(reader, start=2):
                try:
                    times[row["trainee"]] = parse_deadline(row["submitted_at"])
                except UsageError:
                    raise UsageError(f"{path}, line {line}: bad submitted_at {row['submitted_at']!r}") from None
            return times
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None

"""Late submissions: a deadline and a policy (none, zero, or a percentage off per day late).

The policy is a view, never baked into a grade: each run stores the policy and the raw
submission times in the gradebook (:meth:`grader.classroom.gradebook.Gradebook.set_late_policy`), and
the penalties are computed from them whenever reports or exports are made
(:mod:`grader.classroom.standing`). A rerun with new ``--deadline`` / ``--late-policy`` /
``--submission-times`` / ``--timezone`` replaces what it names and keeps the rest.

A time without a zone (``2026-12-01 23:58``) is read in ``--timezone`` if given, else in the
deadline's zone, else UTC, and the run warns about it."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path

from grader.errors import UsageError
from grader.reports.messages import text

__all__ = ["LatePolicy", "PolicyUpdate", "parse_policy", "parse_deadline", "read_submission_times", "zone_of",
           "resolve_policy", "times_warnings"]

MAX_TIMES_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class LatePolicy:
    """``kind``: ``"none"`` (no penalty), ``"zero"`` (late scores 0) or ``"percent"``
    (``percent`` of the score off per started day late, at most all of it). ``zone``: the
    zone naive submission times are read in (a zoneinfo name, ``+09:00``, or ``""`` for UTC)."""

    deadline: float | None = None  # POSIX timestamp
    kind: str = "none"
    percent: float = 0.0
    zone: str = ""

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

    def moment(self, value: str) -> float | None:
        """A stored submission time (ISO 8601 text) as a timestamp; naive: in ``zone``."""
        try:
            moment = _iso(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone_of(self.zone))
        return moment.timestamp()

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "LatePolicy":
        return cls(data.get("deadline"), data.get("kind", "none"), float(data.get("percent", 0.0)),
                   data.get("zone", ""))


def _iso(value: str) -> datetime:
    value = value.strip()
    if not value:
        raise ValueError("empty")
    return datetime.fromisoformat(value)


def zone_of(name: str, lang: str = "en") -> tzinfo:
    """``""`` -> UTC, ``+09:00`` -> that fixed offset, else a zoneinfo name (``Asia/Tokyo``)."""
    if not name or name.upper() == "UTC":
        return timezone.utc
    if name[0] in "+-":
        try:
            hours, _, minutes = name[1:].partition(":")
            offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
            return timezone(offset if name[0] == "+" else -offset)
        except ValueError:
            pass
    else:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise UsageError.keyed("late_bad_timezone", value=name)


def _zone_name(moment: datetime) -> str:
    key = getattr(moment.tzinfo, "key", None)
    if key:
        return key
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_deadline(value: str, zone: str = "", lang: str = "en") -> float:
    """ISO 8601 (``2026-12-01T23:59:00+09:00``); without a zone it is read in ``zone``
    (default UTC)."""
    try:
        moment = _iso(value)
    except ValueError:
        raise UsageError.keyed("late_bad_deadline", value=value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_of(zone, lang))
    return moment.timestamp()


def parse_policy(value: str, deadline: float | None, lang: str = "en", zone: str = "") -> LatePolicy:
    """``none``, ``zero`` or ``percent:N`` (N percent off per day late)."""
    if value in ("none", "zero"):
        return LatePolicy(deadline, value, zone=zone)
    if value.startswith("percent:"):
        try:
            percent = float(value.split(":", 1)[1])
        except ValueError:
            percent = -1
        if 0 <= percent <= 100:
            return LatePolicy(deadline, "percent", percent, zone)
    raise UsageError.keyed("late_bad_policy", value=value)


def read_submission_times(path: Path, lang: str = "en") -> dict[str, tuple[str, int]]:
    """A CSV with columns ``trainee,submitted_at`` (ISO 8601, with or without a zone) ->
    ``{trainee: (submitted_at text, line)}``; every time is checked to parse."""
    from grader.classroom.roster import normal_id

    path = Path(path)
    try:
        if path.stat().st_size > MAX_TIMES_BYTES:
            raise OSError(0, f"larger than {MAX_TIMES_BYTES:,} bytes")
        content = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
        raise UsageError.keyed("times_unreadable", path=path, problem=problem) from None
    reader = csv.DictReader(io.StringIO(content, newline=""))
    fields = [normal_id(f).lower() for f in (reader.fieldnames or [])]
    if not {"trainee", "submitted_at"} <= set(fields):
        raise UsageError.keyed("times_columns", path=path)
    reader.fieldnames = fields
    times = {}
    for row in reader:
        value = (row.get("submitted_at") or "").strip()
        try:
            _iso(value)
        except ValueError:
            raise UsageError.keyed("times_bad_time", path=path, line=reader.line_num, value=value) from None
        times[normal_id(row.get("trainee") or "")] = (value, reader.line_num)
    return times


@dataclass(frozen=True)
class PolicyUpdate:
    """What a run's options say about lateness; ``None``: keep what the gradebook has."""

    deadline: str | None = None  # --deadline text
    policy: str | None = None  # --late-policy text
    timezone: str | None = None  # --timezone
    times: dict | None = None  # read_submission_times(--submission-times)
    times_path: str = ""


def resolve_policy(update: PolicyUpdate, stored: LatePolicy | None, lang: str = "en") -> tuple[LatePolicy, list[str]]:
    """The policy after this run (``update`` over ``stored``) and the warnings to print."""
    policy, warnings = stored or LatePolicy(), []
    zone = policy.zone
    if update.timezone is not None:
        zone_of(update.timezone, lang)  # unknown: exit 2
        zone = update.timezone
    if update.deadline is not None:
        try:
            moment = _iso(update.deadline)
        except ValueError:
            raise UsageError.keyed("late_bad_deadline", value=update.deadline) from None
        if moment.tzinfo is None:
            warnings.append(text("late_naive_deadline", lang, value=update.deadline, zone=zone or "UTC"))
        elif update.timezone is None:
            zone = _zone_name(moment)
        policy = replace(policy, deadline=parse_deadline(update.deadline, zone, lang))
    if update.policy is not None:
        policy = parse_policy(update.policy, policy.deadline, lang, zone)
    policy = replace(policy, zone=zone)
    if update.times:
        naive = sorted(line for value, line in update.times.values() if _iso(value).tzinfo is None)
        if naive:
            warnings.append(text("times_naive", lang, path=update.times_path, count=len(naive), line=naive[0],
                                 zone=zone or "UTC"))
    return policy, warnings


def times_warnings(times: dict, class_ids, lang: str = "en", limit: int = 20) -> list[str]:
    """Warnings for names in the times file that are not in the class, and for trainees of
    the class (the roster, else those who submitted) missing from it."""
    from grader.reports.safe_text import visible

    def names(values) -> str:
        values = [visible(v, multiline=False) for v in sorted(values)]
        shown = ", ".join(values[:limit])
        return shown + (f" (+{len(values) - limit})" if len(values) > limit else "")

    if not times:
        return []
    class_ids = set(class_ids)
    out = []
    unknown = set(times) - class_ids
    unlisted = class_ids - set(times)
    if unknown:
        out.append(text("times_unknown", lang, names=names(unknown)))
    if unlisted:
        out.append(text("times_unlisted", lang, names=names(unlisted)))
    return out

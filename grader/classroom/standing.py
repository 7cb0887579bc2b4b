"""The effective gradebook, computed (never stored): per trainee and exercise, the grader's
score, the instructor's overrides, the late penalty (from the stored policy and submission
times, so a new policy needs no regrade), the final score and whether the work is missing;
totals over every graded exercise. The class summary, the exports and the trainees'
feedback all read this one table.

    from grader.classroom.standing import of_book
    standing = of_book(book)                 # or compute(rows, roster=..., overrides=..., policy=..., times=...)
    standing.exercises                       # ("4_3", "4_4"): the exercises anyone was graded on, sorted
    standing.max_points["4_4"]               # 10.0: an exercise's points (the largest max_score graded)
    standing.members                         # Member records: the roster's, in its order, then unrostered ones
    standing.cells["t01", "4_4"]             # Cell: raw, score, penalty, final, missing, overrides, flags, row
    standing.totals["t01"]                   # Total: final, max (the same for everyone), missing exercises, ...
    standing.problems                        # [{"trainee", "path", "key"}]: key "not_in_roster"

Rules: a missing exercise counts 0 of its points (``missing``); an override of one check sets
that check's points and the late penalty is computed on the result; an override of a whole
exercise (no check) sets its final score (no late penalty on top); an override made on a
notebook that has changed since (another sha256) is kept, applied, and marked ``review``
(an override of a check that no longer exists is kept but not applied). Without a stored
policy (gradebooks made before policies were stored) the penalty recorded with the grade is used.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from grader.classroom.late import LatePolicy
from grader.course.registry import order_key
from grader.classroom.roster import Member, normal_id

__all__ = ["AppliedOverride", "Cell", "Total", "Standing", "compute", "of_book", "problem_rows"]


@dataclass(frozen=True)
class AppliedOverride:
    check: str | None  # None: the whole exercise
    points: float
    reason: str
    at: float  # when it was made (POSIX time)
    previous: float | None  # the grader's points when it was made
    review: bool  # the notebook changed since (or the check is gone): look again
    applied: bool


@dataclass(frozen=True)
class Cell:
    trainee: str  # the member's id
    exercise: str
    missing: bool  # no graded notebook: counts 0 of max_points
    raw: float  # the grader's score (0 when missing)
    max_points: float  # the exercise's points
    score: float  # raw with the checks' overrides applied, before the late penalty
    penalty: float
    final: float
    days_late: int = 0
    submitted_at: float | None = None
    overrides: tuple[AppliedOverride, ...] = ()
    grader_error: bool = False  # some check failed on the grader's side
    row: dict | None = field(default=None, repr=False, compare=False)

    @property
    def review(self) -> bool:
        return any(o.review for o in self.overrides)

    @property
    def flags(self) -> tuple[str, ...]:
        """``missing``, ``late``, ``override``, ``review``, ``grader-error`` as they apply."""
        return tuple(name for name, on in (("missing", self.missing), ("late", self.days_late > 0),
                                           ("override", bool(self.overrides)), ("review", self.review),
                                           ("grader-error", self.grader_error)) if on)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("row")
        data["flags"] = list(self.flags)
        return data


@dataclass(frozen=True)
class Total:
    final: float
    max: float  # the sum of every graded exercise's points: the same for the whole class
    raw: float
    penalty: float
    missing: tuple[str, ...]  # exercises without a graded notebook
    overrides: int
    review: tuple[str, ...]  # exercises with an override to review


@dataclass(frozen=True)
class Standing:
    exercises: tuple[str, ...]
    max_points: dict
    members: tuple[Member, ...]
    cells: dict  # (member id, exercise) -> Cell, for every member and exercise
    totals: dict  # member id -> Total
    policy: LatePolicy | None
    has_roster: bool
    unrostered: frozenset = frozenset()  # ids that submitted without a roster entry
    problems: tuple = ()  # ({"trainee", "path", "key"}, ...)

    @property
    def trainees(self) -> list[str]:
        return [m.id for m in self.members]

    @property
    def max_total(self) -> float:
        return round(sum(self.max_points.values()), 6)

    def member(self, trainee: str) -> Member | None:
        key = normal_id(trainee)
        return next((m for m in self.members if m.id == key or m.id == trainee), None)

    def trainee_dict(self, trainee: str) -> dict:
        """One trainee's standing as JSON-ready data (for feedback and results files)."""
        member = self.member(trainee)
        total = self.totals[member.id]
        return {"member": member.to_dict(), "in_roster": member.id not in self.unrostered and self.has_roster,
                "exercises": [self.cells[member.id, e].to_dict() for e in self.exercises],
                "total": asdict(total)}


def _checks(row: dict) -> list[dict]:
    try:
        return json.loads(row.get("checks_json") or "[]")
    except (TypeError, ValueError):
        return []


def _apply_checks(row: dict, raw: float, overrides: list[dict]) -> tuple[float, list[AppliedOverride]]:
    checks = {c["id"]: c for c in _checks(row)}
    score, applied = raw, []
    for o in overrides:
        check = checks.get(o["check_id"])
        review = o.get("sha256") != row.get("sha256") or check is None
        if check is not None:
            new = min(max(0.0, o["points"]), float(check["max_points"]))
            score += new - float(check["points"])
        applied.append(AppliedOverride(o["check_id"], o["points"], o["reason"], o["created_at"], o.get("previous"),
                                       review, check is not None))
    return round(score, 6), applied


def _cell(member_id: str, exercise: str, row: dict | None, top: float, overrides: list[dict],
          policy: LatePolicy | None, when: float | None) -> Cell:
    if row is None:
        whole = [o for o in overrides if not o["check_id"]]
        applied = [AppliedOverride(None, o["points"], o["reason"], o["created_at"], o.get("previous"),
                                   o.get("sha256") is not None, True) for o in whole]
        final = round(min(max(0.0, whole[-1]["points"]), top), 6) if whole else 0.0
        return Cell(member_id, exercise, True, 0.0, top, 0.0, 0.0, final, overrides=tuple(applied))
    raw = float(row.get("score", row.get("final_score", 0.0)))
    score, applied = _apply_checks(row, raw, [o for o in overrides if o["check_id"]])
    if policy is None:  # a gradebook from before policies were stored: its recorded penalty
        penalty, days = float(row.get("penalty") or 0.0), 0
        penalty = min(penalty, max(score, 0.0))
    else:
        penalty, days = policy.penalty(score, when), policy.days_late(when)
    final = round(score - penalty, 6)
    for o in (o for o in overrides if not o["check_id"]):
        review = o.get("sha256") != row.get("sha256")
        applied.append(AppliedOverride(None, o["points"], o["reason"], o["created_at"], o.get("previous"), review, True))
        final, penalty = round(min(max(0.0, o["points"]), top), 6), 0.0
    grader_error = any(c.get("status") == "grader-error" for c in _checks(row))
    return Cell(member_id, exercise, False, raw, top, score, penalty, final, days, when, tuple(applied),
                grader_error, row)


def _members(rows, roster, problems) -> tuple[tuple[Member, ...], dict, frozenset]:
    """The class (roster order, then unrostered submitters sorted), each row's member id, the unrostered ids."""
    owner: dict[str, str] = {}
    if roster is None:
        found = sorted({r["trainee"] for r in rows} | {p["trainee"] for p in problems if p["trainee"] != "?"})
        return tuple(Member(t, t) for t in found), {t: t for t in found}, frozenset()
    ids = {m.id for m in roster}
    extra = set()
    for r in rows:
        key = normal_id(r["trainee"])
        owner[r["trainee"]] = key if key in ids else r["trainee"]
        if key not in ids:
            extra.add(r["trainee"])
    return tuple(roster) + tuple(Member(t, t) for t in sorted(extra)), owner, frozenset(extra)


def compute(rows: list[dict], *, roster=None, overrides=(), policy: LatePolicy | None = None,
            times: dict | None = None, problems=()) -> Standing:
    """The standing of a class from gradebook rows (``Gradebook.rows()``), its roster (``None``:
    the class is whoever was found), overrides (``Gradebook.overrides()``), the late policy
    (``None``: use the recorded penalties) and submission times (``{trainee: (iso, line)}``)."""
    members, owner, unrostered = _members(rows, roster, problems)
    exercises = tuple(sorted({r["exercise"] for r in rows}, key=order_key))  # 4_2 before 4_10
    max_points = {e: round(max(float(r.get("max_score") or 0.0) for r in rows if r["exercise"] == e), 6)
                  for e in exercises}
    by_cell = {(owner[r["trainee"]], r["exercise"]): r for r in rows}
    by_override: dict = {}
    for o in overrides:
        by_override.setdefault((o["trainee"], o["exercise"]), []).append(o)
    times = times or {}
    cells, totals = {}, {}
    for m in members:
        stamp = times.get(m.id)
        for e in exercises:
            row = by_cell.get((m.id, e))
            when = row.get("submitted_at") if row else None
            if stamp is not None and policy is not None:
                when = policy.moment(stamp[0])
            cells[m.id, e] = _cell(m.id, e, row, max_points[e], by_override.get((m.id, e), []), policy, when)
        mine = [cells[m.id, e] for e in exercises]
        totals[m.id] = Total(round(sum(c.final for c in mine), 6), round(sum(max_points.values()), 6),
                             round(sum(c.raw for c in mine), 6), round(sum(c.penalty for c in mine), 6),
                             tuple(c.exercise for c in mine if c.missing), sum(len(c.overrides) for c in mine),
                             tuple(c.exercise for c in mine if c.review))
    found = tuple({"trainee": r["trainee"], "path": r.get("notebook", ""), "key": "not_in_roster"}
                  for r in rows if r["trainee"] in unrostered)
    return Standing(exercises, max_points, members, cells, totals, policy, roster is not None, unrostered, found)


def of_book(book) -> Standing:
    """The standing of everything a :class:`~grader.classroom.gradebook.Gradebook` holds."""
    return compute(book.rows(), roster=book.roster(), overrides=book.overrides(), policy=book.late_policy(),
                   times=book.submission_times(), problems=book.problems())


def problem_rows(standing: Standing, lang: str) -> list[dict]:
    """The standing's problems as the class summary lists them (``trainee, path, message``)."""
    from grader.reports.messages import text

    return [{"trainee": p["trainee"], "path": p["path"], "message": text(p["key"], lang)} for p in standing.problems]

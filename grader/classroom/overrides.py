"""Hand corrections of a score (``grader override``): stored in the gradebook with the time,
the reason and the notebook's sha256, applied by :mod:`grader.classroom.standing` to every total,
report and export, and kept across regrades. An override made on a notebook that has changed
since is kept and marked for review.

- ``grader override OUT TRAINEE EXERCISE CHECK_ID --points P --reason TEXT``: that check's
  points (0 .. the check's max); the late penalty is computed on the corrected score.
- ``grader override OUT TRAINEE EXERCISE --points P --reason TEXT``: the exercise's final
  score (0 .. the exercise's max; no late penalty on top); also for an exercise never handed in.
- ``--clear`` removes the override of the same target."""
from __future__ import annotations

import json

from grader.errors import UsageError
from grader.reports.messages import text
from grader.grading.notebook import EXERCISES
from grader.reports.safe_text import visible
from grader.classroom.standing import of_book

__all__ = ["OverrideError", "set_override", "clear_override", "target_name"]


class OverrideError(UsageError):
    """An override that cannot be made (unknown trainee, exercise or check, points out of range)."""


def target_name(trainee: str, exercise: str, check: str | None) -> str:
    return visible(" ".join(x for x in (trainee, exercise, check) if x), multiline=False)


def _resolve(book, trainee: str, exercise: str, check: str | None, lang: str):
    """``(member id, row or None, max points, previous points)`` of an override's target."""
    standing = of_book(book)
    member = standing.member(trainee)
    if member is None:
        raise OverrideError.keyed("override_unknown_trainee", trainee=visible(trainee, multiline=False))
    if exercise not in EXERCISES:
        raise OverrideError.keyed("override_unknown_exercise", exercise=visible(exercise, multiline=False),
                                 known=", ".join(EXERCISES))
    cell = standing.cells.get((member.id, exercise))
    row = cell.row if cell is not None else None
    if check:
        if row is None:
            raise OverrideError.keyed("override_no_notebook", trainee=visible(member.id, multiline=False),
                                     exercise=exercise)
        checks = {c["id"]: c for c in json.loads(row.get("checks_json") or "[]")}
        if check not in checks:
            known = ", ".join(sorted(checks)[:30]) or "-"
            raise OverrideError.keyed("override_unknown_check", trainee=visible(member.id, multiline=False),
                                     exercise=exercise, check=visible(check, multiline=False), known=known)
        return member.id, row, float(checks[check]["max_points"]), float(checks[check]["points"])
    top = standing.max_points.get(exercise)
    if not top:
        raise OverrideError.keyed("override_no_max", exercise=exercise)
    return member.id, row, float(top), (float(row["score"]) if row else None)


def set_override(book, trainee: str, exercise: str, check: str | None, points: float, reason: str,
                 lang: str = "ja") -> str:
    """Store an override (validated); the confirmation to print."""
    member, row, top, previous = _resolve(book, trainee, exercise, check, lang)
    if not 0 <= points <= top or points != points:
        raise OverrideError.keyed("override_points_range", max=f"{top:g}", points=f"{points:g}")
    reason = (reason or "").strip()
    if not reason:
        raise OverrideError.keyed("override_needs")
    book.set_override(member, exercise, check, float(points), reason, row["sha256"] if row else None, previous)
    return text("override_set", lang, target=target_name(member, exercise, check), points=f"{points:g}",
                reason=visible(reason, multiline=False))


def clear_override(book, trainee: str, exercise: str, check: str | None, lang: str = "ja") -> str:
    """Remove an override; the confirmation to print (exit 2 when there was none)."""
    standing = of_book(book)
    member = standing.member(trainee)
    key = member.id if member is not None else trainee
    if not book.clear_override(key, exercise, check):
        raise OverrideError.keyed("override_absent", target=target_name(key, exercise, check))
    return text("override_cleared", lang, target=target_name(key, exercise, check))

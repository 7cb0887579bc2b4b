"""Exports of a gradebook's standing (:mod:`grader.classroom.standing`: overrides, late penalties and
missing work as 0 included):

- ``class_csv``: one row per trainee, a column per exercise (final scores), the total, the
  maximum (the same for everyone), the late penalty, the missing exercises, overrides and
  exercises to review;
- ``canvas_csv``: Canvas's gradebook import (``Student,ID,SIS User ID,SIS Login ID,Section``,
  a column per assignment, a ``Points Possible`` row); SIS User ID is the roster's ``lms_id``,
  else its ``id``; SIS Login ID its ``email``;
- ``moodle_csv``: Moodle's grade import (Grades > Import > CSV file): an identifier column
  to map to a user field (``ID number`` = ``lms_id`` else ``id``, or ``Email address``), then
  one column per grade item, mapped in Moodle's import form;
- ``results_json``: the standing and every result as JSON.

Trainee text is data: every text cell of a CSV goes through :func:`grader.reports.safe_text.csv_cell`
(no cell starts with ``= + - @``, tab or CR); numbers are written as numbers. The LMS exports
list the roster's trainees only (an unrostered submitter has no LMS account to match)."""
from __future__ import annotations

import csv
import io
import json

from grader.reports.safe_text import csv_cell
from grader.classroom.standing import Standing, compute

__all__ = ["class_csv", "canvas_csv", "moodle_csv", "results_json", "item_title"]


def _standing(data) -> Standing:
    """A :class:`Standing`, or gradebook rows (then: their standing without roster or policy)."""
    return data if isinstance(data, Standing) else compute(list(data))


def _num(value: float) -> str:
    return f"{value:g}"


def item_title(exercise: str) -> str:
    """The LMS column (assignment, grade item) of an exercise, as its registry entry declares
    (``DAY4 4_1``); an exercise no longer registered keeps its id."""
    from grader.course import registry

    return registry.get(exercise).lms_item if registry.known(exercise) else exercise


def _writer():
    out = io.StringIO()
    return out, csv.writer(out, lineterminator="\n")


def class_csv(data) -> str:
    """``trainee,name,section,<exercises>,total,max_total,late_penalty,missing,overrides,review``."""
    s = _standing(data)
    out, writer = _writer()
    writer.writerow([csv_cell(h) for h in ("trainee", "name", "section", *s.exercises, "total", "max_total",
                                           "late_penalty", "missing", "overrides", "review")])
    for m in s.members:
        total = s.totals[m.id]
        writer.writerow([csv_cell(m.id), csv_cell(m.name), csv_cell(m.section),
                         *(_num(s.cells[m.id, e].final) for e in s.exercises),
                         _num(total.final), _num(total.max), _num(total.penalty), csv_cell(" ".join(total.missing)),
                         str(total.overrides), csv_cell(" ".join(total.review))])
    return out.getvalue()


def _lms_members(s: Standing):
    return [m for m in s.members if m.id not in s.unrostered]


def canvas_csv(data) -> str:
    """Canvas gradebook import: ``Student,ID,SIS User ID,SIS Login ID,Section``, one column per
    assignment, a ``Points Possible`` row first; a missing exercise is 0."""
    s = _standing(data)
    out, writer = _writer()
    writer.writerow([csv_cell(h) for h in ("Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                                           *(item_title(e) for e in s.exercises))])
    writer.writerow(["    Points Possible", "", "", "", "", *(_num(s.max_points[e]) for e in s.exercises)])
    for m in _lms_members(s):
        writer.writerow([csv_cell(m.name), "", csv_cell(m.lms_id or m.id), csv_cell(m.email), csv_cell(m.section),
                         *(_num(s.cells[m.id, e].final) for e in s.exercises)])
    return out.getvalue()


def moodle_csv(data) -> str:
    """Moodle grade import: ``ID number,Email address,Full name``, then one column per grade
    item (:func:`item_title`, e.g. ``DAY4 4_1``); map ``ID number`` (or ``Email address``) to the
    user field of the same name in Moodle's import form, and each exercise column to its grade item."""
    s = _standing(data)
    out, writer = _writer()
    writer.writerow([csv_cell(h) for h in ("ID number", "Email address", "Full name",
                                           *(item_title(e) for e in s.exercises))])
    for m in _lms_members(s):
        writer.writerow([csv_cell(m.lms_id or m.id), csv_cell(m.email), csv_cell(m.name),
                         *(_num(s.cells[m.id, e].final) for e in s.exercises)])
    return out.getvalue()


def results_json(data) -> str:
    """``{"exercises", "max_points", "max_total", "policy", "trainees": [...]}``: every
    trainee's standing (member, cells, total) with each graded result."""
    s = _standing(data)
    trainees = []
    for m in s.members:
        entry = s.trainee_dict(m.id)
        for cell, item in zip((s.cells[m.id, e] for e in s.exercises), entry["exercises"]):
            item["result"] = json.loads(cell.row["result_json"]) if cell.row and cell.row.get("result_json") else None
        trainees.append(entry)
    return json.dumps({"exercises": list(s.exercises), "max_points": s.max_points, "max_total": s.max_total,
                       "policy": s.policy.to_dict() if s.policy else None, "has_roster": s.has_roster,
                       "trainees": trainees}, ensure_ascii=False, indent=1)

"""Exports of a gradebook: one row per trainee with a column per exercise and the total; a
CSV that Canvas's gradebook import accepts; the JSON of every result."""
from __future__ import annotations

import csv
import io
import json

__all__ = ["class_csv", "canvas_csv", "results_json"]


def _matrix(rows: list[dict]):
    exercises = sorted({r["exercise"] for r in rows})
    trainees = sorted({r["trainee"] for r in rows})
    cells = {(r["trainee"], r["exercise"]): r for r in rows}
    return exercises, trainees, cells


def class_csv(rows: list[dict]) -> str:
    """``trainee,4_1,...,4_7,total,max_total``: final scores (after late penalties)."""
    exercises, trainees, cells = _matrix(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["trainee", *exercises, "total", "max_total"])
    for t in trainees:
        got = [cells.get((t, e)) for e in exercises]
        writer.writerow([t, *("" if r is None else f"{r['final_score']:g}" for r in got),
                         f"{sum(r['final_score'] for r in got if r):g}", f"{sum(r['max_score'] for r in got if r):g}"])
    return out.getvalue()


def canvas_csv(rows: list[dict]) -> str:
    """Canvas gradebook import: ``Student,ID,SIS User ID,SIS Login ID,Section`` then one
    column per assignment, with a ``Points Possible`` row first."""
    exercises, trainees, cells = _matrix(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    titles = [f"DAY4 {e}" for e in exercises]
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *titles])
    possible = [f"{max(cells[t, e]['max_score'] for t in trainees if (t, e) in cells):g}" for e in exercises]
    writer.writerow(["    Points Possible", "", "", "", "", *possible])
    for t in trainees:
        writer.writerow([t, "", t, t, "", *("" if (t, e) not in cells else f"{cells[t, e]['final_score']:g}"
                                            for e in exercises)])
    return out.getvalue()


def results_json(rows: list[dict]) -> str:
    return json.dumps([dict(json.loads(r["result_json"]), trainee=r["trainee"], penalty=r["penalty"],
                            final_score=r["final_score"]) for r in rows], ensure_ascii=False, indent=1)

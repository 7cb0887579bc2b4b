"""The class's reports: a summary (trainee x exercise matrix, histograms, failure rate of
every check, notebooks that errored or were flagged) and one report per trainee, rendered
from the gradebook with jinja2; plus the JSON of every result."""
from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

from grader.course.diagnosis import title as diagnosis_title
from grader.reports.messages import text
from grader.reports.presentation import curves_uri, exercise_summary, presentation
from grader.reports.report import template_environment
from grader.grading.results import GradingResult
from grader.reports.safe_text import name_findings, report_file_name, visible

__all__ = ["write_reports", "summary_data", "trainee_file", "trainee_files", "name_problems", "curve_svg"]


def trainee_file(trainee: str) -> str:
    """A safe, stable file name for a trainee's report, different for every name:
    ``yamada-3f2a9c1b.html``, ``trainee-5f34cd83.html`` for ``山田`` (see
    :func:`grader.reports.safe_text.report_file_name`)."""
    return report_file_name(trainee)


def trainee_files(trainees) -> dict[str, str]:
    """``{trainee: file name}``, every file distinct even on a case-insensitive disk: names
    whose short hashes collide (or that are equal after NFC) get the full hash of their exact
    text instead."""
    files = {t: trainee_file(t) for t in trainees}
    taken = Counter(f.lower() for f in files.values())
    for t, f in files.items():
        if taken[f.lower()] > 1:
            files[t] = f"{f[:-len('.html')]}-{hashlib.sha256(t.encode('utf-8', 'surrogatepass')).hexdigest()}.html"
    return files


def name_problems(trainees, lang: str) -> list[dict]:
    """Problems (as the summary lists them) for names that hide characters, mix scripts or look
    like a classmate's: the name is shown with its hidden characters escaped."""
    return [{"trainee": f["trainee"], "path": f["trainee"],
             "message": text("name_" + f["kind"], lang, other=visible(f.get("other", ""), multiline=False),
                             detail=f["detail"])}
            for f in name_findings(trainees)]


def _histogram(ratios: list[float], bins: int = 5) -> list[dict]:
    counts = Counter(min(int(r * bins), bins - 1) for r in ratios)
    top = max(counts.values(), default=1)
    return [{"label": f"{100 * i // bins}–{100 * (i + 1) // bins}%", "count": counts.get(i, 0),
             "height": round(100 * counts.get(i, 0) / top)} for i in range(bins)]


def _mistakes(rows: list[dict], lang: str) -> list[dict]:
    """How many trainees each diagnosed mistake (``details["diagnosis"]`` of a failed check) was
    found in, with the checks it explained: most frequent first."""
    trainees: dict[str, set] = defaultdict(set)
    checks: dict[str, set] = defaultdict(set)
    for r in rows:
        for check in json.loads(r["checks_json"]):
            found = (check.get("details") or {}).get("diagnosis")
            if found and not check["passed"]:
                trainees[found].add(r["trainee"])
                checks[found].add(check["id"])
    return sorted(({"id": d, "title": diagnosis_title(d, lang), "count": len(trainees[d]), "checks": sorted(checks[d]),
                    "generic": d.startswith("generic.")} for d in trainees), key=lambda m: (-m["count"], m["id"]))


def summary_data(rows: list[dict], problems: list[dict], lang: str = "en", standing=None) -> dict:
    """Everything the summary template shows, computed from gradebook rows and their
    :mod:`grader.classroom.standing` (``standing``: ``of_book(book)``; ``None``: from ``rows`` alone)."""
    from grader.classroom.standing import compute, problem_rows

    standing = standing if standing is not None else compute(rows, problems=problems)
    exercises, trainees = list(standing.exercises), standing.trainees
    cells = {(c.trainee, c.exercise): dict(c.row, raw_score=c.raw, score=c.score, penalty=c.penalty, final_score=c.final,
                                           max_score=c.max_points, missing=False, flags=list(c.flags), trainee=c.trainee)
             for c in standing.cells.values() if c.row is not None}
    rows = list(cells.values())
    problems = list(problems) + problem_rows(standing, lang)
    failures: dict[str, Counter] = defaultdict(Counter)
    hints: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        for check in json.loads(r["checks_json"]):
            failures[check["id"]]["total"] += 1
            failures[check["id"]]["failed"] += not check["passed"]
            if not check["passed"] and check.get("hint"):
                hints[check["id"]][check["hint"]] += 1
    check_rates = sorted(
        ({"id": cid, "failed": c["failed"], "total": c["total"], "rate": round(100 * c["failed"] / c["total"]),
          "top_hint": hints[cid].most_common(1)[0][0] if hints[cid] else None}
         for cid, c in failures.items()), key=lambda x: (-x["rate"], x["id"]))
    histograms = {ex: _histogram([r["final_score"] / r["max_score"] for r in rows
                                  if r["exercise"] == ex and r["max_score"]]) for ex in exercises}
    attention = [{"trainee": r["trainee"], "exercise": r["exercise"], "errors": json.loads(r["errors_json"]),
                  "flags": json.loads(r["flags_json"])} for r in rows
                 if json.loads(r["errors_json"]) or json.loads(r["flags_json"])]
    totals = {t: (standing.totals[t].final, standing.totals[t].max) for t in trainees}
    data = {"standing": standing, "exercises": exercises, "trainees": trainees, "cells": cells, "check_rates": check_rates,
            "mistakes": _mistakes(rows, lang),
            "histograms": histograms, "attention": attention, "problems": problems + name_problems(trainees, lang),
            "totals": totals, "files": trainee_files(trainees)}
    data.update(presentation(data, lang))  # who failed what, the figures (grader/reports/presentation.py)
    from grader.course.checks.ex4_10_samples import leaderboard  # 4_10: hidden-set accuracy ranked, measured augmentations

    data["leaderboard"] = leaderboard(rows, data.get("names", {}), lang)
    return data


def curve_svg(values: list[float], width: int = 320, height: int = 120) -> dict | None:
    """Points of a polyline for a training curve (inline SVG made by the template)."""
    values = [float(v) for v in values if v == v]
    if len(values) < 2:
        return None
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 20) / (len(values) - 1)
    points = " ".join(f"{10 + i * step:.1f},{10 + (height - 20) * (1 - (v - low) / span):.1f}"
                      for i, v in enumerate(values))
    return {"points": points, "low": f"{low:.4g}", "high": f"{high:.4g}", "n": len(values),
            "width": width, "height": height}


def _curves(result, lang: str = "ja") -> list[dict]:
    """The result's training curves, one matplotlib figure per check (``{"name", "uri", "n"}``)."""
    curves = []
    for check in result.checks:
        named = check.details.get("curves") or {}
        uri = curves_uri(named, lang) if named else None
        if uri:
            curves.append({"name": ", ".join(named), "uri": uri, "n": max(len(v or ()) for v in named.values())})
    return curves


def write_reports(book, out_dir: Path, lang: str, similarity: dict | None = None) -> None:
    """``index.html``, ``trainees/<trainee>.html`` and ``results.json`` in ``out_dir``."""
    env = template_environment()
    rows, problems = book.rows(), book.problems()
    from grader.classroom.standing import of_book

    data = summary_data(rows, problems, lang, standing=of_book(book))
    (out_dir / "trainees").mkdir(exist_ok=True)
    results = {(t, e): GradingResult.from_json(r["result_json"]) for (t, e), r in data["cells"].items()}
    for trainee in data["trainees"]:
        entries = [{"row": data["cells"][trainee, ex], "result": results[trainee, ex],
                    "curves": _curves(results[trainee, ex], lang)}
                   for ex in data["exercises"] if (trainee, ex) in data["cells"]]
        html = env.get_template("trainee_report.html").render(
            lang=lang, trainee=trainee, entries=entries, total=data["totals"][trainee], standing=data["standing"],
            summary=exercise_summary(data["standing"], trainee), name=data["names"].get(trainee, trainee),
            problems=[p for p in problems if p["trainee"] == trainee])
        (out_dir / "trainees" / data["files"][trainee]).write_text(html, encoding="utf-8")
    (out_dir / "index.html").write_text(env.get_template("class_summary.html").render(lang=lang, similarity=similarity,
                                                                                      **data),
                                        encoding="utf-8")
    dump = [dict(json.loads(r["result_json"]), trainee=r["trainee"], penalty=r["penalty"], final_score=r["final_score"],
                 submitted_at=r["submitted_at"], sha256=r["sha256"], standing=data["standing"].cells[t, e].to_dict())
            for (t, e), r in data["cells"].items()]
    (out_dir / "results.json").write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")

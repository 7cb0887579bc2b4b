"""The class's reports: a summary (trainee x exercise matrix, histograms, failure rate of
every check, notebooks that errored or were flagged) and one report per trainee, rendered
from the gradebook with jinja2; plus the JSON of every result."""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from .diagnosis import title as diagnosis_title
from .report import template_environment

__all__ = ["write_reports", "summary_data", "trainee_file", "curve_svg"]


def trainee_file(trainee: str) -> str:
    """A safe, stable file name for a trainee's report."""
    safe = re.sub(r"[^0-9A-Za-z_\-]+", "_", trainee).strip("_") or "trainee"
    return f"{safe}.html"


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


def summary_data(rows: list[dict], problems: list[dict], lang: str = "en") -> dict:
    """Everything the summary template shows, computed from gradebook rows."""
    exercises = sorted({r["exercise"] for r in rows})
    trainees = sorted({r["trainee"] for r in rows} | {p["trainee"] for p in problems if p["trainee"] != "?"})
    cells = {(r["trainee"], r["exercise"]): r for r in rows}
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
    totals = {t: (sum(cells[t, e]["final_score"] for e in exercises if (t, e) in cells),
                  sum(cells[t, e]["max_score"] for e in exercises if (t, e) in cells)) for t in trainees}
    return {"exercises": exercises, "trainees": trainees, "cells": cells, "check_rates": check_rates,
            "mistakes": _mistakes(rows, lang),
            "histograms": histograms, "attention": attention, "problems": problems, "totals": totals,
            "files": {t: trainee_file(t) for t in trainees}}


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


def _curves(result) -> list[dict]:
    curves = []
    for check in result.checks:
        for name, values in (check.details.get("curves") or {}).items():
            svg = curve_svg(values)
            if svg:
                curves.append(dict(svg, name=name))
    return curves


def write_reports(book, out_dir: Path, lang: str) -> None:
    """``index.html``, ``trainees/<trainee>.html`` and ``results.json`` in ``out_dir``."""
    env = template_environment()
    rows, problems = book.rows(), book.problems()
    data = summary_data(rows, problems, lang)
    (out_dir / "trainees").mkdir(exist_ok=True)
    results = book.results()
    for trainee in data["trainees"]:
        entries = [{"row": data["cells"][trainee, ex], "result": results[trainee, ex],
                    "curves": _curves(results[trainee, ex])}
                   for ex in data["exercises"] if (trainee, ex) in data["cells"]]
        html = env.get_template("trainee_report.html").render(
            lang=lang, trainee=trainee, entries=entries, total=data["totals"][trainee],
            problems=[p for p in problems if p["trainee"] == trainee])
        (out_dir / "trainees" / data["files"][trainee]).write_text(html, encoding="utf-8")
    (out_dir / "index.html").write_text(env.get_template("class_summary.html").render(lang=lang, **data),
                                        encoding="utf-8")
    dump = [dict(json.loads(r["result_json"]), trainee=r["trainee"], penalty=r["penalty"],
                 final_score=r["final_score"], submitted_at=r["submitted_at"], sha256=r["sha256"]) for r in rows]
    (out_dir / "results.json").write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")

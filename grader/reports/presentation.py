"""What the instructor's pages show beyond the numbers: who failed each check, who made each
diagnosed mistake, the hints once each, and figures drawn with matplotlib (Agg, axes, labels
and bin edges) embedded as ``data:image/svg+xml`` URIs (offline; the pages' CSP allows
``img-src data:`` and nothing else). Pure functions of gradebook rows; no files written."""
from __future__ import annotations

import base64
import io
import json
import math
from collections import defaultdict

from grader.reports.messages import text
from grader.grading.results import CheckResult

__all__ = ["presentation", "check_failures", "mistakes_by_trainee", "histogram_uri", "curve_uri", "curves_uri", "bin_edges",
           "exercise_summary"]

_CHECK_FIELDS = set(CheckResult.__dataclass_fields__)


def _figure(width: float = 4.6, height: float = 2.6):
    import matplotlib

    matplotlib.use("Agg", force=False)
    try:
        import matplotlib_fontja  # noqa: F401  (a Japanese font for the labels)
    except ImportError:  # labels then fall back to the default font
        pass
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=96, layout="constrained")


def _uri(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})  # same input, same bytes
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def bin_edges(top: float, bins: int = 10) -> list[float]:
    """``bins + 1`` equal bin edges from 0 to ``top`` (at least 1); one bin per point when ``top``
    is a whole number of at most 20 points (edges 0, 1, ..., top)."""
    top = top if top and top > 0 else 1.0
    if float(top).is_integer() and top <= 20:
        return [float(i) for i in range(int(top) + 1)]
    return [round(top * i / bins, 6) for i in range(bins + 1)]


def histogram_uri(values, edges, xlabel: str, ylabel: str, title: str = "") -> str:
    """A histogram of ``values`` over ``edges``; every edge is a labelled tick, counts are integers."""
    fig = _figure()
    ax = fig.add_subplot()
    clipped = [min(max(v, edges[0]), edges[-1]) for v in values]
    counts, _, _ = ax.hist(clipped, bins=edges, color="#4a7bd0", edgecolor="#ffffff")
    ax.set_xticks(edges)
    ax.set_xticklabels([f"{e:g}" for e in edges], fontsize=7)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, max(1, max(counts, default=0)) * 1.15)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return _uri(fig)


def _finite_points(values) -> list[tuple[int, float]]:
    """``(epoch index, value)`` of a curve's finite values (``None`` entries skipped)."""
    return [(i, float(v)) for i, v in enumerate(values or ()) if v is not None and math.isfinite(float(v))]


def _draw_curve(ax, name: str, points: list, lang: str) -> None:
    ax.plot([p[0] for p in points], [p[1] for p in points], color="#4a7bd0", linewidth=1.2)
    ax.set_xlabel(text("plot_epoch", lang))
    ax.set_ylabel(text("plot_value", lang))
    ax.set_title(name, fontsize=10)
    ax.grid(alpha=0.3)


def curve_uri(name: str, values, lang: str) -> str | None:
    """A training curve (``None`` entries skipped) with its axes and their labels, or ``None``
    when fewer than two finite values are left."""
    points = _finite_points(values)
    if len(points) < 2:
        return None
    fig = _figure(4.6, 2.4)
    _draw_curve(fig.add_subplot(), name, points, lang)
    return _uri(fig)


def curves_uri(named: dict, lang: str) -> str | None:
    """Every training curve of one result in one figure (one axes each, side by side: one
    figure per notebook keeps a class's reports quick to write), or ``None`` when none has two
    finite values."""
    series = {name: points for name, values in named.items() if len(points := _finite_points(values)) >= 2}
    if not series:
        return None
    fig = _figure(3.3 * len(series), 2.4)
    for ax, (name, points) in zip(fig.subplots(1, len(series), squeeze=False)[0], series.items()):
        _draw_curve(ax, name, points, lang)
    return _uri(fig)


def _checks(row: dict) -> list[CheckResult]:
    try:
        found = json.loads(row.get("checks_json") or "[]")
    except (TypeError, ValueError):
        return []
    return [CheckResult(**{k: v for k, v in c.items() if k in _CHECK_FIELDS}) for c in found]


def check_failures(rows, names: dict, lang: str) -> dict:
    """``{"failing": [...], "passed": [...], "hints": [...]}``: the checks someone failed (most
    often failed first) with who failed them and the number of their hint in ``hints`` (each
    distinct hint once, in ``lang``), and the ids of the checks everyone passed."""
    from grader.reports.report import hint_in

    failed: dict[str, list] = defaultdict(list)
    total: dict[str, int] = defaultdict(int)
    hint_of: dict[str, str] = {}
    for row in rows:
        for check in _checks(row):
            total[check.id] += 1
            if not check.passed:
                failed[check.id].append(names.get(row["trainee"], row["trainee"]))
                # the check's own hint (not one trainee's diagnosis): each distinct one listed once
                hint = (check.hints or {}).get(lang) or hint_in(check, lang)
                if hint and check.id not in hint_of:
                    hint_of[check.id] = hint
    hints: list[str] = []
    failing = []
    for cid in sorted(failed, key=lambda c: (-len(failed[c]) / total[c], c)):
        hint = hint_of.get(cid)
        if hint is not None and hint not in hints:
            hints.append(hint)
        failing.append({"id": cid, "failed": len(failed[cid]), "total": total[cid],
                        "rate": round(100 * len(failed[cid]) / total[cid]), "trainees": sorted(failed[cid]),
                        "hint": hints.index(hint) + 1 if hint is not None else None})
    passed = sorted(cid for cid in total if cid not in failed)
    return {"failing": failing, "passed": passed, "hints": hints}


def mistakes_by_trainee(rows, names: dict) -> dict[str, list[str]]:
    """``{diagnosis id: sorted names of the trainees it was found in}``."""
    found: dict[str, set] = defaultdict(set)
    for row in rows:
        for check in _checks(row):
            diagnosis = (check.details or {}).get("diagnosis")
            if diagnosis and not check.passed:
                found[diagnosis].add(names.get(row["trainee"], row["trainee"]))
    return {d: sorted(who) for d, who in found.items()}


def exercise_summary(standing, trainee: str) -> list[dict]:
    """One trainee's line per exercise: score, penalty, overrides, missing (for the report's top)."""
    out = []
    for exercise in standing.exercises:
        cell = standing.cells[trainee, exercise]
        out.append({"exercise": exercise, "missing": cell.missing, "final": cell.final, "max": cell.max_points,
                    "raw": cell.raw, "penalty": cell.penalty, "days_late": cell.days_late,
                    "overrides": [o for o in cell.overrides if o.applied], "review": cell.review})
    return out


def presentation(data: dict, lang: str) -> dict:
    """Template context for the class summary, from :func:`grader.reports.class_report.summary_data`'s
    ``data``: names, who failed what, mistakes with names, and the figures."""
    standing = data.get("standing")
    names = {m.id: (m.name or m.id) for m in standing.members} if standing is not None else {}
    rows = list(data["cells"].values())
    figures = {}
    for exercise in data["exercises"]:
        top = standing.max_points.get(exercise, 0.0) if standing is not None else 0.0
        scores = [standing.cells[t, exercise].final for t in data["trainees"]] if standing is not None else \
            [r["final_score"] for r in rows if r["exercise"] == exercise]
        figures[exercise] = histogram_uri(scores, bin_edges(top), text("score", lang),
                                          text("plot_count", lang), f"{text('exercise', lang)} {exercise}")
    totals = [data["totals"][t][0] for t in data["trainees"]]
    top = max((data["totals"][t][1] for t in data["trainees"]), default=0.0)
    return {"names": names, "checks_view": check_failures(rows, names, lang),
            "mistake_names": mistakes_by_trainee(rows, names), "exercise_figures": figures,
            "totals_figure": histogram_uri(totals, bin_edges(top, 10), text("plot_total", lang),
                                           text("plot_count", lang), text("summary_totals", lang))}

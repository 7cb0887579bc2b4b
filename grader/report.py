"""Rendering results to strings: terminal text, the contract's JSON, HTML (jinja2).
Only the command line and the batch runner write files."""
from __future__ import annotations

import json
import unicodedata
from importlib import resources

import jinja2

from .messages import text
from .results import GradingResult, Status

__all__ = ["render_terminal", "render_json", "render_html", "template_environment"]

_COLOURS = {Status.PASSED: "32", Status.FAILED: "31", Status.ERROR: "31", Status.MISSING: "33",
            Status.GRADER_ERROR: "35"}


def _pad(s: str, width: int) -> str:
    """``s`` padded to ``width`` terminal columns (Japanese characters take two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)
    return s + " " * max(0, width - columns)


def _paint(s: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{s}\x1b[0m" if colour else s


def _error_line(error, lang: str) -> str:
    cell = "-" if error.cell is None else error.cell
    if error.kind == "timeout":
        return text("cell_timeout", lang, cell=cell, seconds=error.message)
    if error.kind == "deadline":
        return text("deadline", lang, cell=cell, seconds=error.message)
    if error.kind == "kernel-died":
        return text("kernel_died", lang, cell=cell)
    return text("cell_error", lang, cell=cell, message=error.message)


def render_terminal(result: GradingResult, lang: str = "ja", colour: bool = False) -> str:
    """A readable report: one line per check, then hints, cell errors and flags."""
    lines = [f"{text('exercise', lang)} {result.exercise}  {text('notebook', lang)} {result.notebook}",
             f"{text('score', lang)}: {result.score:g} / {result.max_score:g}", ""]
    width = max((len(c.id) for c in result.checks), default=10)
    for check in result.checks:
        label = _paint(_pad(text("status_" + check.status, lang), 12), _COLOURS[check.status], colour)
        points = f"{check.points:g}/{check.max_points:g}"
        lines.append(f"  {label} {check.id:<{width}}  {points:>5}  {check.message}")
        if check.hint:
            lines.append(f"  {'':12} {'':<{width}}         {text('hint', lang)}: {check.hint}")
    if result.errors:
        lines += ["", text("cell_errors", lang) + ":"] + [f"  - {_error_line(e, lang)}" for e in result.errors]
    if result.flags:
        lines += ["", text("flags", lang) + ":"] + [f"  - [{f.kind}] {f.message}" for f in result.flags]
    off = [name for name, on in result.protections.items() if not on]
    if off:
        lines += ["", f"{text('protections_off', lang)}: {', '.join(off)}"]
    failed = sum(not c.passed for c in result.checks)
    lines += ["", text("all_passed", lang) if failed == 0 else text("some_failed", lang, failed=failed)]
    return "\n".join(lines) + "\n"


def render_json(result: GradingResult) -> str:
    """Exactly one JSON object, as CONTRACT.md specifies (plus additive fields)."""
    return json.dumps(result.to_dict(), ensure_ascii=False)


def template_environment() -> jinja2.Environment:
    """Templates shipped as package data in ``templates``; autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: resources.files("templates").joinpath(name).read_text("utf-8")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.globals["t"] = text
    env.filters["error_line"] = _error_line
    return env


def render_html(result: GradingResult, lang: str = "ja") -> str:
    """A self-contained HTML report of one notebook (CSS inline, no scripts, opens offline)."""
    return template_environment().get_template("notebook_report.html").render(result=result, lang=lang)

"""Rendering results to strings: terminal text, the contract's JSON, HTML (jinja2).
Only the command line and the batch runner write files."""
from __future__ import annotations

import json
import unicodedata
from importlib import resources

import jinja2
import markupsafe

from grader.reports.messages import MESSAGES, text
from grader.grading.results import ERRORS_DROPPED, GradingResult, Status
from grader.reports.safe_text import visible

__all__ = ["render_terminal", "render_json", "render_html", "template_environment", "message_in", "hint_in"]

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
    if error.kind == ERRORS_DROPPED:
        return said_in(error, lang)
    return text("cell_error", lang, cell=cell, message=said_in(error, lang))


def said_in(record, lang: str) -> str:
    """The ``message`` of a cell error, note or flag (an object or its JSON dict) in ``lang``:
    worded again from its ``message_key`` when it has one, else as stored."""
    get = record.get if isinstance(record, dict) else lambda name, default=None: getattr(record, name, default)
    key, message = get("message_key"), get("message", "")
    if not key or key not in MESSAGES:
        return message
    try:
        return text(key, lang, **(get("message_fields") or {}))
    except (KeyError, ValueError, IndexError, TypeError):
        return message


def message_in(check, lang: str) -> str:
    """A check's message in ``lang``: rendered again from its ``message_key`` and fields (plus the
    note of a low-precision result and the failed cell that caused it), so an out dir graded in
    one language reads in the other; a result without a key (older, or a message the checks
    compose themselves) keeps the text it was stored with."""
    if not check.message_key or check.message_key not in MESSAGES:
        return check.message
    try:
        said = text(check.message_key, lang, **check.message_fields)
        details = check.details or {}
        if details.get("note") and details.get("notes"):
            said += " " + text(f"note_{details['note']}", lang, **details["notes"][0])
        if details.get("caused_by"):
            said += "\n" + text("caused_by_cell", lang, **details["caused_by"])
    except (KeyError, ValueError, IndexError, TypeError):
        return check.message
    return said


def hint_in(check, lang: str) -> str | None:
    """A check's hint in ``lang`` (``None`` when it had none): the spec's hint in that language,
    with the diagnosed mistake (``details["diagnosis"]``) worded again; an older result keeps its text."""
    if not check.hint:
        return None
    if not check.message_key:
        return check.hint
    from grader.course.diagnosis.diagnoser import GENERIC_PREFIX, all_mistakes

    details = check.details or {}
    base = check.hints.get(lang, check.hints.get("en")) if check.hints else None
    found = details.get("diagnosis")
    try:
        if found and found.startswith(GENERIC_PREFIX):
            kind = found[len(GENERIC_PREFIX):]
            said = text("diagnosis_generic", lang,
                        finding=text(f"diag_{kind}", lang, **(details.get("diagnosis_fields") or {})))
            return f"{said} {base}" if base else said
        if found:
            mistake = all_mistakes().get(found)
            if mistake is None:
                return check.hint
            title, hint = mistake.describe(lang)
            return text("diagnosis", lang, title=title, hint=hint)
    except (KeyError, ValueError, IndexError, TypeError):
        return check.hint
    return base if base is not None else check.hint


def _shown(s, indent: str) -> str:
    """Trainee text for a terminal: control and bidi characters escaped visibly, and every
    further line of a multi-line message indented, so no line of it can pass for the report's own."""
    return visible(s).replace("\n", "\n" + indent + "    ")


def render_terminal(result: GradingResult, lang: str = "ja", colour: bool = False) -> str:
    """A readable report: one line per check, then hints, cell errors and flags. Trainee text
    (messages with exception texts, file names) is shown escaped (:func:`_shown`)."""
    notebook = visible(result.notebook, multiline=False)
    title = exercise_title(result.exercise, lang)
    lines = [f"{text('exercise', lang)} {result.exercise}{' ' + title if title else ''}  {text('notebook', lang)} {notebook}",
             f"{text('score', lang)}: {result.score:g} / {result.max_score:g}", ""]
    width = max((len(c.id) for c in result.checks), default=10)
    for check in result.checks:
        label = _paint(_pad(text("status_" + check.status, lang), 12), _COLOURS[check.status], colour)
        points = f"{check.points:g}/{check.max_points:g}"
        lines.append(f"  {label} {_shown(check.id, '  '):<{width}}  {points:>5}  {_shown(message_in(check, lang), '  ')}")
        hint = hint_in(check, lang)
        if hint:
            lines.append(f"  {'':12} {'':<{width}}         {text('hint', lang)}: {_shown(hint, '  ')}")
    if result.errors:
        lines += ["", text("cell_errors", lang) + ":"] + [f"  - {_shown(_error_line(e, lang), '  ')}"
                                                           for e in result.errors]
    if result.flags:
        lines += ["", text("flags", lang) + ":"] + [f"  - [{_shown(f.kind, '  ')}] {_shown(said_in(f, lang), '  ')}"
                                                     for f in result.flags]
    off = [name for name, on in result.protections.items() if not on]
    if off:
        lines += ["", f"{text('protections_off', lang)}: {', '.join(off)}"]
    failed = sum(not c.passed for c in result.checks)
    lines += ["", text("all_passed", lang) if failed == 0 else text("some_failed", lang, failed=failed)]
    return "\n".join(lines) + "\n"


def render_json(result: GradingResult) -> str:
    """Exactly one JSON object, as CONTRACT.md specifies (plus additive fields)."""
    return _json_escaped(json.dumps(result.to_dict(), ensure_ascii=False))


def _json_escaped(encoded: str) -> str:
    """JSON whose C1 controls, bidi and invisible characters are written as ``\\uXXXX`` escapes
    (the same JSON value, harmless on a terminal). Outside strings JSON has only ASCII."""
    if encoded.isascii():
        return encoded
    return "".join(ch if ch < "\x7f" or visible(ch) == ch else _json_unit_escapes(ch) for ch in encoded)


def _json_unit_escapes(ch: str) -> str:
    units = ch.encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{units[i] << 8 | units[i + 1]:04x}" for i in range(0, len(units), 2))


def _visible_in_html(value):
    """Every ``{{ ... }}`` of a template: control, bidi and invisible characters in trainee
    text shown as escapes (a U+202E cannot reverse the page), then autoescaped as usual.
    Markup (a macro's output) was finalized piece by piece already."""
    if isinstance(value, markupsafe.Markup):
        return value
    return visible(value) if isinstance(value, str) else value


def exercise_title(exercise: str, lang: str) -> str:
    """The registered title of ``exercise`` in ``lang``; empty for an id no longer registered
    (an old gradebook row): reports then show the id alone."""
    from grader.course import registry

    return registry.get(exercise).title(lang) if registry.known(exercise) else ""


def template_environment() -> jinja2.Environment:
    """Templates shipped as package data in ``templates``; autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: resources.files("templates").joinpath(name).read_text("utf-8")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        finalize=_visible_in_html,
    )
    env.globals["t"] = text
    env.globals["exercise_title"] = exercise_title
    env.filters["error_line"] = _error_line
    env.filters["message_in"] = message_in
    env.filters["hint_in"] = hint_in
    env.filters["said_in"] = said_in
    return env


def render_html(result: GradingResult, lang: str = "ja") -> str:
    """A self-contained HTML report of one notebook (CSS inline, no scripts, opens offline)."""
    return template_environment().get_template("notebook_report.html").render(result=result, lang=lang)

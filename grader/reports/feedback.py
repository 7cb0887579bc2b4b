"""Feedback safe to hand back to trainees: ``grader feedback OUT --to DIR [--zip] [--lang ja|en]``.

One self-contained HTML page per trainee (no script, no external resource), named by the
trainee's roster id when the gradebook has a roster, else by :func:`grader.reports.safe_text.report_file_name`.
It holds, in the asked language: each exercise's score (penalty, override, missing work as
0 points), every check's status, points, message and hint, the trainee's own cell errors,
and, for checks that failed on the course's public slide examples, the expected and
received excerpts (those inputs and answers are in the slides and the contract).

What it never holds (the instructor's reports keep them):
- the seed (nor the grader's timings, protections or integrity flags);
- an expected value computed on a hidden input: array excerpts of non-public calls are
  dropped, and a "wrong values" message is rendered from its key without its expected
  value, received value and error sizes (``|expected - received|`` of a one-element array
  would give the expected value away): only the call, how many elements differ and where the
  first one is. Messages this version cannot render from a key (older results, a check's own
  texts) are kept only for passed checks, for the message keys listed in :data:`SAFE_KEYS` and
  for a trained network's evaluation (its accuracy, the thresholds, the architecture found:
  ``details["accuracy"]``); other failed checks say "not correct yet" with the call;
- anything about another trainee (no class statistics, no names but the trainee's own).

``--zip`` also writes ``DIR/feedback.zip``: every trainee's page, one file each at its top
level (what LMS bulk "feedback files" uploads take); the pages stay in ``DIR`` as well.
"""
from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

from grader.errors import GraderError
from grader.reports.messages import text
from grader.reports.report import hint_in, message_in, template_environment
from grader.grading.results import CheckResult
from grader.reports.safe_text import report_file_name

__all__ = ["write_feedback", "safe_message", "public_call", "SAFE_KEYS", "feedback_file_names"]

# messages that carry no expected value computed on a hidden input (shapes and dictionary keys
# are fixed by the contract; an exception text is the trainee's own)
SAFE_KEYS = frozenset({"passed", "missing", "missing_attr", "raised", "skipped", "badtype", "shape", "nonfinite",
                       "modified", "keys", "uses_reference", "grader_error", "not_run"})
_VALUES = ("values", "values_nonfinite")  # messages that quote an expected value
_ARRAY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\([0-9, ]*\) (?:float|int|uint|bool|complex)[0-9]*")
_FIELD_ID = re.compile(r"[^0-9A-Za-z_.-]+")


def public_call(call: str | None) -> bool:
    """Whether a probe call (``convolution(slide_x(4, 4) float64, slide_w(3, 3) float64, b=3)``)
    uses only the slides' public arrays (named ``slide...`` in every plan), so its expected
    output is public too."""
    if not call:
        return False
    names = _ARRAY.findall(call)
    return bool(names) and all(n.startswith("slide") for n in names)


def safe_message(check: CheckResult, lang: str) -> str:
    """The check's message in ``lang`` without expected values of hidden inputs (see the module)."""
    details = check.details or {}
    if check.message_key in _VALUES and not public_call(details.get("call")):
        fields = check.message_fields or {}
        said = text("fb_values", lang, call=fields.get("call", details.get("call", "?")),
                    n_wrong=details.get("n_wrong", "?"), n_total=details.get("n_total", "?"),
                    index=fields.get("index", "?"))
        if details.get("caused_by"):
            said += "\n" + text("caused_by_cell", lang, **details["caused_by"])
        return said
    if check.passed or check.message_key in SAFE_KEYS or (check.message_key in _VALUES and
                                                           public_call(details.get("call"))):
        return message_in(check, lang)
    if check.message_key is None and "accuracy" in details:  # 4_7's evaluation: the trainee's own accuracy
        return check.message
    return text("fb_not_correct", lang, call=details.get("call") or check.id)


def _public_details(check: CheckResult) -> dict | None:
    """The excerpts of a failed check on the slides' public inputs, else ``None``."""
    details = check.details or {}
    if check.passed or not public_call(details.get("call")):
        return None
    keep = ("call", "n_wrong", "n_total", "expected_excerpt", "received_excerpt", "diff_mask", "window")
    return {k: details[k] for k in keep if k in details}


def _safe_id(rid: str) -> str:
    return _FIELD_ID.sub("_", rid).strip("._") or "id"


def feedback_file_names(standing) -> dict[str, str]:
    """``{member id: file name}``: ``<roster id>.html`` (characters outside ``[0-9A-Za-z_.-]``
    replaced) for a roster's members, else the safe name of the instructor's report
    (:func:`grader.reports.safe_text.report_file_name`); always distinct, also on case-insensitive disks."""
    names, taken = {}, set()
    for member in standing.members:
        rostered = standing.has_roster and member.id not in standing.unrostered
        name = f"{_safe_id(member.id)}.html" if rostered else report_file_name(member.id)
        if name.lower() in taken:
            name = report_file_name(member.id)
        taken.add(name.lower())
        names[member.id] = name
    return names


def _entries(member, standing, results, lang) -> list[dict]:
    entries = []
    for ex in standing.exercises:
        cell = standing.cells[member.id, ex]
        override = [o for o in cell.overrides if o.applied]
        if cell.missing:
            entries.append({"exercise": ex, "missing": True, "cell": cell, "override": override})
            continue
        result = results[cell.row["trainee"], ex]
        checks = [{"check": c, "message": safe_message(c, lang), "hint": hint_in(c, lang),
                   "public": _public_details(c)} for c in result.checks]
        errors = [e for e in result.errors if e.cell is not None]  # the trainee's own cells only
        entries.append({"exercise": ex, "missing": False, "cell": cell, "result": result, "checks": checks,
                        "notebook": Path(result.notebook).name, "errors": errors, "override": override,
                        "failed": sum(not c.passed for c in result.checks)})
    return entries


def write_feedback(out_dir: Path, to_dir: Path, lang: str, make_zip: bool = False) -> list[Path]:
    """Write one feedback page per trainee of the gradebook in ``out_dir`` (the roster's members,
    submitted or not, and whoever else submitted) into ``to_dir`` (created 0700: grades are
    personal); with ``make_zip`` also ``to_dir/feedback.zip``. Returns the pages written."""
    from grader.classroom.gradebook import open_readonly
    from grader.classroom.standing import of_book

    out_dir, to_dir = Path(out_dir), Path(to_dir)
    if to_dir.resolve() == out_dir.resolve():
        raise GraderError.keyed("fb_same_dir", dir=to_dir)
    with open_readonly(out_dir) as book:
        standing = of_book(book)
        results = book.results()
    to_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = template_environment()
    files = feedback_file_names(standing)
    written = []
    for member in standing.members:
        total = standing.totals[member.id]
        html = env.get_template("feedback.html").render(
            lang=lang, trainee=member.name or member.id, entries=_entries(member, standing, results, lang),
            total=(total.final, total.max))
        path = to_dir / files[member.id]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        written.append(path)
    if make_zip:
        fd = os.open(to_dir / "feedback.zip", os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, arcname=path.name)
    return written

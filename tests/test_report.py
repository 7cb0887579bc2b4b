"""Reports of one grading (terminal, JSON, HTML) from hand-built results: every status, array
excerpts, cell errors and flags carrying hostile text. No kernel."""
from __future__ import annotations

import html
import json
from collections import Counter
from html.parser import HTMLParser
from importlib import resources

import pytest

from grader.course import registry
from grader.reports.messages import text
from grader.reports.report import render_html, render_json, render_terminal, template_environment
from grader.grading.results import CellError, CheckResult, Flag, GradingResult, Status

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(document.cookie)>"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

EXCERPT = {
    "call": "im2col(x(2, 3, 7, 6) float64, 3, 3, stride=2, pad=1)", "index": [0, 5], "n_wrong": 3, "n_total": 84,
    "max_abs": 1.5, "max_rel": 0.5, "exp_value": "1.5", "got_value": "0",
    "window": {"lead": [], "rows": [2, 4], "cols": [4, 7]},
    "expected_excerpt": [["1", "2", "1.5"], ["0.25", "-3", "4"]],
    "received_excerpt": [["1", "2", "0"], [SCRIPT, "-3", "9"]],
    "diff_mask": [[False, False, True], [True, False, True]],
}


def _result(lang_of_messages="en") -> GradingResult:
    checks = (
        CheckResult("im2col.slide", True, 1, 1, "correct: im2col(slide_x(1, 1, 4, 4) float64, 2, 2, stride=2)"),
        CheckResult("im2col.stride_pad", False, 0, 2, "im2col(...): wrong values", hint=f"check the order {IMG}",
                    status=Status.FAILED, details=EXCERPT),
        CheckResult("im2col.float32", False, 0, 1, f"im2col(...) raised an error: ValueError: {SCRIPT}",
                    status=Status.ERROR),
        CheckResult("col2im.slide", False, 0, 1, "`col2im` is not defined.", hint="define it", status=Status.MISSING),
        CheckResult("col2im.overlap", False, 0, 1.5, "the grader itself failed: KeyError", status=Status.GRADER_ERROR),
        CheckResult("col2im.shape", False, 0, 1, "wrong shape", status=Status.FAILED,
                    details={"call": "col2im(c)", "expected": [2, 3], "received": [3, 2]}),
        CheckResult("col2im.float32", True, 0.5, 0.5, "correct"),
    )
    return GradingResult(
        exercise="4_4", notebook=f'tanaka_4_4"><script>alert(1)</script>.ipynb', checks=checks,
        flags=(Flag("uses-reference", "im2col", f"im2col calls reference {SCRIPT}"),
               Flag("uses-reference", IMG, "wrapper")),
        errors=(CellError(3, "error", f"NameError: {IMG}"), CellError(5, "timeout", "60"),
                CellError(7, "kernel-died", "the kernel process ended"), CellError(8, "deadline", "300"),
                CellError(None, "probe", "outputs.npz was not written")),
        seed=424242, grader_version="0.1.0-test", timings={"total": 1.25},
        protections={"network": False, "rlimits": True, "seccomp": False},
    )


PASSED_ONLY = GradingResult("4_4", "4_4.ipynb", (CheckResult("im2col.slide", True, 2, 2, "correct"),), seed=1,
                            grader_version="0.1.0")
EMPTY = GradingResult("4_4", "4_4.ipynb", (), seed=1, grader_version="0.1.0")


class StrictHTML(HTMLParser):
    """html.parser with bookkeeping: every non-void element closed, in order; tags and
    attributes recorded for the safety assertions."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.tags, self.attrs, self.decls = [], [], Counter(), [], []

    def handle_decl(self, decl):
        self.decls.append(decl)

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        self.attrs += [(tag, name, value) for name, value in attrs]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1
        self.attrs += [(tag, name, value) for name, value in attrs]

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"end tag of void element {tag}")
        elif not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def parse(document: str) -> StrictHTML:
    parser = StrictHTML()
    parser.feed(document)
    parser.close()
    assert parser.problems == [] and parser.stack == [], (parser.problems, parser.stack)
    return parser


def assert_safe(document: str, parser: StrictHTML) -> None:
    assert "<script" not in document.lower() and parser.tags["script"] == 0
    assert parser.tags["img"] == 0 and parser.tags["iframe"] == 0 and parser.tags["link"] == 0
    assert not [a for a in parser.attrs if a[1].startswith("on")], "event handler attribute"
    assert not [a for a in parser.attrs if a[1] in ("src", "href", "action", "srcset")], "resource reference"
    for needle in ("http://", "https://", "url(", "@import", "javascript:"):
        assert needle not in document.lower()


LABELS = ("exercise", "notebook", "score", "check", "result", "report_points", "report_message", "hint",
          "expected", "received", "cell_errors", "flags", "report_grader_version", "protections_off",
          "report_title", "report_call", "report_shown", "report_legend",
          *(f"status_{s}" for s in Status.ALL))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_html_report_is_well_formed_self_contained_and_escaped(lang):
    document = render_html(_result(), lang)
    parser = parse(document)
    assert parser.decls == ["DOCTYPE html"]
    assert f'<html lang="{lang}">' in document and '<meta charset="utf-8">' in document
    assert_safe(document, parser)
    # the hostile strings are shown, as text
    assert html.escape(SCRIPT, quote=False) in document and html.escape(IMG, quote=False) in document
    assert "tanaka_4_4&#34;&gt;&lt;script&gt;" in document
    assert '"Noto Sans CJK JP", "Noto Sans JP"' in document and "sans-serif" in document


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_html_report_shows_every_part_with_labels_in_its_language(lang):
    result = _result()
    document = render_html(result, lang)
    for key in LABELS:
        assert html.escape(text(key, lang), quote=False) in document, key
    other = "en" if lang == "ja" else "ja"
    assert text("status_passed", other) not in document and text("report_legend", other) not in document
    assert text("score", lang) + ": 1.5 / 8" in document
    assert html.escape(text("some_failed", lang, failed=5), quote=False) in document
    assert text("report_differing", lang, n_wrong=3, n_total=84) in document
    for check in result.checks:
        assert f"<code>{check.id}</code>" in document
        assert f'<span class="badge {check.status}">' in document
    for error in result.errors:
        assert f"{error.cell if error.cell is not None else '-'}" in document
    assert "NameError" in document and "60" in document
    assert "424242" not in document and "0.1.0-test" in document  # no seed in any HTML report (issue 12)
    assert "network, seccomp" in document and "rlimits" not in document
    # the exercise by its registered title, in the report's language only (in the page title too)
    title, other_title = registry.get("4_4").title(lang), registry.get("4_4").title(other)
    assert f'4_4 <span class="exercise-title">{html.escape(title)}</span>' in document
    assert f"<title>{html.escape(text('report_title', lang))} 4_4 {html.escape(title)}:" in document
    assert other_title not in document


def test_html_excerpt_tables_side_by_side_highlight_differing_cells():
    document = render_html(_result(), "en")
    assert document.count('<table class="excerpt expected">') == 1
    assert document.count('<table class="excerpt received">') == 1
    assert document.count('<td class="diff">') == 2 * sum(map(sum, EXCERPT["diff_mask"]))
    # row and column labels start at the window's offsets; the lead index is shown
    assert '<th scope="row">2</th>' in document and '<th scope="col">4</th>' in document
    assert "<code>[2:4, 4:7]</code>" in document
    # the shape failure has a call but no excerpt
    assert "<code>col2im(c)</code>" in document


def test_html_bar_and_summary_for_full_and_empty_results():
    full = render_html(PASSED_ONLY, "en")
    assert 'class="bar-fill full" style="width: 100.0%"' in full and text("all_passed", "en") in full
    empty = render_html(EMPTY, "ja")
    parse(empty)
    assert 'style="width: 0.0%"' in empty and text("report_no_checks", "ja") in empty
    assert text("protections_off", "ja") not in empty


def test_exercise_section_macro_is_reusable_for_a_page_of_several_results():
    macros = template_environment().get_template("_macros.html").module
    body = "".join(str(macros.exercise_section(r, "en", 3)) for r in (_result(), PASSED_ONLY))
    page = f"<div class=\"day4-report\">{macros.styles()}{body}</div>"
    parser = parse(page)
    assert_safe(page, parser)
    assert parser.tags["section"] == 2 and parser.tags["h3"] == 2


def test_html_rendering_is_deterministic():
    assert render_html(_result(), "ja") == render_html(_result(), "ja")


def test_templates_are_shipped_as_package_data():
    import tomllib
    from fnmatch import fnmatch
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["templates"]
    names = {p.name for p in resources.files("templates").iterdir() if not p.name.startswith(("__", "."))}
    assert {"notebook_report.html", "_macros.html", "report.css", "selfcheck.html"} <= names
    assert all(any(fnmatch(n, g) for g in globs) for n in names)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_terminal_report_lists_everything(lang):
    result = _result()
    out = render_terminal(result, lang)
    for check in result.checks:
        assert check.id in out and check.message in out
    for key in ("exercise", "notebook", "score", "hint", "cell_errors", "flags", "protections_off",
                *(f"status_{s}" for s in Status.ALL)):
        assert text(key, lang) in out, key
    assert "1.5 / 8" in out and "\x1b[" not in out
    assert "\x1b[32m" in render_terminal(result, lang, colour=True)


def test_json_is_one_object_and_round_trips():
    result = _result()
    document = render_json(result)
    data = json.loads(document)
    assert {"exercise", "notebook", "score", "max_score", "checks", "flags", "errors", "seed",
            "grader_version"} <= set(data)
    assert data["score"] == 1.5 and data["max_score"] == 8 and "\n" not in document
    assert SCRIPT in document  # JSON carries the raw text; escaping is the HTML's job
    assert GradingResult.from_json(document) == result
    assert GradingResult.from_json(render_json(EMPTY)) == EMPTY

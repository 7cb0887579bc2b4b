"""Reports never embed trainee HTML, JavaScript, SVG or markdown raw: everything a trainee
controls (file and trainee names, error messages, printed text quoted in messages, flags) is
escaped text in the notebook report, the class summary and the trainee pages."""
from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from grader.reports.class_report import write_reports
from grader.classroom.gradebook import Gradebook
from grader.reports.report import render_html, render_terminal
from grader.grading.results import CellError, CheckResult, Flag, GradingResult, Status

PAYLOADS = ("<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(2)></svg>",
            "<iframe src='javascript:alert(3)'>", "**bold** [click](javascript:alert(4))", "</td></tr><style>*{}</style>")


def hostile_result() -> GradingResult:
    text = " ".join(PAYLOADS)
    checks = (
        CheckResult("im2col.slide", False, 0, 1, f"im2col raised an error: ValueError: {text}", hint=text,
                    status=Status.ERROR, details={"call": text, "n_total": 4, "n_wrong": 1,
                                                  "expected_excerpt": [[text]], "received_excerpt": [[text]],
                                                  "diff_mask": [[True]]}),
        CheckResult("col2im.slide", True, 1, 1, f"correct: {text}"),
    )
    return GradingResult("4_4", f"submissions/{PAYLOADS[0]}/4_4.ipynb", checks,
                         flags=(Flag("suspicious-code", PAYLOADS[2], text),),
                         errors=(CellError(1, "error", text), CellError(None, "probe", text)),
                         seed=1, grader_version="x", protections={PAYLOADS[1]: False, "rlimits": True})


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.handlers, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self.images += [value for name, value in attrs if tag == "img" and name == "src"]


def assert_no_raw_markup(document: str) -> None:
    """The page's own markup only: no script, frame, image, event handler or foreign style;
    the payloads are there, as text."""
    markup = _Markup()
    markup.feed(document)
    assert not {"script", "iframe", "object", "embed"} & set(markup.tags), markup.tags
    # the only images: the grader's own figures (issue 14), SVG data URIs without script or payload
    for src in markup.images:
        assert src.startswith("data:image/svg+xml;base64,"), src[:80]
        svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
        assert "<script" not in svg and "mallory" not in svg and "onload" not in svg
    assert markup.handlers == [] and "<style>*{}" not in document
    assert "&lt;script&gt;" in document


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_notebook_report_escapes_everything_the_trainee_controls(lang):
    assert_no_raw_markup(render_html(hostile_result(), lang))


def test_terminal_report_shows_the_text_as_text():
    assert PAYLOADS[0] in render_terminal(hostile_result(), "en")


def test_class_reports_escape_trainee_names_and_results(tmp_path):
    out = tmp_path / "out"
    with Gradebook(out) as book:
        book.record(f"mallory{PAYLOADS[2]}", "0" * 64, hostile_result())
        book.record("alice", "1" * 64, hostile_result())
        write_reports(book, out, "en")
    pages = [out / "index.html"] + sorted((out / "trainees").glob("*.html"))
    assert len(pages) == 3
    for page in pages:
        assert_no_raw_markup(page.read_text(encoding="utf-8"))

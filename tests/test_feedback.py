"""``grader feedback``: pages safe to hand back. A gradebook is filled in process (real checks
and diagnoses on trainee-style code, no kernel) with a roster of Japanese names, one trainee
absent, one with a missing exercise, wrong answers on hidden inputs and on the slides' public
examples; then every page is read for what it must and must not hold."""
from __future__ import annotations

import dataclasses
import json
import re
import zipfile

import pytest

from grader.cli.commands import main
from grader.reports.feedback import public_call, safe_message, write_feedback
from grader.classroom.gradebook import Gradebook
from grader.grading.results import GradingResult
from grader.classroom.roster import Member
from inprocess import grade_in_process
from mutants import MUTANTS, cells

SEED = 918_273_645_546_372_819  # a grading seed: must never appear in feedback
ROSTER = (Member("t01", "山田 太郎"), Member("t02", "佐藤 花子"), Member("t03", "鈴木 一郎"),
          Member("t04", "田中 absent"))
# t01: a bias bug (hidden inputs wrong), t02: an output transposed (slides wrong too), t03: 4_1 only
WORK = {"t01": {"4_1": "conv_bias_in_channel_loop", "4_2": None},
        "t02": {"4_1": "conv_output_transposed", "4_2": None},
        "t03": {"4_1": None}}


def _source(exercise: str, defect: str | None):
    if defect is not None:
        return cells(MUTANTS[defect].sources)
    from mutants import BASES
    return cells(BASES[exercise])


def _result(trainee: str, exercise: str, defect: str | None, lang: str = "en") -> GradingResult:
    result = grade_in_process(exercise, _source(exercise, defect), SEED % 2**32, lang)
    return dataclasses.replace(result, seed=SEED, notebook=f"submissions/{trainee}/{exercise}.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    results = {}
    with Gradebook(out) as book:
        book.set_roster(ROSTER, "roster.csv")
        for trainee, work in WORK.items():
            for exercise, defect in work.items():
                result = _result(trainee, exercise, defect)
                results[trainee, exercise] = result
                book.record(trainee, f"sha-{trainee}-{exercise}", result)
    return out, results


def _pages(folder):
    return {p.name: p.read_text("utf-8") for p in sorted(folder.glob("*.html"))}


def _expected_numbers(result: GradingResult) -> set[str]:
    """The expected values a full report would show for hidden inputs: the ``exp_value`` and error
    sizes of "wrong values" messages, formatted as the message formats them."""
    found = set()
    for check in result.checks:
        f = check.message_fields or {}
        if check.message_key == "values" and not public_call(f.get("call")):
            found.add(str(f["exp_value"]))
            found.add(f"{f['max_abs']:.3g}")
    return {n for n in found if len(n) >= 4}  # "1" or "0.5" would match anything


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_feedback_pages_hold_no_seed_no_hidden_expected_values_no_other_trainee(graded, tmp_path, lang):
    out, results = graded
    written = write_feedback(out, tmp_path / "fb", lang)
    pages = _pages(tmp_path / "fb")
    assert sorted(pages) == ["t01.html", "t02.html", "t03.html", "t04.html"]  # named by roster id
    assert {p.name for p in written} == set(pages)
    hidden = _expected_numbers(results["t01", "4_1"])
    assert hidden, "the bias bug must fail a check on hidden inputs"
    for name, page in pages.items():
        me = name[:-len(".html")]
        assert str(SEED) not in page and "seed" not in page.lower()
        for other in ROSTER:
            if other.id != me:
                assert other.name not in page, (name, other.name)
        mine = [r for (t, _), r in results.items() if t == me]
        for result in mine:
            for number in _expected_numbers(result):
                assert not re.search(rf"(?<![0-9.]){re.escape(number)}(?![0-9])", page), (name, number)
        assert "<script" not in page and "default-src 'none'" in page
    me = pages["t01.html"]
    assert "山田 太郎" in me and "convolution.bias" in me
    assert ("値が違います" if lang == "ja" else "wrong values") in me
    assert ("チャンネル" if lang == "ja" else "channel") in me  # the diagnosed mistake's hint, in this language
    absent = pages["t04.html"]
    assert absent.count("未提出" if lang == "ja" else "missing") >= 2  # both exercises, in the table and the text
    assert ("未提出" if lang == "ja" else "missing") in pages["t03.html"]  # t03 never submitted 4_2
    assert "0 / 24" in absent or "0 / 2" in absent


def test_public_slide_examples_keep_their_excerpts(graded, tmp_path):
    out, results = graded
    write_feedback(out, tmp_path / "fb", "en")
    page = _pages(tmp_path / "fb")["t02.html"]
    slide = [c for c in results["t02", "4_1"].checks if c.id == "convolution.slide"][0]
    assert not slide.passed and public_call(slide.details["call"])
    assert "Result on a public (slide) example" in page
    assert "slide_x(4, 4)" in page
    assert "<td>16</td>" in page or ">16<" in page  # the slide's answer [[15, 16], [6, 15]] is public


def test_safe_message_drops_expected_value_of_hidden_inputs(graded):
    _, results = graded
    bias = [c for c in results["t01", "4_1"].checks if c.id == "convolution.bias"][0]
    assert bias.message_key == "values" and "expected" in bias.message
    for lang in ("ja", "en"):
        said = safe_message(bias, lang)
        assert str(bias.message_fields["exp_value"]) not in said
        assert bias.message_fields["call"] in said


def test_feedback_command_zip_and_language(graded, tmp_path, capsys):
    out, _ = graded
    assert main(["feedback", str(out), "--to", str(tmp_path / "fb"), "--zip", "--lang", "en"]) == 0
    with zipfile.ZipFile(tmp_path / "fb" / "feedback.zip") as archive:
        assert sorted(archive.namelist()) == ["t01.html", "t02.html", "t03.html", "t04.html"]
        assert "Feedback on your work" in archive.read("t01.html").decode()
    assert (tmp_path / "fb").stat().st_mode & 0o077 == 0
    assert all(p.stat().st_mode & 0o077 == 0 for p in (tmp_path / "fb").iterdir())  # pages and zip: 0600
    assert main(["feedback", str(out), "--to", str(tmp_path / "ja"), "--lang", "ja"]) == 0
    assert "採点結果のフィードバック" in (tmp_path / "ja" / "t01.html").read_text("utf-8")
    assert main(["feedback", str(out), "--to", str(out), "--lang", "en"]) == 2  # never into the grading folder


def test_results_stored_in_english_render_in_japanese(graded):
    """A result graded in English keeps its message keys: a Japanese report says it in Japanese."""
    from grader.reports.report import render_terminal

    _, results = graded
    again = GradingResult.from_json(json.dumps(results["t01", "4_1"].to_dict()))
    text = render_terminal(again, "ja")
    assert "値が違います" in text and "wrong values" not in text
    assert "正解です" in text and "correct:" not in text
    assert text.startswith("課題 4_1 畳み込み演算  ") and "Convolution" not in text.splitlines()[0]


def test_instructor_pages_rerendered_in_japanese_show_who_failed_and_no_english_messages(graded, tmp_path):
    """The out dir was graded in English; reports asked in Japanese say everything in Japanese,
    name who failed each check and who made each mistake, and fold the checks nobody failed."""
    import shutil

    from grader.reports.class_report import trainee_file, write_reports
    from grader.classroom.gradebook import Gradebook

    out = tmp_path / "out"
    shutil.copytree(graded[0], out)
    with Gradebook(out) as book:
        write_reports(book, out, "ja")
    page = (out / "trainees" / trainee_file("t01")).read_text("utf-8")
    assert "値が違います" in page and "正解です" in page
    assert "wrong values" not in page and "correct:" not in page
    assert "課題ごとのまとめ" in page and page.index("課題ごとのまとめ") < page.index("convolution.bias")
    absent = (out / "trainees" / trainee_file("t04")).read_text("utf-8")
    assert absent.count("未提出") >= 2
    summary = (out / "index.html").read_text("utf-8")
    failing = summary[summary.index('<table class="failing">'):summary.index("</table>", summary.index('<table class="failing">'))]
    bias = failing[failing.index("convolution.bias"):]
    bias = bias[:bias.index("</details>")]
    assert "山田 太郎" in bias and "佐藤 花子" in bias and "鈴木 一郎" not in bias
    assert "全員が合格したチェック" in summary and "<details" in summary and "<script" not in summary
    assert "conv_output_size.slide" not in failing  # everyone passed it: folded away
    assert summary.count("data:image/svg+xml;base64,") == 3
    # every exercise by its title: the matrix's headers, the trainee page's table and sections
    assert '<th>4_1<br><span class="exercise-title">畳み込み演算</span></th>' in summary
    assert page.count('4_1 <span class="exercise-title">畳み込み演算</span>') >= 2 and "Convolution<" not in page


def test_safe_message_of_checks_without_a_key():
    from grader.grading.results import CheckResult, Status

    accuracy = CheckResult("network.accuracy", False, 2.0, 5.0, "accuracy 91.2% on 10000 test images (full marks from 97%)",
                           status=Status.FAILED, details={"accuracy": 0.912})
    assert safe_message(accuracy, "en") == accuracy.message
    secret = CheckResult("x.values", False, 0.0, 1.0, "wrong (expected 3.14159)", status=Status.FAILED,
                         details={"call": "f(x(3, 3) float64)"})
    said = safe_message(secret, "en")
    assert "3.14159" not in said and "f(x(3, 3) float64)" in said and "not correct yet" in said


@pytest.mark.parametrize("exercise", ["4_1", "4_2", "4_3", "4_4", "4_5", "4_6", "4_7"])
def test_arrays_named_slide_are_the_same_under_every_seed(exercise):
    """Feedback shows the excerpts of calls on ``slide...`` arrays as public: every plan must
    build them from the slides, never from the seed."""
    import numpy as np

    from grader.course import checks

    module = checks.load(exercise)
    plans = [module.build(np.random.default_rng(seed))[0] for seed in (1, 2)]
    names = [n for n in plans[0].arrays if str(n).startswith("slide")]
    for name in names:
        assert np.array_equal(plans[0].arrays[name], plans[1].arrays[name]), name
    assert names or exercise not in ("4_1", "4_2", "4_4")


def test_overrides_show_in_feedback_without_their_reason_and_in_the_instructor_pages_with_it(graded, tmp_path):
    import shutil

    from grader.reports.class_report import trainee_file, write_reports

    out = tmp_path / "out"
    shutil.copytree(graded[0], out)
    with Gradebook(out) as book:
        book.set_override("t01", "4_1", "convolution.bias", 1.0, "佐藤 花子 と同じ誤りだが部分点", "sha-t01-4_1", 0.0)
        write_reports(book, out, "en")
    write_feedback(out, tmp_path / "fb", "en")
    page = (tmp_path / "fb" / "t01.html").read_text("utf-8")
    assert "convolution.bias: 1" in page and "12 / 12" in page  # 11 + the override's point
    assert "部分点" not in page and "佐藤 花子" not in page  # the reason stays with the instructor
    report = (out / "trainees" / trainee_file("t01")).read_text("utf-8")
    assert "部分点" in report and "convolution.bias → 1" in report
    assert "✎" in (out / "index.html").read_text("utf-8")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_mismatch_with_an_infinity_keeps_its_expected_value_out_of_feedback(lang):
    """``values_nonfinite`` (a number where -inf is expected) quotes the expected value, as
    ``values`` does: on a hidden input the feedback says where and how many, not what."""
    import numpy as np

    from grader.course.checks.base import _jsonable_fields
    from grader.grading import compare
    from grader.grading.results import CheckResult, Status
    from grader.reports.messages import keyed

    cmp = compare.compare_arrays(np.array([0.0, 1.0, 2.0]), np.array([-np.inf, 1.0, 2.0]))
    call = "im2col(x(1, 1, 3, 1) float64, 1, 1, constant_values=-inf)"
    said = keyed(cmp.reason, lang, call=call, **cmp.fields)
    check = CheckResult("im2col.constant_values", False, 0.0, 1.0, str(said), status=Status.FAILED,
                        details=json.loads(json.dumps({"call": call, **cmp.fields})),
                        message_key=said.key, message_fields=_jsonable_fields(said.fields))
    assert check.message_key == "values_nonfinite" and "-inf" in check.message.replace(call, "")
    hidden = safe_message(check, lang)
    assert "-inf" not in hidden.replace(call, "") and ("1 / 3" in hidden or "1 of 3" in hidden), hidden

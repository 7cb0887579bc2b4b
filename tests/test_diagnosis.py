"""Naming typical mistakes (grader.course.diagnosis), measured in process: every mutant of
tests/mutants graded end to end on the public seed and on a second seed (the trainee's
namespace runs through the probe's own ``run_plan``, as ``selfcheck`` does), the
correct sources of exercises/source and the released stubs, and the catalogue itself."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

import grader.course.diagnosis.diagnoser as diagnose_module
from grader.course import checks
from grader.course import registry
from grader.course.checks.base import Context, evaluate_all
from grader.course.diagnosis import all_mistakes, catalogue, diagnose, title
from grader.grading.grade import PUBLIC_SEED
from grader.grading.kernel_probe import run_plan
from grader.reports.messages import text
from grader.grading.probe import ProbeOutputs, expected_outputs
from grader.grading.results import GradingResult, Status
from grader.grading.selfcheck import run_selfcheck
from mutants import BASES, MUTANTS, namespace

ROOT = Path(__file__).parents[1]
SEEDS = (PUBLIC_SEED, 7)
EXERCISES = registry.ids("day4-grader")  # DAY4 only: an installed course package has its own tests


@pytest.fixture(autouse=True)
def strict(monkeypatch):
    """A failure of the diagnoser raises here instead of being swallowed."""
    monkeypatch.setattr(diagnose_module, "STRICT", True)


def diagnoses(result: GradingResult) -> dict[str, list[str]]:
    """diagnosis id -> the failed checks it explains."""
    found: dict[str, list[str]] = {}
    for check in result.checks:
        if "diagnosis" in check.details:
            assert not check.passed and check.status == Status.FAILED
            found.setdefault(check.details["diagnosis"], []).append(check.id)
    return found


def catalogue_ids(found) -> set[str]:
    return {d for d in found if not d.startswith("generic.")}


def grade(exercise: str, ns: dict, seed: int = PUBLIC_SEED, lang: str = "en") -> GradingResult:
    return run_selfcheck(exercise, ns, lang=lang, seed=seed)[0]


def test_every_catalogue_entry_has_a_mutant():
    assert set(all_mistakes()) <= {m.expected for m in MUTANTS.values()}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_mutant_gets_its_diagnosis_and_no_other(defect, seed):
    mutant = MUTANTS[defect]
    found = diagnoses(grade(mutant.exercise, namespace(mutant.sources), seed))
    if mutant.expected is None:  # an unrelated wrong answer: a generic finding at most
        assert catalogue_ids(found) == set(), found
    else:
        assert mutant.expected in found, found
        assert catalogue_ids(found) <= {mutant.expected}, found


@pytest.mark.parametrize("exercise", EXERCISES)
def test_mutants_base_solutions_pass_every_check(exercise):
    result = grade(exercise, namespace(BASES[exercise]))
    assert {c.id for c in result.checks if not c.passed} <= {"SimpleConvNet.trained_accuracy", "network.hidden_accuracy"}  # no `network`
    assert diagnoses(result) == {}


def _definitions(path: Path) -> list[str]:
    """The imports, functions and classes of a notebook's code cells (what the graded names
    need), leaving out the cells' checks and the training."""
    sources = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        keep = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
        sources += [ast.unparse(ast.Module(body=keep, type_ignores=[]))] if keep else []
    return sources


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("path", sorted((ROOT / "exercises" / "source").glob("4_*.ipynb")), ids=lambda p: p.stem)
def test_correct_sources_pass_and_get_no_diagnosis(path, seed):
    exercise = nbformat.read(path, as_version=4).metadata["grader"]["exercise"]
    result = grade(exercise, namespace(_definitions(path)), seed)
    assert {c.id for c in result.checks if not c.passed} <= {"SimpleConvNet.trained_accuracy", "network.hidden_accuracy"}
    assert diagnoses(result) == {}


@pytest.mark.parametrize("path", sorted((ROOT / "exercises" / "trainee").glob("4_*.ipynb")), ids=lambda p: p.stem)
def test_released_stubs_get_no_catalogue_diagnosis(path):
    exercise = nbformat.read(path, as_version=4).metadata["grader"]["exercise"]
    result = grade(exercise, namespace(_definitions(path)))
    assert catalogue_ids(diagnoses(result)) == set()


def test_catalogue_is_well_formed():
    ids = [m.id for e in EXERCISES for m in catalogue(e).MISTAKES]
    assert len(ids) == len(set(ids))
    for exercise in EXERCISES:
        for mistake in catalogue(exercise).MISTAKES:
            assert mistake.name in checks.load(exercise).GRADED
            for texts in (mistake.title, mistake.hint):
                assert set(texts) == {"ja", "en"} and all(texts.values()) and texts["ja"] != texts["en"]
            assert mistake.forms


def test_every_generic_finding_has_its_texts():
    from grader.course.diagnosis.generic import KINDS
    from grader.reports.messages import MESSAGES

    for kind in KINDS:
        for key in (f"diag_{kind}", f"diagtitle_{kind}"):
            assert set(MESSAGES[key]) == {"ja", "en"}, key
        assert title(f"generic.{kind}", "ja") == text(f"diagtitle_{kind}", "ja")
    assert title("generic.retired_kind", "en") == "generic.retired_kind" and title("old_id", "ja") == "old_id"


def _variant_as_trainee(exercise: str, mistake, form, seed: int):
    """Grade the variant itself as the trainee's code (no integrity flags: it calls the reference)."""
    module = checks.load(exercise)
    plan, specs = module.build(np.random.default_rng(seed))
    expected = expected_outputs(plan, checks.reference_namespace(exercise))
    implementation = form(Context(plan, ProbeOutputs({}, {}), expected)) if mistake.factory else form
    ns = dict(namespace(BASES[exercise]), **{mistake.name: implementation})
    got = ProbeOutputs(*run_plan(dict(plan.as_json(), reference_dir=None), plan.arrays, ns))
    ctx = Context(plan, got, expected, "en")
    results = evaluate_all(specs, ctx) + (module.extra_checks(ctx) if hasattr(module, "extra_checks") else [])
    return diagnose(exercise, specs, ctx, results)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mistake_id", sorted(all_mistakes()))
def test_every_form_of_every_mistake_is_told_apart_from_the_others(mistake_id, seed):
    exercise = next(e for e in EXERCISES if any(m.id == mistake_id for m in catalogue(e).MISTAKES))
    mistake = all_mistakes()[mistake_id]
    for form in mistake.forms:
        found = {c.details["diagnosis"] for c in _variant_as_trainee(exercise, mistake, form, seed)
                 if "diagnosis" in c.details}
        assert mistake_id in found and catalogue_ids(found) == {mistake_id}, (form, found)


@pytest.mark.parametrize("lang, prefix", [("ja", "よくある間違い: "), ("en", "Typical mistake: ")])
def test_hint_names_the_mistake_in_the_trainees_language(lang, prefix):
    mutant = MUTANTS["col2im_assigns_windows"]
    result = grade(mutant.exercise, namespace(mutant.sources), lang=lang)
    check = next(c for c in result.checks if c.id == "col2im.overlap")
    label, hint = all_mistakes()["col2im_overwrites"].describe(lang)
    assert check.hint == text("diagnosis", lang, title=label, hint=hint) and check.hint.startswith(prefix)
    assert check.message and check.points == 0  # the comparison's message and score are unchanged
    again = GradingResult.from_json(result.to_json())  # the contract's JSON carries hint and details
    assert next(c for c in again.checks if c.id == "col2im.overlap") == check
    assert all("diagnosis" not in c.details and (c.hint is None) for c in result.checks if c.passed)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_generic_finding_keeps_the_checks_own_hint(lang):
    mutant = MUTANTS["conv_output_transposed"]
    check = next(c for c in grade(mutant.exercise, namespace(mutant.sources), lang=lang).checks
                 if c.id == "convolution.slide")
    assert check.details["diagnosis"] == "generic.transposed"
    assert check.hint.startswith(text("diagnosis_generic", lang, finding=text("diag_transposed", lang, axes="(1, 0)")))
    spec = next(s for s in checks.load("4_1").build(np.random.default_rng(0))[1] if s.id == "convolution.slide")
    assert check.hint.endswith(" " + spec.hint[lang])
    assert title("generic.transposed", lang) == text("diagtitle_transposed", lang)


def test_a_failing_diagnoser_leaves_the_result_as_it_was(monkeypatch):
    mutant = MUTANTS["conv_textbook_flip"]
    before = grade(mutant.exercise, namespace(mutant.sources))
    monkeypatch.setattr(diagnose_module, "STRICT", False)
    monkeypatch.setattr(diagnose_module, "_catalogue_match", lambda *a: 1 / 0)
    after = grade(mutant.exercise, namespace(mutant.sources))
    assert diagnoses(after) == {} and [c.message for c in after.checks] == [c.message for c in before.checks]
    assert all(c.hint is None or not c.hint.startswith("Typical") for c in after.checks)


def test_a_variant_equal_to_the_reference_on_a_checks_steps_names_nothing():
    """convolution.slide has no bias and one channel: the two bias variants give the reference's
    numbers there. Even a (hypothetically) failed check whose outputs equal them is not named."""
    module = checks.load("4_1")
    plan, specs = module.build(np.random.default_rng(PUBLIC_SEED))
    expected = expected_outputs(plan)
    ctx = Context(plan, expected, expected, "en")  # the trainee's outputs are the reference's
    failed = [r.__class__(r.id, False, 0, r.max_points, "forced", status=Status.FAILED) for r in evaluate_all(specs, ctx)]
    assert {c.id: c.details.get("diagnosis") for c in diagnose("4_1", specs, ctx, failed)
            if "diagnosis" in c.details} == {}


def test_names_flagged_for_using_the_reference_get_no_diagnosis():
    import reference

    def convolution(x, w, b=0.0, stride=1, pad=0):  # the reference, flipped: flagged, not diagnosed
        return reference.convolution(x, np.flip(np.asarray(w), axis=(-2, -1)), b, stride, pad)

    result = grade("4_1", dict(namespace(BASES["4_1"]), convolution=convolution))
    assert any(f.name == "convolution" for f in result.flags) and diagnoses(result) == {}


def test_html_report_shows_the_diagnosis():
    from grader.reports.report import render_html

    mutant = MUTANTS["pool_layer_gradient_to_window"]
    page = render_html(grade(mutant.exercise, namespace(mutant.sources), lang="ja"), "ja")
    assert "<code>pool_backward_whole_window</code>" in page and "よくある間違い: " in page


def test_class_summary_counts_the_trainees_of_each_mistake():
    from grader.reports.class_report import summary_data
    from grader.reports.report import template_environment

    rows = []
    for trainee, defect in (("ito", "col2im_assigns_windows"), ("kato", "col2im_assigns_windows"),
                            ("mori", "im2col_channels_last_in_row"), ("sato", None)):
        sources = MUTANTS[defect].sources if defect else BASES["4_4"]
        result = grade("4_4", namespace(sources))
        rows.append({"trainee": trainee, "exercise": "4_4", "checks_json": json.dumps([c.__dict__ for c in result.checks]),
                     "final_score": result.score, "max_score": result.max_score, "score": result.score, "penalty": 0,
                     "errors_json": "[]", "flags_json": "[]"})
    data = summary_data(rows, [], "en")
    counts = {m["id"]: m["count"] for m in data["mistakes"]}
    assert counts == {"col2im_overwrites": 2, "im2col_columns_fh_fw_c": 1}
    assert data["mistakes"][0]["title"] == all_mistakes()["col2im_overwrites"].describe("en")[0]
    assert "col2im.overlap" in data["mistakes"][0]["checks"]
    page = template_environment().get_template("class_summary.html").render(lang="en", **data)
    assert text("mistakes_table", "en") in page and "<code class=\"small\">col2im_overwrites</code>" in page

"""Exercise 4_8 (Augmentor-style operations, NCHW): the probe's generator and iterator arguments,
the plan's checks judged in process on the mutants of ``tests/mutants/ex4_8.py`` (each fails
exactly the checks of its defect, under several seeds), the property checks accept the
reference's own outputs, the messages exist in both languages; in real kernels: the source
notebook scores full marks and the released trainee notebook zero."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.course import registry
from grader.course.checks import ex4_8
from grader.course.checks.base import Context
from grader.course.checks.ex4_8_properties import ANGLE_SLACK, ROTATE_RANGE, rotation_angles
from grader.grading.grade import PUBLIC_SEED
from grader.grading.kernel_probe import _day4_run_plan
from grader.grading.probe import PlanBuilder, ProbeOutputs, describe_step, expected_outputs
from points import full
from inprocess import failed_ids, namespace_of, run_in_process
from mutants import cells
from mutants.ex4_8 import BASE, MUTANTS, NEAREST_SAMPLER, SAMPLER
from nbfactory import failing

ROOT = Path(__file__).parents[1]
SEEDS = (PUBLIC_SEED, 3, 11)
ROTATE_BASE, ROTATE_HALF_PIXEL = BASE["rotate"], MUTANTS["aug_rotate_centre_half_pixel"][1]["rotate"]
ROTATE = {"rotate.values", "rotate.fill", "rotate.dtypes", "random_rotate.properties"}
FAILS = {  # mutant -> the checks it fails (under every seed)
    "aug_rotate_about_corner": ROTATE,
    "aug_rotate_degrees_as_radians": ROTATE,
    "aug_rotate_clockwise": ROTATE,
    "aug_rotate_centre_half_pixel": ROTATE - {"random_rotate.properties"},  # its angles are right: see below
    "aug_flip_lr_reverses_rows": {"flip_left_right.values"},
    "aug_flip_tb_reverses_columns": {"flip_top_bottom.values"},
    "aug_shift_dx_dy_swapped": {"shift.values", "shift.beyond_the_image"},
    "aug_zoom_inverted": {"zoom.values", "zoom.fill"},
    "aug_noise_not_clipped": {"gaussian_noise.clip", "gaussian_noise.random"},
    "aug_random_rotate_one_angle": {"random_rotate.properties"},
    "aug_random_rotate_global_random": {"random_rotate.properties"},
    "aug_erasing_one_channel": {"random_erasing.properties"},
    "aug_erasing_always": {"random_erasing.properties"},
    "aug_shift_beyond_crashes": {"shift.beyond_the_image"},
    "aug_rotate_nearest": ROTATE - {"random_rotate.properties"},  # its angles are right: see below
    "aug_flip_lr_reverses_channels": {"flip_left_right.values"},
    "aug_shift_with_np_roll": {"shift.values", "shift.beyond_the_image"},
    "aug_zoom_int_truncates": {"zoom.values"},  # integers in, the interpolated values truncated
    "aug_erasing_in_place": {"random_erasing.properties"},
    "aug_erasing_one_rectangle": {"random_erasing.properties"},
    "aug_noise_one_draw_for_the_batch": {"gaussian_noise.random"},
}
# right answers in another style, which must lose nothing: a float32 result for float64 images
# (rounding moves the untouched pixels by < 1e-7)
STYLES = {"erasing_float32_result": {"random_erasing": BASE["random_erasing"].replace(
    "out = x.astype(_float_dtype(x))", "out = x.astype(np.float32)")}}


# ------------------------------------------------------------------ the probe's new argument kinds
def _draw(x, rng):
    return x + rng.random(x.shape)


def _pairs(n, rng):
    for i in range(n):
        yield np.full(2, i), rng.integers(0, 10, 3)


def _forever():
    while True:
        yield np.zeros(1)


def test_rng_argument_is_a_fresh_generator_for_each_use():
    plan = PlanBuilder()
    x = plan.array("x", np.zeros(4))
    plan.call("a", "draw", x, plan.rng(5))
    plan.call("b", "draw", x, rng=plan.rng(5))
    plan.call("c", "draw", x, plan.rng(6))
    built = plan.build()
    out = ProbeOutputs(*_day4_run_plan(built.as_json(), built.arrays, {"draw": _draw}))
    assert np.array_equal(out.arrays["a"], np.random.default_rng(5).random(4))
    assert np.array_equal(out.arrays["a"], out.arrays["b"]) and not np.array_equal(out.arrays["a"], out.arrays["c"])
    assert describe_step(built, "b") == "draw(x(4,) float64, rng=default_rng(5))"


def test_iterate_keeps_the_items_of_a_generator_and_stops_an_endless_one():
    plan = PlanBuilder()
    plan.iterate("pairs", "pairs", 3, plan.rng(1), limit=10)
    plan.iterate("none", "pairs", 0, plan.rng(1), limit=10)
    plan.iterate("forever", "forever", limit=5)
    built = plan.build()
    out = ProbeOutputs(*_day4_run_plan(built.as_json(), built.arrays, {"pairs": _pairs, "forever": _forever}))
    assert out.step_status("pairs")["keys"] == ["0.0", "0.1", "1.0", "1.1", "2.0", "2.1", "count"]
    assert int(out.sub("pairs", "count")) == 3 and np.array_equal(out.sub("pairs", "2.0"), [2, 2])
    assert np.array_equal(out.sub("pairs", "0.1"), np.random.default_rng(1).integers(0, 10, 3))
    assert int(out.sub("none", "count")) == 0
    assert out.step_status("forever")["status"] == "error" and "more than 5 items" in out.step_status("forever")["error"]


# ------------------------------------------------------------------ the checks, in process
def test_registered_with_its_points_and_reference():
    exercise = registry.get("4_8")
    assert exercise.max_points == 19 and exercise.graded == ex4_8.GRADED
    assert exercise.reference_namespace()["rotate"].__module__ == "reference.augment"
    assert (ROOT / "exercises" / "source" / exercise.notebook).is_file()


@pytest.mark.parametrize("seed", SEEDS)
def test_base_solution_passes_everything(seed):
    results = run_in_process("4_8", cells(tuple(BASE.values())), seed)
    assert failed_ids(results) == set() and sum(r.points for r in results) == 19


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("defect", sorted(FAILS))
def test_mutant_fails_exactly_its_checks(defect, seed):
    _, overrides = MUTANTS[defect]
    results = run_in_process("4_8", cells(tuple({**BASE, **overrides}.values())), seed, "en")
    assert failed_ids(results) == FAILS[defect]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_right_answer_in_another_style_loses_nothing(style, seed):
    results = run_in_process("4_8", cells(tuple({**BASE, **STYLES[style]}.values())), seed, "en")
    assert failed_ids(results) == set() and sum(r.points for r in results) == full("4_8")


@pytest.mark.parametrize("sampler, rotate, within", [
    ("bilinear", ROTATE_BASE, 0.05), ("bilinear", ROTATE_HALF_PIXEL, 0.05),
    ("nearest", ROTATE_BASE, ANGLE_SLACK - 1), ("nearest", ROTATE_HALF_PIXEL, ANGLE_SLACK - 1)])
def test_rotation_angles_are_read_whatever_rotates_centre_or_sampling(sampler, rotate, within):
    """random_rotate is judged on its draws: the angle read from the blob pairs is the angle
    ``rotate`` was given (for 10 plans' images and random angles over the range the judge
    accepts), also when ``rotate`` turns about a centre half a pixel off or samples the nearest
    pixel, by a margin of a degree inside the judge's slack. Those slips are rotate's own checks'
    business; random_rotate's verdict on them cannot depend on the seed (it did, before)."""
    ns = namespace_of(cells(({"bilinear": SAMPLER, "nearest": NEAREST_SAMPLER}[sampler], rotate)))
    for seed in range(10):
        plan, _ = ex4_8.build(np.random.default_rng(seed))
        x = plan.arrays["x_dots"]
        given = np.random.default_rng(seed).uniform(-ROTATE_RANGE[0], ROTATE_RANGE[1], len(x))
        read = rotation_angles(ns["rotate"](x, given), x, "rrot_a")
        assert np.abs(read - given).max() < within, (seed, np.abs(read - given).max())


def test_every_mutant_is_listed():
    assert set(FAILS) == set(MUTANTS)


@pytest.mark.parametrize("seed", range(12))
def test_reference_outputs_pass_the_property_checks(seed):
    """The reference's own outputs, taken as the trainee's, pass every property check: the
    properties hold for the documented semantics whatever the draws."""
    plan, _ = ex4_8.build(np.random.default_rng(seed))
    expected = expected_outputs(plan, registry.get("4_8").reference_namespace())
    results = ex4_8.extra_checks(Context(plan, expected, expected, "en"))
    assert [r.id for r in results if not r.passed] == [], [r.message for r in results if not r.passed]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_property_failures_speak_the_trainees_language(lang):
    _, overrides = MUTANTS["aug_random_rotate_one_angle"]
    results = run_in_process("4_8", cells(tuple({**BASE, **overrides}.values())), PUBLIC_SEED, lang)
    check = next(r for r in results if r.id == "random_rotate.properties")
    assert ("画像ごと" in check.message) == (lang == "ja") and ("per image" in check.message) == (lang == "en")
    assert check.hint and (("rng" in check.hint) and (("画像ごと" in check.hint) == (lang == "ja")))


def test_every_check_has_a_hint_in_both_languages():
    plan, specs = ex4_8.build(np.random.default_rng(0))
    expected = expected_outputs(plan, registry.get("4_8").reference_namespace())
    extra = ex4_8.extra_checks(Context(plan, ProbeOutputs({}, {}), expected, "en"))
    assert {s.id for s in specs} | {r.id for r in extra} == set(registry.get("4_8").hints()) | {r.id for r in extra}
    for spec in specs:
        assert set(spec.hint) == {"ja", "en"} and spec.hint["ja"] != spec.hint["en"]


# ------------------------------------------------------------------ real kernels
@pytest.mark.slow
def test_source_notebook_scores_full_marks_and_trainee_zero(committed_grading):
    source, _ = committed_grading("source", "4_8_Augmentor")  # shared with test_exercises
    assert failing(source) == set() and source.score == source.max_score == full("4_8")
    trainee, _ = committed_grading("trainee", "4_8_Augmentor")
    assert trainee.score == 0 and trainee.max_score == 19
    assert all("NotImplementedError" in c.message for c in trainee.checks)

"""Exercise 4_9 (Keras' ImageDataGenerator semantics, channels-last): the plan's checks judged in
process on the mutants of ``tests/mutants/ex4_9.py`` (each fails exactly the checks of its
defect, under several seeds), the property checks accept the reference's outputs and Keras'
own ``apply_transform`` / ``get_random_transform`` used as the trainee's code (skipped with the
reason where Keras does not install); in real kernels: the source notebook scores full marks
and the released trainee notebook zero."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from grader.course import registry
from grader.course.checks import ex4_9
from grader.course.checks.base import Context
from grader.grading.grade import PUBLIC_SEED
from grader.grading.probe import expected_outputs
from points import full
from inprocess import failed_ids, run_in_process
from mutants import cells, namespace
from mutants.ex4_9 import BASE, MUTANTS
from nbfactory import failing

ROOT = Path(__file__).parents[1]
SEEDS = (PUBLIC_SEED, 3, 11)
AFFINE = {"apply_affine_transform.values", "apply_transform.geometry", "apply_transform.fill_modes"}
FAILS = {  # mutant -> the checks it fails (under every seed)
    "keras_tx_ty_swapped": AFFINE,
    "keras_zoom_inverted": AFFINE,
    "keras_theta_radians": AFFINE,
    "keras_rotation_clockwise": AFFINE,
    "keras_flips_swapped": {"apply_transform.flips_and_color"},
    "keras_shift_ranges_uncrossed": {"random_transform_params.ranges"},
    "keras_flow_labels_apart": {"flow.labels_follow_images"},
    "keras_offset_whole_pixel": AFFINE | {"transform_matrix_offset_center.values"},
    "keras_theta_from_global_random": {"random_transform_params.ranges", "flow.augments"},
    "keras_flow_no_augmentation": {"flow.augments"},
    "keras_flow_forever": {"flow.ordered_epoch", "flow.labels_follow_images", "flow.augments"},
    "keras_transform_flips_in_place": {"apply_transform.flips_and_color"},
    "keras_flow_writes_back": {"flow.augments"},  # inputs left untouched: judged there only
    "keras_flow_shuffles_its_inputs": {"flow.augments"},
    "keras_flow_one_draw_per_batch": {"flow.augments"},
    "keras_flow_ignores_fill": {"flow.augments"},
    "keras_flow_batch_shape_as_image_shape": {"flow.augments"},
    "keras_flips_before_affine": {"apply_transform.geometry"},
    "keras_params_ignore_vflip_and_colour": {"random_transform_params.ranges"},
    "keras_params_scalar_ranges_only": {"random_transform_params.ranges"},
    "keras_params_float_shift_always_scaled": {"random_transform_params.ranges"},
    "keras_flow_drops_the_last_batch": {"flow.ordered_epoch", "flow.labels_follow_images", "flow.augments"},
}


@pytest.mark.parametrize("lang, words", [("en", "it yielded 2 items, expected 3"), ("ja", "2 個を返しました (期待 3 個)")])
def test_a_short_epoch_is_told_in_batches_not_in_the_probes_keys(lang, words):
    """Found by the s5 audit: a flow that drops its last partial batch was told "wrong dictionary
    keys ['0.0', ..., 'count']", the probe's storage of the batches."""
    _, overrides = MUTANTS["keras_flow_drops_the_last_batch"]
    results = run_in_process("4_9", cells(tuple({**BASE, **overrides}.values())), PUBLIC_SEED, lang)
    check = next(r for r in results if r.id == "flow.ordered_epoch")
    assert words in check.message and "count" not in check.message, check.message


def test_registered_with_its_points_and_reference():
    exercise = registry.get("4_9")
    assert exercise.max_points == 15 and exercise.graded == ex4_9.GRADED
    assert exercise.reference_namespace()["flow"].__module__ == "reference.augment"
    assert (ROOT / "exercises" / "source" / exercise.notebook).is_file()


@pytest.mark.parametrize("seed", SEEDS)
def test_base_solution_passes_everything(seed):
    results = run_in_process("4_9", cells(tuple(BASE.values())), seed)
    assert failed_ids(results) == set() and sum(r.points for r in results) == 15


def test_every_mutant_is_listed():
    assert set(FAILS) == set(MUTANTS)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("defect", sorted(FAILS))
def test_mutant_fails_exactly_its_checks(defect, seed):
    _, overrides = MUTANTS[defect]
    results = run_in_process("4_9", cells(tuple({**BASE, **overrides}.values())), seed, "en")
    assert failed_ids(results) == FAILS[defect]


@pytest.mark.parametrize("seed", range(12))
def test_reference_outputs_pass_the_property_checks(seed):
    plan, _ = ex4_9.build(np.random.default_rng(seed))
    expected = expected_outputs(plan, registry.get("4_9").reference_namespace())
    results = ex4_9.extra_checks(Context(plan, expected, expected, "en"))
    assert [r.id for r in results if not r.passed] == [], [r.message for r in results if not r.passed]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_labels_apart_are_named_in_the_trainees_language(lang):
    _, overrides = MUTANTS["keras_flow_labels_apart"]
    results = run_in_process("4_9", cells(tuple({**BASE, **overrides}.values())), PUBLIC_SEED, lang)
    check = next(r for r in results if r.id == "flow.labels_follow_images")
    assert check.details["diagnosis"] == "4_9.flow_labels_apart"
    assert ("画像とラベル" in check.message) == (lang == "ja")
    assert ("images and labels" in check.message) == (lang == "en")
    assert ("同じ添字" in check.hint) == (lang == "ja")


def _keras_image_data_generator():
    os.environ.setdefault("KERAS_BACKEND", "numpy")
    try:
        from keras.src.legacy.preprocessing.image import ImageDataGenerator
    except ImportError as exc:  # jax missing, or no keras at all
        pytest.skip(f"Keras with its NumPy backend does not import here ({exc}): pip install -e '.[keras]'")
    return ImageDataGenerator


def test_keras_itself_as_the_trainee_passes():
    """Keras' own ``apply_transform`` and ``get_random_transform`` (seeded from the grader's
    generator; the global NumPy state Keras seeds is restored) pass every check they take part in."""
    image_data_generator = _keras_image_data_generator()

    def apply_transform(x, transform_parameters, fill_mode="nearest", cval=0.0):
        return image_data_generator(fill_mode=fill_mode, cval=cval).apply_transform(x, transform_parameters)

    def random_transform_params(rng, *, img_shape=(28, 28, 1), **ranges):
        state = np.random.get_state()
        try:
            return image_data_generator(**ranges).get_random_transform(tuple(img_shape), seed=int(rng.integers(1 << 31)))
        finally:
            np.random.set_state(state)

    ns = dict(namespace(tuple(BASE.values())), apply_transform=apply_transform,
              random_transform_params=random_transform_params)
    for seed in SEEDS:
        assert failed_ids(run_in_process("4_9", ns, seed, "en")) == set()


@pytest.mark.slow
def test_source_notebook_scores_full_marks_and_trainee_zero(committed_grading):
    source, _ = committed_grading("source", "4_9_ImageDataGenerator_sample")  # shared with test_exercises
    assert failing(source) == set() and source.score == source.max_score == full("4_9")
    trainee, _ = committed_grading("trainee", "4_9_ImageDataGenerator_sample")
    assert trainee.score == 0 and trainee.max_score == 15
    assert all("NotImplementedError" in c.message for c in trainee.checks)

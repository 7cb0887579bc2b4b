"""Exercise 4_10: the Katakana-15 group work. Graded: ``augment(x, rng)`` and ``network``.

``augment`` is checked by properties, in the trainee's kernel, with generators the probe builds
there (``{"$rng": seed}``): a batch ``(16, 1, 28, 28)`` of 12 training images and 4 "dot" images
(a 3x3 square, nearly no ink) at drawn positions, float32 as ``load_katakana`` gives them, the
same batch in float64 and a batch of one. Checks (1 point each): ``shape`` (same shape out, a
float array, one copy per image), ``range`` (finite, in [0, 1]), ``unmodified`` (the input batch
is left as it was), ``deterministic`` (the same seed gives the same batch: no global
``np.random``/``random``), ``changes`` (at least a quarter of the character images change by a
mean absolute difference of 0.01 or more: not the identity, nor an angle in radians given to a
function that takes degrees), ``labels`` (the batch kept its order: the dot images are the
outputs with the least ink, or, when noise added ink to them, most characters resemble their own
input; a batch shuffled inside ``augment`` fails both, and its labels no longer match). A failure
a typical mistake explains names it (:mod:`grader.course.diagnosis.ex4_10`).

``network.hidden_accuracy`` (6 points): ``network.params`` only, architecture inferred from the
shapes (input ``(1, 28, 28)``, stride 1 to 3, 15 outputs), the reference's forward pass in the
grader process, on the **hidden** Katakana split (3,000 images of 5 fonts that are in neither
the training nor the visible test split, stronger distortions: ``load_katakana_hidden``), which
the grading kernel never sees. Points linear from none at <= 0.30 to all at >= 0.65.
Calibration (``python benchmarks/katakana_accuracy.py --epochs 5 --seeds 0 1``: the reference
SimpleConvNet, He init, Adam 1e-3, batch 100, float32, 5 epochs, as the source notebook): no
augmentation 0.484 / 0.480 on the hidden set (3.1 of 6 points), the source's augmentation
(rotation +-15 deg, zoom 0.9-1.1, shift +-2, erasing p=0.3) 0.775 / 0.772 (6 of 6). The
textbook's own network (float64, weight_init_std=0.01, same training) reaches 0.703 with that
augmentation and 0.408 without (1.9 points), hence full points from 0.65, not 0.70. Using
``reference.augment.example_augment`` (the course's own answer) as ``augment`` is flagged; the
4_8 operations of ``reference.augment`` and ``reference.SimpleConvNet`` are course helpers here.

The grid: ``augment`` applied to 8 copies of each of 6 fixed training images (ア カ キ サ シ ソ), rendered
by :mod:`grader.course.checks.ex4_10_samples` into ``details["augment_grid"]`` of ``augment.changes``,
with the operations measured on it (``details["augmentations"]``) for the class summary.

This module holds the plan and the ``augment`` checks; ``network.hidden_accuracy`` is
:mod:`grader.course.checks.ex4_10_hidden_accuracy`.
"""
from __future__ import annotations

import dataclasses
import functools

import numpy as np

from grader.kernel.limits import Limits
from grader.reports.messages import text
from grader.grading.probe import PlanBuilder, describe_step
from grader.grading.results import CheckResult, Status
from grader.course.checks import ex4_10_hidden_accuracy as hidden
from grader.course.checks import ex4_10_samples as samples
from grader.course.checks import trained_network
from grader.course.checks.base import Context, Spec, make_result, step_problem

EXERCISE = "4_10"
GRADED = ("augment", "network")
LIMITS = Limits(cell_timeout=420, deadline=900)  # the notebook trains (about a minute here)

OUTPUT_SIZE, EVALUATED_ON = hidden.OUTPUT_SIZE, hidden.EVALUATED_ON
FULL_ACCURACY, ZERO_ACCURACY, ACCURACY_POINTS = hidden.FULL_ACCURACY, hidden.ZERO_ACCURACY, hidden.ACCURACY_POINTS
accuracy_points = hidden.accuracy_points
N_CHARS, N_DOTS = 12, 4
CHANGED_MEAN_ABS, CHANGED_SHARE = 0.01, 0.25
_WATCH = ("example_augment",)
_AUG_KEYS = ("aug_a", "aug_again", "aug_f64", "aug_one", "aug_grid")

_HINTS = {
    "shape": {"ja": "augment(x, rng) は (N, 1, 28, 28) を受け取り、同じ形の float 配列を 1 枚につき 1 枚返します "
                    "(元の画像と連結したり、枚数を変えたりしない)。",
              "en": "augment(x, rng) takes (N, 1, 28, 28) and returns a float array of the same shape, one copy per "
                    "image (do not concatenate the originals or change the number of images)."},
    "range": {"ja": "値は [0, 1] に収めます (ノイズを足したら np.clip(x, 0, 1))。", "en":
              "Keep the values in [0, 1] (np.clip(x, 0, 1) after adding noise)."},
    "unmodified": {"ja": "入力 x をその場で書き換えないでください (x = x.copy() してから加工する)。",
                   "en": "Do not modify the input x in place (work on x = x.copy())."},
    "deterministic": {"ja": "乱数は引数の rng (np.random.Generator) だけから取ります (rng.uniform, rng.integers など)。"
                            "np.random.* や random モジュールを使うと、同じ rng でも結果が変わります。",
                      "en": "Draw every random number from the rng argument (rng.uniform, rng.integers, ...); "
                            "np.random.* or the random module give another result for the same rng."},
    "changes": {"ja": "画像が (ほとんど) 変わっていません。回転角を度で渡す関数にラジアンを渡していないか、確率が小さすぎないか確認しましょう。",
                "en": "The images (nearly) do not change. Check that an angle in degrees is not given in radians and "
                      "that the probabilities are not too small."},
    "labels": {"ja": "augment の中でバッチの順番を入れ替えないでください。i 番目の出力は i 番目の画像を加工したもので、"
                     "ラベル t[i] はそのまま使います。",
               "en": "Do not reorder the batch inside augment: output i is image i augmented, and label t[i] stays "
                     "its label."}}
_TEXTS = {
    "ok": {"ja": "{call}: OK", "en": "{call}: OK"},
    "shape": {"ja": "{call} の形が {received} です (期待: {expected})。", "en": "{call} has shape {received} (expected {expected})."},
    "not_float": {"ja": "{call} の dtype が {dtype} です (float の配列を返します)。",
                  "en": "{call} has dtype {dtype} (return a float array)."},
    "range": {"ja": "{call} の値が [0, 1] の外にあります (最小 {low:.4g}, 最大 {high:.4g})。",
              "en": "{call} has values outside [0, 1] (min {low:.4g}, max {high:.4g})."},
    "modified": {"ja": "{call} が入力 x を書き換えました。", "en": "{call} modified its input x."},
    "random": {"ja": "同じシードの rng で 2 回呼ぶと結果が違います (最大差 {diff:.3g})。",
               "en": "two calls with generators of the same seed give different batches (max difference {diff:.3g})."},
    "same": {"ja": "同じシードの rng で同じ結果になりました。", "en": "the same seed gives the same batch."},
    "changed": {"ja": "文字画像 {total} 枚のうち {changed} 枚が変化しました (平均絶対差 {limit} 以上)。{measured}",
                "en": "{changed} of {total} character images changed (mean absolute difference {limit} or more). {measured}"},
    "unchanged": {"ja": "文字画像 {total} 枚のうち変化したのは {changed} 枚だけです (平均絶対差 {limit} 以上が {share:.0%} 以上必要)。"
                        "最大の平均絶対差: {largest:.3g}。",
                  "en": "only {changed} of {total} character images changed (a mean absolute difference of {limit} or "
                        "more is needed for {share:.0%}); the largest mean absolute difference is {largest:.3g}."},
    "labels_ok": {"ja": "ほぼ空白の画像 {dots} 枚が入力と同じ位置に残りました。", "en": "the {dots} nearly blank images stayed where they were."},
    "labels_chars_ok": {"ja": "文字の画像 {chars} 枚のうち {own} 枚が自分の入力にいちばん似ています: 順番は保たれています "
                              "(ほぼ空白の画像はノイズなどでインクが増えただけです)。",
                        "en": "{own} of the {chars} character images resemble their own input most: the order is kept (the "
                              "nearly blank images only gained ink, from noise or the like)."},
    "labels_moved": {"ja": "ほぼ空白の画像が位置 {expected} にあったのに、出力では位置 {received} がほぼ空白で、文字の画像 "
                           "{chars} 枚のうち自分の入力にいちばん似ているのは {own} 枚だけです: バッチの順番が入れ替わり、"
                           "ラベルと対応しなくなっています。",
                     "en": "the nearly blank images were at positions {expected} but the outputs at {received} are, and "
                           "only {own} of the {chars} character images resemble their own input most: the batch was "
                           "reordered, so the labels no longer match."},
}


def _say(key: str, lang: str, **fields) -> str:
    return trained_network.say(_TEXTS, key, lang, **fields)


def _property_batch(rng: np.random.Generator) -> np.ndarray:
    """12 training images (drawn) and 4 dot images at drawn positions, float32."""
    x_train, _ = samples.train_images()
    chars = x_train[np.sort(rng.choice(len(x_train), N_CHARS, replace=False))]
    dot = np.zeros((1, 28, 28), np.float32)
    dot[0, 13:16, 13:16] = 1.0
    out = np.empty((N_CHARS + N_DOTS, 1, 28, 28), np.float32)
    dots = np.sort(rng.choice(len(out), N_DOTS, replace=False))
    out[dots] = dot
    out[np.setdiff1d(np.arange(len(out)), dots)] = chars
    return out


def build(rng: np.random.Generator):
    """The plan: ``augment`` on the property batches and the grid, ``network.params``, the curves."""
    plan = PlanBuilder()
    x_a = _property_batch(rng)
    s1, s2 = (int(v) for v in rng.integers(0, 2**31, 2))
    xa = plan.array("x_a", x_a)
    plan.call("aug_a", "augment", xa, plan.rng(s1), track=(0,), watch=_WATCH)
    plan.call("aug_again", "augment", xa, plan.rng(s1), watch=_WATCH)
    plan.call("aug_f64", "augment", plan.array("x_a64", x_a.astype(np.float64)), plan.rng(s2), watch=_WATCH)
    # fixed whatever the seed: a batch of one, and the grid the reports show
    plan.call("aug_one", "augment", plan.array("x_one", x_a[:1].copy()), plan.rng(1), watch=_WATCH)
    plan.call("aug_grid", "augment", plan.array("x_grid", samples.grid_batch()), plan.rng(0), watch=_WATCH)
    trained_network.add_network_steps(plan)
    return plan.build(), []


def _outputs(spec: Spec, ctx: Context, fail):
    """Every augment step's output, or the CheckResult that says why not."""
    if "augment" in ctx.flagged:
        return fail(Status.FAILED, text("uses_reference", ctx.lang, name="augment"))
    out = {}
    for key in _AUG_KEYS:
        problem = step_problem(spec, ctx, key)
        if problem is not None:
            return fail(*problem)
        out[key] = ctx.got.arrays[key]
    return out


def _diagnosed(spec: Spec, ctx: Context, message: str, mistake_id: str, extra=None) -> CheckResult:
    from grader.course.diagnosis.ex4_10 import BY_ID

    label, hint = BY_ID[mistake_id].describe(ctx.lang)
    result = make_result(spec, ctx, Status.FAILED, message, {"diagnosis": mistake_id, **(extra or {})})
    return dataclasses.replace(result, hint=text("diagnosis", ctx.lang, title=label, hint=hint))


def _check(aspect: str, ctx: Context, judge) -> CheckResult:
    spec = Spec(f"augment.{aspect}", 1, hint=_HINTS[aspect])
    fail = functools.partial(make_result, spec, ctx)
    out = _outputs(spec, ctx, fail)
    if isinstance(out, CheckResult):
        return out
    return judge(spec, ctx, out, fail)


def _shape(spec, ctx, out, fail):
    for key in _AUG_KEYS:
        call, want = describe_step(ctx.plan, key), ctx.plan.arg_array(key, 0).shape
        if out[key].shape != want:
            return fail(Status.FAILED, _say("shape", ctx.lang, call=call, expected=want, received=out[key].shape))
        if out[key].dtype.kind != "f":
            return fail(Status.FAILED, _say("not_float", ctx.lang, call=call, dtype=out[key].dtype))
    return fail(Status.PASSED, _say("ok", ctx.lang, call=describe_step(ctx.plan, "aug_a")))


def _range(spec, ctx, out, fail):
    for key in _AUG_KEYS:
        values = out[key].astype(np.float64)
        low, high = (float(np.nanmin(values)), float(np.nanmax(values))) if values.size else (0.0, 0.0)
        if not np.all(np.isfinite(values)) or low < -1e-6 or high > 1 + 1e-6:
            return fail(Status.FAILED, _say("range", ctx.lang, call=describe_step(ctx.plan, key), low=low, high=high))
    return fail(Status.PASSED, _say("ok", ctx.lang, call=describe_step(ctx.plan, "aug_a")))


def _unmodified(spec, ctx, out, fail):
    after = ctx.got.arg_after("aug_a", 0)
    if after is None or not np.array_equal(after, ctx.plan.arrays["x_a"]):
        return fail(Status.FAILED, _say("modified", ctx.lang, call=describe_step(ctx.plan, "aug_a")))
    return fail(Status.PASSED, _say("ok", ctx.lang, call=describe_step(ctx.plan, "aug_a")))


def _deterministic(spec, ctx, out, fail):
    a, b = out["aug_a"], out["aug_again"]
    if a.shape != b.shape or not np.array_equal(a, b, equal_nan=True):
        diff = float(np.nanmax(np.abs(a.astype(float) - b))) if a.shape == b.shape and a.size else float("nan")
        return _diagnosed(spec, ctx, _say("random", ctx.lang, diff=diff), "4_10.global_random")
    return fail(Status.PASSED, _say("same", ctx.lang))


def _changes(spec, ctx, out, fail):
    x = ctx.plan.arrays["x_a"]
    chars = x.reshape(len(x), -1).mean(axis=1) > 0.02
    if out["aug_a"].shape != x.shape:
        return fail(Status.FAILED, _say("shape", ctx.lang, call=describe_step(ctx.plan, "aug_a"), expected=x.shape,
                                        received=out["aug_a"].shape))
    grid = samples.grid_details(ctx.plan.arrays["x_grid"], out["aug_grid"])
    mean_abs = np.abs(out["aug_a"][chars].astype(np.float64) - x[chars]).reshape(chars.sum(), -1).mean(axis=1)
    changed = int(np.sum(mean_abs >= CHANGED_MEAN_ABS))
    fields = {"changed": changed, "total": int(chars.sum()), "limit": CHANGED_MEAN_ABS}
    if changed < CHANGED_SHARE * chars.sum():
        message = _say("unchanged", ctx.lang, share=CHANGED_SHARE, largest=float(np.nanmax(mean_abs)), **fields)
        return _diagnosed(spec, ctx, message, "4_10.no_change", grid)
    measured = samples.describe(grid.get("augmentations", ()), grid.get("max_rotation"), ctx.lang)
    return fail(Status.PASSED, _say("changed", ctx.lang, measured=measured, **fields), grid)


SHIFTS = 3  # pixels a character may have moved (shift, zoom, rotation) and still be matched to itself


def _own_matches(x: np.ndarray, y: np.ndarray) -> int:
    """How many of the images ``x`` (characters) have their output in ``y`` resembling their own
    input more than any other: cosine of blurred images (:func:`samples._blur`, the measurement's
    own), the output shifted by up to :data:`SHIFTS` pixels each way (the best shift kept)."""
    def blurred(images):
        return samples._blur(np.nan_to_num(images.astype(np.float64)[:, 0], nan=0.0, posinf=1.0, neginf=0.0))

    def unit(images):
        flat = images.reshape(len(images), -1)
        return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-12)

    inputs, outputs = unit(blurred(x)), blurred(y)
    h, w = outputs.shape[1:]
    padded = np.pad(outputs, ((0, 0), (SHIFTS, SHIFTS), (SHIFTS, SHIFTS)))
    best = np.full((len(x), len(x)), -np.inf)
    for dr in range(2 * SHIFTS + 1):
        for dc in range(2 * SHIFTS + 1):
            best = np.maximum(best, unit(padded[:, dr:dr + h, dc:dc + w]) @ inputs.T)
    return int(np.sum(np.argmax(best, axis=1) == np.arange(len(x))))


def _labels(spec, ctx, out, fail):
    """The batch kept its order. Two cues, each blind where the other sees: the blank "dot" images
    are the outputs with the least ink (blind to noise or noise-filled erasing, which add ink to
    them), and each character's output resembles its own input most (blind to strong geometry on
    similar characters: a few then match another). A reordering is called only when both say so:
    the dots moved and at most a third of the characters resemble their own input (a shuffled
    batch leaves about one in place)."""
    x, y = ctx.plan.arrays["x_a"], out["aug_a"]
    if y.shape != x.shape:
        return fail(Status.FAILED, _say("shape", ctx.lang, call=describe_step(ctx.plan, "aug_a"), expected=x.shape,
                                        received=y.shape))
    blank = x.reshape(len(x), -1).mean(axis=1) <= 0.02
    dots = sorted(np.flatnonzero(blank).tolist())
    ink = np.nan_to_num(y.astype(np.float64).reshape(len(y), -1).mean(axis=1), nan=np.inf)
    found = sorted(np.argsort(ink, kind="stable")[:len(dots)].tolist())
    if found == dots:
        return fail(Status.PASSED, _say("labels_ok", ctx.lang, dots=len(dots)))
    own, chars = _own_matches(x[~blank], y[~blank]), int((~blank).sum())
    if own > chars // 3:
        return fail(Status.PASSED, _say("labels_chars_ok", ctx.lang, own=own, chars=chars))
    return _diagnosed(spec, ctx, _say("labels_moved", ctx.lang, expected=dots, received=found, own=own, chars=chars),
                      "4_10.labels_shuffled")


def extra_checks(ctx: Context) -> list[CheckResult]:
    """The checks of 4_10: none is a comparison with the reference's outputs."""
    judges = (("shape", _shape), ("range", _range), ("unmodified", _unmodified), ("deterministic", _deterministic),
              ("changes", _changes), ("labels", _labels))
    return [_check(aspect, ctx, judge) for aspect, judge in judges] + [hidden.hidden_accuracy(ctx)]

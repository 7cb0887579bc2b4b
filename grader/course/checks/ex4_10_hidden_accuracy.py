"""Exercise 4_10's ``network.hidden_accuracy`` (6 points): ``network.params`` only, architecture
inferred from the shapes (input ``(1, 28, 28)``, stride 1 to 3, 15 outputs), the reference's forward
pass in the grader process, on the **hidden** Katakana split (``load_katakana_hidden``: fonts in
neither the training nor the visible test split), which the grading kernel never sees. Points
linear from none at <= :data:`ZERO_ACCURACY` to all at >= :data:`FULL_ACCURACY`; the calibration
is in :mod:`grader.course.checks.ex4_10`'s docstring.
"""
from __future__ import annotations

import functools

import numpy as np

from grader.reports.messages import in_lang, text
from grader.grading.results import CheckResult, Status
from grader.course.checks import trained_network
from grader.course.checks.base import Context, Spec, make_result

__all__ = ["OUTPUT_SIZE", "FULL_ACCURACY", "ZERO_ACCURACY", "ACCURACY_POINTS", "EVALUATED_ON", "HINT",
           "accuracy_points", "hidden_accuracy"]

OUTPUT_SIZE = 15
FULL_ACCURACY, ZERO_ACCURACY, ACCURACY_POINTS = 0.65, 0.30, 6
EVALUATED_ON = "katakana-hidden"

HINT = {"ja": "ノートブックの最後で network が学習済みの SimpleConvNet (input_dim=(1, 28, 28), output_size=15) "
              "になるようにします。採点は network.params だけを使い、見たことのないフォントの画像で測ります: "
              "回転・拡大縮小・平行移動などのデータ拡張が効きます。",
        "en": "Leave the trained SimpleConvNet (input_dim=(1, 28, 28), output_size=15) in network. The "
              "grader uses network.params only, on images of fonts never seen: augmentation (rotation, "
              "zoom, shift ...) helps."}

_TEXTS = {
    "accuracy": {"ja": "採点側で network.params を使ってカタカナ評価画像 {n:,} 枚を分類した正解率: {accuracy:.4f} "
                       "({full:.2f} 以上で満点、{zero:.2f} 以下で 0 点)。{conv}評価画像は学習用・テスト用とは別のフォント "
                       "{fonts} 種で、採点中のノートブックには渡していません。",
                 "en": "accuracy of network.params on the {n:,} hidden Katakana images, computed by the grader: "
                       "{accuracy:.4f} (full points from {full:.2f}, none at {zero:.2f} or below). {conv}The images "
                       "come from {fonts} fonts that are in neither the training nor the test split, and the notebook "
                       "is not given them while graded."},
    "conv": {"ja": "推定した構成: フィルター {fn} 枚 {fs}x{fs}、pad {pad}、stride {stride}、隠れ層 {hidden}。",
             "en": "inferred: {fn} filters {fs}x{fs}, pad {pad}, stride {stride}, hidden size {hidden}. "},
    "no_fit": {"ja": "network.params の形 {shapes} が入力 (1, 28, 28)、stride 1〜3、出力 15 の SimpleConvNet と合いません: {why}",
               "en": "the shapes of network.params {shapes} do not fit a SimpleConvNet for (1, 28, 28) inputs, stride 1 to 3 "
                     "and 15 outputs: {why}"},
}


def _say(key: str, lang: str, **fields) -> str:
    return trained_network.say(_TEXTS, key, lang, **fields)


@functools.lru_cache(maxsize=1)
def _hidden() -> tuple[np.ndarray, np.ndarray]:
    from reference.katakana import load_katakana_hidden

    x, t = load_katakana_hidden()
    x.flags.writeable = t.flags.writeable = False
    return x, t


def _hidden_fonts() -> int:
    from reference.katakana import katakana_manifest

    fonts = katakana_manifest().get("splits", {}).get("hidden", {}).get("fonts", ())
    return len(fonts) or 5


def accuracy_points(accuracy: float) -> float:
    return trained_network.linear_points(accuracy, FULL_ACCURACY, ZERO_ACCURACY, ACCURACY_POINTS)


def hidden_accuracy(ctx: Context) -> CheckResult:
    """``network.hidden_accuracy``: ``network.params`` measured on the hidden Katakana split."""
    spec = Spec("network.hidden_accuracy", ACCURACY_POINTS, hint=HINT)
    found = trained_network.curves(ctx)
    details = {"curves": found} if found else {}

    def fail(status, message, extra=None):
        return make_result(spec, ctx, status, message, {**details, **(extra or {})})

    params = trained_network.trained_params(spec, ctx, fail)
    if isinstance(params, CheckResult):
        return params
    shapes = {k: tuple(v.shape) for k, v in params.items()}
    try:
        candidates = trained_network.architectures(shapes, output_size=OUTPUT_SIZE)
    except ValueError as exc:
        listed = ", ".join(f"{k} {shapes[k]}" for k in sorted(shapes))
        return fail(Status.FAILED, _say("no_fit", ctx.lang, shapes=listed or "{}", why=exc))
    try:
        x, t = _hidden()
        arch, accuracy = trained_network.best_accuracy(params, candidates, x, t, output_size=OUTPUT_SIZE)
    except Exception as exc:  # the hidden set missing or broken: the grader's problem, not the trainee's
        return fail(Status.GRADER_ERROR, text("grader_error", ctx.lang, error=f"{type(exc).__name__}: {exc}"))
    conv = _say("conv", ctx.lang, fn=arch["filter_num"], fs=arch["filter_size"], pad=arch["pad"], stride=arch["stride"],
                hidden=arch["hidden_size"])
    message = _say("accuracy", ctx.lang, n=len(t), accuracy=accuracy, full=FULL_ACCURACY, zero=ZERO_ACCURACY, conv=conv,
                   fonts=_hidden_fonts())
    passed = accuracy >= FULL_ACCURACY
    return CheckResult(id=spec.id, passed=passed, points=accuracy_points(accuracy), max_points=spec.points,
                       message=message, hint=None if passed else in_lang(spec.hint, ctx.lang),
                       status=Status.PASSED if passed else Status.FAILED,
                       details={**details, "accuracy": accuracy, "architecture": arch, "evaluated_on": EVALUATED_ON})

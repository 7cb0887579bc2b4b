"""Exercise 4_7's ``SimpleConvNet.trained_accuracy`` (4 points): the trained ``network``
measured in the grader process, never by a number computed in the kernel.

It takes ``network.params``, infers the architecture from the shapes (input ``(1, 28, 28)``,
stride 1, pad 0 or, when the shapes say so, another pad below the filter size or stride 2 or 3;
where two fit, the one under which the network scores best), loads them into
a reference SimpleConvNet and measures the accuracy on the test images the exercise passes in
(MNIST's 10,000 test images, which the grading kernel never sees: :mod:`grader.course.checks.ex4_7`).
Points: all at >= :data:`FULL_ACCURACY`, none at <= :data:`ZERO_ACCURACY`, linear in between
(2 decimals); the calibration is in the exercise's docstring. The training curves go to the
check's ``details["curves"]``.
"""
from __future__ import annotations

from reference.data import HELD_BACK

from grader.reports.messages import in_lang, text
from grader.grading.results import CheckResult, Status
from grader.course.checks import trained_network
from grader.course.checks.base import Context, Spec, make_result

__all__ = ["FULL_ACCURACY", "ZERO_ACCURACY", "ACCURACY_POINTS", "EVALUATED_ON", "HINT", "infer_architecture",
           "accuracy_points", "curves", "trained_accuracy"]

FULL_ACCURACY, ZERO_ACCURACY, ACCURACY_POINTS = 0.97, 0.90, 4
EVALUATED_ON = "mnist-t10k"  # the standard test split; grading kernels never see it (grader.kernel.data)

HINT = {
    "ja": "ノートブックの最後で network が学習済みの SimpleConvNet になるようにします (load_mnist(normalize=True)、"
          "Adam lr=0.001 で数エポック)。採点は network.params だけを使い、入力 (1, 28, 28) として (stride と pad は形から) 計算します。",
    "en": "Leave the trained SimpleConvNet in network (load_mnist(normalize=True), Adam lr=0.001, a few epochs). "
          "The grader uses network.params only, for (1, 28, 28) inputs (stride and pad read from the shapes)."}

_TEXTS = {
    "accuracy": {"ja": "採点側で network.params を使って MNIST テスト画像 {n:,} 枚を分類した正解率: {accuracy:.4f} "
                       "({full:.2f} 以上で満点、{zero:.2f} 以下で 0 点)。{conv}{images}",
                 "en": "accuracy of network.params on the {n:,} MNIST test images, computed by the grader: "
                       "{accuracy:.4f} (full points from {full:.2f}, none at {zero:.2f} or below). {conv}{images}"},
    "images": {"ja": "評価に使ったのは MNIST の標準テスト画像 (t10k) {n:,} 枚です。採点中のノートブックには渡していません: "
                     "そこでの load_mnist は訓練画像の先頭 {train:,} 枚を訓練用に、残りの {held:,} 枚を「テスト」用に返します。",
               "en": "Measured on the {n:,} images of the standard MNIST test split (t10k), which the notebook is not "
                     "given while graded: there, load_mnist returns the first {train:,} training images for training "
                     "and the other {held:,} training images as its \"test\" split."},
    "conv": {"ja": "推定した構成: フィルター {fn} 枚 {fs}x{fs}、pad {pad}、stride {stride}、隠れ層 {hidden}。",
             "en": "inferred: {fn} filters {fs}x{fs}, pad {pad}, stride {stride}, hidden size {hidden}."},
    "no_fit": {"ja": "network.params の形 {shapes} が入力 (1, 28, 28)、stride 1〜3 の SimpleConvNet と合いません: {why}",
               "en": "the shapes of network.params {shapes} do not fit a SimpleConvNet for (1, 28, 28) inputs with "
                     "stride 1 to 3: {why}"},
    "ref_network": {"ja": "network が講座の参照実装 (reference.SimpleConvNet) のオブジェクトです。自分の SimpleConvNet を"
                          "学習させてください。この項目は 0 点です。",
                    "en": "network is an object of the course's reference SimpleConvNet. Train your own SimpleConvNet; "
                          "this part scores zero."},
}


def _say(key: str, lang: str, **fields) -> str:
    return trained_network.say(_TEXTS, key, lang, **fields)


def infer_architecture(shapes: dict) -> dict:
    """``{"filter_num", "filter_size", "pad", "stride", "hidden_size"}`` of a SimpleConvNet for
    ``(1, 28, 28)`` images, 10 classes (:func:`trained_network.infer_architecture`)."""
    return trained_network.infer_architecture(shapes, output_size=10)


def accuracy_points(accuracy: float) -> float:
    """All points at >= FULL_ACCURACY, none at <= ZERO_ACCURACY, linear in between (2 decimals)."""
    return trained_network.linear_points(accuracy, FULL_ACCURACY, ZERO_ACCURACY, ACCURACY_POINTS)


curves = trained_network.curves  # the notebook's training curves ({name: [float | None]})


def _trained_params(spec: Spec, ctx: Context, fail):
    """``network.params`` as arrays, or the CheckResult that says why not (the reference's own
    SimpleConvNet is refused)."""
    def reject():
        if ctx.got.step_status("network_predict").get("reference_calls"):
            return fail(Status.FAILED, _say("ref_network", ctx.lang))
        return None

    return trained_network.trained_params(spec, ctx, fail, reject)


def trained_accuracy(ctx: Context, test_set) -> CheckResult:
    """The check, on the images and labels ``test_set()`` returns (a failure to load them is a
    grader error, not the trainee's)."""
    spec = Spec("SimpleConvNet.trained_accuracy", ACCURACY_POINTS, hint=HINT)
    found = curves(ctx)
    details = {"curves": found} if found else {}

    def fail(status, message, extra=None):
        return make_result(spec, ctx, status, message, {**details, **(extra or {})})

    if spec.name in ctx.flagged:
        return fail(Status.FAILED, text("uses_reference", ctx.lang, name=spec.name))
    params = _trained_params(spec, ctx, fail)
    if isinstance(params, CheckResult):
        return params
    shapes = {k: tuple(v.shape) for k, v in params.items()}
    listed = ", ".join(f"{k} {shapes[k]}" for k in sorted(shapes))
    try:
        candidates = trained_network.architectures(shapes, output_size=10)
    except ValueError as exc:
        return fail(Status.FAILED, _say("no_fit", ctx.lang, shapes=listed or "{}", why=exc))
    try:
        x, t = test_set()
        arch, accuracy = trained_network.best_accuracy(params, candidates, x, t, output_size=10)
    except Exception as exc:  # MNIST missing or broken: the grader's problem, not the trainee's
        return fail(Status.GRADER_ERROR, text("grader_error", ctx.lang, error=f"{type(exc).__name__}: {exc}"))
    points = accuracy_points(accuracy)
    conv = _say("conv", ctx.lang, fn=arch["filter_num"], fs=arch["filter_size"], pad=arch["pad"], stride=arch["stride"],
                hidden=arch["hidden_size"])
    n = len(t)
    images = _say("images", ctx.lang, n=n, train=60_000 - HELD_BACK, held=HELD_BACK)
    message = _say("accuracy", ctx.lang, n=n, accuracy=accuracy, full=FULL_ACCURACY,
                   zero=ZERO_ACCURACY, conv=conv, images=images)
    passed = accuracy >= FULL_ACCURACY
    return CheckResult(id=spec.id, passed=passed, points=points, max_points=spec.points, message=message,
                       hint=None if passed else in_lang(spec.hint, ctx.lang),
                       status=Status.PASSED if passed else Status.FAILED,
                       details={**details, "accuracy": accuracy, "architecture": arch, "evaluated_on": EVALUATED_ON})

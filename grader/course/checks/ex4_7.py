"""Exercise 4_7: SimpleConvNet (Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine -> softmax loss).

The probe builds small networks, reads the shapes of ``params``, overwrites every parameter
**in place** with values drawn here (the contract's promise: the layers see them), then calls
``predict``, ``loss`` (labels and one-hot), ``gradient``, ``accuracy`` and compares with the
reference given the same parameters. All drawn values are exact in float32, so a network that
keeps float32 parameters receives the same numbers. The loss is compared at float32
tolerance: the textbook's ``cross_entropy_error`` adds ``delta = 1e-7`` inside the log
(relative effect about 1e-7 / y), which is correct but not float64-exact; a loss summed instead
of averaged is off by a factor of N and still fails.

``SimpleConvNet.trained_accuracy`` never trusts a number computed in the kernel: it takes
``network.params``, infers the architecture from the shapes (input ``(1, 28, 28)``, stride 1 to 3,
pad 0 or, when the shapes say so, another pad below the filter size), loads them into a
reference SimpleConvNet in the grader process and measures the accuracy on the 10,000 MNIST
test images (``load_mnist(normalize=True)``, float32), which the grading kernel never sees: its
``load_mnist`` returns the first 50,000 training images and, as its "test" split, the last
10,000 (:mod:`grader.kernel.data`). Points: all at >= 0.97, none at <= 0.90, linear in between
(2 decimals). Calibration, on 2 busy cores: graded so (50,000 training images, 3 epochs, Adam
lr=0.001, batch 100, float32; 158 s for the whole grading), the source notebook scores 0.9811
here (its own held-back accuracies per epoch: 0.9612, 0.9761, 0.9805); with all 60,000 images
it scored 0.9822 (0.9675, 0.9775, 0.9822 on the test images it could then see), so the
thresholds stay. The textbook setup (float64,
weight_init_std=0.01, same Adam) scores 0.964 after one epoch (0.976 with batches of 50), 0.942
after one epoch of 30,000 images, 0.90 after 10,000. So the notebook as written clears 0.97 with
a margin of 0.012, one epoch of it comes close (3.86 points), and a network that learned
something but too little gets part of the points. Checks (points): param_shapes 1, predict 2,
loss 2, gradient 2, batch_sizes 1, input_dtypes 1, accuracy 1, trained_accuracy 4. The
curves ``train_loss_list``, ``train_acc_list``, ``test_acc_list`` (when the notebook kept them
and the probe has the ``global_array`` op) go to that check's ``details["curves"]`` for the
reports; they do not score.

This module holds the plan, the forward checks and the MNIST test images; the trained-accuracy
check itself is :mod:`grader.course.checks.ex4_7_trained_accuracy`.
"""
from __future__ import annotations

import functools

import numpy as np

import reference

from grader.grading.compare import compare_arrays
from grader.kernel.limits import Limits
from grader.reports.messages import text
from grader.grading.probe import PlanBuilder, describe_step
from grader.grading.results import CheckResult, Status
from grader.course.checks import ex4_7_trained_accuracy as trained
from grader.course.checks import trained_network
from grader.course.checks.base import Context, Spec, make_result, step_problem

EXERCISE = "4_7"
GRADED = ("SimpleConvNet",)
LIMITS = Limits(cell_timeout=420, deadline=900)  # the notebook trains

FULL_ACCURACY, ZERO_ACCURACY, ACCURACY_POINTS = trained.FULL_ACCURACY, trained.ZERO_ACCURACY, trained.ACCURACY_POINTS
EVALUATED_ON = trained.EVALUATED_ON  # the standard test split; grading kernels never see it (grader.kernel.data)
infer_architecture, accuracy_points, curves = trained.infer_architecture, trained.accuracy_points, trained.curves
CURVE_NAMES, MAX_CURVE_POINTS = trained_network.CURVE_NAMES, trained_network.MAX_CURVE_POINTS
KEYS = trained_network.KEYS

_SMALL = {"input_dim": [1, 10, 10], "conv_param": {"filter_num": 4, "filter_size": 3, "pad": 1, "stride": 1},
          "hidden_size": 8, "output_size": 5}
_STRIDED = {"input_dim": [2, 12, 12], "conv_param": {"filter_num": 3, "filter_size": 4, "pad": 1, "stride": 2},
            "hidden_size": 7, "output_size": 3}
# positional, in the contract's order (input_dim, conv_param, hidden_size, output_size): a conv
# output of (14 + 2 - 3) // 2 + 1 = 7 (odd; the stride does not divide 13), pooled to 7 // 2 = 3,
# so W2 has 2 * 3 * 3 = 18 rows (24 with `/`, 32 with round())
_ODD = ([1, 14, 14], {"filter_num": 2, "filter_size": 3, "pad": 1, "stride": 2}, 6, 4)
_WATCH = tuple(f"SimpleConvNet.{m}" for m in ("__init__", "predict", "loss", "accuracy", "gradient",
                                              "loss_and_gradient"))

_H_LAYERS = "Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine"
_H_INPLACE = {"ja": "層は self.params の配列そのもの (コピーではなく) を参照します。採点では params[k][...] = 値 で重みを"
                    "書き換えるので、params[k] = ... で入れ替えたり .copy() を渡したりすると層に届きません。",
              "en": "The layers must hold the very arrays of self.params, not copies: the grader sets the weights with "
                    "params[k][...] = value, which never reaches layers built from .copy() or replaced arrays."}
_HINTS = {
    "param_shapes": {
        "ja": "W1 (FN, C, FS, FS), b1 (FN,), W2 (FN*PH*PW, hidden_size), b2, W3 (hidden_size, output_size), b3。"
              "OH = (H + 2*pad - FS)//stride + 1、PH = OH//2 です (OH が奇数でも切り捨て: / や round は使わない)。"
              "28 や 30 を書き込まず input_dim と conv_param を使います。引数の順番は SimpleConvNet(input_dim, conv_param, "
              "hidden_size, output_size, weight_init_std) です。",
        "en": "W1 (FN, C, FS, FS), b1 (FN,), W2 (FN*PH*PW, hidden_size), b2, W3 (hidden_size, output_size), b3, "
              "with OH = (H + 2*pad - FS)//stride + 1 and PH = OH//2 (floored when OH is odd: not / or round). Use input_dim "
              "and conv_param, not 28 or 30. The arguments come in the order SimpleConvNet(input_dim, conv_param, "
              "hidden_size, output_size, weight_init_std)."},
    "predict": {
        "ja": f"{_H_LAYERS} の順に forward します (ReLU を忘れていませんか)。" + _H_INPLACE["ja"],
        "en": f"Forward through {_H_LAYERS} (is a ReLU missing?). " + _H_INPLACE["en"]},
    "loss": {
        "ja": "損失はバッチの交差エントロピーの平均です (合計ではなく N で割る)。t はラベル (N,) でも one-hot でも受け付けます。",
        "en": "The loss is the mean cross-entropy of the batch (divide by N, do not just sum); t may be labels (N,) "
              "or one-hot."},
    "gradient": {
        "ja": "Softmax-with-Loss の backward は (y - t) / N です (バッチサイズで割る)。層を逆順に backward し、"
              "grads['W1'] = Conv1.dW のように params と同じキーで返します。ReLU の抜けや層のコピーも勾配を変えます。",
        "en": "Softmax-with-Loss backward is (y - t) / N (divide by the batch size). Call backward on the layers in "
              "reverse order and return grads['W1'] = Conv1.dW etc. with the keys of params. A missing ReLU or "
              "copied layer weights change the gradient too."},
    "batch_sizes": {
        "ja": "バッチサイズを固定しないでください。層は forward のたびに入力を保存し直します。",
        "en": "Do not fix the batch size; the layers store their input again in every forward."},
    "input_dtypes": {
        "ja": "float32 や整数の画像も受け付けます (predict の最初で np.asarray(x, dtype=...) に変換するなど)。",
        "en": "Accept float32 and integer images (e.g. convert with np.asarray(x, dtype=...) first in predict)."},
    "accuracy": {
        "ja": "accuracy は argmax(predict) とラベルが一致する割合です (期待値はあなたの predict の結果から求めています)。"
              "t が one-hot なら argmax でラベルに直し、最後の半端なバッチも数えて len(x) で割ります。",
        "en": "accuracy is the fraction where argmax(predict) equals the label (the expected value comes from your own "
              "predict). Turn one-hot t into labels with argmax, count the last partial batch too, divide by len(x)."},
}


def _f32(values) -> np.ndarray:
    """float64 values that float32 holds exactly."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def _reference_small(rng) -> reference.SimpleConvNet:
    """The reference network of ``_SMALL`` with drawn parameters: scores of order 1, ReLUs that
    cut about half, non-zero biases."""
    net = reference.SimpleConvNet(**dict(_SMALL, input_dim=tuple(_SMALL["input_dim"])))
    for k, param in net.params.items():
        fan_in = int(np.prod(param.shape[1:])) if k == "W1" else param.shape[0]
        param[...] = _f32((0.1 if k[0] == "b" else np.sqrt(2.0 / fan_in)) * rng.standard_normal(param.shape))
    return net


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs and parameters drawn from ``rng``."""
    plan = PlanBuilder()
    for tag, kw in (("small", _SMALL), ("strided", _STRIDED), ("default", {})):
        plan.new(f"net_{tag}", "SimpleConvNet", watch=_WATCH, **kw)
        plan.attr(f"params_{tag}", f"net_{tag}", "params")
    plan.new("net_odd", "SimpleConvNet", *_ODD, watch=_WATCH)
    plan.attr("params_odd", "net_odd", "params")
    ref = _reference_small(rng)
    values = {k: plan.array(f"param_{k}", v.copy()) for k, v in ref.params.items()}
    plan.setitems("set_small", "net_small", "params", values, after=("params_small",))
    K, shape = _SMALL["output_size"], tuple(_SMALL["input_dim"])

    def method(key, name, *args, **kwargs):
        return plan.method(key, "net_small", name, *args, watch=_WATCH, after=("set_small",), **kwargs)

    def images(name, n, dtype=np.float64):
        return plan.array(name, _f32(rng.random((n,) + shape)).astype(dtype))

    t_a, t_b, t_c = rng.integers(0, K, 4), rng.integers(0, K, 7), rng.integers(0, K, 3)
    x_a, x_b, x_c = images("x_a", 4), images("x_b", 7), images("x_c", 3, np.float32)
    method("predict_a", "predict", x_a)
    method("loss_labels", "loss", x_a, plan.array("t_a", t_a))
    method("loss_onehot", "loss", x_a, plan.array("t_a_onehot", np.eye(K)[t_a]))
    method("gradient_a", "gradient", x_a, plan.array("t_a", t_a))
    method("predict_b", "predict", x_b)  # another batch size on the same object
    method("predict_one", "predict", images("x_one", 1))  # a batch of one image
    method("gradient_b", "gradient", x_b, plan.array("t_b_onehot", np.eye(K)[t_b]))
    method("predict_f32", "predict", x_c)
    method("loss_f32", "loss", x_c, plan.array("t_c", t_c))
    method("predict_int", "predict", plan.array("x_int", rng.integers(0, 4, (3,) + shape)))
    x_d = _f32(rng.random((20,) + shape))  # labels: the reference is right on 13 of 20 images
    t_d = ref.predict(x_d).argmax(axis=1)
    wrong = rng.permutation(20)[13:]
    t_d[wrong] = (t_d[wrong] + rng.integers(1, K, len(wrong))) % K
    x_d = plan.array("x_d", x_d)
    method("predict_d", "predict", x_d)
    method("accuracy_default", "accuracy", x_d, plan.array("t_d", t_d))
    method("accuracy_partial", "accuracy", x_d, plan.array("t_d", t_d), batch_size=6)
    method("accuracy_onehot", "accuracy", x_d, plan.array("t_d_onehot", np.eye(K)[t_d]), batch_size=5)
    method("accuracy_positional", "accuracy", x_d, plan.array("t_d", t_d), 7)  # 20 = 2 * 7 + 6
    plan.global_("network", "network")
    plan.attr("network_params", "network", "params")
    # only to see whether ``network`` runs the reference's code; its scores are not used
    plan.method("network_predict", "network", "predict", plan.array("x_28", _f32(rng.random((2, 1, 28, 28)))),
                watch=_WATCH)
    add_curve = getattr(plan, "global_array", None)  # an op of newer probes; without it, no curves
    for name in CURVE_NAMES if add_curve else ():
        add_curve(f"curve_{name}", name)
    h = _HINTS
    return plan.build(), [
        Spec("SimpleConvNet.predict", 2, ("predict_a",), hint=h["predict"]),
        Spec("SimpleConvNet.loss", 2, ("loss_labels", "loss_onehot"), precision="float32", hint=h["loss"]),
        Spec("SimpleConvNet.gradient", 2, ("gradient_a",), hint=h["gradient"]),
        Spec("SimpleConvNet.batch_sizes", 1, ("predict_b", "gradient_b", "predict_one"), hint=h["batch_sizes"]),
        Spec("SimpleConvNet.input_dtypes", 1, ("predict_f32", "loss_f32", "predict_int"), precision="float32",
             hint=h["input_dtypes"]),
    ]


def _param_shapes(ctx: Context) -> CheckResult:
    """The keys and shapes of ``params`` of three freshly built networks (values are random)."""
    spec = Spec("SimpleConvNet.param_shapes", 1, hint=_HINTS["param_shapes"])
    fail = functools.partial(make_result, spec, ctx, Status.FAILED)
    if spec.name in ctx.flagged:
        return fail(text("uses_reference", ctx.lang, name=spec.name))
    keys = ("params_small", "params_strided", "params_default", "params_odd")
    for key in keys:
        problem = step_problem(spec, ctx, key)
        if problem is not None:
            return make_result(spec, ctx, *problem)
        call, expected, got = describe_step(ctx.plan, key), ctx.expected.step_status(key), ctx.got.step_status(key)
        if got.get("keys") != expected.get("keys"):
            return fail(text("keys", ctx.lang, call=call, expected=expected.get("keys"), received=got.get("keys")))
        for k in expected["keys"]:
            label, value = f"{call}[{k!r}]", ctx.got.sub(key, k)
            if value is None:
                return fail(text("badtype", ctx.lang, call=label, type=got.get("bad_items", {}).get(k, "?")))
            want = ctx.expected.sub(key, k).shape
            if value.shape != want:
                return fail(text("shape", ctx.lang, call=label, expected=want, received=value.shape), {"call": label})
    return make_result(spec, ctx, Status.PASSED, text("passed", ctx.lang, call=describe_step(ctx.plan, keys[-1])))


def _accuracy(ctx: Context) -> CheckResult:
    """``accuracy`` agrees with the network's own ``predict`` on the same images, so that a wrong
    forward pass costs the forward checks only."""
    spec = Spec("SimpleConvNet.accuracy", 1, hint=_HINTS["accuracy"])
    fail = functools.partial(make_result, spec, ctx, Status.FAILED)
    if spec.name in ctx.flagged:
        return fail(text("uses_reference", ctx.lang, name=spec.name))
    keys = ("predict_d", "accuracy_default", "accuracy_partial", "accuracy_onehot", "accuracy_positional")
    for key in keys:
        problem = step_problem(spec, ctx, key)
        if problem is not None:
            return make_result(spec, ctx, *problem)
    scores, t = ctx.got.arrays["predict_d"], ctx.plan.arrays["t_d"]
    if scores.shape != (len(t), _SMALL["output_size"]):
        return fail(text("shape", ctx.lang, call=describe_step(ctx.plan, keys[0]),
                         expected=(len(t), _SMALL["output_size"]), received=scores.shape))
    want = np.asarray(np.mean(scores.argmax(axis=1) == t))
    for key in keys[1:]:
        cmp = compare_arrays(ctx.got.arrays[key], want)
        if not cmp.ok:
            call = describe_step(ctx.plan, key)
            return fail(text(cmp.reason, ctx.lang, call=call, **cmp.fields), {"call": call, **cmp.fields})
    return make_result(spec, ctx, Status.PASSED, text("passed", ctx.lang, call=describe_step(ctx.plan, keys[-1])))


@functools.lru_cache(maxsize=1)
def _mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """MNIST's 10,000 test images (float32, normalised) and labels, read-only."""
    from reference.data import load_mnist

    (_, _), (pixels, t) = load_mnist(normalize=False, flatten=False, one_hot_label=False)
    x = pixels.astype(np.float32)  # normalised here, as load_mnist(normalize=True) does, for the
    x /= 255                       # test split only (not 60,000 training images never used)
    x.flags.writeable = t.flags.writeable = False
    return x, t


def extra_checks(ctx: Context) -> list[CheckResult]:
    """The checks that are not a comparison with the reference's outputs."""
    return [_accuracy(ctx), _param_shapes(ctx), trained.trained_accuracy(ctx, _mnist_test)]

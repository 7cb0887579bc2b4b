"""Exercise 4_1: conv_output_size and a single-image convolution (loops allowed).

``conv_output_size`` returns a scalar, which comes back from the kernel as a 0-d array: its
value checks compare values, so ``2.0`` equals ``2`` there. The contract says ``-> int``, so
one more check, ``conv_output_size.int_type`` (:func:`extra_checks`), requires an integer
result (a Python ``int`` or a NumPy integer) from every call that returned a number: a float
such as ``2.0`` (the sign of ``/`` instead of ``//``) fails it even when its value is right.
"""
from __future__ import annotations

import numpy as np

from grader.reports.messages import in_lang, text
from grader.grading.probe import PlanBuilder, describe_step
from grader.grading.results import CheckResult, Status
from grader.course.checks.base import Context, Spec, make_result, step_problem

EXERCISE = "4_1"
GRADED = ("conv_output_size", "convolution")

SLIDE_X = [[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]]
SLIDE_W = [[2, 0, 1], [0, 1, 2], [1, 0, 2]]  # -> [[15, 16], [6, 15]]; b=3 -> +3; pad=1 -> 4x4

_HINT_SIZE = {
    "ja": "OH = (H + 2*pad - FH) // stride + 1 です。割り算は // (切り捨て) を使い、pad は両側に付くので 2*pad です。"
          "引数の順番は conv_output_size(input_size, filter_size, pad, stride) です (位置引数でも呼ばれます)。",
    "en": "OH = (H + 2*pad - FH) // stride + 1: use // (floor division), and 2*pad because the padding is on both sides. "
          "The arguments come in the order conv_output_size(input_size, filter_size, pad, stride), also positionally.",
}
_HINT_INT = {
    "ja": "出力サイズは int で返します。/ は float (例: 2.0) を返すので // を使いましょう (np.floor も float を返します)。",
    "en": "Return the output size as an int. / returns a float (e.g. 2.0): use // (np.floor returns a float too).",
}
_NOT_INT = {
    "ja": "{call} の戻り値が整数ではありません (型 {kind}、値 {value})。int を返してください。",
    "en": "{call} did not return an int (got a {kind}, value {value}). Return an int.",
}
_HINT_CONV = {
    "ja": "畳み込みは相互相関です (フィルターは反転しません): out[i, j] = sum(x_pad[i*stride:i*stride+FH, j*stride:j*stride+FW] * w) + b。",
    "en": "Convolution is cross-correlation (the filter is not flipped): out[i, j] = sum(x_pad[i*stride:i*stride+FH, j*stride:j*stride+FW] * w) + b.",
}
_HINT_BIAS = {
    "ja": "バイアス b は各出力要素に 1 回だけ足します (チャンネルごとに足さない)。",
    "en": "Add the bias b once to every output element (not once per channel).",
}
_HINT_PAD = {
    "ja": "パディングは np.pad で H と W の両側に pad 個の 0 を付けます。出力サイズにも 2*pad が入ります。",
    "en": "Pad H and W on both sides with pad zeros (np.pad); the output size includes 2*pad too.",
}
_HINT_STRIDE = {
    "ja": "窓の開始位置は i*stride, j*stride です。FH と FW (縦と横) を取り違えていないか確認しましょう。"
          "stride が H + 2*pad - FH を割り切れなくても動くようにし (// で切り捨て)、引数は convolution(x, w, b, stride, pad) の順に受け取ります。",
    "en": "Windows start at i*stride, j*stride. Check that FH and FW (height and width) are not swapped. It must work "
          "when the stride does not divide H + 2*pad - FH (floor with //), and take its arguments in the order "
          "convolution(x, w, b, stride, pad).",
}
_HINT_CHANNELS = {
    "ja": "x が (C, H, W)、w が (C, FH, FW) のとき、チャンネル方向も含めて全部足し合わせ、(OH, OW) を返します。",
    "en": "For x (C, H, W) and w (C, FH, FW), sum over the channels too and return (OH, OW).",
}
_HINT_DTYPE = {
    "ja": "float32 や整数の入力でも動くようにします。結果は float の配列に入れましょう (np.zeros((OH, OW)))。",
    "en": "Accept float32 and integer inputs; collect the result in a float array (np.zeros((OH, OW))).",
}
_HINT_UNMODIFIED = {
    "ja": "入力配列を書き換えないでください。x.shape = ...、x[...] = ...、x += ... は呼び出し元の配列を変えます。x = x.reshape(...) や x.copy() を使いましょう。",
    "en": "Do not change the input arrays: x.shape = ..., x[...] = ... and x += ... change the caller's array. Use x = x.reshape(...) or x.copy().",
}


def _size_cases(plan: PlanBuilder, rng) -> list[Spec]:
    w = ("conv_output_size",)
    plan.call("size_slide", "conv_output_size", 4, 3, watch=w)
    plan.call("size_slide_pad", "conv_output_size", 4, 3, pad=1, watch=w)
    plan.call("size_slide_stride", "conv_output_size", 7, 3, stride=2, watch=w)
    plan.call("size_uneven", "conv_output_size", 8, 3, pad=1, stride=2, watch=w)  # 7 // 2: 3.5 with /
    plan.call("size_big_stride", "conv_output_size", 10, 2, stride=3, watch=w)
    for i in range(3):
        filt = int(rng.integers(1, 8))
        plan.call(f"size_random{i}", "conv_output_size", int(rng.integers(filt, 33)), filt,
                  pad=int(rng.integers(1, 4)), stride=int(rng.integers(2, 5)), watch=w)
    # a 6x9 input with a 2x3 filter, stride 2, pad 1: OH = 4, OW = 5; and a filter as large
    # as the padded input: one output
    plan.call("size_rect_h", "conv_output_size", 6, 2, pad=1, stride=2, watch=w)
    plan.call("size_rect_w", "conv_output_size", 9, 3, pad=1, stride=2, watch=w)
    plan.call("size_full", "conv_output_size", 3, 5, pad=1, watch=w)
    # positional, in the contract's order (input_size, filter_size, pad, stride), pad != stride:
    # (9 + 4 - 3) // 3 + 1 = 4, and 7 for a signature that takes stride before pad
    plan.call("size_positional", "conv_output_size", 9, 3, 2, 3, watch=w)
    return [
        Spec("conv_output_size.slide", 1, ("size_slide", "size_slide_pad", "size_slide_stride"), hint=_HINT_SIZE),
        Spec("conv_output_size.stride_pad", 1, ("size_uneven", "size_big_stride", "size_random0", "size_random1",
                                                "size_random2", "size_positional"), hint=_HINT_SIZE),
        Spec("conv_output_size.rect", 1, ("size_rect_h", "size_rect_w", "size_full"), hint=_HINT_SIZE),
    ]


def _conv_cases(plan: PlanBuilder, rng) -> list[Spec]:
    w = ("convolution",)
    sx = plan.array("slide_x", np.array(SLIDE_X, dtype=np.float64))
    sw = plan.array("slide_w", np.array(SLIDE_W, dtype=np.float64))
    plan.call("conv_slide", "convolution", sx, sw, watch=w)
    plan.call("conv_slide_bias", "convolution", sx, sw, b=3, watch=w)
    plan.call("conv_slide_bias_positional", "convolution", sx, sw, 3, watch=w)
    plan.call("conv_slide_pad", "convolution", sx, sw, pad=1, watch=w)
    cx = plan.array("bias_cx", rng.standard_normal((3, 5, 6)))
    cw = plan.array("bias_cw", rng.standard_normal((3, 3, 2)))
    plan.call("conv_bias_channels", "convolution", cx, cw, b=0.5, watch=w)
    px = plan.array("pad_x", rng.standard_normal((5, 7)))
    pw = plan.array("pad_w", rng.standard_normal((3, 3)))
    plan.call("conv_pad2", "convolution", px, pw, pad=2, watch=w)
    h, wd = (int(v) for v in rng.integers(6, 11, 2))
    fh, fw = (int(v) for v in rng.integers(2, 5, 2))
    rx = plan.array("sp_x", rng.standard_normal((h, wd)))
    rw = plan.array("sp_w", rng.standard_normal((fh, fw)))
    plan.call("conv_stride_pad", "convolution", rx, rw, stride=int(rng.integers(2, 4)),
              pad=int(rng.integers(1, 3)), track=(0,), watch=w)
    ex = plan.array("rect_x", rng.standard_normal((6, 9)))
    ew = plan.array("rect_w", rng.standard_normal((2, 3)))
    plan.call("conv_rect", "convolution", ex, ew, stride=2, pad=1, watch=w)
    # fixed boundary cases, whatever the seed: a stride that divides neither H + 2P - FH (7) nor
    # W + 2P - FW (10), an odd output (3, 4) of a non-square input and filter; and the contract's
    # positional order (x, w, b, stride, pad) with pad != stride
    ux = plan.array("uneven_x", rng.standard_normal((8, 10)))
    uw = plan.array("uneven_w", rng.standard_normal((3, 2)))
    plan.call("conv_uneven", "convolution", ux, uw, stride=3, pad=1, watch=w)
    plan.call("conv_positional", "convolution", ux, uw, 0.0, 2, 1, watch=w)
    c = int(rng.integers(2, 5))
    chx = plan.array("ch_x", rng.standard_normal((c, 7, 8)))
    chw = plan.array("ch_w", rng.standard_normal((c, 3, 3)))
    plan.call("conv_channels", "convolution", chx, chw, stride=2, pad=1, track=(0, 1), watch=w)
    fx = plan.array("f32_x", rng.standard_normal((6, 7)).astype(np.float32))
    fwt = plan.array("f32_w", rng.standard_normal((3, 3)).astype(np.float32))
    plan.call("conv_f32", "convolution", fx, fwt, pad=1, watch=w)
    ix = plan.array("int_x", rng.integers(0, 10, (6, 6)))
    iw = plan.array("int_w", rng.integers(-3, 4, (3, 3)))
    plan.call("conv_int", "convolution", ix, iw, stride=2, pad=1, watch=w)
    return [
        Spec("convolution.slide", 1, ("conv_slide",), hint=_HINT_CONV),
        Spec("convolution.bias", 1, ("conv_slide_bias", "conv_slide_bias_positional", "conv_bias_channels"),
             hint=_HINT_BIAS),
        Spec("convolution.pad", 1, ("conv_slide_pad", "conv_pad2"), hint=_HINT_PAD),
        Spec("convolution.stride_pad", 1, ("conv_stride_pad", "conv_rect", "conv_uneven", "conv_positional"),
             hint=_HINT_STRIDE),
        Spec("convolution.channels", 1, ("conv_channels",), hint=_HINT_CHANNELS),
        Spec("convolution.float32", 1, ("conv_f32",), precision="float32", hint=_HINT_DTYPE),
        Spec("convolution.integer", 1, ("conv_int",), hint=_HINT_DTYPE),
        Spec("convolution.unmodified", 1, unmodified=("conv_stride_pad", "conv_channels"), hint=_HINT_UNMODIFIED),
    ]


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs drawn from ``rng``."""
    plan = PlanBuilder()
    specs = _size_cases(plan, rng) + _conv_cases(plan, rng)
    return plan.build(), specs


def _not_int(dtype: str) -> str | None:
    """``None`` for an integer dtype, else the name to show (``float``, ``bool``, the dtype)."""
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        return dtype
    return None if kind in "iu" else {"f": "float", "b": "bool"}.get(kind, dtype)


def _int_type(ctx: Context) -> CheckResult:
    """Every call of ``conv_output_size`` that returned a number returned an integer. A call
    that raised costs only its value check, unless no call returned anything; a call that
    returned a non-number (a list, None) fails this check too."""
    spec = Spec("conv_output_size.int_type", 1, hint=_HINT_INT)
    if spec.name in ctx.flagged:
        return make_result(spec, ctx, Status.FAILED, text("uses_reference", ctx.lang, name=spec.name))
    keys = [s["key"] for s in ctx.plan.steps if s.get("name") == "conv_output_size"]
    problems = [(key, step_problem(spec, ctx, key)) for key in keys]
    for key, problem in problems:
        if problem is not None and ctx.got.step_status(key).get("status") == "badtype":
            return make_result(spec, ctx, *problem)
    answered = [key for key, problem in problems if problem is None]
    if not answered:
        return make_result(spec, ctx, *problems[0][1])
    for key in answered:
        dtype = str(ctx.got.step_status(key).get("dtype", "?"))
        kind = _not_int(dtype)
        if kind is not None:
            value = ctx.got.arrays.get(key)
            call = describe_step(ctx.plan, key)
            message = in_lang(_NOT_INT, ctx.lang).format(
                call=call, kind=kind, value=repr(value.tolist()) if isinstance(value, np.ndarray) else "?")
            return make_result(spec, ctx, Status.FAILED, message, {"call": call, "dtype": dtype})
    return make_result(spec, ctx, Status.PASSED, text("passed", ctx.lang, call=describe_step(ctx.plan, answered[-1])))


def extra_checks(ctx: Context) -> list[CheckResult]:
    """Checks that are not a comparison with the reference: the type of conv_output_size."""
    return [_int_type(ctx)]

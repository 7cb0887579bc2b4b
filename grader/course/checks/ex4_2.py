"""Exercise 4_2: max pooling of one image, ``(H, W)`` or ``(C, H, W)`` (loops allowed).

Only ``max_pooling.padding_never_wins`` pads an input that has negative values: every other
padded input is positive, so zero padding and ``-inf`` padding agree there and a wrong
padding value costs exactly that one check.
"""
from __future__ import annotations

import numpy as np

from grader.grading.probe import PlanBuilder
from grader.course.checks.base import Spec

EXERCISE = "4_2"
GRADED = ("max_pooling",)

SLIDE_6X6 = [[1, 2, 0, 1, 3, 2], [0, 4, 1, 2, 0, 1], [3, 0, 2, 5, 1, 0],
             [1, 2, 3, 0, 4, 2], [0, 1, 2, 3, 0, 6], [2, 0, 1, 4, 1, 0]]  # 2x2, stride 2 -> [[4,2,3],[3,5,4],[2,4,6]]
SLIDE_4X4 = [[1, 2, 1, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 4, 0, 1]]  # 2x2, stride 2 -> [[2, 3], [4, 2]]

_HINT_WINDOW = {
    "ja": "窓は x_pad[i*stride:i*stride+pool_h, j*stride:j*stride+pool_w] で、その最大値 (np.max) を取ります。OH = (H + 2*pad - pool_h)//stride + 1。"
          "stride が割り切れない場合も // で切り捨てます。引数の順番は max_pooling(x, pool_h, pool_w, stride, pad) です。",
    "en": "The window is x_pad[i*stride:i*stride+pool_h, j*stride:j*stride+pool_w] and you take its maximum (np.max). OH = (H + 2*pad - pool_h)//stride + 1, "
          "floored also when the stride does not divide. The arguments come in the order max_pooling(x, pool_h, pool_w, stride, pad).",
}
_HINT_DEFAULTS = {
    "ja": "既定値は stride=1, pad=0 です (シグネチャ max_pooling(x, pool_h, pool_w, stride=1, pad=0))。",
    "en": "The defaults are stride=1, pad=0 (signature max_pooling(x, pool_h, pool_w, stride=1, pad=0)).",
}
_HINT_RECT = {
    "ja": "pool_h は縦 (H 方向)、pool_w は横 (W 方向) の大きさです。取り違えていないか確認しましょう。",
    "en": "pool_h is the height (H axis) and pool_w the width (W axis): check they are not swapped.",
}
_HINT_CHANNELS = {
    "ja": "(C, H, W) の入力ではチャンネルごとにプーリングし、(C, OH, OW) を返します (チャンネル方向の最大は取りません)。",
    "en": "For a (C, H, W) input pool each channel on its own and return (C, OH, OW) (no maximum across channels).",
}
_HINT_OVERLAP = {
    "ja": "stride が窓より小さいと窓が重なります。窓の開始位置は i*stride です。",
    "en": "With a stride smaller than the window, windows overlap; window i starts at i*stride.",
}
_HINT_PADDING = {
    "ja": "パディング部分が最大値にならないよう、0 ではなく -inf で埋めます (np.pad(..., constant_values=-np.inf))。",
    "en": "Pad with -inf, not 0, so that the padding never wins the maximum (np.pad(..., constant_values=-np.inf)).",
}
_HINT_DTYPE = {
    "ja": "float32 や整数の入力でも動くようにします。整数配列には -inf を入れられないので、先に x.astype(np.float64) で変換してからパディングします。",
    "en": "Accept float32 and integer inputs. An integer array cannot hold -inf: convert with x.astype(np.float64) before padding.",
}
_HINT_UNMODIFIED = {
    "ja": "入力配列を書き換えないでください。x.shape = ...、x[...] = ...、x += ... は呼び出し元の配列を変えます。x = x.reshape(...) や x.copy() を使いましょう。",
    "en": "Do not change the input arrays: x.shape = ..., x[...] = ... and x += ... change the caller's array. Use x = x.reshape(...) or x.copy().",
}


def _positive(rng, shape) -> np.ndarray:
    """Values in [0.5, 9.5): zero padding could never win on these."""
    return rng.uniform(0.5, 9.5, shape)


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs drawn from ``rng``."""
    plan = PlanBuilder()
    w = ("max_pooling",)
    s6 = plan.array("slide6", np.array(SLIDE_6X6, dtype=np.float64))
    s4 = plan.array("slide4", np.array(SLIDE_4X4, dtype=np.float64))
    plan.call("pool_slide6", "max_pooling", s6, 2, 2, stride=2, watch=w)
    plan.call("pool_slide4", "max_pooling", s4, 2, 2, stride=2, watch=w)
    plan.call("pool_defaults", "max_pooling", plan.array("def_x", rng.standard_normal((5, 5))), 2, 2, watch=w)
    ph, pw = (int(v) for v in rng.integers(2, 4, 2))
    h, wd = (int(v) for v in rng.integers(6, 11, 2))
    sp = plan.array("sp_x", _positive(rng, (h, wd)))
    plan.call("pool_stride_pad", "max_pooling", sp, ph, pw, stride=int(rng.integers(2, 4)),
              pad=int(rng.integers(1, min(ph, pw))), track=(0,), watch=w)
    # fixed boundary cases, whatever the seed: a stride that divides neither H + 2P - FH (7) nor
    # W + 2P - FW (10), odd output rows; the contract's positional order (x, pool_h, pool_w,
    # stride, pad) with pad != stride (square windows and positive values: only the stride and
    # padding arithmetic is tested here)
    uneven = plan.array("uneven_x", _positive(rng, (8, 11)))
    plan.call("pool_uneven", "max_pooling", uneven, 3, 3, stride=3, pad=1, watch=w)
    plan.call("pool_positional", "max_pooling", plan.array("positional_x", _positive(rng, (8, 9))), 3, 3, 2, 1,
              watch=w)
    plan.call("pool_rect", "max_pooling", plan.array("rect_x", _positive(rng, (5, 8))), 2, 3, stride=2, pad=1, watch=w)
    ch = plan.array("ch_x", _positive(rng, (int(rng.integers(2, 5)), 7, 6)))
    plan.call("pool_channels", "max_pooling", ch, 2, 2, stride=2, pad=1, track=(0,), watch=w)
    ov = plan.array("ov_x", rng.standard_normal((2, 7, 9)))
    plan.call("pool_overlap", "max_pooling", ov, 3, 3, stride=2, watch=w)
    neg = plan.array("neg_x", -rng.uniform(1.0, 9.0, (5, 6)))
    neg_c = plan.array("neg_cx", -rng.uniform(1.0, 9.0, (2, 4, 4)))
    plan.call("pool_negative", "max_pooling", neg, 3, 3, pad=1, watch=w)
    plan.call("pool_negative_c", "max_pooling", neg_c, 2, 2, pad=1, watch=w)
    f32 = plan.array("f32_x", rng.standard_normal((6, 8)).astype(np.float32))
    plan.call("pool_f32", "max_pooling", f32, 2, 2, stride=2, watch=w)
    ints = plan.array("int_x", rng.integers(1, 10, (7, 7)))
    plan.call("pool_int", "max_pooling", ints, 3, 3, stride=2, pad=1, watch=w)
    specs = [
        Spec("max_pooling.slide", 1, ("pool_slide6", "pool_slide4"), hint=_HINT_WINDOW),
        Spec("max_pooling.defaults", 1, ("pool_defaults",), hint=_HINT_DEFAULTS),
        Spec("max_pooling.stride_pad", 1, ("pool_stride_pad", "pool_uneven", "pool_positional"), hint=_HINT_WINDOW),
        Spec("max_pooling.rect", 1, ("pool_rect",), hint=_HINT_RECT),
        Spec("max_pooling.channels", 1, ("pool_channels",), hint=_HINT_CHANNELS),
        Spec("max_pooling.overlap", 1, ("pool_overlap",), hint=_HINT_OVERLAP),
        Spec("max_pooling.padding_never_wins", 1, ("pool_negative", "pool_negative_c"), hint=_HINT_PADDING),
        Spec("max_pooling.float32", 1, ("pool_f32",), precision="float32", hint=_HINT_DTYPE),
        Spec("max_pooling.integer", 1, ("pool_int",), hint=_HINT_DTYPE),
        Spec("max_pooling.unmodified", 1, unmodified=("pool_stride_pad", "pool_channels"), hint=_HINT_UNMODIFIED),
    ]
    return plan.build(), specs

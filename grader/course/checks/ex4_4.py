"""Exercise 4_4: im2col and col2im."""
from __future__ import annotations

import numpy as np

from grader.grading.probe import PlanBuilder
from grader.course.checks.base import Spec

EXERCISE = "4_4"
GRADED = ("im2col", "col2im")

_HINT_IM2COL = {
    "ja": "行は (n, oh, ow) の順、列は (c, fh, fw) の順です。out_h = (H + 2*pad - filter_h)//stride + 1 を確認しましょう。"
          "N = 1 や C > 1、stride が割り切れない場合、位置引数 im2col(x, filter_h, filter_w, stride, pad) でも動くようにします。",
    "en": "Rows go in (n, oh, ow) order, columns in (c, fh, fw) order. Check out_h = (H + 2*pad - filter_h)//stride + 1. "
          "It must work for N = 1 and C > 1, a stride that does not divide, and positional arguments "
          "im2col(x, filter_h, filter_w, stride, pad).",
}
_HINT_COL2IM = {
    "ja": "窓が重なる位置では値を上書きせず足し合わせ (+=)、最後にパディング部分を取り除きます。"
          "stride が割り切れない場合や位置引数 col2im(col, input_shape, filter_h, filter_w, stride, pad) でも動くようにします。",
    "en": "Where windows overlap, add the values (+=) instead of overwriting, then drop the padded border. It must work "
          "when the stride does not divide and with positional arguments col2im(col, input_shape, filter_h, filter_w, "
          "stride, pad).",
}


def _im2col_cases(plan: PlanBuilder, rng) -> list[Spec]:
    w = ("im2col",)
    slide = plan.array("slide_x", np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4))
    plan.call("im2col_slide", "im2col", slide, 2, 2, stride=2, watch=w)
    batch = plan.array("batch_x", rng.integers(0, 10, (2, 2, 4, 4)).astype(np.float64))
    plan.call("im2col_batch", "im2col", batch, 3, 3, watch=w)
    x1 = plan.array("x_s2p1", rng.standard_normal((2, 3, 7, 6)))
    plan.call("im2col_s2p1", "im2col", x1, 3, 3, stride=2, pad=1, track=(0,), watch=w)
    x2 = plan.array("x_rect", rng.standard_normal((3, 2, 9, 8)))
    plan.call("im2col_rect", "im2col", x2, 2, 3, stride=3, pad=2, watch=w)
    x32 = plan.array("x_f32", rng.standard_normal((2, 2, 6, 6)).astype(np.float32))
    plan.call("im2col_f32", "im2col", x32, 3, 3, stride=1, pad=1, watch=w)
    plan.call("im2col_const", "im2col", x1, 3, 3, stride=2, pad=1, constant_values=-1.5, watch=w)
    plan.call("im2col_const_positional", "im2col", x1, 3, 3, 2, 1, -0.5, watch=w)
    # fixed boundary cases, whatever the seed: one image of three channels, then three images of
    # one channel; non-square inputs and filters; strides that divide neither H + 2P - FH nor
    # W + 2P - FW; the contract's positional order (x, filter_h, filter_w, stride, pad), pad != stride
    one = plan.array("x_one_image", rng.standard_normal((1, 3, 8, 10)))
    plan.call("im2col_uneven", "im2col", one, 3, 2, stride=3, pad=1, watch=w)
    gray = plan.array("x_one_channel", rng.standard_normal((3, 1, 8, 7)))
    plan.call("im2col_positional", "im2col", gray, 3, 2, 2, 1, watch=w)
    return [
        Spec("im2col.slide", 1, ("im2col_slide", "im2col_batch"), hint=_HINT_IM2COL),
        Spec("im2col.stride_pad", 1, ("im2col_s2p1", "im2col_rect", "im2col_uneven", "im2col_positional"),
             hint=_HINT_IM2COL),
        Spec("im2col.float32", 1, ("im2col_f32",), precision="float32", hint=_HINT_IM2COL),
        Spec("im2col.constant_values", 1, ("im2col_const", "im2col_const_positional"), hint={
            "ja": "パディング部分は constant_values で埋めます (np.pad の constant_values)。",
            "en": "Fill the padding with constant_values (np.pad's constant_values)."}),
        Spec("im2col.unmodified", 1, unmodified=("im2col_s2p1",)),
    ]


def _col2im_cases(plan: PlanBuilder, rng) -> list[Spec]:
    w = ("col2im",)
    slide = plan.array("slide_col", np.arange(16, dtype=np.float64).reshape(4, 4))
    plan.call("col2im_slide", "col2im", slide, [1, 1, 4, 4], 2, 2, stride=2, watch=w)
    overlap = plan.array("col_overlap", rng.standard_normal((2 * 3 * 3, 2 * 3 * 3)))
    plan.call("col2im_overlap", "col2im", overlap, [2, 2, 5, 5], 3, 3, stride=1, track=(0,), watch=w)
    padded = plan.array("col_pad", rng.standard_normal((2 * 4 * 4, 3 * 3 * 3)))
    plan.call("col2im_pad", "col2im", padded, [2, 3, 7, 7], 3, 3, stride=2, pad=1, watch=w)
    rect = plan.array("col_rect", rng.standard_normal((1 * 4 * 3, 2 * 2 * 3)))
    plan.call("col2im_rect", "col2im", rect, [1, 2, 6, 5], 2, 3, stride=2, pad=1, watch=w)
    # the im2col cases' boundary shapes, backwards: (1, 3, 8, 10) with a 3x2 filter, stride 3,
    # pad 1 (OH 3, OW 4), and positionally (3, 1, 8, 7), 3x2, stride 2, pad 1 (OH 4, OW 4)
    uneven = plan.array("col_uneven", rng.standard_normal((1 * 3 * 4, 3 * 3 * 2)))
    plan.call("col2im_uneven", "col2im", uneven, [1, 3, 8, 10], 3, 2, stride=3, pad=1, watch=w)
    gray = plan.array("col_one_channel", rng.standard_normal((3 * 4 * 4, 1 * 3 * 2)))
    plan.call("col2im_positional", "col2im", gray, [3, 1, 8, 7], 3, 2, 2, 1, watch=w)
    col32 = plan.array("col_f32", rng.standard_normal((2 * 16, 2 * 9)).astype(np.float32))
    plan.call("col2im_f32", "col2im", col32, [2, 2, 6, 6], 3, 3, stride=1, pad=0, watch=w)
    return [
        Spec("col2im.slide", 1, ("col2im_slide",), hint=_HINT_COL2IM),
        Spec("col2im.overlap", 1, ("col2im_overlap",), hint=_HINT_COL2IM),
        Spec("col2im.stride_pad", 1, ("col2im_pad", "col2im_rect", "col2im_uneven", "col2im_positional"),
             hint=_HINT_COL2IM),
        Spec("col2im.float32", 1, ("col2im_f32",), precision="float32", hint=_HINT_COL2IM),
        Spec("col2im.unmodified", 1, unmodified=("col2im_overlap",)),
    ]


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs drawn from ``rng``."""
    plan = PlanBuilder()
    specs = _im2col_cases(plan, rng) + _col2im_cases(plan, rng)
    return plan.build(), specs

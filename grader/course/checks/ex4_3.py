"""Exercise 4_3: padding, and the reshapes between filters / NCHW batches and matrices that
turn a convolution into one matrix product."""
from __future__ import annotations

import numpy as np

from grader.grading.probe import PlanBuilder
from grader.course.checks.base import Spec

EXERCISE = "4_3"
GRADED = ("pad_hw", "filters_to_matrix", "matrix_to_nchw", "nchw_to_matrix")

_HINT_PAD = {
    "ja": "パディングするのは H と W の軸だけです: np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))。N と C の軸は変えません。",
    "en": "Pad only the H and W axes: np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad))). N and C stay as they are.",
}
_HINT_CONSTANT = {
    "ja": "constant_values を np.pad にそのまま渡します (mode='constant')。",
    "en": "Pass constant_values on to np.pad (mode='constant').",
}
_HINT_FILTERS = {
    "ja": "W.reshape(FN, -1) でフィルターごとに 1 行にしてから .T で転置します。W.reshape(-1, FN) では要素の並びが変わってしまいます。",
    "en": "W.reshape(FN, -1) makes one row per filter; then transpose with .T. W.reshape(-1, FN) scrambles the elements.",
}
_HINT_TO_NCHW = {
    "ja": "out.reshape(N, OH, OW, FN) で行を (n, oh, ow) に戻し、transpose(0, 3, 1, 2) で (N, FN, OH, OW) にします。",
    "en": "out.reshape(N, OH, OW, FN) restores the (n, oh, ow) rows; transpose(0, 3, 1, 2) then gives (N, FN, OH, OW).",
}
_HINT_TO_MATRIX = {
    "ja": "先に transpose(0, 2, 3, 1) で (N, OH, OW, FN) にしてから reshape(-1, FN) します。転置なしの reshape では値が混ざります。",
    "en": "First transpose(0, 2, 3, 1) to (N, OH, OW, FN), then reshape(-1, FN). A reshape without the transpose mixes the values.",
}
_HINT_DTYPE = {
    "ja": "float32 や整数の入力でも同じ操作で動くはずです。dtype を決め打ちしていないか確認しましょう。",
    "en": "The same operations work for float32 and integer inputs: check that no dtype is hard-coded.",
}
_HINT_UNMODIFIED = {
    "ja": "入力配列を書き換えないでください。x.shape = ...、x[...] = ...、x += ... は呼び出し元の配列を変えます。x = x.reshape(...) や x.copy() を使いましょう。",
    "en": "Do not change the input arrays: x.shape = ..., x[...] = ... and x += ... change the caller's array. Use x = x.reshape(...) or x.copy().",
}


def _pad_cases(plan: PlanBuilder, rng) -> list[Spec]:
    w = ("pad_hw",)
    small = plan.array("pad_small", np.arange(1, 7, dtype=np.float64).reshape(1, 1, 2, 3))
    plan.call("pad_small", "pad_hw", small, 1, watch=w)
    x = plan.array("pad_x", rng.standard_normal((2, 3, 4, 5)))
    plan.call("pad_random", "pad_hw", x, int(rng.integers(2, 4)), track=(0,), watch=w)
    plan.call("pad_const", "pad_hw", x, 1, constant_values=-1.5, watch=w)
    plan.call("pad_const_positional", "pad_hw", x, 2, -0.5, watch=w)  # the contract's order (x, pad, constant_values)
    x32 = plan.array("pad_f32", rng.standard_normal((2, 2, 3, 4)).astype(np.float32))
    plan.call("pad_f32", "pad_hw", x32, 1, watch=w)
    xi = plan.array("pad_int", rng.integers(-9, 10, (1, 2, 3, 3)))
    plan.call("pad_int", "pad_hw", xi, 2, watch=w)
    return [
        Spec("pad_hw.values", 1, ("pad_small", "pad_random"), hint=_HINT_PAD),
        Spec("pad_hw.constant_values", 1, ("pad_const", "pad_const_positional"), hint=_HINT_CONSTANT),
        Spec("pad_hw.dtypes", 1, ("pad_f32", "pad_int"), precision="float32", hint=_HINT_DTYPE),
        Spec("pad_hw.unmodified", 1, unmodified=("pad_random",), hint=_HINT_UNMODIFIED),
    ]


def _filters_cases(plan: PlanBuilder, rng) -> list[Spec]:
    w = ("filters_to_matrix",)
    small = plan.array("fm_small", np.arange(8, dtype=np.float64).reshape(2, 1, 2, 2))  # -> [[0,4],[1,5],[2,6],[3,7]]
    plan.call("fm_small", "filters_to_matrix", small, watch=w)
    W = plan.array("fm_W", rng.standard_normal((int(rng.integers(3, 6)), 3, 3, 2)))
    plan.call("fm_random", "filters_to_matrix", W, track=(0,), watch=w)
    plan.call("fm_f32", "filters_to_matrix", plan.array("fm_f32", rng.standard_normal((4, 2, 2, 3)).astype(np.float32)), watch=w)
    plan.call("fm_int", "filters_to_matrix", plan.array("fm_int", rng.integers(-9, 10, (3, 2, 3, 3))), watch=w)
    return [
        Spec("filters_to_matrix.values", 1, ("fm_small", "fm_random"), hint=_HINT_FILTERS),
        Spec("filters_to_matrix.dtypes", 1, ("fm_f32", "fm_int"), precision="float32", hint=_HINT_DTYPE),
        Spec("filters_to_matrix.unmodified", 1, unmodified=("fm_random",), hint=_HINT_UNMODIFIED),
    ]


def _to_nchw_cases(plan: PlanBuilder, rng) -> list[Spec]:
    w = ("matrix_to_nchw",)
    small = plan.array("mn_small", np.arange(24, dtype=np.float64).reshape(2 * 2 * 3, 2))
    plan.call("mn_small", "matrix_to_nchw", small, 2, 2, 3, watch=w)
    n, oh, ow, fn = (int(v) for v in (rng.integers(2, 4), rng.integers(2, 4), rng.integers(4, 6), rng.integers(3, 6)))
    out = plan.array("mn_out", rng.standard_normal((n * oh * ow, fn)))
    plan.call("mn_random", "matrix_to_nchw", out, n, oh, ow, track=(0,), watch=w)
    o32 = plan.array("mn_f32", rng.standard_normal((2 * 3 * 2, 4)).astype(np.float32))
    plan.call("mn_f32", "matrix_to_nchw", o32, 2, 3, 2, watch=w)
    oint = plan.array("mn_int", rng.integers(-9, 10, (1 * 2 * 4, 3)))
    plan.call("mn_int", "matrix_to_nchw", oint, 1, 2, 4, watch=w)
    return [
        Spec("matrix_to_nchw.values", 1, ("mn_small", "mn_random"), hint=_HINT_TO_NCHW),
        Spec("matrix_to_nchw.dtypes", 1, ("mn_f32", "mn_int"), precision="float32", hint=_HINT_DTYPE),
        Spec("matrix_to_nchw.unmodified", 1, unmodified=("mn_random",), hint=_HINT_UNMODIFIED),
    ]


def _to_matrix_cases(plan: PlanBuilder, rng) -> list[Spec]:
    w = ("nchw_to_matrix",)
    small = plan.array("nm_small", np.arange(24, dtype=np.float64).reshape(2, 2, 2, 3))
    plan.call("nm_small", "nchw_to_matrix", small, watch=w)
    shape = tuple(int(v) for v in (rng.integers(2, 4), rng.integers(3, 6), rng.integers(2, 4), rng.integers(4, 6)))
    dout = plan.array("nm_dout", rng.standard_normal(shape))
    plan.call("nm_random", "nchw_to_matrix", dout, track=(0,), watch=w)
    plan.call("nm_f32", "nchw_to_matrix", plan.array("nm_f32", rng.standard_normal((2, 4, 3, 2)).astype(np.float32)), watch=w)
    plan.call("nm_int", "nchw_to_matrix", plan.array("nm_int", rng.integers(-9, 10, (1, 3, 2, 4))), watch=w)
    return [
        Spec("nchw_to_matrix.values", 1, ("nm_small", "nm_random"), hint=_HINT_TO_MATRIX),
        Spec("nchw_to_matrix.dtypes", 1, ("nm_f32", "nm_int"), precision="float32", hint=_HINT_DTYPE),
        Spec("nchw_to_matrix.unmodified", 1, unmodified=("nm_random",), hint=_HINT_UNMODIFIED),
    ]


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs drawn from ``rng``."""
    plan = PlanBuilder()
    specs = (_pad_cases(plan, rng) + _filters_cases(plan, rng) + _to_nchw_cases(plan, rng)
             + _to_matrix_cases(plan, rng))
    return plan.build(), specs

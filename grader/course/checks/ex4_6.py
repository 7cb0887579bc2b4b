"""Exercise 4_6: the MaxPooling layer (forward; backward routing each window's gradient to its
first maximum and adding where windows overlap).

Every case builds its own layer and runs ``forward(x)`` then ``backward(dout)``; the
repeated case runs more pairs with other batch sizes on the object of the first case.
Only the overlap checks use windows that overlap, only the padding checks put a maximum in
reach of the padding, and only the tie checks hold ties, so each defect shows in the check
that names it. Shapes are drawn from ``rng``.
"""
from __future__ import annotations

import numpy as np

from reference.shapes import conv_output_size

from grader.grading.probe import PlanBuilder
from grader.course.checks.base import Spec

EXERCISE = "4_6"
GRADED = ("MaxPooling",)

_WATCH_NEW = ("MaxPooling.__init__", "MaxPooling.forward", "MaxPooling.backward")
_WATCH = ("MaxPooling.forward", "MaxPooling.backward")

_HINTS = {
    "forward": {
        "ja": "OH = (H + 2*pad - pool_h)//stride + 1 です。チャネルごとに各窓の最大値を取り、(N, C, OH, OW) で返します。",
        "en": "OH = (H + 2*pad - pool_h)//stride + 1. Take the maximum of each window per channel and "
              "return (N, C, OH, OW).",
    },
    "backward": {
        "ja": "各窓の dout は、forward で記録した最大値の位置 (argmax) にだけ流し、窓の他の位置は 0 のままにします。",
        "en": "Each window's dout goes only to the position of its maximum (the argmax recorded in forward); "
              "the other positions of the window stay 0.",
    },
    "overlap": {
        "ja": "stride がプーリングの大きさより小さいと窓が重なります。同じ位置に来る勾配は上書きせず足し合わせます "
              "(+=、col2im は足し合わせます)。",
        "en": "With stride smaller than the pool, windows overlap: add (+=) the gradients that reach the same "
              "position instead of overwriting them (col2im adds).",
    },
    "ties": {
        "ja": "最大値が複数あるときは、行優先 (row-major) で最初の位置 (np.argmax が返す位置) だけが勾配を受け取ります。"
              "x == max のマスクはすべての最大値に勾配を配ってしまいます。最後の位置でもありません。",
        "en": "On a tie, only the first maximum in row-major order (the one np.argmax returns) gets the gradient. "
              "A mask x == max gives it to every tied position; the last one is wrong too.",
    },
    "padding": {
        "ja": "パディングは 0 ではなく -inf で埋めます (constant_values=-np.inf)。入力がすべて負でも、"
              "パディングが最大値になってはいけません。",
        "en": "Pad with -inf, not 0 (constant_values=-np.inf): even when every input is negative, the padding "
              "must never be the maximum.",
    },
    "non_square": {
        "ja": "pool_h は行 (H) 方向、pool_w は列 (W) 方向の大きさです。取り違えていないか確認しましょう。"
              "引数は MaxPooling(pool_h, pool_w, stride, pad) の順に受け取ります。",
        "en": "pool_h is the size along the rows (H), pool_w along the columns (W); check they are not swapped. "
              "The arguments come in the order MaxPooling(pool_h, pool_w, stride, pad).",
    },
    "float32": {
        "ja": "float32 の入力でも計算できるようにします。整数の dtype で作業用配列を作っていないか確認しましょう。",
        "en": "Make float32 inputs work: do not create buffers with an integer dtype.",
    },
    "repeated": {
        "ja": "forward を呼ぶたびに入力の形状と argmax を保存し直します (最初のバッチを使い回さない)。",
        "en": "Store the input's shape and the argmax again in every forward (do not keep the first batch's).",
    },
    "integer": {
        "ja": "整数の配列も受け付けます。-inf でパディングする前や勾配を入れる前に float に変換しましょう "
              "(x.astype(np.float64))。",
        "en": "Accept integer arrays: convert to float (x.astype(np.float64)) before padding with -inf or "
              "storing gradients.",
    },
    "unmodified": {
        "ja": "forward の x や backward の dout を書き換えないでください (+= や x[...] = は入力そのものを変えます)。",
        "en": "Do not modify x in forward or dout in backward (+= and x[...] = change the caller's array).",
    },
}


def _int(rng, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def _pair(plan: PlanBuilder, rng, layer: str, tag: str, x: np.ndarray, pool, stride=1, pad=0, dtype=np.float64):
    """``forward(x)`` then ``backward(dout)`` on ``layer``; returns both keys."""
    N, C, H, W = x.shape
    out = (N, C, conv_output_size(H, pool[0], pad, stride), conv_output_size(W, pool[1], pad, stride))
    if x.dtype.kind in "iu":
        dout = rng.integers(-5, 6, out)
    else:
        dout = rng.standard_normal(out).astype(dtype)
    fwd = plan.method(f"fwd_{tag}", layer, "forward", plan.array(f"x_{tag}", x), track=(0,), watch=_WATCH)
    dx = plan.method(f"dx_{tag}", layer, "backward", plan.array(f"dout_{tag}", dout), track=(0,),
                     watch=_WATCH, after=(fwd,))
    return fwd, dx


def _case(plan: PlanBuilder, rng, tag: str, x: np.ndarray, pool, positional=False, **kwargs):
    """A new ``MaxPooling(*pool, **kwargs)`` with one pair on ``x``; returns the layer and pair keys.
    ``positional``: made as ``MaxPooling(pool_h, pool_w, stride, pad)``, the contract's order."""
    if positional:
        layer = plan.new(f"pool_{tag}", "MaxPooling", *pool, kwargs.get("stride", 1), kwargs.get("pad", 0),
                         watch=_WATCH_NEW)
    else:
        layer = plan.new(f"pool_{tag}", "MaxPooling", *pool, watch=_WATCH_NEW, **kwargs)
    return layer, _pair(plan, rng, layer, tag, x, pool, dtype=x.dtype, **kwargs)


def _batch(rng, low=4, high=7, n=(2, 3)):
    return (_int(rng, *n), _int(rng, 2, 3), _int(rng, low, high), _int(rng, low, high))


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs and shapes drawn from ``rng``."""
    plan = PlanBuilder()
    normal, positive = rng.standard_normal, (lambda shape: rng.uniform(0.1, 2.0, shape))
    first = _batch(rng)
    layer_a, a = _case(plan, rng, "2x2s2", normal(first), (2, 2), stride=2)
    _, p = _case(plan, rng, "3x3s3p1", positive(_batch(rng, 5, 8)), (3, 3), stride=3, pad=1)
    # fixed boundary cases, whatever the seed (no overlap, no tie, padding out of reach): strides
    # that divide neither H + 2P - PH nor W + 2P - PW; a non-square window, one image of three
    # channels and the contract's positional order MaxPooling(pool_h, pool_w, stride, pad)
    _, u = _case(plan, rng, "uneven", positive((2, 2, 7, 9)), (2, 2), stride=2, pad=1)
    _, q = _case(plan, rng, "positional", positive((1, 3, 8, 10)), (2, 3), stride=3, pad=1, positional=True)
    # overlapping windows: stride < pool, and the default stride 1
    _, o1 = _case(plan, rng, "3x3s2", normal(_batch(rng, 5, 8)), (3, 3), stride=2)
    _, o2 = _case(plan, rng, "2x2", normal(_batch(rng)), (2, 2))
    # ties: few distinct values, windows that do not overlap
    _, t1 = _case(plan, rng, "ties2x2", rng.integers(0, 3, _batch(rng)).astype(np.float64), (2, 2), stride=2)
    _, t2 = _case(plan, rng, "ties3x3", rng.integers(0, 2, _batch(rng, 6, 9)).astype(np.float64), (3, 3), stride=3)
    # every input negative: zero padding would win the border windows
    _, n1 = _case(plan, rng, "neg2x2p1", -positive(_batch(rng)), (2, 2), stride=2, pad=1)
    _, n2 = _case(plan, rng, "neg3x3p1", -positive(_batch(rng, 5, 8)), (3, 3), stride=3, pad=1)
    # H = 3k + 2: one more row of windows for a 2-row pool than for a 3-row one (swapped sizes show)
    shape = (_int(rng, 2, 3), _int(rng, 2, 3), 3 * _int(rng, 1, 2) + 2, _int(rng, 6, 10))
    _, r = _case(plan, rng, "2x3s3", normal(shape), (2, 3), stride=3)
    _, f = _case(plan, rng, "f32", normal(_batch(rng)).astype(np.float32), (2, 2), stride=2)
    again = _pair(plan, rng, layer_a, "again", normal((first[0] + _int(rng, 1, 2),) + first[1:]), (2, 2), stride=2)
    one = _pair(plan, rng, layer_a, "one", normal((1,) + first[1:]), (2, 2), stride=2)
    shape = _batch(rng)
    distinct = rng.permutation(int(np.prod(shape))).reshape(shape) - int(np.prod(shape)) // 2
    _, i = _case(plan, rng, "int", distinct, (2, 2), stride=2)
    # fixed, whatever the seed (drawn last: the cases above keep their draws): windows that tile the input exactly, so a reshape-based pooling
    # (CS231n's fast path, which shares a tie's gradient among the tied maxima) takes that path
    tiled = np.random.default_rng(46).integers(0, 2, (2, 2, 6, 4)).astype(np.float64)
    _, t3 = _case(plan, rng, "ties_tiled", tiled, (2, 2), stride=2)
    h = _HINTS
    return plan.build(), [
        Spec("MaxPooling.forward", 1, (a[0], p[0], o1[0], o2[0], u[0]), hint=h["forward"]),
        Spec("MaxPooling.backward", 1, (a[1], p[1], u[1]), hint=h["backward"]),
        Spec("MaxPooling.overlap", 1, (o1[1], o2[1]), hint=h["overlap"]),
        Spec("MaxPooling.ties", 1, (t1[1], t2[1], t3[1]), hint=h["ties"]),
        Spec("MaxPooling.padding_forward", 1, (n1[0], n2[0]), hint=h["padding"]),
        Spec("MaxPooling.padding_backward", 1, (n1[1], n2[1]), hint=h["padding"]),
        Spec("MaxPooling.non_square", 1, r + q, hint=h["non_square"]),
        Spec("MaxPooling.float32", 1, f, precision="float32", hint=h["float32"]),
        Spec("MaxPooling.repeated", 1, again + one, hint=h["repeated"]),
        Spec("MaxPooling.integer_input", 1, i, hint=h["integer"]),
        Spec("MaxPooling.unmodified", 1, unmodified=a, hint=h["unmodified"]),
    ]

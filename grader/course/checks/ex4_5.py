"""Exercise 4_5: the Convolution layer (forward; backward returning dx and setting dW, db).

Every case builds its own layer object, runs ``forward(x)`` then ``backward(dout)`` and
reads ``dW`` and ``db`` right after that backward; the repeated case runs more pairs with
other batch sizes on the object of the first case. Shapes are drawn from ``rng``.
"""
from __future__ import annotations

import numpy as np

from reference.shapes import conv_output_size

from grader.grading.probe import PlanBuilder
from grader.course.checks.base import Spec

EXERCISE = "4_5"
GRADED = ("Convolution",)

_WATCH_NEW = ("Convolution.__init__", "Convolution.forward", "Convolution.backward")
_WATCH = ("Convolution.forward", "Convolution.backward")

_HINTS = {
    "forward": {
        "ja": "out = col @ col_W + b (col = im2col(x, FH, FW, stride, pad)、col_W = W.reshape(FN, -1).T) を "
              "(N, OH, OW, FN) に reshape して transpose(0, 3, 1, 2) します。"
              "OH = (H + 2*pad - FH)//stride + 1 を確認しましょう。stride が割り切れない入力や N = 1 でも動き、"
              "引数は Convolution(W, b, stride, pad) の順に受け取ります。",
        "en": "out = col @ col_W + b (col = im2col(x, FH, FW, stride, pad), col_W = W.reshape(FN, -1).T), "
              "reshaped to (N, OH, OW, FN) and transposed with (0, 3, 1, 2). "
              "Check OH = (H + 2*pad - FH)//stride + 1. It must work when the stride does not divide and for "
              "N = 1, and take its arguments in the order Convolution(W, b, stride, pad).",
    },
    "dx": {
        "ja": "dcol = dout_mat @ col_W.T を col2im(dcol, x.shape, FH, FW, stride, pad) で戻します。"
              "x.shape はパディング前の入力の形状です (col2im がパディングを取り除きます)。",
        "en": "Turn dcol = dout_mat @ col_W.T back with col2im(dcol, x.shape, FH, FW, stride, pad), "
              "x.shape being the shape of the unpadded input (col2im drops the padding).",
    },
    "dW": {
        "ja": "col.T @ dout_mat の形状は (C*FH*FW, FN) です。transpose(1, 0) してから "
              "reshape(FN, C, FH, FW) で W と同じ形状に戻します。",
        "en": "col.T @ dout_mat has shape (C*FH*FW, FN): transpose(1, 0) it, then "
              "reshape(FN, C, FH, FW) to get the shape of W.",
    },
    "db": {
        "ja": "db は dout を N, OH, OW の 3 軸すべてで合計した (FN,) の配列です: "
              "dout.transpose(0, 2, 3, 1).reshape(-1, FN).sum(axis=0)。",
        "en": "db is dout summed over N, OH and OW, shape (FN,): "
              "dout.transpose(0, 2, 3, 1).reshape(-1, FN).sum(axis=0).",
    },
    "repeated": {
        "ja": "forward を呼ぶたびに x、col、col_W を保存し直します (最初のバッチを使い回さない)。"
              "backward は直前の forward の値を使い、形状は保存した x から求めます。",
        "en": "Store x, col and col_W again in every forward (do not keep the first batch); "
              "backward uses the latest forward's values and takes shapes from the stored x.",
    },
    "float32": {
        "ja": "float32 の入力でも計算できるようにします。整数の dtype で配列を作ったり、"
              "形状を取り違えたりしていないか確認しましょう。",
        "en": "Make float32 inputs work: do not create buffers with an integer dtype, and check the shapes.",
    },
    "integer": {
        "ja": "整数の配列 (x、dout) も受け付けます。入力の dtype のまま作業用配列を作ると値が切り捨てられます: "
              "必要なら x.astype(np.float64) で変換しましょう。",
        "en": "Accept integer arrays (x, dout): buffers created with the input's integer dtype truncate "
              "values; convert with x.astype(np.float64) where needed.",
    },
    "unmodified": {
        "ja": "forward の x や backward の dout を書き換えないでください (+= や x[...] = は入力そのものを変えます)。",
        "en": "Do not modify x in forward or dout in backward (+= and x[...] = change the caller's array).",
    },
}


def _int(rng, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def _case(plan: PlanBuilder, rng, tag: str, shape, filters, *, dtype=np.float64, integer=False, positional=False,
          **kwargs):
    """A new layer for ``filters`` ``(FN, C, FH, FW)`` with one forward/backward pair on a batch
    of ``shape`` ``(N, C, H, W)``; returns the layer key and the pair's keys. ``positional``: the
    layer is made as ``Convolution(W, b, stride, pad)``, the contract's order."""
    W = plan.array(f"W_{tag}", rng.standard_normal(filters).astype(dtype))
    b = plan.array(f"b_{tag}", rng.standard_normal(filters[0]).astype(dtype))
    if positional:
        layer = plan.new(f"conv_{tag}", "Convolution", W, b, kwargs.get("stride", 1), kwargs.get("pad", 0),
                         watch=_WATCH_NEW)
    else:
        layer = plan.new(f"conv_{tag}", "Convolution", W, b, watch=_WATCH_NEW, **kwargs)
    return layer, _pair(plan, rng, layer, tag, shape, filters, dtype=dtype, integer=integer, **kwargs)


def _pair(plan: PlanBuilder, rng, layer: str, tag: str, shape, filters, *, dtype=np.float64,
          stride: int = 1, pad: int = 0, integer: bool = False):
    """``forward``, ``backward``, ``dW`` and ``db`` keys of one pair on ``layer``."""
    N, _, H, W = shape
    FN, _, FH, FW = filters
    out = (N, FN, conv_output_size(H, FH, pad, stride), conv_output_size(W, FW, pad, stride))
    if integer:
        x, dout = rng.integers(-4, 5, shape), rng.integers(-3, 4, out)
    else:
        x, dout = rng.standard_normal(shape).astype(dtype), rng.standard_normal(out).astype(dtype)
    fwd = plan.method(f"fwd_{tag}", layer, "forward", plan.array(f"x_{tag}", x), track=(0,), watch=_WATCH)
    dx = plan.method(f"dx_{tag}", layer, "backward", plan.array(f"dout_{tag}", dout), track=(0,),
                     watch=_WATCH, after=(fwd,))
    return fwd, dx, plan.attr(f"dW_{tag}", layer, "dW", after=(dx,)), plan.attr(f"db_{tag}", layer, "db", after=(dx,))


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs and shapes drawn from ``rng``."""
    plan = PlanBuilder()
    # stride 2, pad 1, non-square filters possible
    N, C = _int(rng, 2, 3), _int(rng, 2, 3)
    filters_a = (_int(rng, 3, 5), C, 3, _int(rng, 2, 3))
    height, width = _int(rng, 6, 9), _int(rng, 5, 9)
    layer_a, a = _case(plan, rng, "s2p1", (N, C, height, width), filters_a, stride=2, pad=1)
    # the defaults: stride 1, pad 0
    C = _int(rng, 1, 3)
    _, d = _case(plan, rng, "s1p0", (_int(rng, 2, 3), C, _int(rng, 4, 6), _int(rng, 4, 7)),
                 (_int(rng, 2, 4), C, _int(rng, 2, 3), _int(rng, 2, 3)))
    # one image, one channel, one filter (no axis may be squeezed away)
    _, s = _case(plan, rng, "single", (1, 1, _int(rng, 5, 8), _int(rng, 5, 8)), (1, 1, 3, 3), stride=1, pad=1)
    # fixed boundary cases, whatever the seed: one image of three channels, a non-square input and
    # filter, a stride that divides neither H + 2P - FH (7) nor W + 2P - FW (10), odd output rows
    # (3, 4); and the contract's positional order Convolution(W, b, stride, pad), pad != stride
    _, u = _case(plan, rng, "uneven", (1, 3, 8, 10), (2, 3, 3, 2), stride=3, pad=1)
    _, q = _case(plan, rng, "positional", (2, 2, 8, 7), (3, 2, 3, 3), stride=2, pad=1, positional=True)
    # repeated pairs on the first layer with other batch sizes
    r2 = _pair(plan, rng, layer_a, "again", (N + _int(rng, 1, 2), filters_a[1], height, width), filters_a,
               stride=2, pad=1)
    r3 = _pair(plan, rng, layer_a, "one", (1, filters_a[1], height, width), filters_a, stride=2, pad=1)
    C = _int(rng, 2, 3)
    _, f = _case(plan, rng, "f32", (2, C, _int(rng, 5, 7), _int(rng, 5, 7)), (_int(rng, 2, 4), C, 3, 3),
                 dtype=np.float32, stride=1, pad=1)
    side = _int(rng, 5, 7)
    _, i = _case(plan, rng, "int", (2, 2, side, side), (3, 2, 2, 2), stride=2, pad=0, integer=True)
    h = _HINTS
    return plan.build(), [
        Spec("Convolution.forward", 1, (a[0], d[0], s[0], u[0], q[0]), hint=h["forward"]),
        Spec("Convolution.dx", 1, (a[1], d[1], s[1], u[1], q[1]), hint=h["dx"]),
        Spec("Convolution.dW", 1, (a[2], d[2], s[2], u[2], q[2]), hint=h["dW"]),
        Spec("Convolution.db", 1, (a[3], d[3], s[3], u[3], q[3]), hint=h["db"]),
        Spec("Convolution.repeated_forward", 1, (r2[0], r3[0]), hint=h["repeated"]),
        Spec("Convolution.repeated_backward", 1, r2[1:] + r3[1:], hint=h["repeated"]),
        Spec("Convolution.float32_forward", 1, f[:1], precision="float32", hint=h["float32"]),
        Spec("Convolution.float32_backward", 1, f[1:], precision="float32", hint=h["float32"]),
        Spec("Convolution.integer_input", 1, i[:2], hint=h["integer"]),
        Spec("Convolution.unmodified", 1, unmodified=a[:2], hint=h["unmodified"]),
    ]

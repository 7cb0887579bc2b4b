"""Typical mistakes of exercise 4_6: the MaxPooling layer.

The variants derive from :class:`_Pool`, the im2col formulation of the slides: one row per
window and channel, ``argmax`` per row, the gradient routed to it and folded back with
``col2im``."""
from __future__ import annotations

import numpy as np

import reference
from reference.shapes import as_float_array, conv_output_size

from grader.course.diagnosis.base import Geometry, Mistake, step_params
from grader.course.diagnosis.ex4_4 import fold

__all__ = ["MISTAKES", "geometry"]


class _Pool:
    pad_value = -np.inf

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        x = as_float_array(x)
        N, C, H, W = x.shape
        self.out_hw = (conv_output_size(H, self.pool_h, self.pad, self.stride),
                       conv_output_size(W, self.pool_w, self.pad, self.stride))
        col = reference.im2col(x, self.pool_h, self.pool_w, self.stride, self.pad, constant_values=self.pad_value)
        self.col = col.reshape(-1, self.pool_h * self.pool_w)  # one row per (n, oh, ow, c)
        self.arg = self.col.argmax(axis=1)
        self.x_shape = x.shape
        return self.col.max(axis=1).reshape(N, *self.out_hw, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = as_float_array(dout)
        d = dout.transpose(0, 2, 3, 1).reshape(-1)
        dmax = self.route(d.astype(np.result_type(d, self.col)))
        N, C = self.x_shape[:2]
        return self.fold(dmax.reshape(N * self.out_hw[0] * self.out_hw[1], -1))

    def route(self, d):
        dmax = np.zeros(self.col.shape, dtype=d.dtype)
        dmax[np.arange(d.size), self.arg] = d
        return dmax

    def fold(self, dcol):
        return reference.col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)


class _ZeroPadding(_Pool):
    pad_value = 0.0


class _WholeWindow(_Pool):
    def route(self, d):
        return np.repeat(d[:, None], self.col.shape[1], axis=1)


class _WholeWindowMean(_Pool):
    def route(self, d):
        return np.repeat(d[:, None], self.col.shape[1], axis=1) / self.col.shape[1]


class _AllTies(_Pool):
    def route(self, d):
        return (self.col == self.col.max(axis=1, keepdims=True)) * d[:, None]


class _OverwriteOffsets(_Pool):
    def fold(self, dcol):
        return fold(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad, write="offsets")


class _OverwriteWindows(_Pool):
    def fold(self, dcol):
        return fold(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad, write="windows")


class _OverwriteArgmax(_Pool):
    """Only each window's maximum is assigned (``dx[..., r, q] = dout``), window after window."""

    def backward(self, dout):
        dout = as_float_array(dout)
        N, C, H, W = self.x_shape
        OH, OW = self.out_hw
        p, s = self.pad, self.stride
        dx = np.zeros((N, C, H + 2 * p, W + 2 * p), dtype=np.result_type(dout, self.col))
        arg = self.arg.reshape(N, OH, OW, C)
        n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
        for i in range(OH):
            for j in range(OW):
                a = arg[:, i, j, :]
                dx[n, c, i * s + a // self.pool_w, j * s + a % self.pool_w] = dout[:, :, i, j]
        return dx[:, :, p:p + H, p:p + W]


MISTAKES = (
    Mistake("pool_layer_zero_padding", "MaxPooling", (_ZeroPadding,),
            {"ja": "パディングを 0 で埋めている", "en": "padding filled with 0"},
            {"ja": "入力が負だと 0 のパディングが最大値になり、勾配もパディングに流れて消えます。"
                   "im2col(..., constant_values=-np.inf) や np.pad(..., constant_values=-np.inf) を使いましょう。",
             "en": "With negative inputs a zero padding wins, and its gradient is lost with the padding; use "
                   "im2col(..., constant_values=-np.inf) or np.pad(..., constant_values=-np.inf)."}),
    Mistake("pool_backward_whole_window", "MaxPooling", (_WholeWindow, _WholeWindowMean),
            {"ja": "勾配を窓全体に配っている", "en": "the gradient goes to the whole window"},
            {"ja": "最大値以外の位置は出力に影響しないので勾配は 0 です。forward で argmax を記録し、その位置にだけ dout を入れます。",
             "en": "Positions other than the maximum do not affect the output, their gradient is 0: record the argmax in "
                   "forward and put dout only there."}),
    Mistake("pool_backward_all_ties", "MaxPooling", (_AllTies,),
            {"ja": "同じ最大値のすべての位置に勾配を流している", "en": "every tied maximum gets the gradient"},
            {"ja": "x == max のマスクは同じ値の最大値すべてに勾配を配ります。np.argmax で最初の 1 つだけを選びましょう。",
             "en": "A mask x == max gives the gradient to every tied maximum; pick only the first with np.argmax."}),
    Mistake("pool_backward_overwrites", "MaxPooling", (_OverwriteOffsets, _OverwriteWindows, _OverwriteArgmax),
            {"ja": "窓が重なる位置の勾配を上書きしている", "en": "gradients overwritten where windows overlap"},
            {"ja": "stride < プーリングの大きさだと 1 つの画素が複数の窓に入ります。dx[...] = ではなく += で足し合わせます "
                   "(col2im は足し合わせます)。",
             "en": "With stride < pool size a pixel lies in several windows: add with +=, not dx[...] = (col2im adds)."}),
)


def geometry(plan, key) -> Geometry | None:
    step = plan.step(key)
    params = step_params(plan, key)
    if step["op"] != "method" or len(params["new_args"]) < 2:
        return None
    ph, pw = (int(v) for v in params["new_args"][:2])
    if step["name"] == "backward":
        return Geometry(ph, pw, params["stride"], params["pad"], "input")
    x = np.asarray(params["args"][0])
    return Geometry(ph, pw, params["stride"], params["pad"], "output", (int(x.shape[-2]), int(x.shape[-1])))

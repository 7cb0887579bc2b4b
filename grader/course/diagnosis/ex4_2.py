"""Typical mistakes of exercise 4_2: max pooling of one image."""
from __future__ import annotations

import numpy as np

import reference

from grader.course.diagnosis.base import Geometry, Mistake, step_params

__all__ = ["MISTAKES", "geometry"]


def _pool_zero_padding(x, pool_h, pool_w, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float64)
    widths = [(0, 0)] * (x.ndim - 2) + [(pad, pad)] * 2
    return reference.max_pooling(np.pad(x, widths), pool_h, pool_w, stride, 0)


def _pool_over_channels(x, pool_h, pool_w, stride=1, pad=0):
    out = reference.max_pooling(x, pool_h, pool_w, stride, pad)
    return out.max(axis=0) if np.ndim(x) == 3 else out


def _pool_h_w_swapped(x, pool_h, pool_w, stride=1, pad=0):
    return reference.max_pooling(x, pool_w, pool_h, stride, pad)


MISTAKES = (
    Mistake("pool_zero_padding", "max_pooling", (_pool_zero_padding,),
            {"ja": "パディングを 0 で埋めている", "en": "padding filled with 0"},
            {"ja": "入力が負のとき 0 のパディングが最大値になってしまいます。np.pad(..., constant_values=-np.inf) で埋めましょう。",
             "en": "With negative inputs a zero padding wins the maximum; pad with np.pad(..., constant_values=-np.inf)."}),
    Mistake("pool_max_over_channels", "max_pooling", (_pool_over_channels,),
            {"ja": "チャンネルをまたいで最大値を取っている", "en": "maximum taken across the channels"},
            {"ja": "畳み込みと違い、プーリングはチャンネルを合わせません。窓は x_pad[c, ...] でチャンネルごとに取り、(C, OH, OW) を返します。",
             "en": "Unlike convolution, pooling keeps the channels apart: take each window per channel, x_pad[c, ...], "
                   "and return (C, OH, OW)."}),
    Mistake("pool_h_w_swapped", "max_pooling", (_pool_h_w_swapped,),
            {"ja": "pool_h と pool_w を取り違えている", "en": "pool_h and pool_w swapped"},
            {"ja": "pool_h は縦 (行、H) 方向、pool_w は横 (列、W) 方向の大きさです。",
             "en": "pool_h is the size along the rows (H), pool_w along the columns (W)."}),
)


def geometry(plan, key) -> Geometry | None:
    params = step_params(plan, key)
    args = params["args"]
    if plan.step(key).get("name") != "max_pooling" or len(args) < 3:
        return None
    x = np.asarray(args[0])
    return Geometry(int(args[1]), int(args[2]), params["stride"], params["pad"], "output",
                    (int(x.shape[-2]), int(x.shape[-1])))

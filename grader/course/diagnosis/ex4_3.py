"""Typical mistakes of exercise 4_3: padding and the reshapes between filters / NCHW and matrices."""
from __future__ import annotations

import numpy as np

import reference

from grader.course.diagnosis.base import Mistake

__all__ = ["MISTAKES"]


def _pad_all_axes(x, pad, constant_values=0):
    return np.pad(x, pad, mode="constant", constant_values=constant_values)


def _pad_ignores_constant(x, pad, constant_values=0):
    return reference.pad_hw(x, pad)


def _filters_reshape_wrong(W):
    W = np.asarray(W)
    return W.reshape(-1, W.shape[0])


def _filters_not_transposed(W):
    W = np.asarray(W)
    return W.reshape(W.shape[0], -1)


def _to_nchw_reshape_only(out, N, OH, OW):
    return np.asarray(out).reshape(N, -1, OH, OW)


def _to_matrix_reshape_only(dout):
    dout = np.asarray(dout)
    return dout.reshape(-1, dout.shape[1])


_RESHAPE = {
    "ja": "reshape は要素の並び (メモリ順) を変えずに形だけ変えます。軸の順番を変えるには transpose が必要です: ",
    "en": "reshape keeps the order of the elements and only changes the shape; changing the order of the axes needs "
          "a transpose: ",
}

MISTAKES = (
    Mistake("pad_all_axes", "pad_hw", (_pad_all_axes,),
            {"ja": "N と C の軸までパディングしている", "en": "N and C are padded too"},
            {"ja": "np.pad(x, pad) はすべての軸を埋めます。H と W だけ: np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))。",
             "en": "np.pad(x, pad) pads every axis; pad only H and W: np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))."}),
    Mistake("pad_ignores_constant", "pad_hw", (_pad_ignores_constant,),
            {"ja": "constant_values を使っていない", "en": "constant_values is ignored"},
            {"ja": "受け取った constant_values を np.pad(..., constant_values=constant_values) に渡しましょう。",
             "en": "Pass the constant_values you receive on: np.pad(..., constant_values=constant_values)."}),
    Mistake("filters_reshape_wrong", "filters_to_matrix", (_filters_reshape_wrong,),
            {"ja": "W.reshape(-1, FN) で列を作っている", "en": "columns made with W.reshape(-1, FN)"},
            {"ja": _RESHAPE["ja"] + "W.reshape(FN, -1).T でフィルター j が列 j になります。",
             "en": _RESHAPE["en"] + "W.reshape(FN, -1).T makes filter j column j."}),
    Mistake("filters_not_transposed", "filters_to_matrix", (_filters_not_transposed,),
            {"ja": "転置 (.T) を忘れている", "en": "the transpose (.T) is missing"},
            {"ja": "W.reshape(FN, -1) は (FN, C*FH*FW) です。.T で (C*FH*FW, FN) にします。",
             "en": "W.reshape(FN, -1) is (FN, C*FH*FW); .T makes it (C*FH*FW, FN)."}),
    Mistake("to_nchw_reshape_only", "matrix_to_nchw", (_to_nchw_reshape_only,),
            {"ja": "transpose せずに (N, FN, OH, OW) へ reshape している", "en": "reshaped to (N, FN, OH, OW) without a transpose"},
            {"ja": _RESHAPE["ja"] + "out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)。",
             "en": _RESHAPE["en"] + "out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)."}),
    Mistake("to_matrix_reshape_only", "nchw_to_matrix", (_to_matrix_reshape_only,),
            {"ja": "transpose せずに (N*OH*OW, FN) へ reshape している", "en": "reshaped to (N*OH*OW, FN) without a transpose"},
            {"ja": _RESHAPE["ja"] + "dout.transpose(0, 2, 3, 1).reshape(-1, FN)。",
             "en": _RESHAPE["en"] + "dout.transpose(0, 2, 3, 1).reshape(-1, FN)."}),
)

"""Typical mistakes of exercise 4_1: the output size and a single-image convolution."""
from __future__ import annotations

import math

import numpy as np

import reference

from grader.course.diagnosis.base import ExtraCheck, Geometry, Mistake, step_params

__all__ = ["MISTAKES", "EXTRA", "geometry"]


def _size_true_division(input_size, filter_size, pad=0, stride=1):
    return (input_size + 2 * pad - filter_size) / stride + 1


def _size_float_floor(input_size, filter_size, pad=0, stride=1):
    return np.floor((input_size + 2 * pad - filter_size) / stride) + 1


def _size_ceil(input_size, filter_size, pad=0, stride=1):
    return math.ceil((input_size + 2 * pad - filter_size) / stride) + 1


def _size_pad_once(input_size, filter_size, pad=0, stride=1):
    return (input_size + pad - filter_size) // stride + 1


def _conv_flipped(x, w, b=0.0, stride=1, pad=0):
    return reference.convolution(x, np.flip(np.asarray(w), axis=(-2, -1)), b, stride, pad)


def _conv_flipped_first_axes(x, w, b=0.0, stride=1, pad=0):
    """``w[::-1, ::-1]`` as written for an (FH, FW) filter: on a (C, FH, FW) one it flips C and FH."""
    return reference.convolution(x, np.asarray(w)[::-1, ::-1], b, stride, pad)


def _conv_no_bias(x, w, b=0.0, stride=1, pad=0):
    return reference.convolution(x, w, 0.0, stride, pad)


def _conv_bias_per_channel(x, w, b=0.0, stride=1, pad=0):
    channels = np.shape(x)[0] if np.ndim(x) == 3 else 1
    return reference.convolution(x, w, b * channels, stride, pad)


def _conv_pad_ignored(x, w, b=0.0, stride=1, pad=0):
    return reference.convolution(x, w, b, stride, 0)


MISTAKES = (
    Mistake("size_true_division", "conv_output_size", (_size_true_division,),
            {"ja": "/ で割っている (切り捨てなし)", "en": "divides with / (no floor)"},
            {"ja": "/ は float を返し、割り切れないと 3.5 のような値になります。// (切り捨て除算) を使いましょう。",
             "en": "/ returns a float, 3.5 when the division is not exact; use // (floor division)."}),
    Mistake("size_float_floor", "conv_output_size", (_size_float_floor,),
            {"ja": "値は正しいが float を返している", "en": "right value returned as a float"},
            {"ja": "np.floor(...) + 1 は値が正しくても float (例: 3.0) です。// を使えば int のままです。",
             "en": "np.floor(...) + 1 gives the right value as a float (3.0, say); // keeps it an int."}),
    Mistake("size_ceil", "conv_output_size", (_size_ceil,),
            {"ja": "切り上げている (割り切れないとき 1 大きい)", "en": "rounds up (one too many when not exact)"},
            {"ja": "はみ出す窓は使わないので切り捨てです。ceil ではなく // を使いましょう。",
             "en": "A window that would run past the end is not used: round down with //, not up with ceil."}),
    Mistake("size_pad_once", "conv_output_size", (_size_pad_once,),
            {"ja": "パディングを片側分しか足していない", "en": "padding counted on one side only"},
            {"ja": "パディングは上下 (左右) の両側に付くので H + 2*pad です。",
             "en": "The padding is on both sides, so it is H + 2*pad."}),
    Mistake("conv_flipped_filter", "convolution", (_conv_flipped, _conv_flipped_first_axes),
            {"ja": "フィルターを反転している", "en": "the filter is flipped"},
            {"ja": "この講座の「畳み込み」は相互相関で、フィルターは反転しません: out[i, j] = sum(窓 * w)。"
                   "w[::-1, ::-1] や数学の畳み込みの添字 (i - p) を使っていないか確認しましょう。",
             "en": "The course's convolution is cross-correlation, the filter is not flipped: out[i, j] = sum(window * w). "
                   "Check for w[::-1, ::-1] or the textbook index (i - p)."}),
    Mistake("conv_bias_forgotten", "convolution", (_conv_no_bias,),
            {"ja": "バイアスを足していない", "en": "the bias is not added"},
            {"ja": "各出力要素に b を 1 回足します: out[i, j] = sum(窓 * w) + b。",
             "en": "Add b once to every output element: out[i, j] = sum(window * w) + b."}),
    Mistake("conv_bias_per_channel", "convolution", (_conv_bias_per_channel,),
            {"ja": "バイアスをチャンネルごとに足している", "en": "the bias is added once per channel"},
            {"ja": "チャンネルのループの中で b を足すと C 回足されます。チャンネルを合計した後に 1 回だけ足しましょう。",
             "en": "Adding b inside the loop over channels adds it C times; add it once, after summing the channels."}),
    Mistake("conv_pad_ignored", "convolution", (_conv_pad_ignored,),
            {"ja": "pad を無視している", "en": "pad is ignored"},
            {"ja": "pad > 0 のときは x の H と W の両側を 0 で埋めてから (np.pad) 窓を取ります。",
             "en": "With pad > 0, zero-pad both sides of H and W of x (np.pad) before taking the windows."}),
)


def _size_keys(plan) -> tuple:
    return tuple(s["key"] for s in plan.steps if s.get("name") == "conv_output_size")


EXTRA = {"conv_output_size.int_type": ExtraCheck(_size_keys, kinds=True)}


def geometry(plan, key) -> Geometry | None:
    params = step_params(plan, key)
    if plan.step(key).get("name") != "convolution" or len(params["args"]) < 2:
        return None
    x, w = (np.asarray(a) for a in params["args"][:2])
    return Geometry(int(w.shape[-2]), int(w.shape[-1]), params["stride"], params["pad"], "output",
                    (int(x.shape[-2]), int(x.shape[-1])))

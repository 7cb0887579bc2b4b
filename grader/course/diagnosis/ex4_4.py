"""Typical mistakes of exercise 4_4: im2col and col2im."""
from __future__ import annotations

import numpy as np

import reference
from reference.im2col import pad_hw_to, windows
from reference.shapes import as_float_array, conv_output_size

from grader.course.diagnosis.base import Geometry, Mistake, step_params

__all__ = ["MISTAKES", "geometry", "fold"]


def _im2col_in_order(axes):
    """An im2col whose window view ``(N, C, FH, FW, OH, OW)`` is laid out with ``axes``."""
    def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
        x = as_float_array(input_data)
        win = windows(pad_hw_to(x, pad, constant_values), filter_h, filter_w, stride)
        N, C, FH, FW, OH, OW = win.shape
        return win.transpose(axes).reshape(N * OH * OW, C * FH * FW)
    return im2col


def _im2col_modifies_input(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    col = reference.im2col(input_data, filter_h, filter_w, stride, pad, constant_values)
    input_data[...] = 0  # the input used as a work buffer
    return col


def _im2col_ignores_constant(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    return reference.im2col(input_data, filter_h, filter_w, stride, pad)


def fold(col, input_shape, filter_h, filter_w, stride=1, pad=0, *, write="add", crop="drop"):
    """col2im with a choice of mistakes: ``write`` ``"add"`` (right), ``"offsets"`` (``=`` in a
    loop over the window offsets, as the textbook's col2im with ``+=`` replaced) or ``"windows"``
    (``=`` of whole windows in a loop over the output positions); ``crop`` ``"drop"`` (right),
    ``"keep"`` (the padded image) or ``"corner"`` (its top-left ``H x W``)."""
    col = as_float_array(col)
    N, C, H, W = (int(s) for s in input_shape)
    OH, OW = conv_output_size(H, filter_h, pad, stride), conv_output_size(W, filter_w, pad, stride)
    win = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    if write == "windows":
        for i in range(OH):
            for j in range(OW):
                img[:, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w] = win[:, :, :, :, i, j]
    else:
        for y in range(filter_h):
            for x in range(filter_w):
                target = (slice(None), slice(None), slice(y, y + stride * OH, stride), slice(x, x + stride * OW, stride))
                if write == "add":
                    img[target] += win[:, :, y, x]
                else:
                    img[target] = win[:, :, y, x]
    if crop == "keep":
        return img
    if crop == "corner":
        return img[:, :, :H, :W]
    return img[:, :, pad:pad + H, pad:pad + W]


def _fold_with(**options):
    def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
        return fold(col, input_shape, filter_h, filter_w, stride, pad, **options)
    return col2im


_ORDER_HINT = {"ja": "行は (n, oh, ow)、列は (c, fh, fw) の順です: 窓の配列 (N, C, FH, FW, OH, OW) を "
                     "transpose(0, 4, 5, 1, 2, 3) してから reshape(N*OH*OW, -1) します。",
               "en": "Rows go in (n, oh, ow) order and columns in (c, fh, fw) order: transpose the windows "
                     "(N, C, FH, FW, OH, OW) with (0, 4, 5, 1, 2, 3), then reshape(N*OH*OW, -1)."}

MISTAKES = (
    Mistake("im2col_columns_fh_fw_c", "im2col", (_im2col_in_order((0, 4, 5, 2, 3, 1)),),
            {"ja": "列が (fh, fw, c) の順になっている", "en": "columns in (fh, fw, c) order"}, _ORDER_HINT),
    Mistake("im2col_columns_c_fw_fh", "im2col", (_im2col_in_order((0, 4, 5, 1, 3, 2)),),
            {"ja": "列が (c, fw, fh) の順になっている (fh と fw が逆)", "en": "columns in (c, fw, fh) order (fh and fw swapped)"},
            _ORDER_HINT),
    Mistake("im2col_rows_oh_ow_n", "im2col", (_im2col_in_order((4, 5, 0, 1, 2, 3)),),
            {"ja": "行が (oh, ow, n) の順になっている", "en": "rows in (oh, ow, n) order"}, _ORDER_HINT),
    Mistake("im2col_ignores_constant", "im2col", (_im2col_ignores_constant,),
            {"ja": "constant_values を使っていない", "en": "constant_values is ignored"},
            {"ja": "パディングは np.pad(..., constant_values=constant_values) で埋めます (プーリングでは -inf を使います)。",
             "en": "Fill the padding with np.pad(..., constant_values=constant_values) (pooling passes -inf)."}),
    Mistake("im2col_modifies_input", "im2col", (_im2col_modifies_input,),
            {"ja": "入力 input_data を書き換えている", "en": "the input input_data is modified"},
            {"ja": "input_data の値や形を変えないでください (input_data[...] = ...、+=、input_data.shape = ...)。"
                   "np.pad の結果や x = input_data.astype(...) など新しい配列の上で作業しましょう。",
             "en": "Do not change the values or the shape of input_data (input_data[...] = ..., +=, input_data.shape = ...); "
                   "work on a new array such as np.pad's result or x = input_data.astype(...)."}),
    Mistake("col2im_overwrites", "col2im", (_fold_with(write="offsets"), _fold_with(write="windows")),
            {"ja": "重なる窓の値を上書きしている (= で代入)", "en": "overlapping windows overwrite each other (=)"},
            {"ja": "stride がフィルターより小さいと同じ画素に複数の窓が重なります。= ではなく += で足し合わせましょう。",
             "en": "With a stride smaller than the filter several windows cover the same pixel: add them with +=, not =."}),
    Mistake("col2im_keeps_padding", "col2im", (_fold_with(crop="keep"),),
            {"ja": "パディング部分を取り除いていない", "en": "the padding is not dropped"},
            {"ja": "足し合わせた後、img[:, :, pad:pad + H, pad:pad + W] で元の (N, C, H, W) に戻します。",
             "en": "After adding, cut img[:, :, pad:pad + H, pad:pad + W] to get back to (N, C, H, W)."}),
    Mistake("col2im_crops_corner", "col2im", (_fold_with(crop="corner"),),
            {"ja": "パディングの取り除き方が違う (左上を切り出している)", "en": "the padding is cut from the wrong side (top-left kept)"},
            {"ja": "img[:, :, :H, :W] は左上の H x W で、上と左のパディングが残ります。img[:, :, pad:pad + H, pad:pad + W] です。",
             "en": "img[:, :, :H, :W] keeps the top-left H x W, with the top and left padding; use "
                   "img[:, :, pad:pad + H, pad:pad + W]."}),
)


def geometry(plan, key) -> Geometry | None:
    params = step_params(plan, key)
    args = params["args"]
    if plan.step(key).get("name") != "col2im" or len(args) < 4:
        return None
    return Geometry(int(args[2]), int(args[3]), params["stride"], params["pad"], "input")

"""Typical mistakes of exercise 4_5: the Convolution layer.

The variants derive from :class:`_Conv`, the im2col formulation of the slides (with the
reference's ``im2col`` / ``col2im``), one hook per step that trainees get wrong."""
from __future__ import annotations

import numpy as np

import reference
from reference.shapes import as_float_array, conv_output_size

from grader.course.diagnosis.base import Geometry, Mistake, step_params
from grader.course.diagnosis.ex4_4 import fold

__all__ = ["MISTAKES", "geometry"]


class _Conv:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.dW = self.db = None

    def forward(self, x):
        x = as_float_array(x)
        FN, C, FH, FW = self.W.shape
        N, _, H, W = x.shape
        OH, OW = conv_output_size(H, FH, self.pad, self.stride), conv_output_size(W, FW, self.pad, self.stride)
        self.x_shape = x.shape
        self.col = reference.im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        return self.to_nchw(self.col @ self.col_W + self.b, N, OH, OW, FN)

    def to_nchw(self, out, N, OH, OW, FN):
        return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = as_float_array(dout)
        FN = self.W.shape[0]
        dmat = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = self.bias_grad(dout, dmat)
        self.dW = self.weight_grad(self.col.T @ dmat)
        return self.input_grad(dmat @ self.col_W.T)

    def bias_grad(self, dout, dmat):
        return dmat.sum(axis=0)

    def weight_grad(self, col_t_dout):
        return col_t_dout.T.reshape(self.W.shape)

    def input_grad(self, dcol):
        FN, C, FH, FW = self.W.shape
        return reference.col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)


class _OutNotTransposed(_Conv):
    def to_nchw(self, out, N, OH, OW, FN):
        return out.reshape(N, FN, OH, OW)


class _DbOverN(_Conv):
    def bias_grad(self, dout, dmat):
        return dout.sum(axis=0)


class _DbOverSpace(_Conv):
    def bias_grad(self, dout, dmat):
        return dout.sum(axis=(2, 3))


class _DbOverFilters(_Conv):
    def bias_grad(self, dout, dmat):
        return dmat.sum(axis=1)


class _DbNotSummed(_Conv):
    def bias_grad(self, dout, dmat):
        return dmat


class _DwMatrix(_Conv):
    def weight_grad(self, col_t_dout):
        return col_t_dout


class _DwMatrixT(_Conv):
    def weight_grad(self, col_t_dout):
        return col_t_dout.T


class _DwNoTranspose(_Conv):
    def weight_grad(self, col_t_dout):
        return col_t_dout.reshape(self.W.shape)


class _DxPaddedShape(_Conv):
    def input_grad(self, dcol):
        FN, C, FH, FW = self.W.shape
        N, _, H, W = self.x_shape
        padded = (N, C, H + 2 * self.pad, W + 2 * self.pad)
        return reference.col2im(dcol, padded, FH, FW, self.stride, 0)


class _DxOverwrites(_Conv):
    write = "offsets"

    def input_grad(self, dcol):
        FN, C, FH, FW = self.W.shape
        return fold(dcol, self.x_shape, FH, FW, self.stride, self.pad, write=self.write)


class _DxOverwritesWindows(_DxOverwrites):
    write = "windows"


MISTAKES = (
    Mistake("conv_out_not_transposed", "Convolution", (_OutNotTransposed,),
            {"ja": "出力を transpose せずに (N, FN, OH, OW) へ reshape している", "en": "output reshaped to (N, FN, OH, OW) without a transpose"},
            {"ja": "col @ col_W の行は (n, oh, ow) の順、列はフィルターです。reshape(N, OH, OW, FN) の後に transpose(0, 3, 1, 2) します。",
             "en": "The rows of col @ col_W are in (n, oh, ow) order, the columns are the filters: reshape(N, OH, OW, FN), "
                   "then transpose(0, 3, 1, 2)."}),
    Mistake("db_not_summed", "Convolution", (_DbOverN, _DbOverSpace, _DbOverFilters, _DbNotSummed),
            {"ja": "db を N, OH, OW のすべてで合計していない", "en": "db not summed over N, OH and OW"},
            {"ja": "b は全出力位置と全画像で共有されるので、db = dout.sum(axis=(0, 2, 3)) (形 (FN,)) です。",
             "en": "b is shared by every output position of every image: db = dout.sum(axis=(0, 2, 3)), shape (FN,)."}),
    Mistake("dW_not_reshaped", "Convolution", (_DwMatrix, _DwMatrixT),
            {"ja": "dW を (FN, C, FH, FW) に戻していない", "en": "dW not reshaped back to (FN, C, FH, FW)"},
            {"ja": "col.T @ dout は (C*FH*FW, FN) の行列です。.T で (FN, C*FH*FW) にしてから reshape(FN, C, FH, FW) します。",
             "en": "col.T @ dout is a (C*FH*FW, FN) matrix: .T it to (FN, C*FH*FW), then reshape(FN, C, FH, FW)."}),
    Mistake("dW_transposed", "Convolution", (_DwNoTranspose,),
            {"ja": "dW を転置せずに reshape している", "en": "dW reshaped without the transpose"},
            {"ja": "(C*FH*FW, FN) をそのまま reshape(FN, C, FH, FW) すると要素が混ざります。先に .T (transpose(1, 0)) が必要です。",
             "en": "Reshaping the (C*FH*FW, FN) matrix straight to (FN, C, FH, FW) scrambles it: transpose it (.T) first."}),
    Mistake("conv_dx_overwrites", "Convolution", (_DxOverwrites, _DxOverwritesWindows),
            {"ja": "dx で重なる窓の勾配を上書きしている (col2im が = で代入)", "en": "dx overwrites where windows overlap (col2im with =)"},
            {"ja": "stride < フィルターのとき 1 つの画素は複数の窓に入り、その勾配は足し合わせます。使っている col2im が "
                   "= ではなく += で足しているか確認しましょう (4_4 の col2im.overlap)。",
             "en": "With stride < filter a pixel lies in several windows and their gradients add up: check that the "
                   "col2im you use adds with +=, not = (4_4's col2im.overlap)."}),
    Mistake("dx_col2im_padded_shape", "Convolution", (_DxPaddedShape,),
            {"ja": "col2im にパディング後の形を渡している (dx にパディングが残る)", "en": "col2im given the padded shape (dx keeps the padding)"},
            {"ja": "dx = col2im(dcol, x.shape, FH, FW, stride, pad) のように、パディング前の入力の形と pad を渡します。"
                   "col2im がパディングを取り除きます。",
             "en": "Call col2im(dcol, x.shape, FH, FW, stride, pad) with the shape of the unpadded input and pad; col2im "
                   "drops the padding."}),
)


def geometry(plan, key) -> Geometry | None:
    step = plan.step(key)
    params = step_params(plan, key)
    if step["op"] != "method" or not params["new_args"]:
        return None
    FH, FW = (int(v) for v in np.shape(params["new_args"][0])[2:])
    if step["name"] == "backward":
        return Geometry(FH, FW, params["stride"], params["pad"], "input")
    x = np.asarray(params["args"][0])
    return Geometry(FH, FW, params["stride"], params["pad"], "output", (int(x.shape[-2]), int(x.shape[-1])))

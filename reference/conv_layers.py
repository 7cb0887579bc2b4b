"""The convolution and max-pooling layers (exercises 4_5 and 4_6), each backward beside its forward.

Both read the windows of the padded batch through one strided view (see
:mod:`reference.im2col`). The convolution keeps its unrolled input in the layout
``(C*FH*FW, N*OH*OW)``: copying the window view into it moves whole rows of ``OW``
neighbouring pixels at a time, and forward and backward are then one matrix product each.
"""
from __future__ import annotations

import numpy as np

from .im2col import add_windows, pad_hw_to, windows
from .shapes import as_float_array, conv_output_size

__all__ = ["Convolution", "MaxPooling"]


def _check_batch(x: np.ndarray, layer: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{layer}.forward expects an (N, C, H, W) batch, got shape {x.shape}")


def _crop(img: np.ndarray, pad: int) -> np.ndarray:
    if pad == 0:
        return img
    return np.ascontiguousarray(img[:, :, pad:-pad, pad:-pad])


class Convolution:
    """Convolution layer: ``W`` ``(FN, C, FH, FW)``, ``b`` ``(FN,)``.

    ``forward(x)``: ``(N, C, H, W)`` -> ``(N, FN, OH, OW)``,
    ``out[n, f] = sum_c cross_correlate(x_pad[n, c], W[f, c]) + b[f]`` with
    ``OH = (H + 2*pad - FH) // stride + 1``.
    ``backward(dout)``: ``dout`` ``(N, FN, OH, OW)`` -> ``dx`` ``(N, C, H, W)``; sets
    ``self.dW`` (shape of ``W``) and ``self.db`` ``(FN,)``.
    ``W`` and ``b`` are used by reference, so updating them in place updates the layer.
    """

    def __init__(self, W, b, stride: int = 1, pad: int = 0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.dW = None
        self.db = None
        self._x_shape = None
        self._col = None  # (C*FH*FW, N*OH*OW)

    def forward(self, x) -> np.ndarray:
        x = as_float_array(x)
        _check_batch(x, "Convolution")
        FN, C, FH, FW = self.W.shape
        N, Cx, H, W = x.shape
        if Cx != C:
            raise ValueError(f"Convolution: input has {Cx} channels, filters W {self.W.shape} expect {C}")
        OH = conv_output_size(H, FH, self.pad, self.stride)
        OW = conv_output_size(W, FW, self.pad, self.stride)
        dtype = np.result_type(x, self.W)
        win = windows(pad_hw_to(x.astype(dtype, copy=False), self.pad), FH, FW, self.stride)
        col = win.transpose(1, 2, 3, 0, 4, 5).reshape(C * FH * FW, N * OH * OW)
        out = self.W.reshape(FN, -1).astype(dtype, copy=False) @ col
        out += np.asarray(self.b, dtype=dtype).reshape(FN, 1)
        self._x_shape, self._col = x.shape, col
        return out.reshape(FN, N, OH, OW).transpose(1, 0, 2, 3)

    def backward(self, dout, *, input_grad: bool = True):
        """Gradients for ``dout`` ``(N, FN, OH, OW)``; returns ``dx`` (``None`` when
        ``input_grad=False``, which a first layer uses to skip work nobody needs)."""
        FN, C, FH, FW = self.W.shape
        N, _, H, W = self._x_shape
        dout = as_float_array(dout)
        dout = dout.astype(np.result_type(dout, self._col), copy=False)
        OH, OW = dout.shape[2], dout.shape[3]
        dout_mat = dout.transpose(1, 0, 2, 3).reshape(FN, N * OH * OW)
        self.db = dout_mat.sum(axis=1)
        self.dW = (dout_mat @ self._col.T).reshape(self.W.shape)
        if not input_grad:
            return None
        dcol = self.W.reshape(FN, -1).T.astype(dout_mat.dtype, copy=False) @ dout_mat
        win = dcol.reshape(C, FH, FW, N, OH, OW).transpose(3, 0, 1, 2, 4, 5)
        padded = (N, C, H + 2 * self.pad, W + 2 * self.pad)
        return _crop(add_windows(win, padded, self.stride), self.pad)


class MaxPooling:
    """Max-pooling layer over ``pool_h x pool_w`` windows; padding is ``-inf`` (never wins).

    ``forward(x)``: ``(N, C, H, W)`` -> ``(N, C, OH, OW)``.
    ``backward(dout)``: each window's gradient goes to its maximum (the first one in
    row-major order on a tie); where windows overlap the gradients add up.

    Both passes walk the ``pool_h * pool_w`` offsets of a window: offset ``(i, j)`` of every
    window at once is the strided slice ``x_pad[:, :, i::stride, j::stride]`` (cut to
    ``OH x OW``), so nothing is copied into window rows. The output, and ``dx``, keep the
    memory layout of ``x`` (for instance the channel-major layout a convolution returns).
    """

    def __init__(self, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self._x_shape = None
        self._dtype = None
        self._arg = None  # (N, C, OH, OW): row-major offset of each window's maximum
        self._axis_order = None  # axes of the padded input, largest stride first

    def _offsets(self, OH: int, OW: int):
        """``(k, (rows, cols))`` for every offset ``k = i * pool_w + j`` inside a window."""
        s = self.stride
        for i in range(self.pool_h):
            for j in range(self.pool_w):
                yield i * self.pool_w + j, (slice(i, i + s * OH, s), slice(j, j + s * OW, s))

    def forward(self, x) -> np.ndarray:
        x = as_float_array(x)
        _check_batch(x, "MaxPooling")
        N, C, H, W = x.shape
        OH = conv_output_size(H, self.pool_h, self.pad, self.stride)
        OW = conv_output_size(W, self.pool_w, self.pad, self.stride)
        xp = pad_hw_to(x, self.pad, -np.inf)
        parts = [xp[(..., *at)] for _, at in self._offsets(OH, OW)]
        out = parts[0].copy(order="K")
        for part in parts[1:]:
            np.maximum(out, part, out=out)
        # arg = r_0 with r_last = 0 and r_k = 0 if part_k == out else 1 + r_(k+1): the first maximum
        arg = np.zeros_like(out, dtype=np.intp if len(parts) > 127 else np.int8)
        for part in reversed(parts[:-1]):
            arg += 1
            arg *= part != out
        self._x_shape, self._dtype, self._arg = x.shape, x.dtype, arg
        self._axis_order = tuple(np.argsort([-abs(s) for s in xp.strides], kind="stable"))
        return out

    def backward(self, dout) -> np.ndarray:
        N, C, H, W = self._x_shape
        OH, OW = self._arg.shape[2:]
        dout = as_float_array(dout)
        dtype = np.result_type(dout, self._dtype)
        dout = _in_layout_of(self._arg, dout, dtype)  # elementwise loops then run contiguously
        finite = bool(np.isfinite(dout).all())
        padded = (N, C, H + 2 * self.pad, W + 2 * self.pad)
        dx = np.empty([padded[a] for a in self._axis_order], dtype).transpose(np.argsort(self._axis_order))
        overlapping = self.stride < self.pool_h or self.stride < self.pool_w
        tiled = self.pool_h == self.pool_w == self.stride and (OH * self.stride, OW * self.stride) == padded[2:]
        if not tiled:  # some input position is in no window, or in several
            dx[...] = 0
        for k, at in self._offsets(OH, OW):
            if overlapping:
                dx[(..., *at)] += _routed(dout, self._arg == k, finite)
            else:
                _routed(dout, self._arg == k, finite, out=dx[(..., *at)])
        return _crop(dx, self.pad)


def _in_layout_of(template: np.ndarray, a: np.ndarray, dtype) -> np.ndarray:
    """``a`` as ``dtype`` in the memory layout of ``template`` (same shape); no copy if it is."""
    result = np.empty_like(template, dtype=dtype)
    if a.dtype == result.dtype and a.strides == result.strides:
        return a
    result[...] = a
    return result


def _routed(dout: np.ndarray, mask: np.ndarray, finite: bool, out=None) -> np.ndarray:
    """``where(mask, dout, 0)`` (into ``out`` when given); a multiplication, which is faster,
    when ``dout`` is finite (``0 * inf`` would be NaN)."""
    if finite:
        return np.multiply(dout, mask, out=out)
    if out is None:
        return np.where(mask, dout, 0)
    out[...] = np.where(mask, dout, 0)
    return out

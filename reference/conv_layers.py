"""The convolution and max-pooling layers (exercises 4_5 and 4_6), each backward beside its forward.

Both read the windows of the padded batch through one strided view (see
:mod:`reference.im2col`). The convolution keeps its unrolled input in the layout
``(N, C*FH*FW, OH*OW)``, the window view's own order: copying the view into it moves whole
rows of ``OW`` neighbouring pixels at a time, and each pass is one batched matrix product
whose result is already in NCHW order (no transposing copies on the way in or out).
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
        self._col = None  # (N, C*FH*FW, OH*OW), reused from call to call (it is private)
        self._dcol = None  # likewise, for backward

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
        col = self._col = _buffer(self._col, (N, C * FH * FW, OH * OW), dtype)
        col.reshape(win.shape)[...] = win
        out = np.matmul(self.W.reshape(FN, -1).astype(dtype, copy=False), col)  # (N, FN, OH*OW)
        out += np.asarray(self.b, dtype=dtype).reshape(FN, 1)
        self._x_shape = x.shape
        return out.reshape(N, FN, OH, OW)

    def backward(self, dout, *, input_grad: bool = True):
        """Gradients for ``dout`` ``(N, FN, OH, OW)``; returns ``dx`` (``None`` when
        ``input_grad=False``, which a first layer uses to skip work nobody needs)."""
        FN, C, FH, FW = self.W.shape
        N, _, H, W = self._x_shape
        dout = as_float_array(dout)
        OH, OW = dout.shape[2], dout.shape[3]
        dtype = np.result_type(dout, self._col)
        dout3 = np.ascontiguousarray(dout, dtype=dtype).reshape(N, FN, OH * OW)
        self.db = dout3.sum(axis=(0, 2))
        self.dW = _sum_of_products(dout3, self._col).reshape(self.W.shape)
        if not input_grad:
            return None
        dcol = self._dcol = _buffer(self._dcol, self._col.shape, dtype)
        np.matmul(self.W.reshape(FN, -1).T.astype(dtype, copy=False), dout3, out=dcol)
        padded = (N, C, H + 2 * self.pad, W + 2 * self.pad)
        return _crop(add_windows(dcol.reshape(N, C, FH, FW, OH, OW), padded, self.stride), self.pad)


def _sum_of_products(dout3: np.ndarray, col: np.ndarray, max_elements: int = 1 << 18) -> np.ndarray:
    """``sum_n dout3[n] @ col[n].T`` ``(FN, K)`` for ``dout3`` ``(N, FN, P)`` and ``col``
    ``(N, K, P)``: batched products, a slice of the batch at a time so that the per-image
    products held at once stay below ``max_elements``."""
    N, FN, _ = dout3.shape
    step = max(1, max_elements // (FN * col.shape[1]))
    total = None
    for start in range(0, N, step):
        part = np.matmul(dout3[start:start + step], col[start:start + step].transpose(0, 2, 1)).sum(axis=0)
        total = part if total is None else total + part
    return total


def _buffer(old, shape: tuple, dtype) -> np.ndarray:
    """``old`` when it has this shape and dtype, else a new uninitialised array."""
    if old is not None and old.shape == shape and old.dtype == dtype:
        return old
    return np.empty(shape, dtype=dtype)


class MaxPooling:
    """Max-pooling layer over ``pool_h x pool_w`` windows; padding is ``-inf`` (never wins).

    ``forward(x)``: ``(N, C, H, W)`` -> ``(N, C, OH, OW)``.
    ``backward(dout)``: each window's gradient goes to its maximum (the first one in
    row-major order on a tie); where windows overlap the gradients add up.

    Both passes walk the ``pool_h * pool_w`` offsets of a window: offset ``(i, j)`` of every
    window at once is the strided slice ``x_pad[:, :, i::stride, j::stride]`` (cut to
    ``OH x OW``), so nothing is copied into window rows. They go through the batch a slice
    of images at a time (:func:`_batch_slices`), so that those passes find the slice in the
    CPU cache.
    """

    def __init__(self, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self._x_shape = None
        self._dtype = None
        self._arg = None  # (N, C, OH, OW): row-major offset of each window's maximum

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
        offsets = [at for _, at in self._offsets(OH, OW)]
        out = np.empty((N, C, OH, OW), dtype=x.dtype)
        arg = np.empty(out.shape, dtype=np.intp if len(offsets) > 127 else np.int8)
        for part in _batch_slices(N, xp[0].size):
            _max_and_first_argmax(xp[part], offsets, out[part], arg[part])
        self._x_shape, self._dtype, self._arg = x.shape, x.dtype, arg
        return out

    def backward(self, dout) -> np.ndarray:
        N, C, H, W = self._x_shape
        OH, OW = self._arg.shape[2:]
        dout = np.ascontiguousarray(as_float_array(dout))
        dtype = np.result_type(dout, self._dtype)
        finite = bool(np.isfinite(dout).all())
        padded = (N, C, H + 2 * self.pad, W + 2 * self.pad)
        dx = np.empty(padded, dtype=dtype)
        overlapping = self.stride < self.pool_h or self.stride < self.pool_w
        tiled = self.pool_h == self.pool_w == self.stride and (OH * self.stride, OW * self.stride) == padded[2:]
        if not tiled:  # some input position is in no window, or in several
            dx[...] = 0
        offsets = list(self._offsets(OH, OW))
        for part in _batch_slices(N, dx[0].size):
            d, arg, dx_part = dout[part], self._arg[part], dx[part]
            for k, at in offsets:
                if overlapping:
                    dx_part[(..., *at)] += _routed(d, arg == k, finite)
                else:
                    _routed(d, arg == k, finite, out=dx_part[(..., *at)])
        return _crop(dx, self.pad)


SLICE_ELEMENTS = 1 << 18  # elements of the (padded) input per slice of the batch


def _batch_slices(N: int, per_image: int) -> list:
    """Slices of the batch axis with about ``SLICE_ELEMENTS`` elements each: the several passes
    of pooling over one slice then find it in the CPU cache."""
    step = max(1, SLICE_ELEMENTS // max(1, per_image))
    return [slice(start, start + step) for start in range(0, N, step)]


def _max_and_first_argmax(xp: np.ndarray, offsets: list, out: np.ndarray, arg: np.ndarray) -> None:
    """``out`` = the maximum over the strided slices ``xp[..., rows, cols]`` of ``offsets``;
    ``arg`` = the first offset reaching it: ``arg = r_0`` with ``r_last = 0`` and
    ``r_k = 0 if slice_k == out else 1 + r_(k+1)``."""
    parts = [xp[(..., *at)] for at in offsets]
    np.copyto(out, parts[0])
    for part in parts[1:]:
        np.maximum(out, part, out=out)
    arg[...] = 0
    for part in reversed(parts[:-1]):
        arg += 1
        arg *= part != out


def _routed(dout: np.ndarray, mask: np.ndarray, finite: bool, out=None) -> np.ndarray:
    """``where(mask, dout, 0)`` (into ``out`` when given); a multiplication, which is faster,
    when ``dout`` is finite (``0 * inf`` would be NaN)."""
    if finite:
        return np.multiply(dout, mask, out=out)
    if out is None:
        return np.where(mask, dout, 0)
    out[...] = np.where(mask, dout, 0)
    return out

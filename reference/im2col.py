"""im2col / col2im: unrolling the windows of an NCHW batch into rows of a matrix, and back.

The windows of a padded batch are read through one strided *view* of shape
``(N, C, FH, FW, OH, OW)`` (:func:`windows`): element ``[n, c, fh, fw, oh, ow]`` is
``x_padded[n, c, oh*stride + fh, ow*stride + fw]``. ``im2col`` copies that view once into
the layout the contract fixes; ``col2im`` is its adjoint, adding every window back with
``FH*FW`` strided slice additions (:func:`add_windows`).
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .shapes import as_float_array, conv_output_size

__all__ = ["im2col", "col2im", "windows", "add_windows", "pad_hw_to"]


def pad_hw_to(x: np.ndarray, pad: int, constant_values: float = 0) -> np.ndarray:
    """``x`` ``(N, C, H, W)`` padded by ``pad`` on both sides of H and W (no copy when ``pad == 0``)."""
    if pad == 0:
        return x
    N, C, H, W = x.shape
    out = np.empty((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    out[...] = constant_values
    out[:, :, pad:pad + H, pad:pad + W] = x
    return out


def windows(x_padded: np.ndarray, filter_h: int, filter_w: int, stride: int) -> np.ndarray:
    """Read-only view ``(N, C, FH, FW, OH, OW)`` of the windows of an already padded batch."""
    N, C, H, W = x_padded.shape
    OH = conv_output_size(H, filter_h, 0, stride)
    OW = conv_output_size(W, filter_w, 0, stride)
    sN, sC, sH, sW = x_padded.strides
    return as_strided(
        x_padded,
        shape=(N, C, filter_h, filter_w, OH, OW),
        strides=(sN, sC, sH, sW, sH * stride, sW * stride),
        writeable=False,
    )


def add_windows(win: np.ndarray, padded_shape: tuple, stride: int) -> np.ndarray:
    """Adjoint of :func:`windows`: a padded batch of ``padded_shape`` in which every
    ``win[n, c, fh, fw, oh, ow]`` has been *added* at ``[n, c, oh*stride+fh, ow*stride+fw]``."""
    N, C, FH, FW, OH, OW = win.shape
    img = np.zeros(padded_shape, dtype=win.dtype)
    if stride >= FH and stride >= FW:  # windows do not overlap: one strided assignment
        target = as_strided(
            img, shape=win.shape,
            strides=img.strides[:2] + img.strides[2:] + (img.strides[2] * stride, img.strides[3] * stride),
        )
        target[...] = win
        return img
    for fh in range(FH):
        rows = slice(fh, fh + stride * OH, stride)
        for fw in range(FW):
            img[:, :, rows, fw:fw + stride * OW:stride] += win[:, :, fh, fw]
    return img


def im2col(input_data, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0,
           constant_values: float = 0) -> np.ndarray:
    """Unroll every filter window of a batch into one row.

    input_data: ``(N, C, H, W)``. Returns ``col`` of shape ``(N*OH*OW, C*FH*FW)`` with
    ``OH = (H + 2*pad - FH) // stride + 1`` (same for ``OW``); row ``(n*OH + oh)*OW + ow``
    holds the window at output position ``(oh, ow)`` of image ``n``, its columns in
    ``(c, fh, fw)`` order. The padding is filled with ``constant_values``. float32 stays
    float32, other dtypes become float64. The input is never modified.
    """
    x = as_float_array(input_data)
    if x.ndim != 4:
        raise ValueError(f"im2col expects an (N, C, H, W) array, got shape {x.shape}")
    N, C, H, W = x.shape
    OH = conv_output_size(H, filter_h, pad, stride)
    OW = conv_output_size(W, filter_w, pad, stride)
    win = windows(pad_hw_to(x, pad, constant_values), filter_h, filter_w, stride)
    return win.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(col, input_shape, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """The adjoint of :func:`im2col`: fold ``(N*OH*OW, C*FH*FW)`` rows back into ``input_shape``.

    Where windows overlap, their contributions are added; what falls on the padded border
    is dropped. For any ``x`` and ``y`` of matching shapes,
    ``np.vdot(im2col(x, ...), y) == np.vdot(x, col2im(y, x.shape, ...))``.
    """
    col = as_float_array(col)
    N, C, H, W = (int(s) for s in input_shape)
    OH = conv_output_size(H, filter_h, pad, stride)
    OW = conv_output_size(W, filter_w, pad, stride)
    expected = (N * OH * OW, C * filter_h * filter_w)
    if col.shape != expected:
        raise ValueError(f"col2im expects col of shape {expected} for input_shape {tuple(input_shape)}, "
                         f"filter {filter_h}x{filter_w}, stride {stride}, pad {pad}; got {col.shape}")
    win = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = add_windows(win, (N, C, H + 2 * pad, W + 2 * pad), stride)
    if pad == 0:
        return img
    return np.ascontiguousarray(img[:, :, pad:pad + H, pad:pad + W])

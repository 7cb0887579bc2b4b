"""The building blocks of exercises 4_1 to 4_3: single-image convolution and max pooling,
padding, and the reshapes between filters / NCHW batches and matrices."""
from __future__ import annotations

import numpy as np

from .im2col import pad_hw_to, windows
from .shapes import as_float_array

__all__ = ["convolution", "max_pooling", "pad_hw", "filters_to_matrix", "matrix_to_nchw", "nchw_to_matrix"]


def _as_batch(x: np.ndarray, name: str) -> tuple[np.ndarray, bool]:
    """``(H, W)`` -> ``(1, 1, H, W)`` and ``(C, H, W)`` -> ``(1, C, H, W)``; the flag says
    whether there was a channel axis."""
    if x.ndim == 2:
        return x[None, None], False
    if x.ndim == 3:
        return x[None], True
    raise ValueError(f"{name} expects an (H, W) or (C, H, W) array, got shape {x.shape}")


def convolution(x, w, b=0.0, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Cross-correlate one image with one filter (the filter is not flipped).

    x ``(H, W)`` with w ``(FH, FW)``, or x ``(C, H, W)`` with w ``(C, FH, FW)`` (the channels
    are summed). ``b`` is a scalar added to every output element. Zero padding.
    Returns ``(OH, OW)`` with ``OH = (H + 2*pad - FH) // stride + 1``::

        out[i, j] = sum_{c, p, q} x_pad[c, i*stride + p, j*stride + q] * w[c, p, q] + b
    """
    x = as_float_array(x)
    w = as_float_array(w)
    x4, x_has_c = _as_batch(x, "convolution")
    if w.ndim != x.ndim or (x_has_c and w.shape[0] != x.shape[0]):
        raise ValueError(f"filter shape {w.shape} does not match input shape {x.shape}: "
                         "use (FH, FW) with (H, W), or (C, FH, FW) with (C, H, W)")
    w3 = w if x_has_c else w[None]
    win = windows(pad_hw_to(x4, pad), w3.shape[1], w3.shape[2], stride)[0]  # (C, FH, FW, OH, OW)
    out = np.tensordot(w3, win, axes=3)
    return (out + np.asarray(b, dtype=out.dtype)).astype(np.result_type(x, w), copy=False)


def max_pooling(x, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Maximum of every ``pool_h x pool_w`` window.

    x ``(H, W)`` -> ``(OH, OW)``, or ``(C, H, W)`` -> ``(C, OH, OW)`` (each channel pooled on
    its own). The padding is ``-inf``, so a padded position never wins.
    """
    x = as_float_array(x)
    x4, has_c = _as_batch(x, "max_pooling")
    win = windows(pad_hw_to(x4, pad, -np.inf), pool_h, pool_w, stride)[0]  # (C, PH, PW, OH, OW)
    out = win.max(axis=(1, 2))
    return out if has_c else out[0]


def pad_hw(x, pad: int, constant_values=0) -> np.ndarray:
    """Pad only the H and W axes of an ``(N, C, H, W)`` array by ``pad`` on each side.
    The dtype is kept."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"pad_hw expects an (N, C, H, W) array, got shape {x.shape}")
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant",
                  constant_values=constant_values)


def filters_to_matrix(W) -> np.ndarray:
    """``(FN, C, FH, FW)`` -> ``(C*FH*FW, FN)``: column ``j`` is filter ``j`` flattened in
    ``(c, fh, fw)`` order, so that ``im2col(x) @ filters_to_matrix(W)`` is the convolution."""
    W = np.asarray(W)
    if W.ndim != 4:
        raise ValueError(f"filters_to_matrix expects (FN, C, FH, FW), got shape {W.shape}")
    return W.reshape(W.shape[0], -1).T


def matrix_to_nchw(out, N: int, OH: int, OW: int) -> np.ndarray:
    """``(N*OH*OW, FN)`` with rows in ``(n, oh, ow)`` order -> ``(N, FN, OH, OW)``."""
    out = np.asarray(out)
    if out.ndim != 2 or out.shape[0] != N * OH * OW:
        raise ValueError(f"matrix_to_nchw expects ({N}*{OH}*{OW}, FN) = ({N * OH * OW}, FN), got {out.shape}")
    return out.reshape(N, OH, OW, out.shape[1]).transpose(0, 3, 1, 2)


def nchw_to_matrix(dout) -> np.ndarray:
    """The inverse of :func:`matrix_to_nchw`: ``(N, FN, OH, OW)`` -> ``(N*OH*OW, FN)``."""
    dout = np.asarray(dout)
    if dout.ndim != 4:
        raise ValueError(f"nchw_to_matrix expects (N, FN, OH, OW), got shape {dout.shape}")
    return dout.transpose(0, 2, 3, 1).reshape(-1, dout.shape[1])

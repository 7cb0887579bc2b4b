"""An independent oracle for the DAY4 functions, written from the definitions.

Every function here is plain Python loops over indices: no strided views, no
``reshape``/``transpose`` tricks, nothing imported from ``reference``. It is slow
and meant for small shapes only; its job is to be obviously right.

All results are float64 (the oracle computes in float64; the tests cast to the
dtype under test and pick tolerances accordingly).
"""

from __future__ import annotations

import math

import numpy as np


def conv_output_size(input_size: int, filter_size: int, pad: int = 0, stride: int = 1) -> int:
    """Count the window positions directly: start positions 0, s, 2s, ... that fit."""
    padded = input_size + 2 * pad
    count = 0
    start = 0
    while start + filter_size <= padded:
        count += 1
        start += stride
    return count


def pad2d(x, pad: int, value: float = 0.0) -> np.ndarray:
    """(H, W) -> (H + 2*pad, W + 2*pad), border filled with ``value``."""
    x = np.asarray(x, dtype=np.float64)
    h, w = x.shape
    out = np.full((h + 2 * pad, w + 2 * pad), value, dtype=np.float64)
    for i in range(h):
        for j in range(w):
            out[i + pad, j + pad] = x[i, j]
    return out


def pad_hw(x, pad: int, value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H + 2*pad, W + 2*pad); only H and W are padded."""
    x = np.asarray(x, dtype=np.float64)
    n_, c_, h, w = x.shape
    out = np.full((n_, c_, h + 2 * pad, w + 2 * pad), value, dtype=np.float64)
    for n in range(n_):
        for c in range(c_):
            out[n, c] = pad2d(x[n, c], pad, value)
    return out


def convolution(x, w, b: float = 0.0, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Cross-correlation (no flip) of (H, W) by (FH, FW), or (C, H, W) by (C, FH, FW)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
        w = w[None]
    c_, h, wd = x.shape
    _, fh, fw = w.shape
    oh = conv_output_size(h, fh, pad, stride)
    ow = conv_output_size(wd, fw, pad, stride)
    padded = [pad2d(x[c], pad) for c in range(c_)]
    out = np.zeros((oh, ow), dtype=np.float64)
    for i in range(oh):
        for j in range(ow):
            total = 0.0
            for c in range(c_):
                for p in range(fh):
                    for q in range(fw):
                        total += padded[c][i * stride + p, j * stride + q] * w[c, p, q]
            out[i, j] = total + b
    return out


def pool2d_argmax(x, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0):
    """Max pooling of one (H, W) plane with -inf padding.

    Returns ``(out, where)``: ``out[i, j]`` is the maximum of window (i, j) and
    ``where[i, j]`` is the (row, col) of that maximum in the *unpadded* plane,
    the first one in row-major order within the window on ties.
    """
    x = np.asarray(x, dtype=np.float64)
    h, w = x.shape
    oh = conv_output_size(h, pool_h, pad, stride)
    ow = conv_output_size(w, pool_w, pad, stride)
    out = np.zeros((oh, ow), dtype=np.float64)
    where = {}
    for i in range(oh):
        for j in range(ow):
            best = -math.inf
            best_at = None
            for p in range(pool_h):
                for q in range(pool_w):
                    r = i * stride + p - pad
                    s = j * stride + q - pad
                    if not (0 <= r < h and 0 <= s < w):
                        continue  # padding: never wins
                    if best_at is None or x[r, s] > best:  # strict: first max kept
                        best = x[r, s]
                        best_at = (r, s)
            out[i, j] = best
            where[i, j] = best_at
    return out, where


def max_pooling(x, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """(H, W) -> (OH, OW) or (C, H, W) -> (C, OH, OW)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        return pool2d_argmax(x, pool_h, pool_w, stride, pad)[0]
    return np.stack([pool2d_argmax(x[c], pool_h, pool_w, stride, pad)[0] for c in range(x.shape[0])])


def pool_forward(x, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """(N, C, H, W) -> (N, C, OH, OW)."""
    x = np.asarray(x, dtype=np.float64)
    return np.stack([max_pooling(x[n], pool_h, pool_w, stride, pad) for n in range(x.shape[0])])


def pool_backward(x, dout, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Route each window's gradient to its (first) maximum; overlaps add."""
    x = np.asarray(x, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    n_, c_ = x.shape[:2]
    dx = np.zeros(x.shape, dtype=np.float64)
    for n in range(n_):
        for c in range(c_):
            _, where = pool2d_argmax(x[n, c], pool_h, pool_w, stride, pad)
            for (i, j), (r, s) in where.items():
                dx[n, c, r, s] += dout[n, c, i, j]
    return dx


def filters_to_matrix(w) -> np.ndarray:
    """(FN, C, FH, FW) -> (C*FH*FW, FN); column f is filter f in (c, fh, fw) order."""
    w = np.asarray(w)
    fn_, c_, fh, fw = w.shape
    out = np.zeros((c_ * fh * fw, fn_), dtype=w.dtype)
    for f in range(fn_):
        row = 0
        for c in range(c_):
            for p in range(fh):
                for q in range(fw):
                    out[row, f] = w[f, c, p, q]
                    row += 1
    return out


def matrix_to_nchw(m, n_: int, oh: int, ow: int) -> np.ndarray:
    """(N*OH*OW, FN) with rows in (n, oh, ow) order -> (N, FN, OH, OW)."""
    m = np.asarray(m)
    fn_ = m.shape[1]
    out = np.zeros((n_, fn_, oh, ow), dtype=m.dtype)
    row = 0
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                for f in range(fn_):
                    out[n, f, i, j] = m[row, f]
                row += 1
    return out


def nchw_to_matrix(d) -> np.ndarray:
    """(N, FN, OH, OW) -> (N*OH*OW, FN), rows in (n, oh, ow) order."""
    d = np.asarray(d)
    n_, fn_, oh, ow = d.shape
    out = np.zeros((n_ * oh * ow, fn_), dtype=d.dtype)
    row = 0
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                for f in range(fn_):
                    out[row, f] = d[n, f, i, j]
                row += 1
    return out


def im2col(x, fh: int, fw: int, stride: int = 1, pad: int = 0, constant_values: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N*OH*OW, C*FH*FW); rows (n, oh, ow), columns (c, fh, fw)."""
    x = np.asarray(x, dtype=np.float64)
    n_, c_, h, w = x.shape
    oh = conv_output_size(h, fh, pad, stride)
    ow = conv_output_size(w, fw, pad, stride)
    col = np.zeros((n_ * oh * ow, c_ * fh * fw), dtype=np.float64)
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                row = (n * oh + i) * ow + j
                for c in range(c_):
                    for p in range(fh):
                        for q in range(fw):
                            r = i * stride + p - pad
                            s = j * stride + q - pad
                            inside = 0 <= r < h and 0 <= s < w
                            col[row, (c * fh + p) * fw + q] = x[n, c, r, s] if inside else constant_values
    return col


def col2im(col, input_shape, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Adjoint of im2col: every (n, oh, ow, c, fh, fw) entry is added back; padding dropped."""
    col = np.asarray(col, dtype=np.float64)
    n_, c_, h, w = input_shape
    oh = conv_output_size(h, fh, pad, stride)
    ow = conv_output_size(w, fw, pad, stride)
    x = np.zeros((n_, c_, h, w), dtype=np.float64)
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                row = (n * oh + i) * ow + j
                for c in range(c_):
                    for p in range(fh):
                        for q in range(fw):
                            r = i * stride + p - pad
                            s = j * stride + q - pad
                            if 0 <= r < h and 0 <= s < w:
                                x[n, c, r, s] += col[row, (c * fh + p) * fw + q]
    return x


def conv_forward(x, w, b, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Convolution layer: (N, C, H, W) * (FN, C, FH, FW) + b (FN,) -> (N, FN, OH, OW)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.stack(
        [
            np.stack([convolution(x[n], w[f], float(b[f]), stride, pad) for f in range(w.shape[0])])
            for n in range(x.shape[0])
        ]
    )


def conv_backward(x, w, dout, stride: int = 1, pad: int = 0):
    """Gradients of sum(dout * conv_forward(x, w, b)) by loops: (dx, dW, db)."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    n_, c_, h, wd = x.shape
    fn_, _, fh, fw = w.shape
    _, _, oh, ow = dout.shape
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(fn_)
    for n in range(n_):
        for f in range(fn_):
            for i in range(oh):
                for j in range(ow):
                    g = dout[n, f, i, j]
                    db[f] += g
                    for c in range(c_):
                        for p in range(fh):
                            for q in range(fw):
                                r = i * stride + p - pad
                                s = j * stride + q - pad
                                if 0 <= r < h and 0 <= s < wd:
                                    dx[n, c, r, s] += g * w[f, c, p, q]
                                    dw[f, c, p, q] += g * x[n, c, r, s]
    return dx, dw, db


def relu(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        out[idx] = x[idx] if x[idx] > 0 else 0.0
    return out


def affine(x, w, b) -> np.ndarray:
    """x (N, ...) flattened row-major to (N, D); returns x @ W + b by loops."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    n_ = x.shape[0]
    flat = [[float(v) for v in np.ravel(x[n])] for n in range(n_)]
    d_, k_ = w.shape
    out = np.zeros((n_, k_))
    for n in range(n_):
        for k in range(k_):
            out[n, k] = sum(flat[n][d] * w[d, k] for d in range(d_)) + b[k]
    return out


def softmax_cross_entropy(scores, t) -> float:
    """Mean over the batch of -log softmax(scores)[label]; t labels (N,) or one-hot (N, K)."""
    scores = np.asarray(scores, dtype=np.float64)
    t = np.asarray(t)
    n_, k_ = scores.shape
    total = 0.0
    for n in range(n_):
        m = max(scores[n])
        log_z = m + math.log(sum(math.exp(s - m) for s in scores[n]))
        label = int(np.argmax(t[n])) if t.ndim == 2 else int(t[n])
        total += log_z - scores[n, label]
    return total / n_


def simple_convnet_predict(x, params, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Conv -> ReLU -> MaxPool(2, 2, stride 2) -> Affine -> ReLU -> Affine."""
    h = relu(conv_forward(x, params["W1"], params["b1"], stride, pad))
    h = pool_forward(h, 2, 2, stride=2)
    h = relu(affine(h, params["W2"], params["b2"]))
    return affine(h, params["W3"], params["b3"])

"""Calibration material for the similarity report: correct solutions of the same exercises written
independently in different styles (they implement the same algorithm, so they converge, which is
what makes this hard), and the disguises a copier uses (renamed variables, reordered functions,
changed comments, inserted prints, split cells), applied to any solution."""
from __future__ import annotations

import random
import re

# --- 4_4: im2col / col2im, six independent styles -------------------------------------------
IM2COL = {
    "book_loops": '''
import numpy as np

def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2*pad - filter_h)//stride + 1
    out_w = (W + 2*pad - filter_w)//stride + 1
    img = np.pad(input_data, [(0,0), (0,0), (pad, pad), (pad, pad)], 'constant', constant_values=constant_values)
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        y_max = y + stride*out_h
        for x in range(filter_w):
            x_max = x + stride*out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N*out_h*out_w, -1)
    return col

def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2*pad - filter_h)//stride + 1
    out_w = (W + 2*pad - filter_w)//stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2*pad + stride - 1, W + 2*pad + stride - 1))
    for y in range(filter_h):
        y_max = y + stride*out_h
        for x in range(filter_w):
            x_max = x + stride*out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]
''',
    "windows_loop": '''
import numpy as np

def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    n, c, h, w = input_data.shape
    oh = (h + 2 * pad - filter_h) // stride + 1
    ow = (w + 2 * pad - filter_w) // stride + 1
    padded = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant",
                    constant_values=constant_values)
    rows = []
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                patch = padded[b, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w]
                rows.append(patch.ravel())
    return np.array(rows)

def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    n, c, h, w = input_shape
    oh = (h + 2 * pad - filter_h) // stride + 1
    ow = (w + 2 * pad - filter_w) // stride + 1
    out = np.zeros((n, c, h + 2 * pad, w + 2 * pad))
    r = 0
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                out[b, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w] += \\
                    col[r].reshape(c, filter_h, filter_w)
                r += 1
    return out[:, :, pad:pad + h, pad:pad + w]
''',
    "sliding_window_view": '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    x = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=constant_values)
    win = sliding_window_view(x, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, OH, OW = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * filter_h * filter_w)

def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    Hp, Wp = H + 2 * pad, W + 2 * pad
    OH, OW = (Hp - filter_h) // stride + 1, (Wp - filter_w) // stride + 1
    blocks = col.reshape(N, OH, OW, C, filter_h, filter_w)
    acc = np.zeros((N, C, Hp, Wp), dtype=np.result_type(col.dtype, np.float64))
    for dy in range(filter_h):
        for dx in range(filter_w):
            acc[:, :, dy:dy + stride * OH:stride, dx:dx + stride * OW:stride] += \\
                blocks[:, :, :, :, dy, dx].transpose(0, 3, 1, 2)
    return acc[:, :, pad:pad + H, pad:pad + W]
''',
    "as_strided": '''
import numpy as np

def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    xp = np.pad(np.ascontiguousarray(input_data), [(0, 0), (0, 0), (pad, pad), (pad, pad)],
                mode='constant', constant_values=constant_values)
    batch, chans, hp, wp = xp.shape
    out_rows = (hp - filter_h) // stride + 1
    out_cols = (wp - filter_w) // stride + 1
    sb, sc, sh, sw = xp.strides
    view = np.lib.stride_tricks.as_strided(
        xp, shape=(batch, out_rows, out_cols, chans, filter_h, filter_w),
        strides=(sb, sh * stride, sw * stride, sc, sh, sw), writeable=False)
    return view.reshape(batch * out_rows * out_cols, -1).copy()

def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    batch, chans, height, width = input_shape
    out_rows = (height + 2 * pad - filter_h) // stride + 1
    out_cols = (width + 2 * pad - filter_w) // stride + 1
    grid = np.zeros((batch, chans, height + 2 * pad, width + 2 * pad))
    pieces = col.reshape(batch, out_rows, out_cols, chans, filter_h, filter_w)
    for r in range(out_rows):
        for q in range(out_cols):
            grid[:, :, r * stride:r * stride + filter_h, q * stride:q * stride + filter_w] += pieces[:, r, q]
    if pad:
        grid = grid[:, :, pad:-pad, pad:-pad]
    return grid
''',
    "index_arrays": '''
import numpy as np

def _indices(shape, fh, fw, stride, pad):
    N, C, H, W = shape
    oh = (H + 2 * pad - fh) // stride + 1
    ow = (W + 2 * pad - fw) // stride + 1
    i0 = np.tile(np.repeat(np.arange(fh), fw), C)
    i1 = stride * np.repeat(np.arange(oh), ow)
    j0 = np.tile(np.arange(fw), fh * C)
    j1 = stride * np.tile(np.arange(ow), oh)
    i = i0.reshape(1, -1) + i1.reshape(-1, 1)
    j = j0.reshape(1, -1) + j1.reshape(-1, 1)
    k = np.repeat(np.arange(C), fh * fw).reshape(1, -1)
    return k, i, j

def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    p = pad
    x_padded = np.pad(input_data, ((0, 0), (0, 0), (p, p), (p, p)), mode='constant',
                      constant_values=constant_values)
    k, i, j = _indices(input_data.shape, filter_h, filter_w, stride, pad)
    cols = x_padded[:, k, i, j]
    return cols.reshape(-1, cols.shape[-1])

def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    x_padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=np.float64)
    k, i, j = _indices(input_shape, filter_h, filter_w, stride, pad)
    cols_reshaped = col.reshape(N, -1, C * filter_h * filter_w)
    np.add.at(x_padded, (slice(None), k, i, j), cols_reshaped)
    if pad == 0:
        return x_padded
    return x_padded[:, :, pad:-pad, pad:-pad]
''',
    "six_loops": '''
import numpy as np

def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    N, C, H, W = input_data.shape
    OH = (H + 2*pad - filter_h) // stride + 1
    OW = (W + 2*pad - filter_w) // stride + 1
    src = np.full((N, C, H + 2*pad, W + 2*pad), constant_values, dtype=np.float64)
    src[:, :, pad:pad+H, pad:pad+W] = input_data
    result = np.empty((N*OH*OW, C*filter_h*filter_w))
    for n in range(N):
        for oy in range(OH):
            for ox in range(OW):
                row = (n*OH + oy)*OW + ox
                colidx = 0
                for c in range(C):
                    for fy in range(filter_h):
                        for fx in range(filter_w):
                            result[row, colidx] = src[n, c, oy*stride + fy, ox*stride + fx]
                            colidx += 1
    return result

def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    OH = (H + 2*pad - filter_h) // stride + 1
    OW = (W + 2*pad - filter_w) // stride + 1
    dst = np.zeros((N, C, H + 2*pad, W + 2*pad))
    for n in range(N):
        for oy in range(OH):
            for ox in range(OW):
                row = (n*OH + oy)*OW + ox
                colidx = 0
                for c in range(C):
                    for fy in range(filter_h):
                        for fx in range(filter_w):
                            dst[n, c, oy*stride + fy, ox*stride + fx] += col[row, colidx]
                            colidx += 1
    return dst[:, :, pad:pad+H, pad:pad+W]
''',
}

# --- 4_1: conv_output_size + convolution, five independent styles ---------------------------
CONVOLUTION = {
    "window_sum": '''
import numpy as np

def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size + 2 * pad - filter_size) // stride + 1

def convolution(x, w, b=0.0, stride=1, pad=0):
    if x.ndim == 2:
        x, w = x[None], w[None]
    C, H, W = x.shape
    _, FH, FW = w.shape
    OH = conv_output_size(H, FH, pad, stride)
    OW = conv_output_size(W, FW, pad, stride)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[i, j] = np.sum(xp[:, i*stride:i*stride+FH, j*stride:j*stride+FW] * w) + b
    return out
''',
    "scalar_loops": '''
import numpy as np

def conv_output_size(input_size, filter_size, pad=0, stride=1):
    size = input_size + pad * 2 - filter_size
    return int(size // stride) + 1

def convolution(x, w, b=0.0, stride=1, pad=0):
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim == 2:
        x = x.reshape(1, *x.shape)
        w = w.reshape(1, *w.shape)
    channels, height, width = x.shape
    fh, fw = w.shape[1], w.shape[2]
    padded = np.zeros((channels, height + 2 * pad, width + 2 * pad))
    padded[:, pad:pad + height, pad:pad + width] = x
    oh = conv_output_size(height, fh, pad, stride)
    ow = conv_output_size(width, fw, pad, stride)
    result = np.zeros((oh, ow))
    for r in range(oh):
        for c in range(ow):
            total = 0.0
            for ch in range(channels):
                for u in range(fh):
                    for v in range(fw):
                        total += padded[ch, r * stride + u, c * stride + v] * w[ch, u, v]
            result[r, c] = total + b
    return result
''',
    "einsum_view": '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return 1 + (input_size - filter_size + 2*pad) // stride

def convolution(x, w, b=0.0, stride=1, pad=0):
    squeeze = x.ndim == 2
    X = np.atleast_3d(x.T).T if squeeze else x
    K = w[np.newaxis] if squeeze else w
    X = np.pad(X, [(0, 0), (pad, pad), (pad, pad)])
    patches = sliding_window_view(X, K.shape[1:], axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum('chwij,cij->hw', patches, K) + b
''',
    "im2col_dot": '''
import numpy as np

def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size - filter_size + 2 * pad) // stride + 1

def convolution(x, w, b=0.0, stride=1, pad=0):
    img = x if x.ndim == 3 else x[np.newaxis, :, :]
    ker = w if w.ndim == 3 else w[np.newaxis, :, :]
    ch, hh, ww = img.shape
    _, kh, kw = ker.shape
    img = np.pad(img, ((0, 0), (pad, pad), (pad, pad)), 'constant')
    out_h = conv_output_size(hh, kh, pad, stride)
    out_w = conv_output_size(ww, kw, pad, stride)
    cols = np.empty((out_h * out_w, ch * kh * kw))
    idx = 0
    for top in range(0, out_h * stride, stride):
        for left in range(0, out_w * stride, stride):
            cols[idx] = img[:, top:top + kh, left:left + kw].reshape(-1)
            idx += 1
    return (cols @ ker.reshape(-1) + b).reshape(out_h, out_w)
''',
    "fft": '''
import numpy as np

def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size + 2*pad - filter_size) // stride + 1

def convolution(x, w, b=0.0, stride=1, pad=0):
    x3 = x.reshape((-1,) + x.shape[-2:]).astype(np.float64)
    w3 = w.reshape((-1,) + w.shape[-2:]).astype(np.float64)
    x3 = np.pad(x3, ((0, 0), (pad, pad), (pad, pad)))
    Hp, Wp = x3.shape[1:]
    fh, fw = w3.shape[1:]
    shape = (Hp + fh - 1, Wp + fw - 1)
    spectrum = np.fft.rfft2(x3, shape) * np.fft.rfft2(w3[:, ::-1, ::-1], shape)
    full = np.fft.irfft2(spectrum.sum(axis=0), shape)
    valid = full[fh - 1:Hp, fw - 1:Wp]
    return valid[::stride, ::stride] + b
''',
}

MATERIAL = {"4_4": IM2COL, "4_1": CONVOLUTION}

# --- disguises ----------------------------------------------------------------------------------
_ASSIGNED = re.compile(r"^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=[^=]", re.MULTILINE)
_PARAMS = re.compile(r"def\s+\w+\(([^)]*)\)")
_NEVER = {"np", "self", "range", "len", "int", "float", "sum", "max", "min", "print"}


def _local_names(source: str, keep: set[str]) -> list[str]:
    names = set()
    for match in _ASSIGNED.finditer(source):
        names |= {n.strip() for n in match.group(1).split(",")}
    for match in _PARAMS.finditer(source):  # parameters keep their names: callers pass them by keyword
        for param in match.group(1).split(","):
            keep = keep | {param.split("=")[0].strip().lstrip("*")}
    return sorted(n for n in names if n not in keep and n not in _NEVER)


def rename(source: str, keep: set[str], rng: random.Random) -> str:
    """Every local variable renamed (the graded names in ``keep`` and the parameters stay)."""
    words = ["data", "tmp", "val", "arr", "res", "buf", "mat", "cur", "acc", "k", "t", "q", "z"]
    for i, name in enumerate(_local_names(source, keep)):
        new = f"{rng.choice(words)}_{i}"
        source = re.sub(rf"(?<![\w.]){re.escape(name)}(?!\w)", new, source)
    return source


def reorder(source: str) -> str:
    """Top-level definitions in reverse order (imports stay first)."""
    head, *defs = re.split(r"\n(?=def |class )", source)
    return "\n".join([head] + defs[::-1])


def recomment(source: str, rng: random.Random) -> str:
    """Comments dropped, different ones added."""
    lines = []
    for line in source.splitlines():
        code = line.split("#", 1)[0].rstrip() if "#" in line and "'" not in line and '"' not in line else line
        lines.append(code)
        if code.strip().startswith(("for ", "def ")) and rng.random() < 0.6:
            indent = len(code) - len(code.lstrip()) + 4
            lines.append(" " * indent + rng.choice(["# ループで計算する", "# compute here", "# 出力サイズ", "# TODO check"]))
    return "\n".join(lines)


def insert_prints(source: str, rng: random.Random) -> str:
    """``print`` lines after some assignments, at the same indentation."""
    lines = []
    for line in source.splitlines():
        lines.append(line)
        match = re.match(r"^(\s+)([A-Za-z_]\w*)\s*=[^=]", line)
        if match and not line.rstrip().endswith(("\\", ",", "(")) and rng.random() < 0.4:
            lines.append(f"{match.group(1)}print('debug', {match.group(2)})")
    return "\n".join(lines)


def split_cells(source: str) -> list[str]:
    return [part for part in re.split(r"\n(?=def |class )", source) if part.strip()]


def disguise(source: str, keep: set[str], seed: int, kinds=("rename", "reorder", "recomment", "prints")) -> list[str]:
    """A planted copy of ``source``: the disguises named in ``kinds``, as notebook cells."""
    rng = random.Random(seed)
    if "rename" in kinds:
        source = rename(source, keep, rng)
    if "reorder" in kinds:
        source = reorder(source)
    if "recomment" in kinds:
        source = recomment(source, rng)
    if "prints" in kinds:
        source = insert_prints(source, rng)
    return split_cells(source)

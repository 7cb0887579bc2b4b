"""Correct implementations of the graded names written in styles other than the reference's:
float32 working precision everywhere (inputs cast to float32, results returned as float32 or
cast back), ``np.einsum`` on ``sliding_window_view`` windows, ``np.bincount`` / ``np.add.at``
col2im, FFT-based convolution, and other summation orders (a loop over filter offsets). Each
style is the source of a trainee's notebook cells; ``STYLES[exercise]`` maps a style name to
that source. Used by tests/test_numerical_policy.py and benchmarks/numerical_margin.py."""
from __future__ import annotations

__all__ = ["STYLES", "legacy_compare"]

_HEAD = "import numpy as np\nfrom numpy.lib.stride_tricks import sliding_window_view\n"

SIZE = '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size + 2 * pad - filter_size) // stride + 1
'''

CONV_EINSUM_F32 = _HEAD + SIZE + '''
def convolution(x, w, b=0.0, stride=1, pad=0):
    x, w = np.asarray(x, dtype=np.float32), np.asarray(w, dtype=np.float32)
    if x.ndim == 2:
        x, w = x[None], w[None]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(xp, w.shape[1:], axis=(1, 2))[:, ::stride, ::stride]
    return np.einsum("cijhw,chw->ij", win, w) + np.float32(b)
'''

CONV_FFT = _HEAD + SIZE + '''
def convolution(x, w, b=0.0, stride=1, pad=0):
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    if x.ndim == 2:
        x, w = x[None], w[None]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    _, Hp, Wp = xp.shape
    _, FH, FW = w.shape
    shape = (Hp + FH - 1, Wp + FW - 1)
    spectrum = (np.fft.rfft2(xp, shape) * np.fft.rfft2(w[:, ::-1, ::-1], shape)).sum(axis=0)
    full = np.fft.irfft2(spectrum, shape)  # the filter flipped: a correlation
    return full[FH - 1:Hp, FW - 1:Wp][::stride, ::stride] + b
'''

CONV_OFFSETS_F32 = _HEAD + SIZE + '''
def convolution(x, w, b=0.0, stride=1, pad=0):
    x, w = np.asarray(x).astype(np.float32), np.asarray(w).astype(np.float32)
    if x.ndim == 2:
        x, w = x[np.newaxis], w[np.newaxis]
    C, H, W = x.shape
    _, FH, FW = w.shape
    OH, OW = conv_output_size(H, FH, pad, stride), conv_output_size(W, FW, pad, stride)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((OH, OW), dtype=np.float32)
    for u in range(FH - 1, -1, -1):  # another summation order: by filter offset, backwards
        for v in range(FW):
            for c in range(C):
                out += w[c, u, v] * xp[c, u:u + stride * OH:stride, v:v + stride * OW:stride]
    return (out + b).astype(np.float64)  # computed in float32, cast back
'''

POOL_F32 = _HEAD + '''
def max_pooling(x, pool_h, pool_w, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float32)
    single = x.ndim == 2
    if single:
        x = x[None]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    out = sliding_window_view(xp, (pool_h, pool_w), axis=(1, 2))[:, ::stride, ::stride].max(axis=(-2, -1))
    return out[0] if single else out
'''

RESHAPE_F32 = _HEAD + '''
def pad_hw(x, pad, constant_values=0):
    x = np.asarray(x)
    x = x.astype(np.float32) if x.dtype.kind == "f" else x
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=constant_values)

def filters_to_matrix(W):
    W = np.asarray(W)
    W = W.astype(np.float32) if W.dtype.kind == "f" else W
    return np.stack([W[j].ravel() for j in range(W.shape[0])], axis=1)

def matrix_to_nchw(out, N, OH, OW):
    out = np.asarray(out)
    out = out.astype(np.float32) if out.dtype.kind == "f" else out
    return np.moveaxis(out.reshape(N, OH, OW, -1), -1, 1)

def nchw_to_matrix(dout):
    dout = np.asarray(dout)
    dout = dout.astype(np.float32) if dout.dtype.kind == "f" else dout
    return np.moveaxis(dout, 1, -1).reshape(-1, dout.shape[1])
'''

IM2COL_F32 = '''
def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    x = np.asarray(input_data, dtype=np.float32)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=constant_values)
    win = sliding_window_view(xp, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, OH, OW = win.shape[:4]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, -1)
'''

_WINDOW_INDEX = '''
def _window_index(input_shape, filter_h, filter_w, stride, pad):
    """For every element of a col matrix, its flat position in the padded image."""
    N, C, H, W = (int(s) for s in input_shape)
    idx = np.arange(N * C * (H + 2 * pad) * (W + 2 * pad)).reshape(N, C, H + 2 * pad, W + 2 * pad)
    win = sliding_window_view(idx, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(-1), idx.shape
'''

COL2IM_BINCOUNT = _WINDOW_INDEX + '''
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = (int(s) for s in input_shape)
    where, padded = _window_index(input_shape, filter_h, filter_w, stride, pad)
    weights = np.asarray(col, dtype=np.float32).reshape(-1)
    img = np.bincount(where, weights=weights, minlength=int(np.prod(padded))).reshape(padded)
    return img[:, :, pad:pad + H, pad:pad + W].astype(np.float32)
'''

COL2IM_ADD_AT_F32 = _WINDOW_INDEX + '''
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = (int(s) for s in input_shape)
    where, padded = _window_index(input_shape, filter_h, filter_w, stride, pad)
    img = np.zeros(int(np.prod(padded)), dtype=np.float32)
    np.add.at(img, where[::-1], np.asarray(col, dtype=np.float32).reshape(-1)[::-1])  # backwards
    return img.reshape(padded)[:, :, pad:pad + H, pad:pad + W]
'''

CONV_LAYER_EINSUM_F32 = _HEAD + '''
class Convolution:
    """float32 throughout: einsum on strided windows, dx scattered with np.add.at."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.dW = self.db = None

    def _windows(self, xp):
        FH, FW = self.W.shape[2:]
        return sliding_window_view(xp, (FH, FW), axis=(2, 3))[:, :, ::self.stride, ::self.stride]

    def forward(self, x):
        p = self.pad
        self.x_shape = x.shape
        self.xp = np.pad(np.asarray(x, dtype=np.float32), ((0, 0), (0, 0), (p, p), (p, p)))
        W = np.asarray(self.W, dtype=np.float32)
        out = np.einsum("ncijhw,fchw->nfij", self._windows(self.xp), W, optimize=True)
        return out + np.asarray(self.b, dtype=np.float32)[None, :, None, None]

    def backward(self, dout):
        dout = np.asarray(dout, dtype=np.float32)
        W = np.asarray(self.W, dtype=np.float32)
        self.db = dout.sum(axis=(0, 2, 3))
        self.dW = np.einsum("ncijhw,nfij->fchw", self._windows(self.xp), dout, optimize=True)
        dwin = np.einsum("nfij,fchw->ncijhw", dout, W, optimize=True)
        dxp = np.zeros(self.xp.shape, dtype=np.float32)
        N, C, OH, OW, FH, FW = dwin.shape
        s = self.stride
        for u in range(FH):
            for v in range(FW):
                dxp[:, :, u:u + s * OH:s, v:v + s * OW:s] += dwin[:, :, :, :, u, v]
        H, W_ = self.x_shape[2:]
        return dxp[:, :, self.pad:self.pad + H, self.pad:self.pad + W_]
'''

CONV_LAYER_FFT = _HEAD + '''
class Convolution:
    """float64; forward by FFT (correlation), backward by loops over filter offsets and a
    bincount col2im."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.dW = self.db = None

    def forward(self, x):
        p, s = self.pad, self.stride
        xp = np.pad(np.asarray(x, dtype=float), ((0, 0), (0, 0), (p, p), (p, p)))
        self.x_shape, self.xp = x.shape, xp
        FN, C, FH, FW = self.W.shape
        N, _, Hp, Wp = xp.shape
        shape = (Hp + FH - 1, Wp + FW - 1)
        X = np.fft.rfft2(xp, shape)[:, None]                              # N, 1, C, ...
        K = np.fft.rfft2(np.asarray(self.W, float)[:, :, ::-1, ::-1], shape)[None]  # 1, FN, C, ...
        full = np.fft.irfft2((X * K).sum(axis=2), shape)
        return full[:, :, FH - 1:Hp, FW - 1:Wp][:, :, ::s, ::s] + np.asarray(self.b, float)[None, :, None, None]

    def backward(self, dout):
        dout = np.asarray(dout, dtype=float)
        FN, C, FH, FW = self.W.shape
        N, _, OH, OW = dout.shape
        s = self.stride
        self.db = dout.sum(axis=3).sum(axis=2).sum(axis=0)
        self.dW = np.zeros(self.W.shape)
        dxp = np.zeros(self.xp.shape)
        W = np.asarray(self.W, float)
        for u in range(FH):
            for v in range(FW):
                patch = self.xp[:, :, u:u + s * OH:s, v:v + s * OW:s]           # N, C, OH, OW
                self.dW[:, :, u, v] = np.tensordot(dout, patch, axes=([0, 2, 3], [0, 2, 3]))
                dxp[:, :, u:u + s * OH:s, v:v + s * OW:s] += np.tensordot(dout, W[:, :, u, v], axes=([1], [0])).transpose(0, 3, 1, 2)
        H, W_ = self.x_shape[2:]
        return dxp[:, :, self.pad:self.pad + H, self.pad:self.pad + W_]
'''

CONV_LAYER_EINSUM_F32_CAST_BACK = CONV_LAYER_EINSUM_F32.replace("class Convolution:", "class _Convolution32:") + '''

class Convolution(_Convolution32):
    """Computed in float32, every result cast back to float64."""

    def forward(self, x):
        return super().forward(x).astype(np.float64)

    def backward(self, dout):
        dx = super().backward(dout).astype(np.float64)
        self.dW, self.db = self.dW.astype(np.float64), self.db.astype(np.float64)
        return dx
'''

POOL_LAYER_F32 = _HEAD + '''
class MaxPooling:
    """float32; windows by sliding_window_view, argmax (first maximum on a tie), np.add.at back."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        p, s = self.pad, self.stride
        xp = np.pad(np.asarray(x, dtype=np.float32), ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        win = sliding_window_view(xp, (self.pool_h, self.pool_w), axis=(2, 3))[:, :, ::s, ::s]
        N, C, OH, OW = win.shape[:4]
        flat = win.reshape(N, C, OH, OW, -1)
        self.arg = flat.argmax(axis=-1)
        self.x_shape, self.padded = x.shape, xp.shape
        return flat.max(axis=-1)

    def backward(self, dout):
        dout = np.asarray(dout, dtype=np.float32)
        N, C, OH, OW = dout.shape
        s = self.stride
        n, c, i, j = np.indices((N, C, OH, OW))
        rows = i * s + self.arg // self.pool_w
        cols = j * s + self.arg % self.pool_w
        dxp = np.zeros(self.padded, dtype=np.float32)
        np.add.at(dxp, (n, c, rows, cols), dout)
        H, W = self.x_shape[2:]
        return dxp[:, :, self.pad:self.pad + H, self.pad:self.pad + W]
'''

NET_F32 = CONV_LAYER_EINSUM_F32 + POOL_LAYER_F32.replace(_HEAD, "") + '''
class Relu:
    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, np.float32(0), x)

    def backward(self, dout):
        return np.where(self.mask, np.float32(0), dout)


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.shape)


class SimpleConvNet:
    """Everything in float32: parameters, activations, gradients and the loss."""

    def __init__(self, input_dim=(1, 28, 28), conv_param={"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        FN, FS = conv_param["filter_num"], conv_param["filter_size"]
        pad, stride = conv_param["pad"], conv_param["stride"]
        C, H, W = input_dim
        OH, OW = (H + 2 * pad - FS) // stride + 1, (W + 2 * pad - FS) // stride + 1
        rng = np.random.default_rng(0)
        f32 = lambda a: np.asarray(a, dtype=np.float32)
        self.params = {"W1": f32(weight_init_std * rng.standard_normal((FN, C, FS, FS))), "b1": f32(np.zeros(FN)),
                       "W2": f32(weight_init_std * rng.standard_normal((FN * (OH // 2) * (OW // 2), hidden_size))),
                       "b2": f32(np.zeros(hidden_size)),
                       "W3": f32(weight_init_std * rng.standard_normal((hidden_size, output_size))),
                       "b3": f32(np.zeros(output_size))}
        p = self.params
        self.layers = [Convolution(p["W1"], p["b1"], stride, pad), Relu(), MaxPooling(2, 2, stride=2),
                       Affine(p["W2"], p["b2"]), Relu(), Affine(p["W3"], p["b3"])]

    def predict(self, x):
        x = np.asarray(x, dtype=np.float32)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def _labels(self, t):
        t = np.asarray(t)
        return t.argmax(axis=1) if t.ndim == 2 else t

    def loss(self, x, t):
        y = self.predict(x)
        y = y - y.max(axis=1, keepdims=True)
        logp = y - np.log(np.exp(y).sum(axis=1, keepdims=True))
        t = self._labels(t)
        self.softmax = np.exp(logp)
        self.t = t
        return -logp[np.arange(len(t)), t].mean()

    def accuracy(self, x, t, batch_size=100):
        t, hits = self._labels(t), 0
        for i in range(0, len(x), batch_size):
            hits += int((self.predict(x[i:i + batch_size]).argmax(axis=1) == t[i:i + batch_size]).sum())
        return hits / len(x)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.softmax.copy()
        dout[np.arange(len(self.t)), self.t] -= 1
        dout = (dout / len(self.t)).astype(np.float32)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        conv, a1, a2 = self.layers[0], self.layers[3], self.layers[5]
        return {"W1": conv.dW, "b1": conv.db, "W2": a1.dW, "b2": a1.db, "W3": a2.dW, "b3": a2.db}
'''

STYLES: dict[str, dict[str, str]] = {
    "4_1": {"float32_einsum": CONV_EINSUM_F32, "fft": CONV_FFT, "float32_offsets_cast_back": CONV_OFFSETS_F32},
    "4_2": {"float32_windows": POOL_F32},
    "4_3": {"float32_moveaxis": RESHAPE_F32},
    "4_4": {"float32_windows_bincount": _HEAD + IM2COL_F32 + COL2IM_BINCOUNT,
            "float32_windows_add_at": _HEAD + IM2COL_F32 + COL2IM_ADD_AT_F32},
    "4_5": {"float32_einsum": CONV_LAYER_EINSUM_F32, "fft": CONV_LAYER_FFT,
            "float32_einsum_cast_back": CONV_LAYER_EINSUM_F32_CAST_BACK},
    "4_6": {"float32_windows_add_at": POOL_LAYER_F32},
    "4_7": {"float32_everywhere": NET_F32},
}


def legacy_compare(received, expected, precision=None):
    """The first release's comparison (for measurements and tests only): ``|r - e| <= atol +
    rtol * |e|``, ``atol = atol_scale * max(1, max|e|)``, ``(rtol, atol_scale)`` = ``(1e-7, 1e-9)``
    for checks on float64 inputs, ``(2e-4, 2e-5)`` for checks declared float32."""
    import numpy as np

    from grader.grading.compare import Comparison

    received, expected = np.asarray(received), np.asarray(expected)
    if received.shape != expected.shape:
        return Comparison("shape", {"expected": tuple(expected.shape), "received": tuple(received.shape)})
    rtol, atol_scale = (2e-4, 2e-5) if precision is not None and np.dtype(precision) == np.float32 else (1e-7, 1e-9)
    r, e = received.astype(np.float64), expected.astype(np.float64)
    finite = e[np.isfinite(e)]
    scale = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    with np.errstate(invalid="ignore"):
        diff = np.abs(r - e)
    same = (np.isinf(r) & np.isinf(e) & (np.sign(r) == np.sign(e))) | (np.isnan(r) & np.isnan(e))
    diff = np.where(same, 0.0, np.where(np.isnan(diff), np.inf, diff))
    bad = diff > atol_scale * scale + rtol * np.abs(np.where(np.isfinite(e), e, 0.0))
    if not np.isfinite(r[~same]).all() and np.isfinite(e[~same]).all():
        return Comparison("nonfinite", {"index": ()})
    if bad.any():
        return Comparison("values", {"max_abs": 0.0, "max_rel": 0.0, "index": (), "exp_value": "", "got_value": "",
                                     "n_wrong": int(bad.sum()), "n_total": int(bad.size)})
    return Comparison("ok")


def suite_mutants() -> list[tuple[str, str, list, frozenset | None]]:
    """Every mutant of the test suite as ``(label, exercise, cells, expected failures)``: those of
    ``tests/mutants`` (expected failures ``None``: whatever the first release's policy failed)
    and those of ``tests/test_grader_4_*.py`` (the checks those kernel tests expect to fail)."""
    from importlib import import_module

    from mutants import MUTANTS, cells

    found = [(f"mutants:{defect}", m.exercise, cells(m.sources), None) for defect, m in sorted(MUTANTS.items())]
    for exercise in ("4_1", "4_2", "4_3", "4_4", "4_5", "4_6", "4_7"):
        module = import_module(f"test_grader_{exercise}")
        for defect, entry in sorted(getattr(module, "MUTANTS", {}).items()):
            if not isinstance(entry, tuple) or not isinstance(entry[-1], (set, frozenset)):
                continue  # a layout this collector does not know
            sources = [part for part in entry if isinstance(part, str)]
            expected = set(entry[-1])
            if exercise == "4_5":
                sources = [module.HELPERS, *sources]
            if exercise == "4_7":
                expected |= {module.TRAINED}  # no `network` in these notebooks
            found.append((f"test_grader_{exercise}:{defect}", exercise, sources, frozenset(expected)))
    return found

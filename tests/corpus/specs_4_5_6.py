"""4_5 (Convolution) and 4_6 (MaxPooling) in trainees' styles: the book's layout
(``sys.path.append(os.pardir)``, ``from common.util import im2col, col2im``, ``Pooling`` renamed
``MaxPooling``), einsum + sliding windows in float32, a CS231n ``conv_forward_naive`` adapter;
wrong ones: db averaged over the batch instead of summed, pooling padded with 0.
Over 300 lines: nearly all of it is the notebooks' cell text, not logic.
"""
from __future__ import annotations

import numpy as np

import oracle
from nbspec import Notebook, md, out
from specs_4_4 import STRIDED_BINCOUNT

BOOK_HEAD = '''
import sys, os
sys.path.append(os.pardir)  # 親ディレクトリのファイルをインポートするための設定
import numpy as np
from common.util import im2col, col2im
'''

BOOK_CONV = '''
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        # 中間データ（backward時に使用）
        self.x = None
        self.col = None
        self.col_W = None
        # 重み・バイアスパラメータの勾配
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = 1 + int((H + 2*self.pad - FH) / self.stride)
        out_w = 1 + int((W + 2*self.pad - FW) / self.stride)

        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

        self.x = x
        self.col = col
        self.col_W = col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)

        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)

        dcol = np.dot(dout, self.col_W.T)
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        return dx
'''

EINSUM_CONV_F32 = '''
class Convolution:
    """sliding_window_view + einsum 版。計算は float32。"""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b = W, b
        self.stride, self.pad = stride, pad
        self.dW = self.db = None

    def forward(self, x):
        s, p = self.stride, self.pad
        FN, C, FH, FW = self.W.shape
        self.x_shape = x.shape
        xp = np.pad(np.asarray(x, dtype=np.float32), ((0, 0), (0, 0), (p, p), (p, p)))
        self.win = sliding_window_view(xp, (FH, FW), axis=(2, 3))[:, :, ::s, ::s]   # N, C, OH, OW, FH, FW
        out = np.einsum('nchwij,fcij->nfhw', self.win, self.W.astype(np.float32), optimize=True)
        return out + self.b.astype(np.float32)[None, :, None, None]

    def backward(self, dout):
        dout = np.asarray(dout, dtype=np.float32)
        s, p = self.stride, self.pad
        FN, C, FH, FW = self.W.shape
        N, _, H, W = self.x_shape
        OH, OW = dout.shape[2:]
        self.db = dout.sum(axis=(0, 2, 3))
        self.dW = np.einsum('nchwij,nfhw->fcij', self.win, dout, optimize=True)
        dwin = np.einsum('nfhw,fcij->nchwij', dout, self.W.astype(np.float32), optimize=True)
        dxp = np.zeros((N, C, H + 2 * p, W + 2 * p), dtype=np.float32)
        for i in range(FH):
            for j in range(FW):
                dxp[:, :, i:i + s * OH:s, j:j + s * OW:s] += dwin[..., i, j]
        return dxp[:, :, p:p + H, p:p + W]
'''

CS231N_CONV = '''
def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_padded[n, :, i*stride:i*stride+HH, j*stride:j*stride+WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    dx_padded = np.zeros(x_padded.shape)   # zeros_like だと整数の入力で切り捨てられる
    dw = np.zeros(w.shape)
    db = np.zeros(b.shape)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_padded[n, :, i*stride:i*stride+HH, j*stride:j*stride+WW]
                    db[f] += dout[n, f, i, j]
                    dw[f] += window * dout[n, f, i, j]
                    dx_padded[n, :, i*stride:i*stride+HH, j*stride:j*stride+WW] += w[f] * dout[n, f, i, j]
    dx = dx_padded[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


class Convolution:
    """CS231n の関数をクラスで包んだもの"""

    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.conv_param = {'stride': stride, 'pad': pad}
        self.cache = None
        self.dW = None
        self.db = None

    def forward(self, x):
        out, self.cache = conv_forward_naive(x, self.W, self.b, self.conv_param)
        return out

    def backward(self, dout):
        dx, self.dW, self.db = conv_backward_naive(dout, self.cache)
        return dx
'''

CS231N_ZEROS_LIKE = CS231N_CONV.replace(
    "dx_padded = np.zeros(x_padded.shape)   # zeros_like だと整数の入力で切り捨てられる",
    "dx_padded = np.zeros_like(x_padded)").replace("dw = np.zeros(w.shape)", "dw = np.zeros_like(w)").replace(
    "db = np.zeros(b.shape)", "db = np.zeros_like(b)")

CONV_DB_MEAN = BOOK_CONV.replace(
    "        self.db = np.sum(dout, axis=0)\n", "").replace(
    "        FN, C, FH, FW = self.W.shape\n        dout = dout.transpose",
    "        FN, C, FH, FW = self.W.shape\n        self.db = dout.sum(axis=(2, 3)).mean(axis=0)   # バッチで平均\n"
    "        dout = dout.transpose")

BOOK_POOL = '''
class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2*self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2*self.pad - self.pool_w) // self.stride + 1
        # パディングが最大値にならないよう -inf で埋めてから im2col する (im2col 側の pad は 0)
        p = self.pad
        x_pad = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0)
        col = col.reshape(-1, self.pool_h*self.pool_w)

        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

        self.x_shape = x.shape
        self.x_pad_shape = x_pad.shape
        self.arg_max = arg_max
        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        dx = col2im(dcol, self.x_pad_shape, self.pool_h, self.pool_w, self.stride, 0)
        p = self.pad
        return dx[:, :, p:p + self.x_shape[2], p:p + self.x_shape[3]]


MaxPooling = Pooling  # 課題のクラス名に合わせる
'''

POOL_ZERO = '''
class MaxPooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2*self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2*self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h*self.pool_w)
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
'''

POOL_SWV_F32 = '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class MaxPooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        x = np.asarray(x, dtype=np.float32)
        N, C, H, W = x.shape
        ph, pw, s, p = self.pool_h, self.pool_w, self.stride, self.pad
        self.x_shape = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        win = sliding_window_view(xp, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
        OH, OW = win.shape[2:4]
        flat = win.reshape(N, C, OH, OW, ph * pw)
        self.arg = flat.argmax(axis=-1)            # 同じ値なら最初の位置
        return flat.max(axis=-1)

    def backward(self, dout):
        N, C, H, W = self.x_shape
        ph, pw, s, p = self.pool_h, self.pool_w, self.stride, self.pad
        OH, OW = dout.shape[2:]
        dxp = np.zeros((N, C, H + 2 * p, W + 2 * p), dtype=np.float32)
        di, dj = np.divmod(self.arg, pw)
        rows = np.arange(OH)[None, None, :, None] * s + di
        cols = np.arange(OW)[None, None, None, :] * s + dj
        n = np.arange(N)[:, None, None, None]
        c = np.arange(C)[None, :, None, None]
        np.add.at(dxp, (n, c, rows, cols), dout)   # 窓が重なるときは足し合わせ
        return dxp[:, :, p:p + H, p:p + W]
'''

POOL_CS231N_FAST = '''
def max_pool_forward_reshape(x, pool_param):
    """CS231n fast_layers の reshape 版: 窓が重ならず、ぴったり敷き詰められるときだけ使える"""
    N, C, H, W = x.shape
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    assert ph == pw == s, 'Invalid pool params'
    assert H % ph == 0 and W % pw == 0
    x_reshaped = x.reshape(N, C, H // ph, ph, W // pw, pw)
    out = x_reshaped.max(axis=3).max(axis=4)
    return out, (x, x_reshaped, out)


def max_pool_backward_reshape(dout, cache):
    x, x_reshaped, out = cache
    dx_reshaped = np.zeros(x_reshaped.shape)
    mask = (x_reshaped == out[:, :, :, np.newaxis, :, np.newaxis])
    dout_broadcast, _ = np.broadcast_arrays(dout[:, :, :, np.newaxis, :, np.newaxis], dx_reshaped)
    dx_reshaped[mask] = dout_broadcast[mask]
    dx_reshaped /= np.sum(mask, axis=(3, 5), keepdims=True)   # 最大値が複数あれば等分
    return dx_reshaped.reshape(x.shape)


class MaxPooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_param = {'pool_height': pool_h, 'pool_width': pool_w, 'stride': stride}
        self.pad = pad

    def _fast(self, shape):
        ph, pw, s = (self.pool_param[k] for k in ('pool_height', 'pool_width', 'stride'))
        return self.pad == 0 and ph == pw == s and shape[2] % ph == 0 and shape[3] % pw == 0

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        self.x_shape = x.shape
        if self._fast(x.shape):
            out, self.cache = max_pool_forward_reshape(x, self.pool_param)
            return out
        # それ以外はループ (-inf でパディング、最初の最大値の位置を覚える)
        ph, pw, s, p = (self.pool_param['pool_height'], self.pool_param['pool_width'],
                        self.pool_param['stride'], self.pad)
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        N, C, H, W = xp.shape
        OH, OW = (H - ph) // s + 1, (W - pw) // s + 1
        out = np.zeros((N, C, OH, OW))
        self.argmax = np.zeros((N, C, OH, OW, 2), dtype=int)
        for i in range(OH):
            for j in range(OW):
                win = xp[:, :, i*s:i*s+ph, j*s:j*s+pw].reshape(N, C, -1)
                k = win.argmax(axis=2)
                out[:, :, i, j] = win.max(axis=2)
                self.argmax[:, :, i, j, 0] = i*s + k // pw
                self.argmax[:, :, i, j, 1] = j*s + k % pw
        self.cache = None
        return out

    def backward(self, dout):
        if self.cache is not None:
            return max_pool_backward_reshape(dout, self.cache)
        N, C, H, W = self.x_shape
        p = self.pad
        dxp = np.zeros((N, C, H + 2*p, W + 2*p))
        OH, OW = dout.shape[2:]
        for n in range(N):
            for c in range(C):
                for i in range(OH):
                    for j in range(OW):
                        r, q = self.argmax[n, c, i, j]
                        dxp[n, c, r, q] += dout[n, c, i, j]
        return dxp[:, :, p:p + H, p:p + W]
'''

CONV_CHECK = '''
x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
W = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=np.float64).reshape(1, 1, 3, 3)
layer = Convolution(W, np.array([3.0]), pad=1)
out = layer.forward(x)
print(out.shape)
dx = layer.backward(np.ones_like(out))
print(dx.shape, layer.dW.shape, layer.db)
'''

POOL_CHECK = '''
x = np.random.randn(2, 3, 6, 6)
pool = MaxPooling(2, 2, stride=2)
out = pool.forward(x)
print(out.shape, pool.backward(np.ones_like(out)).shape)
'''


def _verify_db_mean(ns: dict) -> None:
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal((3, 2, 5, 5)), rng.standard_normal((4, 2, 3, 3)), rng.standard_normal(4)
    layer = ns["Convolution"](W, b, stride=1, pad=1)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    layer.backward(dout)
    right = dout.sum(axis=(0, 2, 3))  # the bias is used at every position of every image
    assert np.allclose(oracle.conv_forward(x, W, b, 1, 1), out)
    assert not np.allclose(layer.db, right) and np.allclose(layer.db * 3, right)


def _verify_zero_pool(ns: dict) -> None:
    x = -np.arange(1.0, 2 * 25 + 1).reshape(1, 2, 5, 5)
    right = oracle.pool_forward(x, 3, 3, stride=3, pad=1)
    got = ns["MaxPooling"](3, 3, stride=3, pad=1).forward(x)
    assert got.shape == right.shape and not np.allclose(got, right)
    assert np.allclose(ns["MaxPooling"](2, 2, stride=2).forward(-x), oracle.pool_forward(-x, 2, 2, stride=2))


def _verify_split_ties(ns: dict) -> None:
    x = np.array([[1.0, 1.0], [0.0, 1.0]]).reshape(1, 1, 2, 2)  # a tie of three maxima
    layer = ns["MaxPooling"](2, 2, stride=2)
    layer.forward(x)
    got = layer.backward(np.array([[[[3.0]]]]))
    right = oracle.pool_backward(x, np.array([[[[3.0]]]]), 2, 2, 2, 0)
    assert right[0, 0, 0, 0] == 3.0 and right.sum() == 3.0  # all to the first maximum
    assert np.allclose(got[0, 0], [[1, 1], [0, 1]])
    odd = -np.arange(1.0, 2 * 49 + 1).reshape(1, 2, 7, 7)  # not tiling: the loop path, right
    layer = ns["MaxPooling"](2, 2, stride=2)
    dout = np.ones((1, 2, 3, 3))
    layer.forward(odd)
    assert np.allclose(layer.backward(dout), oracle.pool_backward(odd, dout, 2, 2, 2, 0))


def _verify_zeros_like(ns: dict) -> None:
    rng = np.random.default_rng(2)
    x, W, b = rng.integers(-4, 5, (2, 2, 5, 5)), rng.standard_normal((3, 2, 2, 2)), rng.standard_normal(3)
    layer = ns["Convolution"](W, b, stride=2, pad=0)
    out = layer.forward(x)
    dout = rng.integers(-3, 4, np.shape(out))
    right = oracle.conv_backward(x, W, dout, 2, 0)[0]
    try:
        dx = layer.backward(dout)
    except TypeError:  # numpy refuses to add float gradients into the integer dx (same_kind casting)
        pass
    else:
        assert not np.allclose(dx, right)
    xf = x.astype(np.float64)
    layer.forward(xf)
    assert np.allclose(layer.backward(dout.astype(np.float64)), right)


NOTEBOOKS = [
    Notebook(
        "kato/4_5_convolution_layer_trainee.ipynb", "4_5",
        ("%load_ext autoreload\n%autoreload 2", BOOK_HEAD, md("## Convolution レイヤ (本の 7.4.3 と同じ形)"), BOOK_CONV,
         CONV_CHECK,
         "# PyTorch で答え合わせ (ローカルでは動いた)\nimport torch\nimport torch.nn.functional as F\n"
         "x = np.random.randn(2, 3, 7, 7)\nW = np.random.randn(4, 3, 3, 3)\nb = np.random.randn(4)\n"
         "ref = F.conv2d(torch.tensor(x), torch.tensor(W), torch.tensor(b), stride=2, padding=1).numpy()\n"
         "print(np.allclose(Convolution(W, b, stride=2, pad=1).forward(x), ref))"),
        "the book's layout: %load_ext autoreload, sys.path.append(os.pardir), from common.util import im2col, "
        "col2im, its Convolution (int(/) output size, np.dot); a PyTorch cross-check cell (no torch when graded)",
        needs=("H3",), graded_cells=(3,)),
    Notebook(
        "ito/Copy of 4_5_convolution_layer_trainee.ipynb", "4_5",
        ("import numpy as np\nfrom numpy.lib.stride_tricks import sliding_window_view\n%matplotlib inline\n"
         "%config InlineBackend.figure_format = 'retina'\nimport matplotlib.pyplot as plt", EINSUM_CONV_F32, CONV_CHECK,
         "layer = Convolution(np.random.randn(6, 1, 5, 5).astype(np.float32), np.zeros(6, np.float32))\n"
         "fig, axes = plt.subplots(1, 6, figsize=(12, 2))\n"
         "for k, ax in enumerate(axes):\n    ax.imshow(layer.W[k, 0], cmap='gray')\n    ax.set_title(f'フィルター {k}')\n"
         "    ax.axis('off')\nplt.show()"),
        "einsum forward and backward over sliding_window_view windows, float32 throughout, loop col2im; "
        "%config InlineBackend.figure_format = 'retina'; filter plots with Japanese titles; 'Copy of' file name",
        needs=("H1", "H3"), graded_cells=(1,)),
    Notebook(
        "tanaka/tanaka_4_5.ipynb", "4_5",
        ("import numpy as np", md("CS231n assignment 2 の conv_forward_naive / conv_backward_naive を流用"),
         CS231N_CONV, CONV_CHECK),
        "CS231n layout adapter: conv_forward_naive(x, w, b, conv_param) / conv_backward_naive(dout, cache) "
        "with four nested loops, wrapped into the contract's class",
        graded_cells=(2,)),
    Notebook(
        "yamada/4_5_convolution_layer_trainee.ipynb", "4_5",
        ("import numpy as np", md("4_4 で作った im2col / col2im を貼り付け"), STRIDED_BINCOUNT, CONV_DB_MEAN,
         CONV_CHECK),
        "WRONG: book-style layer on the trainee's own pasted im2col/col2im, but db is averaged over the batch "
        "(sum over OH, OW, then mean over N)",
        failing=("Convolution.db", "Convolution.repeated_backward", "Convolution.float32_backward"),
        graded_cells=(2, 3), verify=_verify_db_mean),
    Notebook(
        "kato/4_6_maxpooling_layer_trainee.ipynb", "4_6",
        (BOOK_HEAD, BOOK_POOL, POOL_CHECK),
        "the book's layout and Pooling class (argmax over im2col rows, dmax + col2im), padded with -inf "
        "before im2col, renamed with MaxPooling = Pooling",
        needs=("H3",), graded_cells=(1,)),
    Notebook(
        "yamada/4_6_maxpooling_layer_trainee.ipynb", "4_6",
        ("import numpy as np", STRIDED_BINCOUNT, POOL_ZERO, POOL_CHECK),
        "WRONG: the book's Pooling (with the output size fixed for pad) on the trainee's own im2col, which "
        "pads with 0: the border wins over negative inputs",
        failing=("MaxPooling.padding_forward", "MaxPooling.padding_backward"), graded_cells=(1, 2),
        verify=_verify_zero_pool),
    Notebook(
        "ito/4_6_maxpooling_layer_trainee のコピー.ipynb", "4_6",
        (POOL_SWV_F32, POOL_CHECK,
         "from tqdm.notebook import tqdm\nimport time\nx = np.random.randn(100, 30, 24, 24)\npool = MaxPooling(2, 2, 2)\n"
         "start = time.time()\nfor _ in tqdm(range(5)):\n    pool.backward(pool.forward(x))\nprint(f'{time.time() - start:.2f} 秒')"),
        "sliding_window_view + argmax forward, np.add.at backward, float32 throughout; a tqdm.notebook "
        "timing loop; 'のコピー' file name",
        needs=("H1", "H3"), graded_cells=(0,)),
    Notebook(
        "tanaka/tanaka_4_6.ipynb", "4_6",
        ("import numpy as np", md("CS231n の fast_layers (reshape 版) を使い、使えないときはループ"), POOL_CS231N_FAST,
         POOL_CHECK),
        "WRONG: CS231n fast_layers' max_pool_forward_reshape/backward_reshape when the windows tile the input "
        "(the gradient is split equally among tied maxima instead of going to the first), a loop otherwise; "
        "right on every case that does not tile",
        fail_prefixes=("MaxPooling.",), needs=("H2 (a tiling ties case in the public plan)",),
        graded_cells=(2,), verify=_verify_split_ties),
    Notebook(
        "kimura/kimura_4_5_cs231n.ipynb", "4_5",
        ("import numpy as np", CS231N_ZEROS_LIKE, CONV_CHECK),
        "WRONG: the CS231n naive layer adapted as is, with np.zeros_like(x_padded) for dx: integer inputs make dx "
        "an integer array, and adding the float gradients into it raises",
        failing=("Convolution.integer_input",), graded_cells=(1,), verify=_verify_zeros_like),
    Notebook(
        "okada/4_5_convolution_layer_trainee.ipynb", "4_5",
        (md("層を別ファイルにしておく (4_7 でも使うため)"), "%%writefile my_layers.py\n" + STRIDED_BINCOUNT + "\n" + BOOK_CONV,
         "from my_layers import *", CONV_CHECK),
        "%%writefile my_layers.py (its own im2col/col2im and the book's Convolution), then from my_layers import *: "
        "graded code that lives in a module the notebook wrote",
        allowed_flags=("suspicious-code",), graded_cells=(1,)),
]

"""4_1 (conv_output_size, convolution) written the ways trainees write it: nested loops with
prints and asserts, FFT, sliding_window_view + einsum in float32, DeZero/chainer helpers
(``pair``, ``get_conv_outsize``) on Colab, scipy's correlate2d; and two wrong ones (a flipped
filter; the book's ``(input_size, filter_size, stride, pad)`` argument order)."""
from __future__ import annotations

import numpy as np

import oracle
from nbspec import Notebook, md, out

SLIDE = '''
x = np.array([[1, 2, 3, 0],
              [0, 1, 2, 3],
              [3, 0, 1, 2],
              [2, 3, 0, 1]])
w = np.array([[2, 0, 1],
              [0, 1, 2],
              [1, 0, 2]])
'''

LOOPS = '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    # 出力サイズ OH = (H + 2P - FH) / S + 1  (割り切れないときは切り捨て)
    out = (input_size + 2 * pad - filter_size) // stride + 1
    return out


def convolution(x, w, b=0.0, stride=1, pad=0):
    x = np.array(x, dtype=float)
    w = np.array(w, dtype=float)
    if x.ndim == 2:
        # (H, W) のときは 1 チャンネルの (1, H, W) として扱う
        x = x[np.newaxis, :, :]
        w = w[np.newaxis, :, :]
    C, H, W = x.shape
    _, FH, FW = w.shape
    OH = conv_output_size(H, FH, pad, stride)
    OW = conv_output_size(W, FW, pad, stride)

    # パディング (まわりを 0 で埋める)
    x_pad = np.zeros((C, H + 2 * pad, W + 2 * pad))
    x_pad[:, pad:pad + H, pad:pad + W] = x

    out = np.zeros((OH, OW))
    for i in range(OH):
        for j in range(OW):
            total = 0.0
            for c in range(C):
                for p in range(FH):
                    for q in range(FW):
                        total += x_pad[c, i * stride + p, j * stride + q] * w[c, p, q]
            out[i, j] = total + b
    return out
'''

FFT = '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return int((input_size + 2 * pad - filter_size) / stride) + 1


def convolution(x, w, b=0.0, stride=1, pad=0):
    """相互相関 = フィルターを反転した畳み込み。FFT で全部の位置を一度に計算して、valid な部分を取り出す。"""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim == 2:
        x, w = x[None], w[None]
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    C, H, W = x.shape
    FH, FW = w.shape[1:]
    size = (H + FH - 1, W + FW - 1)
    spec = np.fft.rfft2(x, size) * np.fft.rfft2(w[:, ::-1, ::-1], size)
    full = np.fft.irfft2(spec.sum(axis=0), size)
    valid = full[FH - 1:H, FW - 1:W]
    return valid[::stride, ::stride] + b
'''

EINSUM_F32 = '''
from numpy.lib.stride_tricks import sliding_window_view


def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size + 2 * pad - filter_size) // stride + 1


def convolution(x, w, b=0.0, stride=1, pad=0):
    # 計算は全部 float32 (GPU と同じ精度で十分)
    x = np.asarray(x, dtype=np.float32)
    w = np.asarray(w, dtype=np.float32)
    if x.ndim == 2:
        x, w = x[np.newaxis], w[np.newaxis]
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    FH, FW = w.shape[1:]
    windows = sliding_window_view(x, (FH, FW), axis=(1, 2))[:, ::stride, ::stride]  # (C, OH, OW, FH, FW)
    return np.einsum('chwij,cij->hw', windows, w) + np.float32(b)
'''

DEZERO = '''
def pair(x):
    if isinstance(x, (int, np.integer)):
        return (x, x)
    elif isinstance(x, tuple):
        assert len(x) == 2
        return x
    else:
        raise ValueError


def get_conv_outsize(input_size, kernel_size, stride, pad):
    return (input_size + pad * 2 - kernel_size) // stride + 1


def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return get_conv_outsize(input_size, filter_size, stride, pad)


def convolution(x, w, b=0.0, stride=1, pad=0):
    x, w = np.asarray(x), np.asarray(w)
    if x.ndim == 2:
        x, w = x[None], w[None]
    C, H, W = x.shape
    KH, KW = w.shape[-2:]
    SH, SW = pair(stride)
    PH, PW = pair(pad)
    OH = get_conv_outsize(H, KH, SH, PH)
    OW = get_conv_outsize(W, KW, SW, PW)

    img = np.pad(x, ((0, 0), (PH, PH + SH - 1), (PW, PW + SW - 1)), mode='constant')
    col = np.ndarray((C, KH, KW, OH, OW), dtype=np.float64)
    for j in range(KH):
        j_lim = j + SH * OH
        for i in range(KW):
            i_lim = i + SW * OW
            col[:, j, i, :, :] = img[:, j:j_lim:SH, i:i_lim:SW]
    y = np.tensordot(col, w, ((0, 1, 2), (0, 1, 2)))
    return y + b
'''

SCIPY = '''
from scipy import signal


def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size - filter_size + 2 * pad) // stride + 1


def convolution(x, w, b=0.0, stride=1, pad=0):
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim == 2:
        x, w = x[None], w[None]
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    # correlate2d はフィルターを反転しない (convolve2d は反転する)
    out = sum(signal.correlate2d(x[c], w[c], mode='valid') for c in range(x.shape[0]))
    return out[::stride, ::stride] + b
'''

FLIPPED = '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size + 2*pad - filter_size) // stride + 1


def convolution(x, w, b=0.0, stride=1, pad=0):
    x = np.array(x, dtype=np.float64)
    w = np.array(w, dtype=np.float64)
    # 畳み込みなのでフィルターを上下左右に反転する (信号処理の定義)
    w = np.flip(w, axis=(-2, -1))
    if x.ndim == 2:
        x = x.reshape(1, *x.shape)
        w = w.reshape(1, *w.shape)
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)), 'constant')
    C, H, W = x.shape
    FH, FW = w.shape[1], w.shape[2]
    OH = (H - FH) // stride + 1
    OW = (W - FW) // stride + 1
    out = np.zeros((OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[i, j] = np.sum(x[:, i*stride:i*stride+FH, j*stride:j*stride+FW] * w) + b
    return out
'''

BOOK_ORDER = '''
def conv_output_size(input_size, filter_size, stride=1, pad=0):
    # 本 (ゼロから作る Deep Learning) の common/util.py と同じ引数の順番
    return (input_size + 2*pad - filter_size) // stride + 1


def convolution(x, w, b=0.0, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim == 2:
        x, w = x[np.newaxis], w[np.newaxis]
    C, H, W = x.shape
    FH, FW = w.shape[1:]
    OH = conv_output_size(H, FH, stride=stride, pad=pad)
    OW = conv_output_size(W, FW, stride=stride, pad=pad)
    xp = np.pad(x, [(0, 0), (pad, pad), (pad, pad)])
    out = np.empty((OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[i, j] = (xp[:, i*stride:i*stride+FH, j*stride:j*stride+FW] * w).sum()
    return out + b
'''


def _verify_flipped(ns: dict) -> None:
    """The slide example: cross-correlation gives [[15, 16], [6, 15]]; this code gives the
    true convolution (flipped filter) instead."""
    x = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]], dtype=float)
    w = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]], dtype=float)
    right = oracle.convolution(x, w)
    assert np.array_equal(right, [[15, 16], [6, 15]])
    got = ns["convolution"](x, w)
    assert not np.allclose(got, right)
    assert np.allclose(got, oracle.convolution(x, w[::-1, ::-1]))


def _verify_book_order(ns: dict) -> None:
    """Positional arguments in the contract's order (pad, stride) are read as (stride, pad)."""
    right = oracle.conv_output_size(8, 3, 1, 2)  # pad 1, stride 2
    assert right == 4
    assert ns["conv_output_size"](8, 3, 1, 2) != right
    assert ns["conv_output_size"](8, 3, pad=1, stride=2) == right


NOTEBOOKS = [
    Notebook(
        "kato/4_1_convolution.ipynb", "4_1",
        ("%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt",
         md("## 1. 出力サイズ"),
         LOOPS,
         out("print(conv_output_size(4, 3))\nprint(conv_output_size(4, 3, pad=1))\n"
             "print(conv_output_size(7, 3, stride=2))", ("stream", "2\n4\n3\n"), count=3),
         md("## 2. 畳み込み (スライドの例)"),
         SLIDE + "out = convolution(x, w)\nprint(out)\nassert np.all(out == np.array([[15, 16], [6, 15]]))\n"
                 "display(convolution(x, w, b=3))\nprint(convolution(x, w, pad=1))",
         "fig, axes = plt.subplots(1, 3, figsize=(9, 3))\n"
         "axes[0].imshow(x, cmap='gray'); axes[0].set_title('入力')\n"
         "axes[1].imshow(w, cmap='gray'); axes[1].set_title('フィルター')\n"
         "axes[2].imshow(convolution(x, w, pad=1), cmap='gray'); axes[2].set_title('出力 (pad=1)')\n"
         "plt.show()",
         "# デバッグ用\nconvolution(np.ones((3, 5, 5)), np.ones((3, 3, 3)), stride=2).shape"),
        "beginner: five nested for loops, prints, a leftover assert, display(), %matplotlib inline "
        "and `import matplotlib.pyplot` in the first cell, imshow plots with Japanese titles",
        needs=("H3",), graded_cells=(2,)),
    Notebook(
        "suzuki/４_１_convolution.ipynb", "4_1",
        ("%%capture\n!pip install japanize-matplotlib", "import numpy as np", FFT,
         "%%time\n" + SLIDE + "print(convolution(x, w))\nprint(convolution(x, w, b=3))\nprint(convolution(x, w, pad=1))",
         "import matplotlib.pyplot as plt\nimport japanize_matplotlib\n"
         "plt.imshow(convolution(np.random.rand(28, 28), np.ones((5, 5)) / 25, pad=2))\n"
         "plt.title('平均フィルター (FFT)')\nplt.colorbar()\nplt.show()"),
        "FFT-based cross-correlation (rfft2 of the flipped filter), int(/) output size, "
        "full-width file name, %%capture + !pip install japanize-matplotlib, %%time cell",
        needs=("lead (NFKC file name)", "H3"), graded_cells=(2,)),
    Notebook(
        "ito/Copy of 4_1_convolution.ipynb", "4_1",
        ("import numpy as np\nnp.set_printoptions(precision=3)", EINSUM_F32,
         SLIDE + "y = convolution(x, w, pad=1)\nprint(y.dtype, y.shape)\ny"),
        "sliding_window_view + einsum, float32 throughout (inputs cast to float32)",
        needs=("H1",), graded_cells=(1,)),
    Notebook(
        "watanabe/4_1_convolution.ipynb", "4_1",
        ("from google.colab import drive\ndrive.mount('/content/drive')\n"
         "import sys\nsys.path.append('/content/drive/MyDrive/DAY4')\nimport numpy as np",
         "%cd /content/drive/MyDrive/DAY4",
         md("DeZero の `pair` と `get_conv_outsize` を使って書いてみた"),
         DEZERO,
         SLIDE + "print(conv_output_size(4, 3, pad=1), convolution(x, w, b=3))"),
        "Colab (drive.mount in the cell that imports numpy, %cd to Drive), DeZero/chainer-style "
        "pair() and get_conv_outsize(size, k, s, p), 5-d col with the extra stride-1 padding, tensordot",
        colab=True, needs=("H3",), graded_cells=(3,)),
    Notebook(
        "mori/4_1_convolution-Copy1.ipynb", "4_1",
        ("import numpy as np\nimport pandas as pd", SCIPY,
         "rows = [(h, f, p, s, conv_output_size(h, f, p, s)) for h in (4, 7, 28) for f in (3, 5) "
         "for p in (0, 1) for s in (1, 2)]\npd.DataFrame(rows, columns=['H', 'FH', 'pad', 'stride', 'OH'])",
         SLIDE + "convolution(x, w, pad=1)"),
        "scipy.signal.correlate2d per channel, pandas table of output sizes, -Copy1 file name",
        needs=("H3",), graded_cells=(1,)),
    Notebook(
        "yamada/4_1_convolution.ipynb", "4_1",
        ("import numpy as np", FLIPPED, SLIDE + "print(convolution(x, w))  # [[15 16] [6 15]] にならない?"),
        "WRONG: flips the filter (true convolution, signal-processing definition)",
        failing=("convolution.slide", "convolution.bias", "convolution.pad", "convolution.stride_pad",
                 "convolution.channels", "convolution.float32", "convolution.integer"),
        graded_cells=(1,), verify=_verify_flipped),
    Notebook(
        "hayashi/4_1_convolution.ipynb", "4_1",
        ("import numpy as np", BOOK_ORDER, SLIDE + "convolution(x, w)"),
        "WRONG: conv_output_size(input_size, filter_size, stride=1, pad=0), the book's order; "
        "right whenever called with keywords",
        failing=("conv_output_size.stride_pad",), fail_prefixes=("conv_output_size.",),
        needs=("H2 (positional calls in the public plan)",),
        graded_cells=(1,), verify=_verify_book_order),
]

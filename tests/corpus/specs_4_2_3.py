"""4_2 (max_pooling) and 4_3 (pad_hw, filters_to_matrix, matrix_to_nchw, nchw_to_matrix) in
trainees' styles: loops, float32 sliding windows, a CS231n ``max_pool_forward_naive`` adapter,
one-liners with pandas/display, einsum/moveaxis with cells out of order; wrong ones: pooling
padded with 0, filters flattened without the transpose."""
from __future__ import annotations

import numpy as np

import oracle
from nbspec import Notebook, md, out

POOL_LOOPS = '''
def max_pooling(x, pool_h, pool_w, stride=1, pad=0):
    x = np.array(x, dtype=float)
    squeeze = False
    if x.ndim == 2:
        x = x[np.newaxis]
        squeeze = True
    C, H, W = x.shape
    OH = (H + 2*pad - pool_h) // stride + 1
    OW = (W + 2*pad - pool_w) // stride + 1
    # パディングした場所が最大値にならないように -inf で埋める
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    out = np.zeros((C, OH, OW))
    for c in range(C):
        for i in range(OH):
            for j in range(OW):
                window = x[c, i*stride:i*stride + pool_h, j*stride:j*stride + pool_w]
                out[c, i, j] = np.max(window)
    if squeeze:
        out = out[0]
    return out
'''

POOL_F32 = '''
from numpy.lib.stride_tricks import sliding_window_view


def max_pooling(x, pool_h, pool_w, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float32)
    widths = [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)]
    x = np.pad(x, widths, constant_values=-np.inf)
    win = sliding_window_view(x, (pool_h, pool_w), axis=(-2, -1))[..., ::stride, ::stride, :, :]
    return win.max(axis=(-2, -1))
'''

POOL_ZERO_PAD = '''
def max_pooling(x, pool_h, pool_w, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        return max_pooling(x[None], pool_h, pool_w, stride, pad)[0]
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))   # 0 でパディング
    C, H, W = x.shape
    OH = (H - pool_h) // stride + 1
    OW = (W - pool_w) // stride + 1
    out = np.empty((C, OH, OW))
    for i in range(OH):
        for j in range(OW):
            out[:, i, j] = x[:, i*stride:i*stride+pool_h, j*stride:j*stride+pool_w].max(axis=(1, 2))
    return out
'''

POOL_CS231N = '''
def max_pool_forward_naive(x, pool_param):
    """CS231n の課題と同じ形: x (N, C, H, W)、pool_param = {'pool_height', 'pool_width', 'stride'}"""
    N, C, H, W = x.shape
    ph, pw = pool_param['pool_height'], pool_param['pool_width']
    s = pool_param['stride']
    H_out = 1 + (H - ph) // s
    W_out = 1 + (W - pw) // s
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = np.max(x[n, c, i*s:i*s+ph, j*s:j*s+pw])
    cache = (x, pool_param)
    return out, cache


def max_pooling(x, pool_h, pool_w, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float64)
    lead = 4 - x.ndim
    x4 = x.reshape((1,) * lead + x.shape)
    x4 = np.pad(x4, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    out, _ = max_pool_forward_naive(x4, {'pool_height': pool_h, 'pool_width': pool_w, 'stride': stride})
    return out.reshape(out.shape[lead:])
'''

POOL_SLIDE = '''
x = np.array([[1, 2, 1, 0],
              [0, 1, 2, 3],
              [3, 0, 1, 2],
              [2, 4, 0, 1]])
'''

RESHAPE_PLAIN = '''
def pad_hw(x, pad, constant_values=0):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant', constant_values=constant_values)


def filters_to_matrix(W):
    FN = W.shape[0]
    return W.reshape(FN, -1).T


def matrix_to_nchw(out, N, OH, OW):
    return out.reshape(N, OH, OW, -1).transpose(0, 3, 1, 2)


def nchw_to_matrix(dout):
    FN = dout.shape[1]
    return dout.transpose(0, 2, 3, 1).reshape(-1, FN)
'''

PAD_LOOP = '''
def pad_hw(x, pad, constant_values=0):
    N, C, H, W = x.shape
    out = np.full((N, C, H + 2*pad, W + 2*pad), constant_values, dtype=np.result_type(x, constant_values))
    out[:, :, pad:pad + H, pad:pad + W] = x
    return out
'''

MOVEAXIS = '''
def filters_to_matrix(W):
    # (FN, C, FH, FW) -> (C, FH, FW, FN) -> (C*FH*FW, FN)
    return np.einsum('fchw->chwf', W).reshape(-1, W.shape[0])


def matrix_to_nchw(out, N, OH, OW):
    return np.moveaxis(out.reshape(N, OH, OW, -1), -1, 1)


def nchw_to_matrix(dout):
    return np.moveaxis(dout, 1, -1).reshape(-1, dout.shape[1])
'''

RESHAPE_NO_T = '''
def pad_hw(x, pad, constant_values=0):
    return np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], constant_values=constant_values)


def filters_to_matrix(W):
    FN, C, FH, FW = W.shape
    return W.reshape(C * FH * FW, FN)   # (C*FH*FW, FN) の形になる


def matrix_to_nchw(out, N, OH, OW):
    FN = out.shape[1]
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


def nchw_to_matrix(dout):
    N, FN, OH, OW = dout.shape
    return dout.transpose(0, 2, 3, 1).reshape(N * OH * OW, FN)
'''

MERGED = '''
import numpy as np

def pad_hw(x, pad, constant_values=0):
    return np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], mode='constant', constant_values=constant_values)

def filters_to_matrix(W):
    return np.transpose(W, (1, 2, 3, 0)).reshape(-1, W.shape[0])

def matrix_to_nchw(out, N, OH, OW):
    return np.transpose(out.reshape(N, OH, OW, out.shape[1]), (0, 3, 1, 2))

def nchw_to_matrix(dout):
    return np.transpose(dout, (0, 2, 3, 1)).reshape(-1, dout.shape[1])

# 確認
W = np.arange(8).reshape(2, 1, 2, 2)
print(filters_to_matrix(W))
print(pad_hw(np.ones((1, 1, 2, 2)), 1))
d = np.random.randn(2, 3, 4, 5)
print(np.allclose(matrix_to_nchw(nchw_to_matrix(d), 2, 4, 5), d))
'''


def _verify_zero_pad(ns: dict) -> None:
    x = -np.arange(1.0, 17.0).reshape(4, 4)  # all negative: a zero border would win
    right = oracle.max_pooling(x, 2, 2, stride=2, pad=1)
    got = ns["max_pooling"](x, 2, 2, stride=2, pad=1)
    assert got.shape == right.shape and (right < 0).all()
    assert (got[0] == 0).all() and not np.allclose(got, right)
    assert np.allclose(ns["max_pooling"](-x, 2, 2, stride=2, pad=1), oracle.max_pooling(-x, 2, 2, stride=2, pad=1))


def _verify_no_transpose(ns: dict) -> None:
    W = np.arange(8.0).reshape(2, 1, 2, 2)
    right = oracle.filters_to_matrix(W)
    assert np.array_equal(right, [[0, 4], [1, 5], [2, 6], [3, 7]])
    assert not np.array_equal(ns["filters_to_matrix"](W), right)


NOTEBOOKS = [
    Notebook(
        "kato/4_2_maxpooling.ipynb", "4_2",
        ("%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt", POOL_LOOPS,
         POOL_SLIDE + "print(max_pooling(x, 2, 2, stride=2))\nassert max_pooling(x, 2, 2, stride=2).shape == (2, 2)",
         "img = np.random.rand(8, 8)\nplt.subplot(1, 2, 1); plt.imshow(img); plt.title('入力')\n"
         "plt.subplot(1, 2, 2); plt.imshow(max_pooling(img, 2, 2, 2)); plt.title('最大プーリング後')\nplt.show()"),
        "beginner loops over c, i, j with np.max, -inf padding, %matplotlib inline + pyplot in the first cell",
        needs=("H3",), graded_cells=(1,)),
    Notebook(
        "ito/4_2_maxpooling (1).ipynb", "4_2",
        ("import numpy as np", POOL_F32, POOL_SLIDE + "max_pooling(x, 2, 2, stride=2)"),
        "sliding_window_view over the last two axes, float32 throughout, -inf padding, '(1)' file name",
        needs=("H1",), graded_cells=(1,)),
    Notebook(
        "yamada/4_2_maxpooling.ipynb", "4_2",
        ("import numpy as np", POOL_ZERO_PAD, POOL_SLIDE + "print(max_pooling(x, 2, 2, 2, pad=1))"),
        "WRONG: pads with 0 (np.pad default), so the border wins over negative inputs",
        failing=("max_pooling.padding_never_wins",), graded_cells=(1,), verify=_verify_zero_pad),
    Notebook(
        "tanaka/tanaka_4_2.ipynb", "4_2",
        ("!pip install japanize-matplotlib\nimport japanize_matplotlib", "import numpy as np\nimport matplotlib.pyplot as plt",
         md("### CS231n の max_pool_forward_naive を使い回す"), POOL_CS231N,
         POOL_SLIDE + "out = max_pooling(x, 2, 2, stride=2)\nplt.imshow(out)\nplt.title('プーリング結果')\nplt.show()"),
        "CS231n layout adapter: max_pool_forward_naive(x, pool_param) -> (out, cache) wrapped, reshape to "
        "4-d and back, !pip install + import japanize_matplotlib",
        needs=("H3",), graded_cells=(3,)),
    Notebook(
        "kato/4_3 (1).ipynb", "4_3",
        ("import numpy as np\nimport pandas as pd\nfrom IPython.display import display", RESHAPE_PLAIN,
         "W = np.arange(8).reshape(2, 1, 2, 2)\ndisplay(pd.DataFrame(filters_to_matrix(W), columns=['filter0', 'filter1']))",
         "x = np.arange(6).reshape(1, 1, 2, 3)\nprint(pad_hw(x, 1))\nprint(nchw_to_matrix(matrix_to_nchw(np.arange(24).reshape(12, 2), 2, 2, 3)).shape)"),
        "one-liners (np.pad, reshape/transpose), pandas DataFrame shown with display(), '(1)' file name",
        needs=("H3",), graded_cells=(1,)),
    Notebook(
        "suzuki/Copy of 4_3_padding_reshape_transpose.ipynb", "4_3",
        ("import numpy as np",
         out("W = np.random.randn(3, 2, 2, 2)\nprint(filters_to_matrix(W).shape)",
             ("error", "NameError", "name 'filters_to_matrix' is not defined"), count=5),
         PAD_LOOP,
         md("↓ 後から書いたセル (上のテストセルより後に実行する)"),
         out(MOVEAXIS, count=4),
         out("print(pad_hw(np.ones((1, 1, 2, 2), dtype=int), 1, constant_values=7))",
             ("stream", "[[[[7 7 7 7]\n   [7 1 1 7]\n   [7 1 1 7]\n   [7 7 7 7]]]]\n"), count=3)),
        "pad_hw with np.full + slice assignment, einsum/moveaxis reshapes, a test cell above the def it "
        "needs (NameError when run top to bottom), execution counts out of order, 'Copy of' file name",
        graded_cells=(2, 4)),
    Notebook(
        "yamada/4_3_padding_reshape_transpose.ipynb", "4_3",
        ("import numpy as np", RESHAPE_NO_T, "print(filters_to_matrix(np.arange(8).reshape(2, 1, 2, 2)))"),
        "WRONG: filters_to_matrix reshapes (FN, C, FH, FW) straight to (C*FH*FW, FN) without the transpose",
        failing=("filters_to_matrix.values", "filters_to_matrix.dtypes"), graded_cells=(1,),
        verify=_verify_no_transpose),
    Notebook(
        "sato/課題3_提出版.ipynb", "4_3",
        (md("# DAY4 課題 (パディング・reshape・transpose)"), MERGED),
        "every cell merged into one (imports, the four functions with np.transpose, checks); renamed file "
        "with no 4_x in its name, identified by the metadata.grader.exercise the released notebook carries",
        metadata=(("grader", {"exercise": "4_3"}),), graded_cells=(1,)),
]

"""4_4 (im2col, col2im) in trainees' styles: sliding_window_view + np.add.at in float32,
as_strided + np.bincount, chainer's 6-d ``im2col_cpu``/``col2im_cpu`` wrapped on Colab; wrong
ones: CS231n's fancy-index im2col that asserts the stride divides ``H + 2P - FH``, and a
col2im that overwrites (``=``) instead of adding where windows overlap."""
from __future__ import annotations

import numpy as np

import oracle
from nbspec import Notebook, md, out

SWV_ADDAT_F32 = '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    x = np.asarray(input_data, dtype=np.float32)
    N, C, H, W = x.shape
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=constant_values)
    win = sliding_window_view(x, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]  # N,C,OH,OW,FH,FW
    OH, OW = win.shape[2], win.shape[3]
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    OH = (H + 2 * pad - filter_h) // stride + 1
    OW = (W + 2 * pad - filter_w) // stride + 1
    col = np.asarray(col, dtype=np.float32).reshape(N, OH, OW, C, filter_h, filter_w)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=np.float32)
    rows = (np.arange(OH) * stride)[:, None] + np.arange(filter_h)   # (OH, FH)
    cols = (np.arange(OW) * stride)[:, None] + np.arange(filter_w)   # (OW, FW)
    n = np.arange(N)[:, None, None, None, None, None]
    c = np.arange(C)[None, None, None, :, None, None]
    h = rows[None, :, None, None, :, None]
    w = cols[None, None, :, None, None, :]
    np.add.at(img, (n, c, h, w), col)   # 重なったところは足し合わせる
    return img[:, :, pad:pad + H, pad:pad + W]
'''

STRIDED_BINCOUNT = '''
import numpy as np
from numpy.lib.stride_tricks import as_strided


def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2*pad - filter_h) // stride + 1
    out_w = (W + 2*pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], 'constant', constant_values=constant_values)
    img = np.ascontiguousarray(img)
    sN, sC, sH, sW = img.strides
    view = as_strided(img, shape=(N, out_h, out_w, C, filter_h, filter_w),
                      strides=(sN, sH * stride, sW * stride, sC, sH, sW), writeable=False)
    return view.reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    Hp, Wp = H + 2*pad, W + 2*pad
    out_h = (Hp - filter_h) // stride + 1
    out_w = (Wp - filter_w) // stride + 1
    # col の各要素が足し込まれる、パディング後の画像での位置 (一次元の番号)
    n = np.arange(N).reshape(-1, 1, 1, 1, 1, 1)
    oh = np.arange(out_h).reshape(1, -1, 1, 1, 1, 1)
    ow = np.arange(out_w).reshape(1, 1, -1, 1, 1, 1)
    c = np.arange(C).reshape(1, 1, 1, -1, 1, 1)
    fh = np.arange(filter_h).reshape(1, 1, 1, 1, -1, 1)
    fw = np.arange(filter_w).reshape(1, 1, 1, 1, 1, -1)
    index = ((n * C + c) * Hp + oh * stride + fh) * Wp + ow * stride + fw
    index = np.broadcast_to(index, (N, out_h, out_w, C, filter_h, filter_w)).ravel()
    img = np.bincount(index, weights=np.asarray(col, dtype=np.float64).ravel(), minlength=N * C * Hp * Wp)
    return img.reshape(N, C, Hp, Wp)[:, :, pad:pad + H, pad:pad + W]
'''

CHAINER = '''
def get_conv_outsize(size, k, s, p, cover_all=False):
    if cover_all:
        return (size + p * 2 - k + s - 1) // s + 1
    return (size + p * 2 - k) // s + 1


def im2col_cpu(img, kh, kw, sy, sx, ph, pw, pval=0, cover_all=False):
    n, c, h, w = img.shape
    out_h = get_conv_outsize(h, kh, sy, ph, cover_all)
    out_w = get_conv_outsize(w, kw, sx, pw, cover_all)
    img = np.pad(img, ((0, 0), (0, 0), (ph, ph + sy - 1), (pw, pw + sx - 1)),
                 mode='constant', constant_values=(pval,))
    col = np.ndarray((n, c, kh, kw, out_h, out_w), dtype=img.dtype)
    for j in range(kh):
        jdash = j + sy * out_h
        for i in range(kw):
            idash = i + sx * out_w
            col[:, :, j, i, :, :] = img[:, :, j:jdash:sy, i:idash:sx]
    return col


def col2im_cpu(col, sy, sx, ph, pw, h, w):
    n, c, kh, kw, out_h, out_w = col.shape
    img = np.zeros((n, c, h + 2 * ph + sy - 1, w + 2 * pw + sx - 1), dtype=col.dtype)
    for j in range(kh):
        jdash = j + sy * out_h
        for i in range(kw):
            idash = i + sx * out_w
            img[:, :, j:jdash:sy, i:idash:sx] += col[:, :, j, i]
    return img[:, :, ph:h + ph, pw:w + pw]


# 課題の形 (N*OH*OW, C*FH*FW) に合わせるラッパー
def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    col = im2col_cpu(input_data, filter_h, filter_w, stride, stride, pad, pad, pval=constant_values)
    N, C, FH, FW, OH, OW = col.shape
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    OH = get_conv_outsize(H, filter_h, stride, pad)
    OW = get_conv_outsize(W, filter_w, stride, pad)
    col = col.reshape(N, OH, OW, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    return col2im_cpu(col, stride, stride, pad, pad, H, W)
'''

CS231N_ASSERT = '''
def get_im2col_indices(x_shape, field_height, field_width, padding=1, stride=1):
    N, C, H, W = x_shape
    assert (H + 2 * padding - field_height) % stride == 0
    assert (W + 2 * padding - field_width) % stride == 0
    out_height = (H + 2 * padding - field_height) // stride + 1
    out_width = (W + 2 * padding - field_width) // stride + 1
    # 行: (c, fh, fw) の順、列: (oh, ow) の順 の添字
    rows_in_window = np.tile(np.repeat(np.arange(field_height), field_width), C)
    cols_in_window = np.tile(np.arange(field_width), field_height * C)
    row_starts = stride * np.repeat(np.arange(out_height), out_width)
    col_starts = stride * np.tile(np.arange(out_width), out_height)
    i = rows_in_window[:, None] + row_starts[None, :]
    j = cols_in_window[:, None] + col_starts[None, :]
    k = np.repeat(np.arange(C), field_height * field_width)[:, None]
    return k, i, j


def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    x_padded = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant',
                      constant_values=constant_values)
    k, i, j = get_im2col_indices(input_data.shape, filter_h, filter_w, pad, stride)
    cols = x_padded[:, k, i, j]                 # (N, C*FH*FW, OH*OW)
    return cols.transpose(0, 2, 1).reshape(-1, cols.shape[1])


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    x_padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    k, i, j = get_im2col_indices(input_shape, filter_h, filter_w, pad, stride)
    cols = col.reshape(N, -1, C * filter_h * filter_w).transpose(0, 2, 1)
    np.add.at(x_padded, (slice(None), k, i, j), cols)
    return x_padded[:, :, pad:pad + H, pad:pad + W]
'''

OVERWRITE = '''
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
            img[:, :, y:y_max:stride, x:x_max:stride] = col[:, :, y, x, :, :]   # im2col の逆
    return img[:, :, pad:H + pad, pad:W + pad]
'''

CHECK = '''
x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
col = im2col(x, 2, 2, stride=2)
print(col)
print(col2im(col, x.shape, 2, 2, stride=2))
'''


def _verify_cs231n_assert(ns: dict) -> None:
    """W = 6, pad 1, filter 3, stride 2: (6 + 2 - 3) = 5 is odd, which the contract's floor
    handles (OW = 3) and this code refuses."""
    x = np.arange(2 * 7 * 6, dtype=float).reshape(1, 2, 7, 6)
    right = oracle.im2col(x, 3, 3, stride=2, pad=1)
    assert right.shape == (4 * 3, 2 * 9)
    try:
        ns["im2col"](x, 3, 3, stride=2, pad=1)
    except AssertionError:
        pass
    else:
        raise AssertionError("expected the divisibility assert to fire")
    ok = np.arange(2 * 7 * 7, dtype=float).reshape(1, 2, 7, 7)  # (7 + 2 - 3) % 2 == 0: right
    assert np.allclose(ns["im2col"](ok, 3, 3, stride=2, pad=1), oracle.im2col(ok, 3, 3, stride=2, pad=1))


def _verify_overwrite(ns: dict) -> None:
    rng = np.random.default_rng(0)
    col = rng.standard_normal((9, 9))
    right = oracle.col2im(col, (1, 1, 5, 5), 3, 3, stride=1)
    got = ns["col2im"](col, (1, 1, 5, 5), 3, 3, stride=1)
    assert not np.allclose(got, right)
    flat = rng.standard_normal((4, 4))  # no overlap: right
    assert np.allclose(ns["col2im"](flat, (1, 1, 4, 4), 2, 2, stride=2), oracle.col2im(flat, (1, 1, 4, 4), 2, 2, stride=2))


NOTEBOOKS = [
    Notebook(
        "nakamura/４_４_im2col_col2im_trainee.ipynb", "4_4",
        (md("# 4_4 im2col / col2im (ベクトル化版)"), SWV_ADDAT_F32, CHECK,
         "x = np.random.randn(10, 3, 28, 28)\n%timeit -n 3 -r 3 im2col(x, 5, 5)"),
        "sliding_window_view im2col and np.add.at col2im, both in float32; %timeit; full-width file name",
        needs=("lead (NFKC file name)", "H1"), graded_cells=(1,)),
    Notebook(
        "ito/4_4_im2col_col2im_trainee.ipynb", "4_4",
        (STRIDED_BINCOUNT, CHECK,
         "# col2im は im2col の随伴: <im2col(x), y> == <x, col2im(y)>\nx = np.random.randn(2, 3, 7, 7)\n"
         "y = np.random.randn(*im2col(x, 3, 3, 2, 1).shape)\n"
         "print(np.sum(im2col(x, 3, 3, 2, 1) * y), np.sum(x * col2im(y, x.shape, 3, 3, 2, 1)))"),
        "as_strided im2col (windows as a strided view, then reshape copies) and np.bincount col2im, "
        "float64, an adjoint self-test cell",
        graded_cells=(0,)),
    Notebook(
        "watanabe/4_4_im2col_col2im_trainee.ipynb", "4_4",
        ("from google.colab import drive\ndrive.mount('/content/drive')\n"
         "from google.colab import files\nuploaded = files.upload()  # common.zip をアップロード\n!unzip -o common.zip\n"
         "import numpy as np",
         "!pip install -q japanize-matplotlib\nimport matplotlib.pyplot as plt\n"
         "import japanize_matplotlib\n%matplotlib inline",
         md("chainer の `im2col_cpu` / `col2im_cpu` (6 次元の col) を参考に書いて、課題の形に直しました"),
         CHAINER, CHECK,
         "x = np.random.rand(1, 1, 6, 6)\ncol = im2col(x, 3, 3)\nplt.imshow(col, aspect='auto')\n"
         "plt.title('im2col の結果 (行: 窓の位置, 列: フィルター内の位置)')\nplt.show()"),
        "Colab (drive.mount, files.upload, then !unzip of the upload and import numpy in the same cell); "
        "chainer-style 6-d im2col_cpu/col2im_cpu with (ph, ph + sy - 1) padding, wrapped to the "
        "contract's 2-d layout; !pip + japanize_matplotlib + %matplotlib",
        colab=True, needs=("H3 (a ! shell command other than pip raises 'OSError: out of pty devices' in the sandbox)",),
        graded_cells=(3,)),
    Notebook(
        "tanaka/tanaka_4_4.ipynb", "4_4",
        ("import numpy as np", md("CS231n の get_im2col_indices 方式 (添字配列で一度に取り出す)"),
         CS231N_ASSERT, CHECK),
        "WRONG: CS231n-style fancy-index im2col/col2im with np.add.at that asserts "
        "(H + 2P - FH) % stride == 0; the contract floors instead",
        failing=("im2col.stride_pad", "im2col.constant_values", "im2col.unmodified", "col2im.stride_pad"),
        fail_prefixes=("im2col.", "col2im."), graded_cells=(2,), verify=_verify_cs231n_assert),
    Notebook(
        "yamada/4_4_im2col_col2im_trainee.ipynb", "4_4",
        ("import numpy as np", OVERWRITE, CHECK),
        "WRONG: book-style loops, but col2im assigns (=) where it must add (+=): overlapping windows lose values",
        failing=("col2im.overlap", "col2im.stride_pad", "col2im.float32"), graded_cells=(1,),
        verify=_verify_overwrite),
]

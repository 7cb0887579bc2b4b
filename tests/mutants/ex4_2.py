"""Mutants of exercise 4_2 (max_pooling): a trainee's loop solution, changed."""

POOL = '''
def max_pooling(x, pool_h, pool_w, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float64)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[None]
    C, H, W = x.shape
    OH = (H + 2 * pad - pool_h) // stride + 1
    OW = (W + 2 * pad - pool_w) // stride + 1
    xp = np.full((C, H + 2 * pad, W + 2 * pad), -np.inf)
    xp[:, pad:pad + H, pad:pad + W] = x
    out = np.empty((C, OH, OW))
    for c in range(C):
        for i in range(OH):
            for j in range(OW):
                out[c, i, j] = xp[c, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w].max()
    return out[0] if squeeze else out
'''

BASE = {"max_pooling": POOL}


def _pool(old: str, new: str) -> str:
    assert old in POOL, old
    return POOL.replace(old, new)


MUTANTS = {
    "pool_pads_with_zeros": ("pool_zero_padding", {"max_pooling": _pool(
        "np.full((C, H + 2 * pad, W + 2 * pad), -np.inf)", "np.zeros((C, H + 2 * pad, W + 2 * pad))")}),
    "pool_copied_conv_window": ("pool_max_over_channels", {"max_pooling": '''
def max_pooling(x, pool_h, pool_w, stride=1, pad=0):
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[np.newaxis]
    C, H, W = x.shape
    OH = (H + 2 * pad - pool_h) // stride + 1
    OW = (W + 2 * pad - pool_w) // stride + 1
    x_pad = np.pad(x, ((0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    out = np.zeros((OH, OW))
    for i in range(OH):
        for j in range(OW):
            window = x_pad[:, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w]
            out[i, j] = np.max(window)
    return out
'''}),
    "pool_rows_use_pool_w": ("pool_h_w_swapped", {"max_pooling": _pool(
        "OH = (H + 2 * pad - pool_h) // stride + 1\n    OW = (W + 2 * pad - pool_w) // stride + 1",
        "OH = (H + 2 * pad - pool_w) // stride + 1\n    OW = (W + 2 * pad - pool_h) // stride + 1").replace(
        "i * stride + pool_h, j * stride:j * stride + pool_w]", "i * stride + pool_w, j * stride:j * stride + pool_h]")}),
    # generic: right values, but the input is shifted in place to make a zero padding harmless
    "pool_shifts_input_in_place": ("generic.input_overwritten", {"max_pooling": '''
def max_pooling(x, pool_h, pool_w, stride=1, pad=0):
    if x.dtype.kind == "f":
        low = x.min() - 1.0
        x -= low
    else:
        low = 0.0
    x = np.asarray(x, dtype=np.float64)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[None]
    C, H, W = x.shape
    OH = (H + 2 * pad - pool_h) // stride + 1
    OW = (W + 2 * pad - pool_w) // stride + 1
    xp = np.zeros((C, H + 2 * pad, W + 2 * pad))
    xp[:, pad:pad + H, pad:pad + W] = x
    out = np.empty((C, OH, OW))
    for c in range(C):
        for i in range(OH):
            for j in range(OW):
                out[c, i, j] = xp[c, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w].max() + low
    return out[0] if squeeze else out
'''}),
    "pool_mean_instead_of_max": (None, {"max_pooling": _pool("].max()", "].mean()")}),
    # defects that only some shapes or call styles show (the plans' fixed boundary cases)
    "pool_square_window_assumed": (None, {"max_pooling": _pool(
        "OW = (W + 2 * pad - pool_w) // stride + 1", "OW = (W + 2 * pad - pool_h) // stride + 1").replace(
        "j * stride:j * stride + pool_w]", "j * stride:j * stride + pool_h]")}),
    "pool_raises_when_stride_does_not_divide": (None, {"max_pooling": _pool(
        "    OH = (H + 2 * pad - pool_h) // stride + 1\n",
        "    assert (H + 2 * pad - pool_h) % stride == 0 and (W + 2 * pad - pool_w) % stride == 0\n"
        "    OH = (H + 2 * pad - pool_h) // stride + 1\n")}),
    "pool_positional_pad_before_stride": (None, {"max_pooling": _pool(
        "def max_pooling(x, pool_h, pool_w, stride=1, pad=0):", "def max_pooling(x, pool_h, pool_w, pad=0, stride=1):")}),
}

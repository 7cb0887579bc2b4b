"""Mutants of exercise 4_1 (conv_output_size, convolution): a trainee's loop solution, changed."""

SIZE = '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size + 2 * pad - filter_size) // stride + 1
'''

CONV = '''
def convolution(x, w, b=0.0, stride=1, pad=0):
    x = np.array(x, dtype=float)
    w = np.array(w, dtype=float)
    if x.ndim == 2:
        x = x.reshape(1, x.shape[0], x.shape[1])
        w = w.reshape(1, w.shape[0], w.shape[1])
    C, H, W = x.shape
    FH, FW = w.shape[1], w.shape[2]
    OH = (H + 2 * pad - FH) // stride + 1
    OW = (W + 2 * pad - FW) // stride + 1
    xp = np.zeros((C, H + 2 * pad, W + 2 * pad))
    xp[:, pad:pad + H, pad:pad + W] = x
    out = np.empty((OH, OW))
    for i in range(OH):
        for j in range(OW):
            total = b
            for c in range(C):
                total += np.sum(xp[c, i * stride:i * stride + FH, j * stride:j * stride + FW] * w[c])
            out[i, j] = total
    return out
'''

BASE = {"conv_output_size": SIZE, "convolution": CONV}


def _conv(old: str, new: str, source: str = CONV) -> str:
    assert old in source, old
    return source.replace(old, new)


MUTANTS = {
    "size_slash_division": ("size_true_division", {"conv_output_size": '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    out = (input_size - filter_size + 2 * pad) / stride
    return out + 1
'''}),
    "size_float_of_floor_division": ("size_float_floor", {"conv_output_size": '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return float((input_size + 2 * pad - filter_size) // stride + 1)
'''}),
    "size_rounds_up": ("size_ceil", {"conv_output_size": '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    span = input_size + 2 * pad - filter_size
    return -(-span // stride) + 1
'''}),
    "size_single_pad": ("size_pad_once", {"conv_output_size": '''
def conv_output_size(input_size, filter_size, pad=0, stride=1):
    return (input_size - filter_size + pad) // stride + 1
'''}),
    "conv_textbook_flip": ("conv_flipped_filter", {"convolution": _conv(
        "* w[c])", "* w[c][::-1, ::-1])")}),
    "conv_flips_before_adding_channels": ("conv_flipped_filter", {"convolution": _conv(
        "    x = np.array(x, dtype=float)\n    w = np.array(w, dtype=float)\n",
        "    x = np.array(x, dtype=float)\n    w = np.array(w, dtype=float)[::-1, ::-1]  # rotate by 180 degrees\n")}),
    "conv_without_bias": ("conv_bias_forgotten", {"convolution": _conv("total = b", "total = 0.0")}),
    "conv_bias_in_channel_loop": ("conv_bias_per_channel", {"convolution": _conv(
        "total = b", "total = 0.0").replace("* w[c])", "* w[c]) + b")}),
    "conv_no_padding": ("conv_pad_ignored", {"convolution": _conv(
        "OH = (H + 2 * pad - FH) // stride + 1\n    OW = (W + 2 * pad - FW) // stride + 1",
        "OH = (H - FH) // stride + 1\n    OW = (W - FW) // stride + 1").replace(
        "xp = np.zeros((C, H + 2 * pad, W + 2 * pad))\n    xp[:, pad:pad + H, pad:pad + W] = x", "xp = x")}),
    # generic findings
    "conv_edge_padding": ("generic.border", {"convolution": _conv(
        "xp = np.zeros((C, H + 2 * pad, W + 2 * pad))\n    xp[:, pad:pad + H, pad:pad + W] = x",
        "xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)), mode='edge')")}),
    "conv_window_start_ignores_stride": ("generic.only_stride1", {"convolution": _conv(
        "xp[c, i * stride:i * stride + FH, j * stride:j * stride + FW]", "xp[c, i:i + FH, j:j + FW]")}),
    "conv_output_transposed": ("generic.transposed", {"convolution": _conv(
        "out = np.empty((OH, OW))", "out = np.empty((OW, OH))").replace("out[i, j] = total", "out[j, i] = total")}),
    "conv_reshapes_input_in_place": ("generic.input_reshaped", {"convolution": _conv(
        "x = np.array(x, dtype=float)\n    w = np.array(w, dtype=float)\n    if x.ndim == 2:\n"
        "        x = x.reshape(1, x.shape[0], x.shape[1])\n        w = w.reshape(1, w.shape[0], w.shape[1])",
        "if x.ndim == 2:\n        x.shape = (1,) + x.shape\n        w = w.reshape((1,) + w.shape)")}),
    # unrelated wrong answers: no catalogue diagnosis
    "conv_off_by_a_little": (None, {"convolution": _conv("out[i, j] = total", "out[i, j] = total + 1e-3 * (i + 1)")}),
    "conv_wrong_window_size": (None, {"convolution": _conv(
        "j * stride:j * stride + FW] * w[c])", "j * stride:j * stride + FW] * w[c][0, 0])")}),
    # defects that only some shapes or call styles show (the plans' fixed boundary cases)
    "conv_raises_when_stride_does_not_divide": (None, {"convolution": _conv(
        "    OH = (H + 2 * pad - FH) // stride + 1\n",
        "    if (H + 2 * pad - FH) % stride or (W + 2 * pad - FW) % stride:\n"
        "        raise ValueError('stride does not fit the input')\n"
        "    OH = (H + 2 * pad - FH) // stride + 1\n")}),
    "conv_square_filter_assumed": (None, {"convolution": _conv("FH, FW = w.shape[1], w.shape[2]", "FH = FW = w.shape[1]")}),
    "conv_positional_pad_before_stride": (None, {"convolution": _conv(
        "def convolution(x, w, b=0.0, stride=1, pad=0):", "def convolution(x, w, b=0.0, pad=0, stride=1):")}),
    "size_positional_stride_before_pad": (None, {"conv_output_size": '''
def conv_output_size(input_size, filter_size, stride=1, pad=0):
    return (input_size + 2 * pad - filter_size) // stride + 1
'''}),
}

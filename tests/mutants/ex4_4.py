"""Mutants of exercise 4_4 (im2col, col2im): a trainee's solution with one loop per window, changed.
Exercises 4_5 reuses these two functions as the trainee's own helpers."""

IM2COL = '''
def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    N, C, H, W = input_data.shape
    OH = (H + 2 * pad - filter_h) // stride + 1
    OW = (W + 2 * pad - filter_w) // stride + 1
    img = np.full((N, C, H + 2 * pad, W + 2 * pad), constant_values, dtype=np.float64)
    img[:, :, pad:pad + H, pad:pad + W] = input_data
    col = np.empty((N * OH * OW, C * filter_h * filter_w))
    row = 0
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                col[row] = img[n, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w].ravel()
                row += 1
    return col
'''
COL2IM = '''
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    OH = (H + 2 * pad - filter_h) // stride + 1
    OW = (W + 2 * pad - filter_w) // stride + 1
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    row = 0
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                img[n, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w] += col[row].reshape(C, filter_h, filter_w)
                row += 1
    return img[:, :, pad:pad + H, pad:pad + W]
'''

BASE = {"im2col": IM2COL, "col2im": COL2IM}


def _im2col(old: str, new: str) -> str:
    assert old in IM2COL, old
    return IM2COL.replace(old, new)


def _col2im(old: str, new: str) -> str:
    assert old in COL2IM, old
    return COL2IM.replace(old, new)


_WINDOW = "img[n, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w]"

MUTANTS = {
    "im2col_channels_last_in_row": ("im2col_columns_fh_fw_c", {"im2col": _im2col(
        f"{_WINDOW}.ravel()", f"{_WINDOW}.transpose(1, 2, 0).ravel()")}),
    "im2col_window_transposed": ("im2col_columns_c_fw_fh", {"im2col": _im2col(
        f"{_WINDOW}.ravel()", f"{_WINDOW}.transpose(0, 2, 1).ravel()")}),
    "im2col_image_loop_innermost": ("im2col_rows_oh_ow_n", {"im2col": _im2col(
        "    for n in range(N):\n        for i in range(OH):\n            for j in range(OW):",
        "    for i in range(OH):\n        for j in range(OW):\n            for n in range(N):")}),
    "im2col_zero_padding_always": ("im2col_ignores_constant", {"im2col": _im2col(
        "np.full((N, C, H + 2 * pad, W + 2 * pad), constant_values, dtype=np.float64)",
        "np.zeros((N, C, H + 2 * pad, W + 2 * pad))")}),
    "im2col_flattens_input_in_place": ("im2col_modifies_input", {"im2col": '''
def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    N, C, H, W = input_data.shape
    OH = (H + 2 * pad - filter_h) // stride + 1
    OW = (W + 2 * pad - filter_w) // stride + 1
    flat = input_data
    flat.shape = (N * C, H, W)  # one loop over images and channels together
    padded = np.pad(flat, ((0, 0), (pad, pad), (pad, pad)), constant_values=constant_values)
    windows = np.empty((N * C, OH, OW, filter_h, filter_w))
    for i in range(OH):
        for j in range(OW):
            windows[:, i, j] = padded[:, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w]
    windows = windows.reshape(N, C, OH, OW, filter_h, filter_w).transpose(0, 2, 3, 1, 4, 5)
    return windows.reshape(N * OH * OW, -1)
'''}),
    "col2im_assigns_windows": ("col2im_overwrites", {"col2im": _col2im(
        "filter_w] += col[row]", "filter_w] = col[row]")}),
    "col2im_returns_padded": ("col2im_keeps_padding", {"col2im": _col2im(
        "return img[:, :, pad:pad + H, pad:pad + W]", "return img")}),
    "col2im_cuts_top_left": ("col2im_crops_corner", {"col2im": _col2im(
        "return img[:, :, pad:pad + H, pad:pad + W]", "return img[:, :, :H, :W]")}),
    # generic findings
    "col2im_averages_overlaps": ("generic.overlap", {"col2im": _col2im(
        "    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))\n",
        "    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))\n    count = np.zeros((H + 2 * pad, W + 2 * pad))\n").replace(
        "                row += 1\n",
        "                count[i * stride:i * stride + filter_h, j * stride:j * stride + filter_w] += n == 0\n"
        "                row += 1\n").replace(
        "    return img[:, :, pad:pad + H, pad:pad + W]", "    img = img / np.maximum(count, 1)\n"
        "    return img[:, :, pad:pad + H, pad:pad + W]")}),
    "im2col_pads_bottom_right_only": ("generic.only_pad0", {"im2col": _im2col(
        "img[:, :, pad:pad + H, pad:pad + W] = input_data", "img[:, :, :H, :W] = input_data")}),
    # unrelated wrong answers
    "im2col_returns_zeros": ("generic.all_zero", {"im2col": _im2col("col = np.empty(", "col = np.zeros(").replace(
        "                col[row] = ", "                _ = ")}),
    "col2im_forgets_last_image": (None, {"col2im": _col2im("for n in range(N):", "for n in range(N - 1):")}),
    # defects that only some shapes or call styles show (the plans' fixed boundary cases)
    "im2col_raises_when_stride_does_not_divide": (None, {"im2col": _im2col(
        "    OH = (H + 2 * pad - filter_h) // stride + 1\n",
        "    if (H + 2 * pad - filter_h) % stride != 0:\n"
        "        raise ValueError('the stride does not divide H + 2*pad - filter_h')\n"
        "    OH = (H + 2 * pad - filter_h) // stride + 1\n")}),
    "col2im_raises_when_stride_does_not_divide": (None, {"col2im": _col2im(
        "    OW = (W + 2 * pad - filter_w) // stride + 1\n",
        "    OW = (W + 2 * pad - filter_w) // stride + 1\n"
        "    assert (H + 2 * pad - filter_h) % stride == 0 and (W + 2 * pad - filter_w) % stride == 0\n")}),
    "im2col_first_image_only": (None, {"im2col": _im2col(
        "col[row] = img[n, :, i * stride", "col[row] = img[0, :, i * stride")}),
    "im2col_first_channel_only": (None, {"im2col": _im2col(
        "col = np.empty((N * OH * OW, C * filter_h * filter_w))", "col = np.empty((N * OH * OW, filter_h * filter_w))").replace(
        "col[row] = img[n, :, i * stride", "col[row] = img[n, 0, i * stride")}),
    "im2col_positional_pad_before_stride": (None, {"im2col": _im2col(
        "def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):",
        "def im2col(input_data, filter_h, filter_w, pad=0, stride=1, constant_values=0):")}),
    "col2im_square_filter_assumed": (None, {"col2im": _col2im(
        "    OW = (W + 2 * pad - filter_w) // stride + 1\n",
        "    filter_w = filter_h\n    OW = (W + 2 * pad - filter_w) // stride + 1\n")}),
}

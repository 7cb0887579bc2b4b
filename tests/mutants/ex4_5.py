"""Mutants of exercise 4_5 (Convolution): a trainee's loop solution, or the slides' im2col version
on the trainee's own im2col / col2im (from the 4_4 mutants' base), changed."""
from mutants.ex4_4 import COL2IM, IM2COL, MUTANTS as MUTANTS_4_4

LOOPS = '''
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, _, H, W = x.shape
        s, p = self.stride, self.pad
        OH = (H + 2 * p - FH) // s + 1
        OW = (W + 2 * p - FW) // s + 1
        xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p, p), (p, p)))
        out = np.zeros((N, FN, OH, OW))
        for i in range(OH):
            for j in range(OW):
                win = xp[:, :, i * s:i * s + FH, j * s:j * s + FW]
                out[:, :, i, j] = np.tensordot(win, self.W, axes=([1, 2, 3], [1, 2, 3])) + self.b
        self.xp = xp
        self.x_shape = x.shape
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        N, _, OH, OW = dout.shape
        s, p = self.stride, self.pad
        dxp = np.zeros_like(self.xp)
        dW = np.zeros(self.W.shape)
        for i in range(OH):
            for j in range(OW):
                win = self.xp[:, :, i * s:i * s + FH, j * s:j * s + FW]
                g = dout[:, :, i, j]
                dW += np.tensordot(g, win, axes=([0], [0]))
                dxp[:, :, i * s:i * s + FH, j * s:j * s + FW] += np.tensordot(g, self.W, axes=([1], [0]))
        self.dW = dW
        self.db = dout.sum(axis=(0, 2, 3))
        H, W = self.x_shape[2:]
        return dxp[:, :, p:p + H, p:p + W]
'''

SLIDES = '''
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = 1 + (H + 2 * self.pad - FH) // self.stride
        out_w = 1 + (W + 2 * self.pad - FW) // self.stride
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

BASE = {"im2col": IM2COL, "col2im": COL2IM, "Convolution": LOOPS}


def _edit(source: str, *pairs) -> str:
    for old, new in pairs:
        assert old in source, old
        source = source.replace(old, new)
    return source


MUTANTS = {
    "conv_layer_reshape_to_nchw": ("conv_out_not_transposed", {"Convolution": _edit(
        SLIDES, ("out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)", "out = out.reshape(N, -1, out_h, out_w)"))}),
    "conv_layer_db_over_batch": ("db_not_summed", {"Convolution": _edit(
        LOOPS, ("self.db = dout.sum(axis=(0, 2, 3))", "self.db = np.sum(dout, axis=0)"))}),
    "conv_layer_db_per_image": ("db_not_summed", {"Convolution": _edit(
        LOOPS, ("self.db = dout.sum(axis=(0, 2, 3))", "self.db = dout.sum(axis=3).sum(axis=2)"))}),
    "conv_layer_db_is_dout_matrix": ("db_not_summed", {"Convolution": _edit(
        SLIDES, ("self.db = np.sum(dout, axis=0)", "self.db = dout.copy()"))}),
    "conv_layer_reuses_overwriting_col2im": ("conv_dx_overwrites", {
        "col2im": MUTANTS_4_4["col2im_assigns_windows"][1]["col2im"], "Convolution": SLIDES}),
    "conv_layer_dW_left_as_matrix": ("dW_not_reshaped", {"Convolution": _edit(
        SLIDES, ("        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)\n", ""))}),
    "conv_layer_dW_reshape_skips_transpose": ("dW_transposed", {"Convolution": _edit(
        SLIDES, ("self.dW.transpose(1, 0).reshape(FN, C, FH, FW)", "np.reshape(self.dW, (FN, C, FH, FW))"))}),
    "conv_layer_pads_before_im2col": ("dx_col2im_padded_shape", {"Convolution": _edit(
        SLIDES,
        ("        col = im2col(x, FH, FW, self.stride, self.pad)\n",
         "        p = self.pad\n        x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))\n"
         "        col = im2col(x, FH, FW, self.stride)\n"),
        ("dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)", "dx = col2im(dcol, self.x.shape, FH, FW, self.stride)"))}),
    # generic findings
    "conv_layer_dx_subtracts": ("generic.sign_flipped", {"Convolution": _edit(
        LOOPS, ("FW] += np.tensordot(g, self.W", "FW] -= np.tensordot(g, self.W"))}),
    "conv_layer_dW_batch_mean": ("generic.factor_inv_n", {"Convolution": _edit(
        LOOPS, ("self.dW = dW\n", "self.dW = dW / N\n"))}),
    "conv_layer_window_ignores_stride": ("generic.only_stride1", {"Convolution": _edit(
        LOOPS, ("win = xp[:, :, i * s:i * s + FH, j * s:j * s + FW]", "win = xp[:, :, i:i + FH, j:j + FW]"),
        ("win = self.xp[:, :, i * s:i * s + FH, j * s:j * s + FW]", "win = self.xp[:, :, i:i + FH, j:j + FW]"),
        ("dxp[:, :, i * s:i * s + FH, j * s:j * s + FW]", "dxp[:, :, i:i + FH, j:j + FW]"))}),
    # unrelated wrong answers
    "conv_layer_bias_twice": (None, {"Convolution": _edit(LOOPS, ("[1, 2, 3])) + self.b", "[1, 2, 3])) + 2 * self.b"))}),
    # defects that only some shapes or call styles show (the plans' fixed boundary cases)
    "conv_layer_raises_when_stride_does_not_divide": (None, {"Convolution": _edit(
        SLIDES, ("        out_h = 1 + (H + 2 * self.pad - FH) // self.stride\n",
                 "        if (H + 2 * self.pad - FH) % self.stride or (W + 2 * self.pad - FW) % self.stride:\n"
                 "            raise ValueError('stride does not divide')\n"
                 "        out_h = 1 + (H + 2 * self.pad - FH) // self.stride\n"))}),
    "conv_layer_im2col_raises_when_stride_does_not_divide": (None, {
        "im2col": MUTANTS_4_4["im2col_raises_when_stride_does_not_divide"][1]["im2col"], "Convolution": SLIDES}),
    "conv_layer_positional_pad_before_stride": (None, {"Convolution": _edit(
        LOOPS, ("def __init__(self, W, b, stride=1, pad=0):", "def __init__(self, W, b, pad=0, stride=1):"))}),
    "conv_layer_square_output_assumed": (None, {"Convolution": _edit(
        SLIDES, ("out_w = 1 + (W + 2 * self.pad - FW) // self.stride", "out_w = out_h"))}),
}

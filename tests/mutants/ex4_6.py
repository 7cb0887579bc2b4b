"""Mutants of exercise 4_6 (MaxPooling): a trainee's loop solution, changed."""

LOOPS = '''
class MaxPooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        N, C, H, W = x.shape
        s, p, ph, pw = self.stride, self.pad, self.pool_h, self.pool_w
        OH = (H + 2 * p - ph) // s + 1
        OW = (W + 2 * p - pw) // s + 1
        xp = np.full((N, C, H + 2 * p, W + 2 * p), -np.inf)
        xp[:, :, p:p + H, p:p + W] = x
        out = np.empty((N, C, OH, OW))
        self.idx = np.empty((N, C, OH, OW), dtype=int)
        for i in range(OH):
            for j in range(OW):
                win = xp[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
                self.idx[:, :, i, j] = win.argmax(axis=2)
                out[:, :, i, j] = win.max(axis=2)
        self.xp = xp
        self.x_shape = x.shape
        return out

    def backward(self, dout):
        N, C, H, W = self.x_shape
        s, p, ph, pw = self.stride, self.pad, self.pool_h, self.pool_w
        dxp = np.zeros((N, C, H + 2 * p, W + 2 * p))
        OH, OW = dout.shape[2:]
        for i in range(OH):
            for j in range(OW):
                k = self.idx[:, :, i, j]
                r, q = i * s + k // pw, j * s + k % pw
                for n in range(N):
                    for c in range(C):
                        dxp[n, c, r[n, c], q[n, c]] += dout[n, c, i, j]
        return dxp[:, :, p:p + H, p:p + W]
'''

BASE = {"MaxPooling": LOOPS}


def _edit(*pairs) -> str:
    source = LOOPS
    for old, new in pairs:
        assert old in source, old
        source = source.replace(old, new)
    return source


_ROUTE = "                        dxp[n, c, r[n, c], q[n, c]] += dout[n, c, i, j]\n"
_WINDOW = "dxp[n, c, i * s:i * s + ph, j * s:j * s + pw]"

MUTANTS = {
    "pool_layer_pads_with_zeros": ("pool_layer_zero_padding", {"MaxPooling": _edit(
        ("np.full((N, C, H + 2 * p, W + 2 * p), -np.inf)", "np.zeros((N, C, H + 2 * p, W + 2 * p))"))}),
    "pool_layer_gradient_to_window": ("pool_backward_whole_window", {"MaxPooling": _edit(
        (_ROUTE, f"                        {_WINDOW} += dout[n, c, i, j]\n"))}),
    "pool_layer_mask_of_maxima": ("pool_backward_all_ties", {"MaxPooling": _edit(
        (_ROUTE, f"                        window = self.xp[n, c, i * s:i * s + ph, j * s:j * s + pw]\n"
                 f"                        {_WINDOW} += (window == window.max()) * dout[n, c, i, j]\n"))}),
    "pool_layer_assigns_gradient": ("pool_backward_overwrites", {"MaxPooling": _edit(
        ("dxp[n, c, r[n, c], q[n, c]] += dout", "dxp[n, c, r[n, c], q[n, c]] = dout"))}),
    "pool_layer_assigns_masked_window": ("pool_backward_overwrites", {"MaxPooling": _edit(
        (_ROUTE, "                        mask = np.zeros(ph * pw)\n"
                 "                        mask[k[n, c]] = dout[n, c, i, j]\n"
                 f"                        {_WINDOW} = mask.reshape(ph, pw)\n"))}),
    # unrelated wrong answers
    "pool_layer_last_maximum_on_ties": (None, {"MaxPooling": _edit(
        ("self.idx[:, :, i, j] = win.argmax(axis=2)",
         "self.idx[:, :, i, j] = win.shape[2] - 1 - win[:, :, ::-1].argmax(axis=2)"))}),
    "pool_layer_backward_halved": ("generic.factor", {"MaxPooling": _edit(
        ("+= dout[n, c, i, j]", "+= 0.5 * dout[n, c, i, j]"))}),
    # defects that only some shapes or call styles show (the plans' fixed boundary cases)
    "pool_layer_square_window_assumed": (None, {"MaxPooling": _edit(
        ("        self.pool_w = pool_w\n", "        self.pool_w = pool_h\n"))}),
    "pool_layer_raises_when_stride_does_not_divide": (None, {"MaxPooling": _edit(
        ("        OH = (H + 2 * p - ph) // s + 1\n",
         "        if (H + 2 * p - ph) % s or (W + 2 * p - pw) % s:\n"
         "            raise ValueError('stride does not divide')\n"
         "        OH = (H + 2 * p - ph) // s + 1\n"))}),
    "pool_layer_positional_pad_before_stride": (None, {"MaxPooling": _edit(
        ("def __init__(self, pool_h, pool_w, stride=1, pad=0):", "def __init__(self, pool_h, pool_w, pad=0, stride=1):"))}),
}

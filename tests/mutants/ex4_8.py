"""Mutants of exercise 4_8 (Augmentor-style operations on NCHW batches): a trainee's solution
(its own bilinear sampler, one image at a time), changed. ``BASE`` is also the solution of the
source notebook ``exercises/source/4_8_Augmentor.ipynb``."""

SAMPLER = '''
def _float_dtype(x):
    return x.dtype if x.dtype in (np.float32, np.float64) else np.float64


def bilinear_sample(img, rows, cols, fill=0.0):
    """img (C, H, W) を入力座標 rows, cols (H', W') で双線形補間する (PIL の規則:
    画像は [-0.5, H-0.5) x [-0.5, W-0.5) を覆い、外側は fill)。"""
    C, H, W = img.shape
    inside = (rows >= -0.5) & (rows < H - 0.5) & (cols >= -0.5) & (cols < W - 0.5)
    r0, c0 = np.floor(rows), np.floor(cols)
    fr, fc = rows - r0, cols - c0
    r0, c0 = r0.astype(int), c0.astype(int)
    r1, c1 = np.clip(r0 + 1, 0, H - 1), np.clip(c0 + 1, 0, W - 1)
    r0, c0 = np.clip(r0, 0, H - 1), np.clip(c0, 0, W - 1)
    img = img.astype(np.float64)
    out = (img[:, r0, c0] * (1 - fr) * (1 - fc) + img[:, r0, c1] * (1 - fr) * fc
           + img[:, r1, c0] * fr * (1 - fc) + img[:, r1, c1] * fr * fc)
    return np.where(inside, out, fill)
'''
FLIPS = '''
def flip_left_right(x):
    return x[:, :, :, ::-1].copy()


def flip_top_bottom(x):
    return x[:, :, ::-1, :].copy()
'''
ROTATE = '''
def rotate(x, angle, fill=0.0):
    N, C, H, W = x.shape
    angles = np.broadcast_to(np.asarray(angle, dtype=np.float64), (N,))
    cr, cc = (H - 1) / 2, (W - 1) / 2
    dr, dc = np.meshgrid(np.arange(H) - cr, np.arange(W) - cc, indexing="ij")
    out = np.empty(x.shape, dtype=_float_dtype(x))
    for n in range(N):
        t = np.deg2rad(angles[n])
        rows = cr + np.cos(t) * dr + np.sin(t) * dc
        cols = cc - np.sin(t) * dr + np.cos(t) * dc
        out[n] = bilinear_sample(x[n], rows, cols, fill)
    return out
'''
ZOOM = '''
def zoom(x, factor, fill=0.0):
    N, C, H, W = x.shape
    factors = np.broadcast_to(np.asarray(factor, dtype=np.float64), (N,))
    cr, cc = (H - 1) / 2, (W - 1) / 2
    dr, dc = np.meshgrid(np.arange(H) - cr, np.arange(W) - cc, indexing="ij")
    out = np.empty(x.shape, dtype=_float_dtype(x))
    for n in range(N):
        out[n] = bilinear_sample(x[n], cr + dr / factors[n], cc + dc / factors[n], fill)
    return out
'''
SHIFT = '''
def shift(x, dx, dy, fill=0.0):
    N, C, H, W = x.shape
    dxs = np.broadcast_to(np.asarray(dx), (N,))
    dys = np.broadcast_to(np.asarray(dy), (N,))
    out = np.full(x.shape, fill, dtype=_float_dtype(x))
    for n in range(N):
        sx, sy = int(dxs[n]), int(dys[n])
        if abs(sx) >= W or abs(sy) >= H:
            continue
        out[n, :, max(sy, 0):H + min(sy, 0), max(sx, 0):W + min(sx, 0)] = \\
            x[n, :, max(-sy, 0):H + min(-sy, 0), max(-sx, 0):W + min(-sx, 0)]
    return out
'''
CROP = '''
def crop(x, top, left, height, width):
    N, C, H, W = x.shape
    tops = np.broadcast_to(np.asarray(top), (N,))
    lefts = np.broadcast_to(np.asarray(left), (N,))
    if np.any(tops < 0) or np.any(lefts < 0) or np.any(tops + height > H) or np.any(lefts + width > W):
        raise ValueError("crop window outside the image")
    return np.stack([x[n, :, tops[n]:tops[n] + height, lefts[n]:lefts[n] + width] for n in range(N)])
'''
NOISE = '''
def gaussian_noise(x, std, rng, mean=0.0):
    noise = rng.normal(mean, std, size=x.shape)
    return np.clip(x + noise, 0, 1).astype(_float_dtype(x))
'''
RANDOM_ROTATE = '''
def random_rotate(x, max_left_rotation, max_right_rotation, rng, fill=0.0):
    N = x.shape[0]
    left = rng.random(N) < 0.5
    magnitude = rng.random(N)
    angle = np.where(left, -max_left_rotation * magnitude, max_right_rotation * magnitude)
    return rotate(x, angle, fill)
'''
RANDOM_ERASING = '''
def random_erasing(x, rng, probability=0.5, area=(0.02, 0.2), aspect=(0.3, 3.3), value=0.0):
    N, C, H, W = x.shape
    out = x.astype(_float_dtype(x))
    for n in range(N):
        if rng.random() >= probability:
            continue
        s = rng.uniform(area[0], area[1]) * H * W
        r = np.exp(rng.uniform(np.log(aspect[0]), np.log(aspect[1])))
        h = int(np.clip(round(np.sqrt(s * r)), 1, H))
        w = int(np.clip(round(np.sqrt(s / r)), 1, W))
        top = rng.integers(0, H - h + 1)
        left = rng.integers(0, W - w + 1)
        out[n, :, top:top + h, left:left + w] = value
    return out
'''

NEAREST_SAMPLER = SAMPLER.replace(
    "    r0, c0 = np.floor(rows), np.floor(cols)", "    rows, cols = np.floor(rows + 0.5), np.floor(cols + 0.5)\n"
    "    r0, c0 = np.floor(rows), np.floor(cols)")  # every sample point on a pixel centre: nearest neighbour

BASE = {"sampler": SAMPLER, "flips": FLIPS, "rotate": ROTATE, "zoom": ZOOM, "shift": SHIFT, "crop": CROP,
        "noise": NOISE, "random_rotate": RANDOM_ROTATE, "random_erasing": RANDOM_ERASING}

MUTANTS = {
    "aug_rotate_about_corner": ("4_8.rotate_about_corner", {"rotate": ROTATE.replace(
        "cr, cc = (H - 1) / 2, (W - 1) / 2\n    dr, dc = np.meshgrid(np.arange(H) - cr, np.arange(W) - cc",
        "cr, cc = 0.0, 0.0\n    dr, dc = np.meshgrid(np.arange(H) - cr, np.arange(W) - cc")}),
    "aug_rotate_degrees_as_radians": ("4_8.rotate_degrees_as_radians", {"rotate": ROTATE.replace(
        "t = np.deg2rad(angles[n])", "t = angles[n]")}),
    "aug_rotate_clockwise": ("4_8.rotate_clockwise", {"rotate": ROTATE.replace(
        "t = np.deg2rad(angles[n])", "t = -np.deg2rad(angles[n])")}),
    "aug_rotate_centre_half_pixel": ("4_8.rotate_centre_half_pixel", {"rotate": ROTATE.replace(
        "cr, cc = (H - 1) / 2, (W - 1) / 2", "cr, cc = H / 2, W / 2")}),
    "aug_flip_lr_reverses_rows": ("4_8.flip_lr_reverses_rows", {"flips": FLIPS.replace(
        "return x[:, :, :, ::-1].copy()", "return x[:, :, ::-1, :].copy()", 1)}),
    "aug_flip_tb_reverses_columns": ("4_8.flip_tb_reverses_columns", {"flips": '''
def flip_left_right(x):
    return x[:, :, :, ::-1].copy()


def flip_top_bottom(x):
    return np.flip(x, axis=3).copy()
'''}),
    "aug_shift_dx_dy_swapped": ("4_8.shift_dx_dy_swapped", {"shift": SHIFT.replace(
        "sx, sy = int(dxs[n]), int(dys[n])", "sx, sy = int(dys[n]), int(dxs[n])")}),
    "aug_zoom_inverted": ("4_8.zoom_inverted", {"zoom": ZOOM.replace(
        "cr + dr / factors[n], cc + dc / factors[n]", "cr + dr * factors[n], cc + dc * factors[n]")}),
    "aug_noise_not_clipped": ("4_8.noise_not_clipped", {"noise": NOISE.replace(
        "np.clip(x + noise, 0, 1)", "(x + noise)")}),
    "aug_random_rotate_one_angle": (None, {"random_rotate": '''
def random_rotate(x, max_left_rotation, max_right_rotation, rng, fill=0.0):
    angle = rng.uniform(-max_left_rotation, max_right_rotation)
    return rotate(x, angle, fill)
'''}),
    "aug_random_rotate_global_random": (None, {"random_rotate": '''
def random_rotate(x, max_left_rotation, max_right_rotation, rng, fill=0.0):
    angle = np.random.uniform(-max_left_rotation, max_right_rotation, x.shape[0])
    return rotate(x, angle, fill)
'''}),
    "aug_erasing_one_channel": (None, {"random_erasing": RANDOM_ERASING.replace(
        "out[n, :, top:top + h, left:left + w] = value", "out[n, 0, top:top + h, left:left + w] = value")}),
    "aug_erasing_always": (None, {"random_erasing": RANDOM_ERASING.replace(
        "if rng.random() >= probability:", "if False:")}),
    "aug_rotate_nearest": ("4_8.rotate_nearest", {"rotate": ROTATE.replace(
        "out[n] = bilinear_sample(x[n], rows, cols, fill)",
        "out[n] = bilinear_sample(x[n], np.floor(rows + 0.5), np.floor(cols + 0.5), fill)")}),
    "aug_flip_lr_reverses_channels": ("4_8.flip_channels", {"flips": FLIPS.replace(
        "return x[:, :, :, ::-1].copy()", "return x[:, ::-1, :, :].copy()", 1)}),
    "aug_shift_with_np_roll": ("4_8.shift_wraps_around", {"shift": '''
def shift(x, dx, dy, fill=0.0):
    N = x.shape[0]
    dxs = np.broadcast_to(np.asarray(dx), (N,))
    dys = np.broadcast_to(np.asarray(dy), (N,))
    return np.stack([np.roll(x[n], (int(dys[n]), int(dxs[n])), axis=(1, 2)) for n in range(N)]).astype(_float_dtype(x))
'''}),
    "aug_zoom_int_truncates": (None, {"zoom": ZOOM.replace(
        "out = np.empty(x.shape, dtype=_float_dtype(x))", "out = np.empty_like(x)")}),
    "aug_erasing_in_place": (None, {"random_erasing": RANDOM_ERASING.replace(
        "out = x.astype(_float_dtype(x))", "out = x if x.dtype == np.float64 else x.astype(np.float64)")}),
    "aug_erasing_one_rectangle": (None, {"random_erasing": RANDOM_ERASING.replace(
        "    for n in range(N):\n        if rng.random() >= probability:\n            continue\n", "").replace(
        "        out[n, :, top:top + h, left:left + w] = value",
        "    erased = rng.random(N) < probability\n    out[erased, :, top:top + h, left:left + w] = value").replace(
        "\n        ", "\n    ")}),
    "aug_noise_one_draw_for_the_batch": (None, {"noise": NOISE.replace("size=x.shape", "size=x.shape[1:]")}),
    # a defect that only a fixed boundary case shows: a shift beyond the image
    "aug_shift_beyond_crashes": (None, {"shift": SHIFT.replace(
        "        if abs(sx) >= W or abs(sy) >= H:\n            continue\n", "")}),
}

"""Mutants of exercise 4_9 (Keras' ``ImageDataGenerator`` semantics, channels-last): a trainee's
solution (the matrix built by hand, scipy's order-1 ``affine_transform`` for the sampling, as
Keras does), changed. ``BASE`` is also the solution of the source notebook
``exercises/source/4_9_ImageDataGenerator_sample.ipynb``."""

IMPORTS = '''
from scipy import ndimage
'''
OFFSET = '''
def transform_matrix_offset_center(matrix, x, y):
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset @ matrix @ reset
'''
AFFINE = '''
def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, fill_mode="nearest", cval=0.0):
    h, w = x.shape[0], x.shape[1]
    M = None
    if theta != 0:
        t = np.deg2rad(theta)
        M = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        S = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        M = S if M is None else M @ S
    if shear != 0:
        s = np.deg2rad(shear)
        Sh = np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
        M = Sh if M is None else M @ Sh
    if zx != 1 or zy != 1:
        Z = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        M = Z if M is None else M @ Z
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    if M is None:
        return x.astype(dtype)
    M = transform_matrix_offset_center(M, h, w)
    P = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]])  # Keras の (x=列, y=行) を (行, 列) に
    M = P @ M @ P
    channels = [ndimage.affine_transform(x[:, :, c].astype(np.float64), M[:2, :2], M[:2, 2], order=1,
                                         mode=fill_mode, cval=cval) for c in range(x.shape[2])]
    return np.stack(channels, axis=2).astype(dtype)
'''
TRANSFORM = '''
def apply_brightness(x, brightness):
    lo, hi = float(np.min(x)), float(np.max(x))
    scale = lo < 0 or hi > 255
    v = np.asarray(x, dtype=np.float32)
    if scale:
        v = v - v.min()
        if v.max() != 0:
            v = v / v.max()
        v = v * 255
    u8 = v.astype(np.uint8).astype(np.float32)
    out = np.floor(np.clip(np.float32(brightness) * u8, 0, 255)).astype(np.float32)
    if scale:
        out = out / 255 * (hi - lo) + lo
    return out


def apply_transform(x, transform_parameters, fill_mode="nearest", cval=0.0):
    p = transform_parameters
    x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0), p.get("shear", 0),
                               p.get("zx", 1), p.get("zy", 1), fill_mode=fill_mode, cval=cval)
    if p.get("channel_shift_intensity") is not None:
        x = np.clip(x + p["channel_shift_intensity"], np.min(x), np.max(x))
    if p.get("flip_horizontal", False):
        x = x[:, ::-1]
    if p.get("flip_vertical", False):
        x = x[::-1]
    if p.get("brightness") is not None:
        x = apply_brightness(x, p["brightness"])
    return np.ascontiguousarray(x)
'''
PARAMS = '''
def _draw_shift(rng, shift_range, size):
    if isinstance(shift_range, int) and not isinstance(shift_range, bool):
        t = rng.integers(0, shift_range) * rng.choice([-1, 1])
    elif isinstance(shift_range, (list, tuple, np.ndarray)):
        t = rng.choice(np.asarray(shift_range)) * rng.choice([-1, 1])
    else:
        t = rng.uniform(-shift_range, shift_range)
    if np.max(shift_range) < 1:
        t = t * size
    return t


def random_transform_params(rng, rotation_range=0, width_shift_range=0.0, height_shift_range=0.0,
                            shear_range=0.0, zoom_range=0.0, channel_shift_range=0.0,
                            horizontal_flip=False, vertical_flip=False, brightness_range=None,
                            *, img_shape=(28, 28, 1)):
    if isinstance(zoom_range, (int, float)):
        zoom_range = (1 - zoom_range, 1 + zoom_range)
    theta = rng.uniform(-rotation_range, rotation_range) if rotation_range else 0
    has_h = len(height_shift_range) > 0 if isinstance(height_shift_range, (list, tuple)) else bool(height_shift_range)
    has_w = len(width_shift_range) > 0 if isinstance(width_shift_range, (list, tuple)) else bool(width_shift_range)
    tx = _draw_shift(rng, height_shift_range, img_shape[0]) if has_h else 0  # Keras: tx は高さ方向の範囲から
    ty = _draw_shift(rng, width_shift_range, img_shape[1]) if has_w else 0
    shear = rng.uniform(-shear_range, shear_range) if shear_range else 0
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = rng.uniform(zoom_range[0], zoom_range[1], 2)
    flip_h = bool(rng.random() < 0.5) and bool(horizontal_flip)
    flip_v = bool(rng.random() < 0.5) and bool(vertical_flip)
    cs = rng.uniform(-channel_shift_range, channel_shift_range) if channel_shift_range != 0 else None
    br = rng.uniform(brightness_range[0], brightness_range[1]) if brightness_range is not None else None
    return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
            "flip_horizontal": flip_h, "flip_vertical": flip_v,
            "channel_shift_intensity": cs, "brightness": br}
'''
FLOW = '''
def flow(x, y, batch_size=32, rng=None, shuffle=True, fill_mode="nearest", cval=0.0, **params):
    if rng is None:
        rng = np.random.default_rng()
    n = len(x)
    order = rng.permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        batch = []
        for i in idx:
            p = random_transform_params(rng, img_shape=x.shape[1:], **params)
            batch.append(apply_transform(x[i], p, fill_mode=fill_mode, cval=cval))
        batch_x = np.stack(batch)
        if y is None:
            yield batch_x
        else:
            yield batch_x, np.asarray(y)[idx]
'''

BASE = {"imports": IMPORTS, "offset": OFFSET, "affine": AFFINE, "transform": TRANSFORM, "params": PARAMS,
        "flow": FLOW}

MUTANTS = {
    "keras_tx_ty_swapped": ("4_9.tx_ty_swapped", {"affine": AFFINE.replace(
        "S = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])", "S = np.array([[1, 0, ty], [0, 1, tx], [0, 0, 1]])")}),
    "keras_zoom_inverted": ("4_9.zoom_inverted", {"affine": AFFINE.replace(
        "Z = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])", "Z = np.array([[1 / zx, 0, 0], [0, 1 / zy, 0], [0, 0, 1]])")}),
    "keras_rotation_clockwise": ("4_9.rotation_clockwise", {"affine": AFFINE.replace(
        "M = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])",
        "M = np.array([[np.cos(t), np.sin(t), 0], [-np.sin(t), np.cos(t), 0], [0, 0, 1]])")}),
    "keras_theta_radians": ("4_9.theta_as_radians", {"affine": AFFINE.replace("t = np.deg2rad(theta)", "t = theta")}),
    "keras_flips_swapped": ("4_9.flips_swapped", {"transform": TRANSFORM.replace(
        'if p.get("flip_horizontal", False):\n        x = x[:, ::-1]', 'if p.get("flip_horizontal", False):\n        x = x[::-1]'
    ).replace('if p.get("flip_vertical", False):\n        x = x[::-1]', 'if p.get("flip_vertical", False):\n        x = x[:, ::-1]')}),
    "keras_shift_ranges_uncrossed": ("4_9.shift_ranges_uncrossed", {"params": PARAMS.replace(
        "tx = _draw_shift(rng, height_shift_range, img_shape[0]) if has_h else 0",
        "tx = _draw_shift(rng, width_shift_range, img_shape[1]) if has_w else 0").replace(
        "ty = _draw_shift(rng, width_shift_range, img_shape[1]) if has_w else 0",
        "ty = _draw_shift(rng, height_shift_range, img_shape[0]) if has_h else 0")}),
    "keras_flow_labels_apart": ("4_9.flow_labels_apart", {"flow": FLOW.replace(
        "    order = rng.permutation(n) if shuffle else np.arange(n)\n",
        "    order = rng.permutation(n) if shuffle else np.arange(n)\n"
        "    labels = None if y is None else np.asarray(y)[rng.permutation(n) if shuffle else np.arange(n)]\n").replace(
        "            yield batch_x, np.asarray(y)[idx]", "            yield batch_x, labels[start:start + batch_size]")}),
    "keras_offset_whole_pixel": ("4_9.offset_whole_pixel", {"offset": OFFSET.replace(
        "float(x) / 2 - 0.5", "float(x) / 2").replace("float(y) / 2 - 0.5", "float(y) / 2")}),
    # unrelated wrong answers
    "keras_theta_from_global_random": (None, {"params": PARAMS.replace(
        "theta = rng.uniform(-rotation_range, rotation_range) if rotation_range else 0",
        "theta = np.random.uniform(-rotation_range, rotation_range) if rotation_range else 0")}),
    "keras_flow_no_augmentation": (None, {"flow": FLOW.replace(
        "batch.append(apply_transform(x[i], p, fill_mode=fill_mode, cval=cval))", "batch.append(x[i].astype(float))")}),
    "keras_flow_forever": (None, {"flow": FLOW.replace(
        "    order = rng.permutation(n) if shuffle else np.arange(n)\n    for start in range(0, n, batch_size):",
        "    order = rng.permutation(n) if shuffle else np.arange(n)\n    while True:\n      for start in range(0, n, batch_size):"
    ).replace("\n        idx =", "\n        idx =")}),
    # found by the s5 audit (wrong code that scored 15/15 before)
    "keras_transform_flips_in_place": (None, {"transform": TRANSFORM.replace(
        '    if p.get("flip_horizontal", False):\n        x = x[:, ::-1]',
        '    if p.get("flip_horizontal", False):\n        x[:] = x[:, ::-1].copy()').replace(
        '    x = apply_affine_transform(x, p.get("theta", 0)', '    x = x if not any(p.get(k) for k in ("theta", "tx", "ty", '
        '"shear")) and p.get("zx", 1) == 1 and p.get("zy", 1) == 1 else apply_affine_transform(x, p.get("theta", 0)')}),
    "keras_flow_writes_back": (None, {"flow": FLOW.replace(
        "            batch.append(apply_transform(x[i], p, fill_mode=fill_mode, cval=cval))",
        "            x[i] = apply_transform(x[i], p, fill_mode=fill_mode, cval=cval)\n            batch.append(x[i].copy())")}),
    "keras_flow_shuffles_its_inputs": (None, {"flow": FLOW.replace(
        "    order = rng.permutation(n) if shuffle else np.arange(n)\n",
        "    if shuffle:\n        state = rng.bit_generator.state\n        rng.shuffle(x)\n        if y is not None:\n"
        "            rng.bit_generator.state = state\n            rng.shuffle(y)\n    order = np.arange(n)\n")}),
    "keras_flow_one_draw_per_batch": (None, {"flow": FLOW.replace(
        "        for i in idx:\n            p = random_transform_params(rng, img_shape=x.shape[1:], **params)\n",
        "        p = random_transform_params(rng, img_shape=x.shape[1:], **params)\n        for i in idx:\n")}),
    "keras_flow_ignores_fill": (None, {"flow": FLOW.replace(
        "batch.append(apply_transform(x[i], p, fill_mode=fill_mode, cval=cval))", "batch.append(apply_transform(x[i], p))")}),
    "keras_flow_batch_shape_as_image_shape": (None, {"flow": FLOW.replace(
        "random_transform_params(rng, img_shape=x.shape[1:], **params)", "random_transform_params(rng, img_shape=x.shape, **params)")}),
    "keras_flips_before_affine": (None, {"transform": TRANSFORM.replace(
        '    p = transform_parameters\n    x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0), p.get("shear", 0),\n'
        '                               p.get("zx", 1), p.get("zy", 1), fill_mode=fill_mode, cval=cval)\n', '    p = transform_parameters\n').replace(
        '    if p.get("brightness") is not None:',
        '    x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0), p.get("shear", 0),\n'
        '                               p.get("zx", 1), p.get("zy", 1), fill_mode=fill_mode, cval=cval)\n'
        '    if p.get("brightness") is not None:')}),
    "keras_params_ignore_vflip_and_colour": (None, {"params": PARAMS.replace(
        "flip_v = bool(rng.random() < 0.5) and bool(vertical_flip)", "flip_v = bool(rng.random() < 0.5) and False").replace(
        "cs = rng.uniform(-channel_shift_range, channel_shift_range) if channel_shift_range != 0 else None", "cs = None").replace(
        "br = rng.uniform(brightness_range[0], brightness_range[1]) if brightness_range is not None else None", "br = None")}),
    "keras_params_scalar_ranges_only": (None, {"params": PARAMS.replace(
        "    if isinstance(zoom_range, (int, float)):\n        zoom_range = (1 - zoom_range, 1 + zoom_range)\n",
        "    zoom_range = (1 - zoom_range, 1 + zoom_range)\n").replace(
        "    elif isinstance(shift_range, (list, tuple, np.ndarray)):\n        t = rng.choice(np.asarray(shift_range)) * rng.choice([-1, 1])\n", "")}),
    "keras_params_float_shift_always_scaled": (None, {"params": PARAMS.replace(
        "    if np.max(shift_range) < 1:\n        t = t * size", "    if not isinstance(shift_range, int):\n        t = t * size")}),
    "keras_flow_drops_the_last_batch": (None, {"flow": FLOW.replace(
        "    for start in range(0, n, batch_size):", "    for start in range(0, n - batch_size + 1, batch_size):")}),
}

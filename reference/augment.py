"""Data augmentation references for exercises 4_8 (Augmentor-style operations) and 4_9 (Keras'
``ImageDataGenerator.apply_transform`` and ``flow``), in NumPy, vectorised over the batch.

The exact semantics (shapes, pixel centres, interpolation, fill, draws) are fixed in
``docs/augmentation.md``; this module is that document in code.

Long because both exercises share one sampler (``_sample``) whose boundary modes must stay in
one place to stay consistent with scipy's and PIL's.

- 4_8 works on NCHW batches ``(N, C, H, W)`` like the rest of the course. Geometric operations
  sample bilinearly with PIL's border rule (the image covers ``[-0.5, H - 0.5]``; neighbours are
  clamped to the edge; a sample point outside gets ``fill``). Parameters may be scalars or one
  value per image (arrays of length N).
- 4_9 works on channels-last images ``(H, W, C)`` (and ``(N, H, W, C)`` batches in ``flow``),
  Keras' default layout, and reproduces Keras' code: its matrix, its centre, scipy's order-1
  ``affine_transform`` with ``fill_mode`` in constant / nearest / reflect / wrap.
- Randomness comes only from an explicit ``numpy.random.Generator`` argument ``rng``.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    # 4_8
    "flip_left_right", "flip_top_bottom", "rotate", "shift", "crop", "zoom", "erase",
    "gaussian_noise", "random_flip_left_right", "random_flip_top_bottom", "random_rotate",
    "random_shift", "random_crop", "random_zoom", "random_erasing", "example_augment",
    # 4_9
    "transform_matrix_offset_center", "apply_affine_transform", "apply_transform",
    "random_transform_params", "flow", "FILL_MODES",
]

FILL_MODES = ("constant", "nearest", "reflect", "wrap")


# --------------------------------------------------------------------------- shared helpers
def _float_dtype(x: np.ndarray):
    return x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)


def _batch(x, name="x") -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{name} must be a batch (N, C, H, W), got shape {x.shape}")
    return x


def _per_image(value, n: int, name: str, dtype=np.float64) -> np.ndarray:
    """A scalar or one value per image -> an array of shape (n,)."""
    v = np.asarray(value, dtype=dtype)
    if v.ndim == 0:
        return np.full(n, v, dtype=dtype)
    if v.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got {v.shape}")
    return v


def _rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (numpy.random.default_rng(seed)), not {type(rng).__name__}")
    return rng


def _map_coordinate(cc: np.ndarray, n: int, mode: str) -> np.ndarray:
    """scipy.ndimage's map_coordinate (ni_interpolation.c) for one axis, vectorised."""
    if mode in ("nearest", "pil"):
        return cc
    low, high = cc < 0, cc > n - 1
    out = cc.copy()
    if mode == "constant" or n <= 1:
        out[low | high] = -1.0 if mode == "constant" else 0.0
    elif mode == "reflect":
        sz2 = 2 * n
        v = cc[low]
        v = np.where(v < -sz2, sz2 * np.trunc(-v / sz2) + v, v)
        out[low] = np.where(v < -n, v + sz2, np.where(v > -1e-15, 1e-15, -v) - 1)
        v = cc[high]
        v = v - sz2 * np.trunc(v / sz2)
        out[high] = np.where(v >= n, sz2 - v - 1, v)
    elif mode == "wrap":
        sz = n - 1
        v = cc[low]
        out[low] = v + sz * (np.trunc(-v / sz) + 1)
        v = cc[high]
        out[high] = v - sz * np.trunc(v / sz)
    else:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {mode!r}")
    return out


def _axis_taps(cc: np.ndarray, n: int, mode: str):
    """Indices (i0, i1), weights (w0, w1) and validity of order-1 taps along one axis."""
    if mode == "pil":
        valid = (cc >= -0.5) & (cc < n - 0.5)
    else:
        cc = _map_coordinate(cc, n, mode)
        valid = (cc > -1.0) | (mode == "nearest")
    start = np.floor(cc)
    f = cc - start
    i0 = start.astype(np.int64)
    i1 = i0 + 1
    if mode == "reflect":  # spline boundary mode: half-sample symmetric
        i0 = np.where(i0 < 0, -i0 - 1, i0)
        i1 = np.where(i1 > n - 1, 2 * n - i1 - 1, i1)
    # every other out-of-range tap is either clamped by the mode or carries weight 0
    i0, i1 = np.clip(i0, 0, n - 1), np.clip(i1, 0, n - 1)
    return i0, i1, 1.0 - f, f, valid


def _sample(x: np.ndarray, rows: np.ndarray, cols: np.ndarray, mode: str, cval: float) -> np.ndarray:
    """Order-1 samples of ``x`` (N, C, H, W) at input coordinates ``rows``/``cols`` (N, H', W'),
    summed in scipy's order; points the mode leaves outside get ``cval``. Returns float64."""
    n, _, h, w = x.shape
    r0, r1, wr0, wr1, vr = _axis_taps(rows, h, mode)
    c0, c1, wc0, wc1, vc = _axis_taps(cols, w, mode)
    flat = x.transpose(0, 2, 3, 1).reshape(n * h * w, -1).astype(np.float64)  # whole pixels (all channels)
    base = (np.arange(n) * (h * w))[:, None, None]
    r0, r1 = base + r0 * w, base + r1 * w

    def tap(rows, cols, wr, wc):
        return np.take(flat, rows + cols, axis=0) * wr[..., None] * wc[..., None]

    t = tap(r0, c0, wr0, wc0) + tap(r0, c1, wr0, wc1) + tap(r1, c0, wr1, wc0) + tap(r1, c1, wr1, wc1)
    t = np.where((vr & vc)[..., None], t, float(cval))
    return t.transpose(0, 3, 1, 2)


def _warp(x: np.ndarray, matrices: np.ndarray, mode: str, cval: float, chunk: int = 1024) -> np.ndarray:
    """Apply per-image 2x3 matrices mapping output (row, col, 1) to input (row, col); in chunks
    of images so the temporaries stay small (a 10,000-image batch is ~8 MB per chunk array)."""
    n, ch, h, w = x.shape
    r = np.arange(h, dtype=np.float64)[None, :, None]
    c = np.arange(w, dtype=np.float64)[None, None, :]
    out = np.empty((n, ch, h, w))
    for s in range(0, n, chunk):
        m = matrices[s:s + chunk, :, :, None, None]
        rows = m[:, 0, 2] + r * m[:, 0, 0] + c * m[:, 0, 1]  # scipy's summation order
        cols = m[:, 1, 2] + r * m[:, 1, 0] + c * m[:, 1, 1]
        out[s:s + chunk] = _sample(x[s:s + chunk], rows, cols, mode, cval)
    return out


# --------------------------------------------------------------------------- 4_8 (NCHW)
def flip_left_right(x) -> np.ndarray:
    """Mirror every image left-right (reverse the W axis); a new array of the same dtype."""
    return _batch(x)[..., ::-1].copy()


def flip_top_bottom(x) -> np.ndarray:
    """Mirror every image top-bottom (reverse the H axis); a new array of the same dtype."""
    return _batch(x)[..., ::-1, :].copy()


def _centred(x, linear: np.ndarray, fill: float) -> np.ndarray:
    """Warp about the image centre ((H-1)/2, (W-1)/2): input = c + linear @ (output - c)."""
    h, w = x.shape[2:]
    centre = np.array([(h - 1) / 2.0, (w - 1) / 2.0])
    mats = np.zeros((x.shape[0], 2, 3))
    mats[:, :, :2] = linear
    mats[:, :, 2] = centre - linear @ centre
    return _warp(x, mats, "pil", fill).astype(_float_dtype(x), copy=False)


def rotate(x, angle, fill: float = 0.0) -> np.ndarray:
    """Rotate every image counter-clockwise by ``angle`` degrees (scalar or one per image) about
    its centre, same size, bilinear; corners that come from outside the image get ``fill``."""
    x = _batch(x)
    t = np.deg2rad(_per_image(angle, x.shape[0], "angle"))
    cos, sin = np.cos(t), np.sin(t)
    # output (dr, dc) from the centre samples input (cos*dr + sin*dc, -sin*dr + cos*dc): rows
    # grow downwards, so this turns the content counter-clockwise on screen (like np.rot90)
    linear = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
    return _centred(x, linear, fill)


def zoom(x, factor, fill: float = 0.0) -> np.ndarray:
    """Scale every image by ``factor`` (> 0; scalar or one per image) about its centre, same
    size: factor 2 shows the middle half enlarged, factor 0.5 shrinks it and fills the border."""
    x = _batch(x)
    f = _per_image(factor, x.shape[0], "factor")
    if np.any(f <= 0):
        raise ValueError("zoom factor must be > 0")
    linear = np.zeros((x.shape[0], 2, 2))
    linear[:, 0, 0] = linear[:, 1, 1] = 1.0 / f
    return _centred(x, linear, fill)


def shift(x, dx, dy, fill: float = 0.0) -> np.ndarray:
    """Move every image's content ``dx`` pixels right and ``dy`` pixels down (integers, scalar or
    one per image; negative: left/up); vacated pixels get ``fill``. Exact (no interpolation)."""
    x = _batch(x)
    n = x.shape[0]
    dx, dy = _per_image(dx, n, "dx", np.int64), _per_image(dy, n, "dy", np.int64)
    mats = np.zeros((n, 2, 3))
    mats[:, 0, 0] = mats[:, 1, 1] = 1.0
    mats[:, 0, 2], mats[:, 1, 2] = -dy, -dx
    return _warp(x, mats, "pil", fill).astype(_float_dtype(x), copy=False)


def crop(x, top, left, height: int, width: int) -> np.ndarray:
    """Cut the window rows ``top:top+height``, columns ``left:left+width`` out of every image
    (``top``/``left`` scalar or one per image; the window must lie inside): (N, C, height, width)."""
    x = _batch(x)
    n, _, h, w = x.shape
    top, left = _per_image(top, n, "top", np.int64), _per_image(left, n, "left", np.int64)
    if not (0 < height <= h and 0 < width <= w) or np.any(top < 0) or np.any(left < 0) \
            or np.any(top + height > h) or np.any(left + width > w):
        raise ValueError(f"crop window {height}x{width} at (top, left) must lie inside {h}x{w}")
    rows = (top[:, None] + np.arange(height))[:, None, :, None]
    cols = (left[:, None] + np.arange(width))[:, None, None, :]
    return x[np.arange(n)[:, None, None, None], np.arange(x.shape[1])[None, :, None, None], rows, cols]


def erase(x, top, left, height, width, value=0.0, rng=None) -> np.ndarray:
    """Set the rectangle rows ``top:top+height``, columns ``left:left+width`` of every image (all
    channels; each argument scalar or one per image, clipped to the image) to ``value``; with
    ``value="noise"`` to uniform [0, 1) noise drawn from ``rng``."""
    x = _batch(x)
    n, _, h, w = x.shape
    t, l_ = _per_image(top, n, "top", np.int64), _per_image(left, n, "left", np.int64)
    hh, ww = _per_image(height, n, "height", np.int64), _per_image(width, n, "width", np.int64)
    r = np.arange(h)[None, :, None]
    c = np.arange(w)[None, None, :]
    mask = ((r >= t[:, None, None]) & (r < (t + hh)[:, None, None])
            & (c >= l_[:, None, None]) & (c < (l_ + ww)[:, None, None]))[:, None]
    out = x.astype(_float_dtype(x), copy=True)
    if isinstance(value, str):
        if value != "noise":
            raise ValueError(f"value must be a number or 'noise', got {value!r}")
        fill = _rng(rng).random(out.shape).astype(out.dtype)
        return np.where(mask, fill, out)
    return np.where(mask, np.asarray(value, dtype=out.dtype), out)


def gaussian_noise(x, std: float, rng, mean: float = 0.0) -> np.ndarray:
    """Add independent N(mean, std^2) noise to every value (one ``rng.normal`` draw of x's
    shape) and clip to [0, 1] (images scaled to [0, 1])."""
    x = _batch(x)
    if std < 0:
        raise ValueError("std must be >= 0")
    noise = _rng(rng).normal(mean, std, size=x.shape)
    return np.clip(x + noise, 0.0, 1.0).astype(_float_dtype(x), copy=False)


def random_flip_left_right(x, rng, probability: float = 0.5) -> np.ndarray:
    """Mirror each image left-right with ``probability`` (one ``rng.random(N)`` draw)."""
    x = _batch(x)
    m = (_rng(rng).random(x.shape[0]) < probability)[:, None, None, None]
    return np.where(m, x[..., ::-1], x)


def random_flip_top_bottom(x, rng, probability: float = 0.5) -> np.ndarray:
    """Mirror each image top-bottom with ``probability`` (one ``rng.random(N)`` draw)."""
    x = _batch(x)
    m = (_rng(rng).random(x.shape[0]) < probability)[:, None, None, None]
    return np.where(m, x[..., ::-1, :], x)


def random_rotate(x, max_left_rotation: float, max_right_rotation: float, rng, fill: float = 0.0) -> np.ndarray:
    """Rotate each image like Augmentor's ``rotate``/``rotate_without_crop`` draws: with
    probability 1/2 an angle uniform in [-max_left, 0], else uniform in [0, max_right] (degrees,
    passed to :func:`rotate`, so "left" turns clockwise exactly as in Augmentor). Draws
    ``rng.random(N)`` (side) then ``rng.random(N)`` (magnitude)."""
    x = _batch(x)
    rng = _rng(rng)
    n = x.shape[0]
    left = rng.random(n) < 0.5
    mag = rng.random(n)
    angle = np.where(left, -abs(max_left_rotation) * mag, abs(max_right_rotation) * mag)
    return rotate(x, angle, fill)


def random_zoom(x, min_factor: float, max_factor: float, rng, fill: float = 0.0) -> np.ndarray:
    """Zoom each image by a factor uniform in [min_factor, max_factor] (``rng.uniform``, N draws)."""
    x = _batch(x)
    return zoom(x, _rng(rng).uniform(min_factor, max_factor, x.shape[0]), fill)


def random_shift(x, max_dx: int, max_dy: int, rng, fill: float = 0.0) -> np.ndarray:
    """Shift each image by integers dx in [-max_dx, max_dx], dy in [-max_dy, max_dy] (uniform;
    ``rng.integers`` for dx then dy)."""
    x = _batch(x)
    rng = _rng(rng)
    n = x.shape[0]
    dx = rng.integers(-max_dx, max_dx + 1, n)
    dy = rng.integers(-max_dy, max_dy + 1, n)
    return shift(x, dx, dy, fill)


def random_crop(x, height: int, width: int, rng) -> np.ndarray:
    """Crop a (height, width) window at a uniform position from each image (``rng.integers``
    for top then left)."""
    x = _batch(x)
    rng = _rng(rng)
    n, _, h, w = x.shape
    top = rng.integers(0, h - height + 1, n)
    left = rng.integers(0, w - width + 1, n)
    return crop(x, top, left, height, width)


def random_erasing(x, rng, probability: float = 0.5, area=(0.02, 0.2), aspect=(0.3, 3.3),
                   value=0.0) -> np.ndarray:
    """Random erasing (Zhong et al. 2017): each image, with ``probability``, gets one rectangle
    of area fraction s ~ U(area) and aspect ratio r (height / width, log-uniform in ``aspect``):
    height = round(sqrt(s*H*W*r)), width = round(sqrt(s*H*W/r)), each clipped to [1, H] / [1, W],
    at a uniform position inside the image, set to ``value`` (or ``"noise"``). Draws, each for
    all N images: apply, s, log r, top, left (then the noise)."""
    x = _batch(x)
    rng = _rng(rng)
    n, _, h, w = x.shape
    apply = rng.random(n) < probability
    s = rng.uniform(area[0], area[1], n) * h * w
    r = np.exp(rng.uniform(np.log(aspect[0]), np.log(aspect[1]), n))
    eh = np.clip(np.round(np.sqrt(s * r)), 1, h).astype(np.int64)
    ew = np.clip(np.round(np.sqrt(s / r)), 1, w).astype(np.int64)
    top = np.floor(rng.random(n) * (h - eh + 1)).astype(np.int64)
    left = np.floor(rng.random(n) * (w - ew + 1)).astype(np.int64)
    return erase(x, top, left, np.where(apply, eh, 0), ew, value, rng)


def example_augment(x, rng) -> np.ndarray:
    """A sensible augmentation for the Katakana-15 group work (4_10): rotation within +-15
    degrees, shift within +-2 pixels, zoom 0.9-1.1, random erasing with probability 0.3."""
    x = random_rotate(x, 15, 15, rng)
    x = random_zoom(x, 0.9, 1.1, rng)
    x = random_shift(x, 2, 2, rng)
    return random_erasing(x, rng, probability=0.3, area=(0.02, 0.12))


# --------------------------------------------------------------------------- 4_9 (channels-last)
def transform_matrix_offset_center(matrix, x, y) -> np.ndarray:
    """Keras' helper: conjugate a 3x3 ``matrix`` by the translation to (x/2 - 0.5, y/2 - 0.5)."""
    o_x, o_y = float(x) / 2 - 0.5, float(y) / 2 - 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return np.dot(np.dot(offset, matrix), reset)


def _keras_matrix(theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, h=28, w=28):
    """Keras' 2x3 input-from-output matrix in (row, col), or None for the identity."""
    m = None
    if theta != 0:
        t = np.deg2rad(theta)
        m = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    for cond, step in ((tx != 0 or ty != 0, lambda: np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])),
                       (shear != 0, lambda: np.array([[1, -np.sin(np.deg2rad(shear)), 0],
                                                      [0, np.cos(np.deg2rad(shear)), 0], [0, 0, 1]])),
                       (zx != 1 or zy != 1, lambda: np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))):
        if cond:
            m = step() if m is None else np.dot(m, step())
    if m is None:
        return None
    m = transform_matrix_offset_center(m, h, w)  # Keras passes (h, w) as (x, y)
    m[:, [0, 1]] = m[:, [1, 0]]  # Keras' swap of the x/y axes: M' = P M P
    m[[0, 1]] = m[[1, 0]]
    return m[:2]


def _image(x) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must be one channels-last image (H, W, C), got shape {x.shape}")
    return x


def _affine_hwc(xb: np.ndarray, mats: list, fill_mode: str, cval: float) -> np.ndarray:
    """Apply per-image matrices (None: unchanged) to a channels-last batch; float output."""
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    out = xb.astype(_float_dtype(xb), copy=True)
    idx = [i for i, m in enumerate(mats) if m is not None]
    if idx:
        sub = xb[idx].transpose(0, 3, 1, 2)
        warped = _warp(sub, np.stack([mats[i] for i in idx]), fill_mode, cval)
        out[idx] = warped.transpose(0, 2, 3, 1)
    return out


def apply_affine_transform(x, theta=0, tx=0, ty=0, shear=0, zx=1, zy=1, fill_mode="nearest", cval=0.0):
    """Keras' ``apply_affine_transform`` for one channels-last image (H, W, C), order 1."""
    x = _image(x)
    m = _keras_matrix(theta, tx, ty, shear, zx, zy, x.shape[0], x.shape[1])
    return _affine_hwc(x[None], [m], fill_mode, cval)[0]


def _brightness(x: np.ndarray, factor: float) -> np.ndarray:
    """Keras' ``apply_brightness_shift(x, factor, scale=False)``: through an 8-bit PIL image."""
    x_min, x_max = float(np.min(x)), float(np.max(x))
    local_scale = x_min < 0 or x_max > 255
    v = np.asarray(x, dtype=np.float32)
    if local_scale:
        v = v - np.min(v)
        if np.max(v) != 0:
            v = v / np.max(v)
        v = v * 255
    u8 = v.astype(np.uint8).astype(np.float32)
    out = np.floor(np.clip(np.float32(factor) * u8, 0, 255)).astype(np.float32)  # PIL blend with black
    if local_scale:
        out = out / 255 * (x_max - x_min) + x_min
    return out


def _finish(x: np.ndarray, p: dict) -> np.ndarray:
    """Channel shift, flips and brightness of Keras' ``apply_transform`` on one image."""
    if p.get("channel_shift_intensity") is not None:
        lo, hi = np.min(x), np.max(x)
        x = np.clip(x + p["channel_shift_intensity"], lo, hi)
    if p.get("flip_horizontal", False):
        x = x[:, ::-1]
    if p.get("flip_vertical", False):
        x = x[::-1]
    if p.get("brightness") is not None:
        if x.shape[-1] not in (1, 3):
            raise ValueError("brightness needs 1 or 3 channels")
        x = _brightness(x, p["brightness"])
    return np.ascontiguousarray(x)


def _params_matrix(p: dict, h: int, w: int):
    return _keras_matrix(p.get("theta", 0), p.get("tx", 0), p.get("ty", 0), p.get("shear", 0),
                         p.get("zx", 1), p.get("zy", 1), h, w)


def apply_transform(x, transform_parameters: dict, fill_mode: str = "nearest", cval: float = 0.0) -> np.ndarray:
    """Keras' ``ImageDataGenerator(fill_mode=..., cval=...).apply_transform(x, params)`` for one
    channels-last image (H, W, C): affine (theta, tx, ty, shear, zx, zy), then channel shift,
    horizontal flip, vertical flip, brightness, in Keras' order. Missing keys mean "no change"."""
    x = _image(x)
    m = _params_matrix(transform_parameters, x.shape[0], x.shape[1])
    return _finish(_affine_hwc(x[None], [m], fill_mode, cval)[0], transform_parameters)


def _draw_shift(rng, rng_range, size: int) -> float:
    if isinstance(rng_range, (int, np.integer)) and not isinstance(rng_range, bool):
        t = rng.integers(0, rng_range) * rng.choice([-1, 1])
    elif isinstance(rng_range, (list, tuple, np.ndarray)):
        t = rng.choice(np.asarray(rng_range)) * rng.choice([-1, 1])
    else:
        t = rng.uniform(-rng_range, rng_range)
    if np.max(rng_range) < 1:
        t = t * size
    return t


def _truthy(value) -> bool:
    """Keras' ``if self.height_shift_range:`` (a non-empty sequence counts as set)."""
    return len(value) > 0 if isinstance(value, (list, tuple, np.ndarray)) else bool(value)


def random_transform_params(rng, rotation_range=0, width_shift_range=0.0, height_shift_range=0.0,
                            shear_range=0.0, zoom_range=0.0, channel_shift_range=0.0,
                            horizontal_flip=False, vertical_flip=False, brightness_range=None,
                            *, img_shape=(28, 28, 1)) -> dict:
    """Keras' ``get_random_transform`` with ``rng`` in place of ``np.random``: the same keys, the
    same draws in the same order (theta, tx from height_shift_range, ty from width_shift_range,
    shear, zx and zy together, two flip draws always, channel shift, brightness)."""
    rng = _rng(rng)
    if isinstance(zoom_range, (int, float)):
        zoom_range = (1 - zoom_range, 1 + zoom_range)
    theta = rng.uniform(-rotation_range, rotation_range) if rotation_range else 0
    tx = _draw_shift(rng, height_shift_range, img_shape[0]) if _truthy(height_shift_range) else 0
    ty = _draw_shift(rng, width_shift_range, img_shape[1]) if _truthy(width_shift_range) else 0
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


def flow(x, y, batch_size: int = 32, rng=None, shuffle: bool = True, fill_mode: str = "nearest",
         cval: float = 0.0, **params):
    """One epoch of augmented batches, like Keras' ``ImageDataGenerator(**params).flow(x, y)``:
    ``x`` (N, H, W, C), ``y`` (N, ...) or None. The order is ``rng.permutation(N)`` when
    ``shuffle`` (else 0..N-1), cut into batches of ``batch_size`` (the last one may be smaller);
    for each image in batch order, :func:`random_transform_params` (with ``params`` and the
    image's shape) then :func:`apply_transform`. Yields ``(batch_x, batch_y)`` (``batch_x`` alone
    when y is None); inputs are never modified. Unlike Keras, it stops after one epoch."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"x must be a channels-last batch (N, H, W, C), got shape {x.shape}")
    if y is not None and len(y) != len(x):
        raise ValueError(f"x and y differ in length: {len(x)} and {len(y)}")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    rng = np.random.default_rng() if rng is None else _rng(rng)
    order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        plist = [random_transform_params(rng, img_shape=x.shape[1:], **params) for _ in idx]
        xb = _affine_hwc(x[idx], [_params_matrix(p, x.shape[1], x.shape[2]) for p in plist], fill_mode, cval)
        xb = np.stack([_finish(img, p) for img, p in zip(xb, plist)])
        yield xb if y is None else (xb, np.asarray(y)[idx])

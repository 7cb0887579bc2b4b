"""The property judges of exercise 4_8's random operations (``gaussian_noise``,
``random_rotate``, ``random_erasing``), with their ja/en texts: shapes, value ranges, the drawn
parameters recovered from the outputs (rotation angles from the centroid of a single-pixel dot,
erased rectangles from the changed pixels), one draw per image, the same seed giving the same
output. The plan that feeds them is :func:`grader.course.checks.ex4_8.build`; the constants they
share with it (:data:`ROTATE_RANGE`, :data:`ERASE_AREA`, :data:`ERASE_ASPECT`) live here.
"""
from __future__ import annotations

import numpy as np

from grader.course.checks.property_checks import Violation, as_array, same_twice

__all__ = ["ROTATE_RANGE", "ERASE_AREA", "ERASE_ASPECT", "noise", "random_rotate", "random_erasing"]

ROTATE_RANGE = (10, 25)  # max_left, max_right of the random_rotate probe
ERASE_AREA, ERASE_ASPECT = (0.05, 0.2), (0.5, 2.0)

_W = {
    "range01": {"ja": "値が [0, 1] の外にあります (最小 {lo:.3g}、最大 {hi:.3g})。np.clip(..., 0, 1) を忘れていませんか。",
                "en": "values outside [0, 1] (min {lo:.3g}, max {hi:.3g}). Is the np.clip(..., 0, 1) missing?"},
    "noise_std": {"ja": "加わったノイズの平均 {mean:.4f}、標準偏差 {std:.4f} が N(0, {want}²) と合いません。",
                  "en": "the added noise has mean {mean:.4f} and standard deviation {std:.4f}, not N(0, {want}²)."},
    "no_clip_seen": {"ja": "0.9 に標準偏差 0.5 のノイズを足しても 1 にクリップされた値がありません。",
                     "en": "noise of standard deviation 0.5 added to 0.9 never got clipped to 1."},
    "not_identity": {"ja": "角度の範囲が 0 なのに画像が変わりました (最大の差 {diff:.3g})。",
                     "en": "a range of 0 degrees changed the image (largest difference {diff:.3g})."},
    "dot_lost": {"ja": "画像 {i}: 中心から半径 {r:.1f} の点が回転後に半径 {r2:.1f} にあります (中心のまわりの回転なら変わりません)。",
                 "en": "image {i}: a dot at radius {r:.1f} from the centre ends at radius {r2:.1f} (a rotation about the "
                       "centre keeps it)."},
    "angle_range": {"ja": "画像 {i} の回転角 {angle:.1f}° が範囲 [-{left}, {right}] の外です。",
                    "en": "image {i} turned by {angle:.1f}°, outside [-{left}, {right}]."},
    "one_angle": {"ja": "{n} 枚の回転角がほとんど同じです (標準偏差 {std:.2f}°)。角度は画像ごとに引きます。",
                  "en": "the {n} images turned by nearly the same angle (standard deviation {std:.2f}°): draw one angle "
                        "per image."},
    "one_side": {"ja": "{n} 枚が全部同じ向きに回りました。左右どちらにも回るはずです。",
                 "en": "all {n} images turned the same way; both directions should occur."},
    "erase_channels": {"ja": "画像 {i}: チャンネルによって消した場所が違います (全チャンネルを同じ長方形で消します)。",
                       "en": "image {i}: the erased pixels differ between channels (erase the same rectangle in all)."},
    "erase_value": {"ja": "画像 {i}: 消した画素の値が value={value} ではありません。",
                    "en": "image {i}: the erased pixels are not value={value}."},
    "erase_rect": {"ja": "画像 {i}: 変わった画素が 1 つの長方形になっていません。",
                   "en": "image {i}: the changed pixels do not form one rectangle."},
    "erase_area": {"ja": "画像 {i}: 消した長方形 {h}x{w} の面積比 {frac:.3f} が area={area} から遠すぎます。",
                   "en": "image {i}: the erased {h}x{w} rectangle covers {frac:.3f} of the image, too far from "
                         "area={area}."},
    "erase_aspect": {"ja": "画像 {i}: 消した長方形 {h}x{w} の縦横比が aspect={aspect} から遠すぎます。",
                     "en": "image {i}: the erased {h}x{w} rectangle's aspect ratio is too far from aspect={aspect}."},
    "erase_rate": {"ja": "probability={p} で {n} 枚中 {k} 枚を消しました (期待はおよそ {want:.0f} 枚)。",
                   "en": "with probability={p}, {k} of {n} images were erased (about {want:.0f} expected)."},
}


def noise(arrays) -> None:
    same_twice(arrays, "noise_a", "noise_b", "noise_c")
    out = as_array(arrays("noise_a"), "noise_a", (4, 1, 25, 20))
    d = out - 0.5
    if abs(d.mean()) > 0.006 or not 0.046 <= d.std() <= 0.054:
        raise Violation("noise_a", _W["noise_std"], mean=d.mean(), std=d.std(), want=0.05)
    hi = as_array(arrays("noise_clip"), "noise_clip", (2, 2, 10, 10))
    if hi.min() < 0 or hi.max() > 1:
        raise Violation("noise_clip", _W["range01"], lo=hi.min(), hi=hi.max())
    if not np.any(hi == 1.0):
        raise Violation("noise_clip", _W["no_clip_seen"])
    as_array(arrays("noise_f32"), "noise_f32", (1, 1, 5, 6))


def _angles(out: np.ndarray, x: np.ndarray, key: str) -> np.ndarray:
    """Rotation angles (degrees, counter-clockwise on screen) of the dots of ``x`` in ``out``."""
    size = x.shape[-1]
    c = (size - 1) / 2
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    angles = np.empty(len(x))
    for i in range(len(x)):
        r0, c0 = np.argwhere(x[i, 0] == 1)[0]
        img = np.clip(out[i, 0], 0, None)
        mass = img.sum()
        r1, c1 = ((img * rows).sum() / mass, (img * cols).sum() / mass) if mass > 0.3 else (np.nan, np.nan)
        before, after = np.hypot(r0 - c, c0 - c), np.hypot(r1 - c, c1 - c)
        if not abs(after - before) <= 0.8:
            raise Violation(key, _W["dot_lost"], i=i, r=before, r2=after)
        a = np.degrees(np.arctan2(-(r1 - c), c1 - c) - np.arctan2(-(r0 - c), c0 - c))
        angles[i] = (a + 180) % 360 - 180
    return angles


def random_rotate(plan_arrays):
    def judge(arrays) -> None:
        same_twice(arrays, "rrot_a", "rrot_b", "rrot_c")
        x = plan_arrays["x_dots"]
        out = as_array(arrays("rrot_a"), "rrot_a", x.shape)
        angles = _angles(out, x, "rrot_a")
        left, right = ROTATE_RANGE
        for i, angle in enumerate(angles):
            if not -left - 2.5 <= angle <= right + 2.5:
                raise Violation("rrot_a", _W["angle_range"], i=i, angle=angle, left=left, right=right)
        if angles.std() < 3:
            raise Violation("rrot_a", _W["one_angle"], n=len(angles), std=angles.std())
        if np.all(angles > 0.5) or np.all(angles < -0.5):
            raise Violation("rrot_a", _W["one_side"], n=len(angles))
        x1 = plan_arrays["x_rrot_one"]
        one = as_array(arrays("rrot_zero"), "rrot_zero", x1.shape)
        if np.abs(one - x1).max() > 1e-6:
            raise Violation("rrot_zero", _W["not_identity"], diff=np.abs(one - x1).max())
    return judge


def _rectangle(changed: np.ndarray):
    """``(top, left, h, w)`` of the changed pixels when they form one filled rectangle, ``None``
    when nothing changed; raises ``ValueError`` otherwise."""
    if not changed.any():
        return None
    r, c = np.nonzero(changed)
    top, left, h, w = r.min(), c.min(), r.max() - r.min() + 1, c.max() - c.min() + 1
    if changed.sum() != h * w:
        raise ValueError("not a rectangle")
    return top, left, h, w


def _erased(out: np.ndarray, x: np.ndarray, key: str) -> list:
    """The rectangle erased in each image (``None``: untouched), every property checked."""
    rects = []
    for i in range(len(x)):
        changed = out[i] != x[i]
        if not all(np.array_equal(changed[0], ch) for ch in changed[1:]):
            raise Violation(key, _W["erase_channels"], i=i)
        if np.any(out[i][changed] != 0.0):
            raise Violation(key, _W["erase_value"], i=i, value=0.0)
        try:
            rects.append(_rectangle(changed[0]))
        except ValueError:
            raise Violation(key, _W["erase_rect"], i=i) from None
    return rects


def random_erasing(plan_arrays):
    def judge(arrays) -> None:
        same_twice(arrays, "erase_a", "erase_b", "erase_c")
        x = plan_arrays["x_erase"]
        rects = _erased(as_array(arrays("erase_a"), "erase_a", x.shape), x, "erase_a")
        h_img, w_img = x.shape[2:]
        for i, rect in enumerate(rects):
            if rect is None:
                continue
            _, _, h, w = rect
            frac = h * w / (h_img * w_img)
            if not ERASE_AREA[0] * 0.5 <= frac <= ERASE_AREA[1] * 1.6:
                raise Violation("erase_a", _W["erase_area"], i=i, h=h, w=w, frac=frac, area=ERASE_AREA)
            if not ERASE_ASPECT[0] / 2.5 <= h / w <= ERASE_ASPECT[1] * 2.5:
                raise Violation("erase_a", _W["erase_aspect"], i=i, h=h, w=w, aspect=ERASE_ASPECT)
        k = sum(r is not None for r in rects)
        if not 0.35 * len(x) <= k <= 0.65 * len(x):
            raise Violation("erase_a", _W["erase_rate"], p=0.5, n=len(x), k=k, want=0.5 * len(x))
        xs = plan_arrays["x_erase_small"]
        always = _erased(as_array(arrays("erase_always"), "erase_always", xs.shape), xs, "erase_always")
        if any(r is None for r in always):
            raise Violation("erase_always", _W["erase_rate"], p=1.0, n=len(xs), k=sum(r is not None for r in always),
                            want=len(xs))
        never = _erased(as_array(arrays("erase_never"), "erase_never", xs.shape), xs, "erase_never")
        if any(r is not None for r in never):
            raise Violation("erase_never", _W["erase_rate"], p=0.0, n=len(xs), k=sum(r is not None for r in never),
                            want=0)
    return judge

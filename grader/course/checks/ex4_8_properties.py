"""The property judges of exercise 4_8's random operations (``gaussian_noise``,
``random_rotate``, ``random_erasing``), with their ja/en texts: shapes, value ranges, the drawn
parameters recovered from the outputs, one draw per image, inputs left untouched, the same seed
giving the same output. The plan that feeds them is :func:`grader.course.checks.ex4_8.build`; the
constants they share with it (:data:`ROTATE_RANGE`, :data:`ERASE_AREA`, :data:`ERASE_ASPECT`)
live here.

Rotation angles are read from a pair of blobs placed symmetrically about the centre: the angle
of the segment joining their centroids does not depend on where the trainee's ``rotate`` puts
the centre (a rotation about another point is the same rotation plus a shift), nor, for blobs a
few pixels wide, on how it samples. So a ``random_rotate`` that draws the documented angles is
judged on its draws alone, whatever small slip its ``rotate`` has (``rotate``'s own checks judge
that), and the verdict does not change with the seed. A ``rotate`` that turns the other way, in
radians, or about a far point still fails here: the images do not turn by the drawn angles.
"""
from __future__ import annotations

import numpy as np

from grader.course.checks.property_checks import Violation, as_array, same_twice, untouched

__all__ = ["ROTATE_RANGE", "ANGLE_SLACK", "ERASE_AREA", "ERASE_ASPECT", "noise", "random_rotate", "random_erasing", "rotation_angles"]

ROTATE_RANGE = (10, 25)  # max_left, max_right of the random_rotate probe: unequal, so that sides swapped show
# degrees an angle read may lie beyond ROTATE_RANGE: a rotate sampling the nearest pixel turns a
# blob at radius r >= 11 in steps of up to 0.5 / r radians (2.6 degrees); bilinear reads are exact to 0.02
ANGLE_SLACK = 4.0
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
    "dot_gone": {"ja": "画像 {i}: 中心をはさむ 2 つの点の片方が回転後に消えました (画像の外に出たか、値が失われました)。",
                 "en": "image {i}: one of two dots on either side of the centre is gone after the rotation (moved out "
                       "of the image, or its values were lost)."},
    "dot_distance": {"ja": "画像 {i}: 2 つの点の間隔が {d:.1f} から {d2:.1f} に変わりました (回転なら変わりません)。",
                     "en": "image {i}: two dots {d:.1f} pixels apart end {d2:.1f} apart (a rotation keeps the distance)."},
    "dot_off_centre": {"ja": "画像 {i}: 中心をはさむ 2 つの点の中点が中心から {off:.1f} 画素ずれました。回転の中心は "
                             "((H-1)/2, (W-1)/2) です。",
                       "en": "image {i}: the midpoint of two dots on either side of the centre moved {off:.1f} pixels "
                             "off the centre. Rotate about ((H-1)/2, (W-1)/2)."},
    "angle_range": {"ja": "画像 {i} の回転角 {angle:.1f}° が範囲 [-{left}, {right}] の外です (rotate のチェックも"
                          "失敗しているなら、先に rotate を直してください。random_rotate はそれを通して回します)。",
                    "en": "image {i} turned by {angle:.1f}°, outside [-{left}, {right}] (if rotate fails its checks too, "
                          "mend it first: random_rotate turns the images through it)."},
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
    "erase_one_size": {"ja": "消した {k} 枚の長方形の大きさがすべて {h}x{w} です。大きさと位置は画像ごとに引きます。",
                       "en": "the rectangles of the {k} erased images are all {h}x{w}: draw the size and the place "
                             "for every image."},
    "erase_one_place": {"ja": "消した {k} 枚の長方形の位置 (左上) がすべて ({top}, {left}) です。大きさと位置は画像ごとに"
                              "引きます。",
                        "en": "the rectangles of the {k} erased images all start at ({top}, {left}): draw the size and "
                              "the place for every image."},
    "noise_shared": {"ja": "画像 {i} と画像 {j} に加わったノイズが同じです。ノイズは画像ごとに引きます "
                           "(rng.normal(mean, std, x.shape))。",
                     "en": "images {i} and {j} got the same noise: draw it for every image "
                           "(rng.normal(mean, std, x.shape))."},
    "erase_rate": {"ja": "probability={p} で {n} 枚中 {k} 枚を消しました (期待はおよそ {want:.0f} 枚)。",
                   "en": "with probability={p}, {k} of {n} images were erased (about {want:.0f} expected)."},
}


def noise(arrays) -> None:
    same_twice(arrays, "noise_a", "noise_b", "noise_c")
    out = as_array(arrays("noise_a"), "noise_a", (4, 1, 25, 20))
    d = out - 0.5
    if abs(d.mean()) > 0.006 or not 0.046 <= d.std() <= 0.054:
        raise Violation("noise_a", _W["noise_std"], mean=d.mean(), std=d.std(), want=0.05)
    for i in range(len(d)):
        for j in range(i):
            if np.allclose(d[i], d[j], rtol=0, atol=1e-6):
                raise Violation("noise_a", _W["noise_shared"], i=j, j=i)
    hi = as_array(arrays("noise_clip"), "noise_clip", (2, 2, 10, 10))
    if hi.min() < 0 or hi.max() > 1:
        raise Violation("noise_clip", _W["range01"], lo=hi.min(), hi=hi.max())
    if not np.any(hi == 1.0):
        raise Violation("noise_clip", _W["no_clip_seen"])
    as_array(arrays("noise_f32"), "noise_f32", (1, 1, 5, 6))


def _blob_pair_halves(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each image of ``x`` (two blobs placed symmetrically about the centre), the mask of
    the half-plane of its first blob (the side of the line through the centre across the pair)."""
    size = x.shape[-1]
    c = (size - 1) / 2
    rows, cols = np.meshgrid(np.arange(size) - c, np.arange(size) - c, indexing="ij")
    halves = np.empty((len(x), size, size), dtype=bool)
    for i in range(len(x)):
        img = x[i, 0]
        r0, c0 = np.unravel_index(np.argmax(img), img.shape)
        halves[i] = rows * (r0 - c) + cols * (c0 - c) > 0
    return halves, np.stack([rows, cols])


def _centroids(img: np.ndarray, half: np.ndarray, grid: np.ndarray):
    """Centroids (row, col, from the centre) of ``img`` on ``half`` and on the rest; ``None``
    when either side has lost its blob."""
    img = np.clip(img, 0, None)
    points = []
    for side in (half, ~half):
        mass = img[side].sum()
        if not mass > 0.5:
            return None
        points.append(np.array([(img * grid[0])[side].sum(), (img * grid[1])[side].sum()]) / mass)
    return points


def rotation_angles(out: np.ndarray, x: np.ndarray, key: str) -> np.ndarray:
    """Rotation angles (degrees, counter-clockwise on screen) of the blob pairs of ``x`` in ``out``,
    from the direction of the segment joining the two blobs' centroids."""
    halves, grid = _blob_pair_halves(x)
    angles = np.empty(len(x))
    for i in range(len(x)):
        a, b = _centroids(x[i, 0], halves[i], grid)
        moved = _centroids(out[i, 0], halves[i], grid)
        if moved is None:
            raise Violation(key, _W["dot_gone"], i=i)
        a2, b2 = moved
        d, d2 = np.hypot(*(a - b)), np.hypot(*(a2 - b2))
        if not abs(d2 - d) <= 1.0:
            raise Violation(key, _W["dot_distance"], i=i, d=d, d2=d2)
        off = np.hypot(*((a2 + b2) / 2))
        if not off <= 1.0:
            raise Violation(key, _W["dot_off_centre"], i=i, off=off)
        turn = np.arctan2(-(a2 - b2)[0], (a2 - b2)[1]) - np.arctan2(-(a - b)[0], (a - b)[1])
        angles[i] = (np.degrees(turn) + 180) % 360 - 180
    return angles


def random_rotate(plan_arrays):
    def judge(arrays) -> None:
        same_twice(arrays, "rrot_a", "rrot_b", "rrot_c")
        x = plan_arrays["x_dots"]
        out = as_array(arrays("rrot_a"), "rrot_a", x.shape)
        untouched(arrays, "rrot_a", x)
        angles = rotation_angles(out, x, "rrot_a")
        left, right = ROTATE_RANGE
        for i, angle in enumerate(angles):
            if not -left - ANGLE_SLACK <= angle <= right + ANGLE_SLACK:
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
    return int(top), int(left), int(h), int(w)


ERASE_ATOL = 1e-6  # a float32 result of float64 images differs from them by rounding (< 1e-7 here)


def _erased(out: np.ndarray, x: np.ndarray, key: str) -> list:
    """The rectangle erased in each image (``None``: untouched), every property checked. The
    images are in [0.5, 1] and erased pixels are 0, so a pixel counts as changed when it moved by
    more than rounding (a float32 result is fine)."""
    rects = []
    for i in range(len(x)):
        changed = np.abs(out[i] - x[i]) > ERASE_ATOL
        if not all(np.array_equal(changed[0], ch) for ch in changed[1:]):
            raise Violation(key, _W["erase_channels"], i=i)
        if np.any(np.abs(out[i][changed]) > ERASE_ATOL):
            raise Violation(key, _W["erase_value"], i=i, value=0.0)
        try:
            rects.append(_rectangle(changed[0]))
        except ValueError:
            raise Violation(key, _W["erase_rect"], i=i) from None
    return rects


def _one_draw_per_image(rects: list, key: str) -> None:
    """Several erased images do not all share one size, nor one place."""
    drawn = [r for r in rects if r is not None]
    if len(drawn) < 5:
        return
    if len({r[2:] for r in drawn}) == 1:
        raise Violation(key, _W["erase_one_size"], k=len(drawn), h=drawn[0][2], w=drawn[0][3])
    if len({r[:2] for r in drawn}) == 1:
        raise Violation(key, _W["erase_one_place"], k=len(drawn), top=drawn[0][0], left=drawn[0][1])


def random_erasing(plan_arrays):
    def judge(arrays) -> None:
        same_twice(arrays, "erase_a", "erase_b", "erase_c")
        x = plan_arrays["x_erase"]
        rects = _erased(as_array(arrays("erase_a"), "erase_a", x.shape), x, "erase_a")
        untouched(arrays, "erase_a", x)
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
        _one_draw_per_image(rects, "erase_a")
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

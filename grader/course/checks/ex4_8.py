"""Exercise 4_8: Augmentor-style data augmentation on NCHW batches (``docs/augmentation.md``).

Deterministic operations (flips, ``rotate``, ``zoom``, ``shift``, ``crop``, and
``gaussian_noise`` with ``std=0``) are compared with ``reference.augment`` under the one
numerical policy. The fixed cases avoid sample points that fall exactly on a pixel border
(-0.5), where a correct implementation may round either way: right-angle rotations only of
images whose H and W have the same parity, zoom factors whose sample points never land there.

The random operations get an explicit generator (``{"$rng": seed}`` in the plan, built by the
kernel as ``numpy.random.default_rng(seed)``) and are judged by properties, never by the
order of the draws (:mod:`grader.course.checks.ex4_8_properties`, through
:func:`grader.course.checks.property_checks.property_check`, shared with 4_9).
This module holds the exercise's graded names, hints, plan and the list of its checks.
Points: 19 (deterministic 14, random 5).
"""
from __future__ import annotations

import functools

import numpy as np

from grader.grading.probe import PlanBuilder
from grader.grading.results import CheckResult
from grader.course.checks.base import Context, Spec
from grader.course.checks.ex4_8_properties import (ERASE_AREA, ERASE_ASPECT, ROTATE_RANGE, noise, random_erasing,
                                                  random_rotate)
from grader.course.checks.property_checks import property_check

EXERCISE = "4_8"
GRADED = ("flip_left_right", "flip_top_bottom", "rotate", "zoom", "shift", "crop", "gaussian_noise",
          "random_rotate", "random_erasing")

_H = {
    "flip": {"ja": "x は (N, C, H, W) です。左右反転は W の軸 (最後の軸) を、上下反転は H の軸 (axis=2) を逆順にします: "
                   "x[:, :, :, ::-1]、x[:, :, ::-1, :]。",
             "en": "x is (N, C, H, W). Left-right reverses the W axis (the last one), top-bottom the H axis (axis=2): "
                   "x[:, :, :, ::-1], x[:, :, ::-1, :]."},
    "rotate": {"ja": "中心は ((H-1)/2, (W-1)/2)、角度は度 (np.deg2rad で変換)、正の角度で画面上の反時計回りです。出力画素 "
                     "(r, c) の中心からのずれ (dr, dc) は入力の (cr + cos*dr + sin*dc, cc - sin*dr + cos*dc) を双線形補間で"
                     "参照します (逆写像)。範囲 [-0.5, H-0.5) の外は fill です。",
               "en": "The centre is ((H-1)/2, (W-1)/2), the angle is in degrees (convert with np.deg2rad), positive turns "
                     "counter-clockwise on screen. Output pixel (r, c), offset (dr, dc) from the centre, samples the input "
                     "bilinearly at (cr + cos*dr + sin*dc, cc - sin*dr + cos*dc) (inverse mapping); outside "
                     "[-0.5, H-0.5) it is fill."},
    "dtypes": {"ja": "float32 の入力には float32、それ以外 (整数など) には float64 を返します。値の尺度は変えません。"
                     "rotate.values も失敗しているなら、まずそちらを直してください (このチェックは同じ回転を別の dtype で見ます)。",
               "en": "Return float32 for float32 input and float64 otherwise (integers too), values in the same scale. "
                     "If rotate.values fails too, mend that first (this check looks at the same rotation in other dtypes)."},
    "zoom": {"ja": "中心からのずれ d の出力画素は入力の d / factor を参照します (factor > 1 で拡大)。factor ごとに画像 1 枚ずつ"
                   "(配列なら画像ごとの値)。外側は fill です。",
             "en": "The output pixel at offset d from the centre samples the input at d / factor (factor > 1 enlarges); "
                   "an array gives one factor per image. Outside is fill."},
    "shift": {"ja": "dx は右へ、dy は下へのずらし量 (負なら左・上) です。空いた画素は fill。画像より大きくずらすと全体が fill "
                    "になります (スライスの端に注意)。",
              "en": "dx moves the content right, dy down (negative: left/up); vacated pixels get fill. A shift larger "
                    "than the image leaves only fill (mind the slice bounds)."},
    "crop": {"ja": "行 top:top+height、列 left:left+width を切り出します。top/left は画像ごとの配列でも構いません。",
             "en": "Cut rows top:top+height and columns left:left+width; top/left may be one value per image."},
    "noise": {"ja": "rng.normal(mean, std, size=x.shape) を足して np.clip(..., 0, 1) で [0, 1] に収めます。np.random ではなく"
                    "引数の rng から引きます。",
              "en": "Add rng.normal(mean, std, size=x.shape) and clip to [0, 1] with np.clip. Draw from the rng argument, "
                    "not np.random."},
    "random_rotate": {"ja": "画像ごとに角度を引き (右回り側 [-max_left, 0] か左回り側 [0, max_right])、rotate に渡します。"
                            "乱数は引数の rng だけから引きます (同じ seed なら同じ結果)。",
                      "en": "Draw one angle per image (in [-max_left, 0] or [0, max_right]) and pass it to rotate. Draw "
                            "only from the rng argument (the same seed gives the same result)."},
    "random_erasing": {"ja": "画像ごとに確率 probability で、面積比 area・縦横比 aspect の長方形 1 つを全チャンネルで value に"
                             "します。長方形は画像の内側に置きます。",
                       "en": "For each image, with probability `probability`, set one rectangle (area fraction in area, "
                             "aspect ratio in aspect), inside the image, to value in every channel."},
    "unmodified": {"ja": "入力配列を書き換えないでください (x.copy() や新しい配列に書きます)。",
                   "en": "Do not change the input array (write into x.copy() or a new array)."},
}

# --------------------------------------------------------------------------- the plan
def _deterministic(plan: PlanBuilder, rng) -> list[Spec]:
    a = plan.array
    x4 = a("x_flip", rng.random((2, 3, 5, 7)))
    plan.call("flip_lr", "flip_left_right", x4, track=(0,), watch=("flip_left_right",))
    plan.call("flip_tb", "flip_top_bottom", x4, track=(0,), watch=("flip_top_bottom",))
    xi = a("x_flip_int", rng.integers(0, 256, (1, 1, 4, 6)))
    plan.call("flip_lr_one", "flip_left_right", xi, watch=("flip_left_right",))
    plan.call("flip_tb_one", "flip_top_bottom", xi, watch=("flip_top_bottom",))
    w = ("rotate",)
    sq = a("x_square", rng.random((2, 2, 8, 8)))
    ns = a("x_wide", rng.random((1, 3, 7, 11)))  # N=1, C=3, H and W of the same parity
    plan.call("rot_zero", "rotate", sq, 0, watch=w)
    plan.call("rot_90", "rotate", sq, 90, watch=w)
    plan.call("rot_neg30", "rotate", ns, -30, watch=w)
    plan.call("rot_90_wide", "rotate", ns, 90, watch=w)
    xr = a("x_rot", rng.random((3, 1, 10, 12)))
    plan.call("rot_random", "rotate", xr, a("angles", rng.uniform(-180, 180, 3)), track=(0,), watch=w)
    plan.call("rot_fill", "rotate", sq, 45, fill=0.5, watch=w)
    plan.call("rot_fill_positional", "rotate", ns, float(rng.uniform(20, 70)), 0.25, watch=w)
    plan.call("rot_f32", "rotate", a("x_rot_f32", rng.random((2, 1, 9, 9)).astype(np.float32)), 17, watch=w)
    plan.call("rot_int", "rotate", a("x_rot_int", rng.integers(0, 256, (1, 2, 6, 8))), 60, watch=w)
    w = ("zoom",)
    xz = a("x_zoom", rng.random((2, 1, 9, 9)))
    plan.call("zoom_up", "zoom", xz, 1.5, track=(0,), watch=w)
    plan.call("zoom_down", "zoom", a("x_zoom_wide", rng.random((1, 2, 8, 11))), 0.7, watch=w)
    plan.call("zoom_per_image", "zoom", a("x_zoom3", rng.random((3, 1, 9, 10))), a("factors", np.array([0.8, 1.3, 2.0])),
              watch=w)
    plan.call("zoom_random", "zoom", a("x_zoom_r", rng.random((2, 1, 10, 10))), float(rng.uniform(0.6, 1.8)), watch=w)
    plan.call("zoom_fill", "zoom", xz, 0.5, fill=0.3, watch=w)
    plan.call("zoom_int", "zoom", a("x_zoom_int", rng.integers(0, 256, (1, 1, 7, 8))), 1.4, watch=w)  # float64 out
    w = ("shift",)
    xs = a("x_shift", rng.random((1, 2, 6, 8)))
    plan.call("shift_pos", "shift", xs, 2, 1, track=(0,), watch=w)
    plan.call("shift_neg", "shift", xs, -3, -2, watch=w)
    plan.call("shift_per_image", "shift", a("x_shift3", rng.random((3, 1, 6, 7))), a("dx3", np.array([1, -2, 0])),
              a("dy3", np.array([0, 2, -1])), watch=w)
    plan.call("shift_random", "shift", a("x_shift_r", rng.random((2, 1, 9, 9))), int(rng.integers(-4, 5)),
              int(rng.integers(-4, 5)), watch=w)
    plan.call("shift_beyond_x", "shift", xs, 10, 0, watch=w)
    plan.call("shift_beyond_y", "shift", xs, 1, -7, 0.5, watch=w)
    w = ("crop",)
    xc = a("x_crop", rng.random((2, 3, 8, 10)))
    plan.call("crop_window", "crop", xc, 1, 2, 5, 6, track=(0,), watch=w)
    plan.call("crop_per_image", "crop", xc, a("tops", np.array([0, 3])), a("lefts", np.array([4, 1])), 4, 3, watch=w)
    plan.call("crop_whole", "crop", a("x_crop_one", rng.random((1, 1, 5, 7))), 0, 0, 5, 7, watch=w)
    w = ("gaussian_noise",)
    xn = a("x_noise_wide", rng.uniform(-0.5, 1.5, (2, 1, 6, 7)))
    plan.call("noise_std0", "gaussian_noise", xn, 0.0, plan.rng(int(rng.integers(1 << 30))), track=(0,), watch=w)
    plan.call("noise_mean", "gaussian_noise", xn, 0.0, plan.rng(1), 0.25, watch=w)
    h = _H
    return [
        Spec("flip_left_right.values", 1, ("flip_lr", "flip_lr_one"), ("flip_lr",), hint=h["flip"]),
        Spec("flip_top_bottom.values", 1, ("flip_tb", "flip_tb_one"), ("flip_tb",), hint=h["flip"]),
        Spec("rotate.values", 2, ("rot_zero", "rot_90", "rot_neg30", "rot_90_wide", "rot_random"), ("rot_random",),
             hint=h["rotate"]),
        Spec("rotate.fill", 1, ("rot_fill", "rot_fill_positional"), hint=h["rotate"]),
        Spec("rotate.dtypes", 1, ("rot_f32", "rot_int"), precision="float32", hint=h["dtypes"]),
        Spec("zoom.values", 2, ("zoom_up", "zoom_down", "zoom_per_image", "zoom_random", "zoom_int"), ("zoom_up",),
             hint=h["zoom"]),
        Spec("zoom.fill", 1, ("zoom_fill",), hint=h["zoom"]),
        Spec("shift.values", 2, ("shift_pos", "shift_neg", "shift_per_image", "shift_random"), ("shift_pos",),
             hint=h["shift"]),
        Spec("shift.beyond_the_image", 1, ("shift_beyond_x", "shift_beyond_y"), hint=h["shift"]),
        Spec("crop.values", 1, ("crop_window", "crop_per_image", "crop_whole"), ("crop_window",), hint=h["crop"]),
        Spec("gaussian_noise.clip", 1, ("noise_std0", "noise_mean"), ("noise_std0",), hint=h["noise"]),
    ]


def _blob_pairs(rng, n: int, size: int = 39, sigma: float = 2.0) -> np.ndarray:
    """``n`` images ``(1, size, size)`` (``size`` odd), each two round blobs (Gaussian, peak 1,
    ``sigma`` pixels, cut at 3 sigma) centred on pixels symmetric about the centre, at radius
    11..13 from it; 0 elsewhere. However they are turned about the centre they stay inside; blobs
    this wide keep their centroid where it belongs under any sampling (nearest included)."""
    c = (size - 1) // 2
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    x = np.zeros((n, 1, size, size))
    for i in range(n):
        while True:
            r, col = (int(v) for v in rng.integers(0, size, 2))
            if 11 <= np.hypot(r - c, col - c) <= 13:
                break
        for br, bc in ((r, col), (2 * c - r, 2 * c - col)):
            d2 = (rows - br) ** 2 + (cols - bc) ** 2
            x[i, 0] += np.where(d2 <= (3 * sigma) ** 2, np.exp(-d2 / (2 * sigma ** 2)), 0.0)
    return x


def _random(plan: PlanBuilder, rng) -> None:
    a = plan.array
    seed = int(rng.integers(1 << 30))
    xn = a("x_noise_mid", np.full((4, 1, 25, 20), 0.5))
    for key, s in (("noise_a", seed), ("noise_b", seed), ("noise_c", seed + 1)):
        plan.call(key, "gaussian_noise", xn, 0.05, plan.rng(s), watch=("gaussian_noise",))  # in place: .clip
    plan.call("noise_clip", "gaussian_noise", a("x_noise_hi", np.full((2, 2, 10, 10), 0.9)), 0.5, plan.rng(seed + 2),
              watch=("gaussian_noise",))
    plan.call("noise_f32", "gaussian_noise", a("x_noise_f32", rng.random((1, 1, 5, 6)).astype(np.float32)), 0.1,
              plan.rng(seed + 3), watch=("gaussian_noise",))
    xd = a("x_dots", _blob_pairs(rng, 40))
    w = ("random_rotate", "rotate")
    for key, s in (("rrot_a", seed), ("rrot_b", seed), ("rrot_c", seed + 1)):
        plan.call(key, "random_rotate", xd, *ROTATE_RANGE, plan.rng(s), track=(0,) if key == "rrot_a" else (),
                  watch=w)
    plan.call("rrot_zero", "random_rotate", a("x_rrot_one", rng.random((1, 2, 7, 9))), 0, 0, plan.rng(seed), watch=w)
    w = ("random_erasing",)
    xe = a("x_erase", 0.5 + 0.5 * rng.random((200, 2, 12, 16)))
    for key, s in (("erase_a", seed), ("erase_b", seed), ("erase_c", seed + 1)):
        plan.call(key, "random_erasing", xe, plan.rng(s), probability=0.5, area=list(ERASE_AREA),
                  aspect=list(ERASE_ASPECT), track=(0,) if key == "erase_a" else (), watch=w)
    xe1 = a("x_erase_small", 0.5 + 0.5 * rng.random((20, 1, 12, 16)))
    plan.call("erase_always", "random_erasing", xe1, plan.rng(seed), 1.0, watch=w)
    plan.call("erase_never", "random_erasing", xe1, plan.rng(seed), 0.0, watch=w)


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs drawn from ``rng``."""
    plan = PlanBuilder()
    specs = _deterministic(plan, rng)
    _random(plan, rng)
    return plan.build(), specs


def extra_checks(ctx: Context) -> list[CheckResult]:
    """The random operations, judged by properties."""
    arrays = ctx.plan.arrays
    check = functools.partial(property_check, ctx)
    return [
        check(Spec("gaussian_noise.random", 1, hint=_H["noise"]),
              ("noise_a", "noise_b", "noise_c", "noise_clip", "noise_f32"), noise),
        check(Spec("random_rotate.properties", 2, hint=_H["random_rotate"]),
              ("rrot_a", "rrot_b", "rrot_c", "rrot_zero"), random_rotate(arrays)),
        check(Spec("random_erasing.properties", 2, hint=_H["random_erasing"]),
              ("erase_a", "erase_b", "erase_c", "erase_always", "erase_never"), random_erasing(arrays)),
    ]

"""Exercise 4_8: Augmentor-style data augmentation on NCHW batches (``docs/augmentation.md``).
(Longer than the usual ~300 lines: nine graded names, with their property checks and bilingual
texts, kept in the one module of the exercise.)

Deterministic operations (flips, ``rotate``, ``zoom``, ``shift``, ``crop``, and
``gaussian_noise`` with ``std=0``) are compared with ``reference.augment`` under the one
numerical policy. The fixed cases avoid sample points that fall exactly on a pixel border
(-0.5), where a correct implementation may round either way: right-angle rotations only of
images whose H and W have the same parity, zoom factors whose sample points never land there.

The random operations get an explicit generator (``{"$rng": seed}`` in the plan, built by the
kernel as ``numpy.random.default_rng(seed)``) and are judged by properties, never by the
order of the draws: shapes, value ranges, the drawn parameters recovered from the outputs
(rotation angles from the centroid of a single-pixel dot, erased rectangles from the changed
pixels), one draw per image, the same seed giving the same output. The helpers of these
property checks (:func:`property_check`, :class:`Violation`, :func:`same_twice`) are shared
with 4_9. Points: 19 (deterministic 14, random 5).

Longer than the usual ~300 lines: besides the plan, it holds three property checks with their
ja/en texts and the property-check helpers 4_9 imports (one home for how a property failure
is reported, which a separate module would only split).
"""
from __future__ import annotations

import functools

import numpy as np

from grader.reports.messages import in_lang, text
from grader.grading.probe import PlanBuilder, describe_step
from grader.grading.results import CheckResult, Status
from grader.course.checks.base import Context, Spec, make_result, step_problem

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
    "dtypes": {"ja": "float32 の入力には float32、それ以外 (整数など) には float64 を返します。値の尺度は変えません。",
               "en": "Return float32 for float32 input and float64 otherwise (integers too), values in the same scale."},
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

_TEXTS = {
    "not_reproducible": {"ja": "同じ seed の rng で 2 回呼ぶと結果が違いました。乱数は引数の rng だけから引いてください"
                               " (np.random や random を使わない)。",
                         "en": "two calls with generators of the same seed gave different results. Draw only from "
                               "the rng argument (not np.random or random)."},
    "not_random": {"ja": "違う seed でも結果が同じでした。rng から引いた値を使っていますか。",
                   "en": "different seeds gave the same result. Are the values drawn from rng used?"},
    "property": {"ja": "{call}: {what}", "en": "{call}: {what}"},
}


def say(key: str, lang: str, texts: dict | None = None, **fields) -> str:
    return in_lang((texts or _TEXTS)[key], lang).format(**fields)


class Violation(Exception):
    """A property does not hold: ``key`` names the probe step, ``what`` is ``{"ja", "en"}``
    (format fields in ``fields``)."""

    def __init__(self, key: str, what: dict, diagnosis: str | None = None, **fields):
        super().__init__(what["en"])
        self.key, self.what, self.fields, self.diagnosis = key, what, fields, diagnosis


def property_check(ctx: Context, spec: Spec, keys: tuple, judge) -> CheckResult:
    """A check judged by properties of the trainee's outputs of ``keys``: ``judge(arrays)``
    (``arrays(key)`` is the step's array, or its dict ``{name: array}``) raises :class:`Violation`."""
    if spec.name in ctx.flagged:
        return make_result(spec, ctx, Status.FAILED, text("uses_reference", ctx.lang, name=spec.name))
    for key in keys:
        problem = step_problem(spec, ctx, key)
        if problem is not None:
            return make_result(spec, ctx, *problem)

    def arrays(key):
        info = ctx.got.step_status(key)
        if key in ctx.got.arrays:
            return ctx.got.arrays[key]
        return {k: ctx.got.sub(key, k) for k in info.get("keys", ())}

    try:
        with np.errstate(all="ignore"):
            judge(arrays)
    except Violation as v:
        call = describe_step(ctx.plan, v.key)
        what = in_lang(v.what, ctx.lang).format(**v.fields)
        details = {"call": call, **({"diagnosis": v.diagnosis} if v.diagnosis else {})}
        result = make_result(spec, ctx, Status.FAILED, say("property", ctx.lang, call=call, what=what), details)
        return _with_named_mistake(result, v.diagnosis, ctx.lang) if v.diagnosis else result
    return make_result(spec, ctx, Status.PASSED, text("passed", ctx.lang, call=describe_step(ctx.plan, keys[-1])))


def _with_named_mistake(result: CheckResult, mistake_id: str, lang: str) -> CheckResult:
    """A property check that recognises a catalogued mistake itself (labels apart from images)
    says so as the diagnoser would."""
    from dataclasses import replace

    from grader.course.diagnosis.diagnoser import all_mistakes

    mistake = all_mistakes().get(mistake_id)
    if mistake is None:
        return result
    label, hint = mistake.describe(lang)
    return replace(result, hint=text("diagnosis", lang, title=label, hint=hint))


def as_array(value, key: str, shape: tuple) -> np.ndarray:
    """The step's output as a float array of ``shape``, else a :class:`Violation`."""
    if not isinstance(value, np.ndarray) or value.shape != tuple(shape):
        got = f"shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise Violation(key, {"ja": "形状 {expected} の配列を期待しましたが {got} でした。",
                              "en": "expected an array of shape {expected}, got {got}."}, expected=tuple(shape), got=got)
    return value.astype(np.float64)


def same_twice(arrays, key_a: str, key_b: str, key_other: str | None = None) -> None:
    """Steps ``key_a`` and ``key_b`` (the same call, generators of the same seed) agree exactly;
    ``key_other`` (another seed) differs."""
    a, b = arrays(key_a), arrays(key_b)
    pairs = [(a[k], b.get(k)) for k in a] if isinstance(a, dict) else [(a, b)]
    pairs = [(x, y) for x, y in pairs if x is not None or y is not None]  # None items (no array) on both sides
    if isinstance(a, dict) and set(a) != set(b) or any(
            x is None or y is None or x.shape != y.shape or not np.array_equal(x, y, equal_nan=True) for x, y in pairs):
        raise Violation(key_b, _TEXTS["not_reproducible"])
    if key_other is not None:
        c = arrays(key_other)
        if isinstance(a, dict):
            same = set(a) == set(c) and all(a[k] is None and c[k] is None or a[k] is not None and c[k] is not None
                                            and a[k].shape == c[k].shape and np.array_equal(a[k], c[k]) for k in a)
        else:
            same = a.shape == c.shape and np.array_equal(a, c)
        if same:
            raise Violation(key_other, _TEXTS["not_random"])


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
        Spec("zoom.values", 2, ("zoom_up", "zoom_down", "zoom_per_image", "zoom_random"), ("zoom_up",), hint=h["zoom"]),
        Spec("zoom.fill", 1, ("zoom_fill",), hint=h["zoom"]),
        Spec("shift.values", 2, ("shift_pos", "shift_neg", "shift_per_image", "shift_random"), ("shift_pos",),
             hint=h["shift"]),
        Spec("shift.beyond_the_image", 1, ("shift_beyond_x", "shift_beyond_y"), hint=h["shift"]),
        Spec("crop.values", 1, ("crop_window", "crop_per_image", "crop_whole"), ("crop_window",), hint=h["crop"]),
        Spec("gaussian_noise.clip", 1, ("noise_std0", "noise_mean"), ("noise_std0",), hint=h["noise"]),
    ]


def _dots(rng, n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images ``(1, size, size)``, each one pixel of 1 at radius 4.5..6 from the centre
    (the rest 0), and their (row, col) positions."""
    c = (size - 1) / 2
    x = np.zeros((n, 1, size, size))
    pos = np.zeros((n, 2))
    for i in range(n):
        while True:
            r, col = rng.integers(0, size, 2)
            if 4.5 <= np.hypot(r - c, col - c) <= 6:
                break
        x[i, 0, r, col] = 1.0
        pos[i] = r, col
    return x, pos


ROTATE_RANGE = (10, 25)  # max_left, max_right of the random_rotate probe
ERASE_AREA, ERASE_ASPECT = (0.05, 0.2), (0.5, 2.0)


def _random(plan: PlanBuilder, rng) -> None:
    a = plan.array
    seed = int(rng.integers(1 << 30))
    xn = a("x_noise_mid", np.full((4, 1, 25, 20), 0.5))
    for key, s in (("noise_a", seed), ("noise_b", seed), ("noise_c", seed + 1)):
        plan.call(key, "gaussian_noise", xn, 0.05, plan.rng(s), watch=("gaussian_noise",))
    plan.call("noise_clip", "gaussian_noise", a("x_noise_hi", np.full((2, 2, 10, 10), 0.9)), 0.5, plan.rng(seed + 2),
              watch=("gaussian_noise",))
    plan.call("noise_f32", "gaussian_noise", a("x_noise_f32", rng.random((1, 1, 5, 6)).astype(np.float32)), 0.1,
              plan.rng(seed + 3), watch=("gaussian_noise",))
    dots, _ = _dots(rng, 40, 15)
    xd = a("x_dots", dots)
    w = ("random_rotate", "rotate")
    for key, s in (("rrot_a", seed), ("rrot_b", seed), ("rrot_c", seed + 1)):
        plan.call(key, "random_rotate", xd, *ROTATE_RANGE, plan.rng(s), watch=w)
    plan.call("rrot_zero", "random_rotate", a("x_rrot_one", rng.random((1, 2, 7, 9))), 0, 0, plan.rng(seed), watch=w)
    w = ("random_erasing",)
    xe = a("x_erase", 0.5 + 0.5 * rng.random((200, 2, 12, 16)))
    for key, s in (("erase_a", seed), ("erase_b", seed), ("erase_c", seed + 1)):
        plan.call(key, "random_erasing", xe, plan.rng(s), probability=0.5, area=list(ERASE_AREA),
                  aspect=list(ERASE_ASPECT), watch=w)
    xe1 = a("x_erase_small", 0.5 + 0.5 * rng.random((20, 1, 12, 16)))
    plan.call("erase_always", "random_erasing", xe1, plan.rng(seed), 1.0, watch=w)
    plan.call("erase_never", "random_erasing", xe1, plan.rng(seed), 0.0, watch=w)


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs drawn from ``rng``."""
    plan = PlanBuilder()
    specs = _deterministic(plan, rng)
    _random(plan, rng)
    return plan.build(), specs


# --------------------------------------------------------------------------- property checks
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


def _noise(arrays) -> None:
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


def _random_rotate(plan_arrays):
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


def _random_erasing(plan_arrays):
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


def extra_checks(ctx: Context) -> list[CheckResult]:
    """The random operations, judged by properties."""
    arrays = ctx.plan.arrays
    check = functools.partial(property_check, ctx)
    return [
        check(Spec("gaussian_noise.random", 1, hint=_H["noise"]),
              ("noise_a", "noise_b", "noise_c", "noise_clip", "noise_f32"), _noise),
        check(Spec("random_rotate.properties", 2, hint=_H["random_rotate"]),
              ("rrot_a", "rrot_b", "rrot_c", "rrot_zero"), _random_rotate(arrays)),
        check(Spec("random_erasing.properties", 2, hint=_H["random_erasing"]),
              ("erase_a", "erase_b", "erase_c", "erase_always", "erase_never"), _random_erasing(arrays)),
    ]

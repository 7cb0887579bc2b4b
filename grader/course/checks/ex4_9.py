"""Exercise 4_9: Keras' ``ImageDataGenerator`` semantics, channels-last (``docs/augmentation.md``).

``transform_matrix_offset_center``, ``apply_affine_transform`` and ``apply_transform`` are
deterministic given their parameters and compared with ``reference.augment`` under the one
numerical policy. Fill modes ``constant`` and ``wrap`` jump at the edge pixels' centres, so
their cases use angles and shifts whose sample points never land exactly on them; the
right-angle and whole-pixel cases use ``nearest`` and ``reflect``, which are continuous there.

``random_transform_params`` and ``flow`` get an explicit generator (``{"$rng": seed}``) and are
judged by properties: the keys, every drawn value within its range (with Keras' crossing:
``tx`` from ``height_shift_range`` times H, ``ty`` from ``width_shift_range`` times W), the
distribution over 400 draws (Kolmogorov-Smirnov distance to the uniform law), flips at the
right rate, the same seed giving the same draws; ``flow``'s batches and labels (each label stays
with its image), that it augments, and a deterministic unshuffled epoch compared exactly.
Points: 15.
"""
from __future__ import annotations

import functools

import numpy as np

from grader.grading.probe import PlanBuilder
from grader.grading.results import CheckResult
from grader.course.checks.base import Context, Spec
from grader.course.checks.ex4_8 import Violation, property_check, same_twice

EXERCISE = "4_9"
GRADED = ("transform_matrix_offset_center", "apply_affine_transform", "apply_transform", "random_transform_params",
          "flow")

_H = {
    "offset": {"ja": "o_x = x/2 - 0.5、o_y = y/2 - 0.5 の平行移動 T で T(o) @ matrix @ T(-o) を返します (3x3)。",
               "en": "With the translation T by o_x = x/2 - 0.5, o_y = y/2 - 0.5, return T(o) @ matrix @ T(-o) (3x3)."},
    "affine": {"ja": "Keras と同じ順に M = R(theta) @ S(tx, ty) @ Shear(shear) @ Z(zx, zy) (角度は度)。"
                     "transform_matrix_offset_center(M, H, W) の後、行と列 (Keras の x, y) を入れ替えて "
                     "ndimage.affine_transform(..., order=1, mode=fill_mode, cval=cval) をチャンネルごとに適用します。"
                     "変換がなければ入力をそのまま (float で) 返します。",
               "en": "Build M = R(theta) @ S(tx, ty) @ Shear(shear) @ Z(zx, zy) in Keras' order (angles in degrees), "
                     "then transform_matrix_offset_center(M, H, W), swap rows and columns (Keras' x, y) and apply "
                     "ndimage.affine_transform(..., order=1, mode=fill_mode, cval=cval) to each channel. Without a "
                     "transform return the input unchanged (as floats)."},
    "fill": {"ja": "fill_mode と cval を ndimage.affine_transform の mode と cval にそのまま渡します。",
             "en": "Pass fill_mode and cval on as the mode and cval of ndimage.affine_transform."},
    "color": {"ja": "アフィン変換の後、Keras の順に channel_shift_intensity (全体の min/max でクリップ)、flip_horizontal "
                    "(列を反転)、flip_vertical (行を反転)、brightness を適用します。",
              "en": "After the affine part, in Keras' order: channel_shift_intensity (clipped to the whole image's "
                    "min/max), flip_horizontal (reverse the columns), flip_vertical (reverse the rows), brightness."},
    "params": {"ja": "theta は [-rotation_range, rotation_range] の一様乱数 (度)。Keras では tx が height_shift_range × H、"
                     "ty が width_shift_range × W から引かれます。zx, zy は zoom_range から別々に、反転は確率 1/2 で。"
                     "乱数は引数の rng だけから引きます。",
               "en": "theta is uniform in [-rotation_range, rotation_range] (degrees). In Keras tx comes from "
                     "height_shift_range x H and ty from width_shift_range x W. zx and zy are drawn separately from "
                     "zoom_range, flips with probability 1/2. Draw only from the rng argument."},
    "flow": {"ja": "順番を rng.permutation(N) で 1 回だけ決め、同じ添字で画像とラベルを取り出します。画像ごとに "
                   "random_transform_params → apply_transform を適用し、(batch_x, batch_y) を yield します。",
             "en": "Draw the order once with rng.permutation(N) and take images and labels with the same indices. "
                   "Apply random_transform_params then apply_transform to each image; yield (batch_x, batch_y)."},
    "unmodified": {"ja": "入力配列を書き換えないでください。", "en": "Do not change the input array."},
}

PARAMS_A = {"rotation_range": 20, "width_shift_range": 0.1, "height_shift_range": 0.2, "shear_range": 5,
            "zoom_range": 0.2, "horizontal_flip": True, "img_shape": [28, 20, 1]}
PARAMS_B = {"width_shift_range": 3, "img_shape": [12, 12, 1]}
DRAWS_A, DRAWS_B = 400, 40
FLOW_N, FLOW_BATCH = 23, 8


def _deterministic(plan: PlanBuilder, rng) -> list[Spec]:
    a = plan.array
    w = ("transform_matrix_offset_center",)
    plan.call("offset_square", "transform_matrix_offset_center", a("m3", rng.standard_normal((3, 3))), 28, 28, watch=w)
    plan.call("offset_wide", "transform_matrix_offset_center", a("m3b", rng.standard_normal((3, 3))), 13, 17, watch=w)
    w = ("apply_affine_transform",)
    xa = a("x_affine", rng.random((9, 11, 2)))
    plan.call("affine_theta", "apply_affine_transform", xa, 30, track=(0,), watch=w)
    plan.call("affine_shift", "apply_affine_transform", xa, tx=2.5, ty=-1.25, watch=w)
    plan.call("affine_shear", "apply_affine_transform", xa, shear=12, watch=w)
    plan.call("affine_zoom", "apply_affine_transform", xa, zx=1.3, zy=0.8, watch=w)
    plan.call("affine_all", "apply_affine_transform", xa, -20, 1, 2, 5, 0.9, 1.1, "reflect", watch=w)
    plan.call("affine_identity", "apply_affine_transform", xa, watch=w)
    w = ("apply_transform",)
    sq = a("x_square", rng.random((8, 8, 1)))
    wide = a("x_wide", rng.random((13, 17, 3)))
    plan.call("tr_empty", "apply_transform", wide, {}, track=(0,), watch=w)
    plan.call("tr_theta90", "apply_transform", sq, {"theta": 90}, watch=w)
    plan.call("tr_theta_wide", "apply_transform", wide, {"theta": -30}, watch=w)
    plan.call("tr_txty", "apply_transform", wide, {"tx": 2, "ty": -3}, watch=w)
    plan.call("tr_zoom", "apply_transform", sq, {"zx": 1.25, "zy": 0.75}, watch=w)
    plan.call("tr_random", "apply_transform", wide, {"theta": float(rng.uniform(-45, 45)), "tx": float(rng.uniform(-3, 3)),
              "ty": float(rng.uniform(-3, 3)), "shear": float(rng.uniform(-10, 10)), "zx": float(rng.uniform(0.8, 1.2)),
              "zy": float(rng.uniform(0.8, 1.2))}, watch=w)
    xf = a("x_fill", rng.random((10, 12, 1)))
    generic = {"theta": 17, "tx": 2.3, "ty": -3.7, "zx": 1.2, "zy": 1.3}
    for mode in ("constant", "nearest", "reflect", "wrap"):
        plan.call(f"tr_fill_{mode}", "apply_transform", xf, generic, fill_mode=mode, cval=0.5, watch=w)
    plan.call("tr_beyond_nearest", "apply_transform", xf, {"tx": 30, "ty": -2}, "nearest", watch=w)
    plan.call("tr_beyond_constant", "apply_transform", xf, {"tx": 30.5}, "constant", 0.25, watch=w)
    x255 = a("x_255", np.floor(rng.random((7, 9, 3)) * 256))
    plan.call("tr_flip_h", "apply_transform", x255, {"flip_horizontal": True}, watch=w)
    plan.call("tr_flip_v", "apply_transform", x255, {"flip_vertical": True, "flip_horizontal": False}, watch=w)
    plan.call("tr_channel_shift", "apply_transform", x255, {"channel_shift_intensity": 40.0}, watch=w)
    plan.call("tr_brightness", "apply_transform", x255, {"brightness": 0.7}, watch=w)
    w = ("flow",)
    xs, ys = a("x_flow", rng.random((10, 5, 6, 1))), a("y_flow", rng.integers(0, 10, 10))
    plan.iterate("flow_ordered", "flow", xs, ys, 4, plan.rng(int(rng.integers(1 << 30))), False, limit=50,
                 track=(0,), watch=w)
    h = _H
    return [
        Spec("transform_matrix_offset_center.values", 1, ("offset_square", "offset_wide"), hint=h["offset"]),
        Spec("apply_affine_transform.values", 2, ("affine_theta", "affine_shift", "affine_shear", "affine_zoom",
                                                  "affine_all", "affine_identity"), ("affine_theta",), hint=h["affine"]),
        Spec("apply_transform.geometry", 2, ("tr_empty", "tr_theta90", "tr_theta_wide", "tr_txty", "tr_zoom",
                                             "tr_random"), ("tr_empty",), hint=h["affine"]),
        Spec("apply_transform.fill_modes", 2, tuple(f"tr_fill_{m}" for m in ("constant", "nearest", "reflect", "wrap"))
             + ("tr_beyond_nearest", "tr_beyond_constant"), hint=h["fill"]),
        Spec("apply_transform.flips_and_color", 1, ("tr_flip_h", "tr_flip_v", "tr_channel_shift", "tr_brightness"),
             hint=h["color"]),
        Spec("flow.ordered_epoch", 1, ("flow_ordered",), ("flow_ordered",), hint=h["flow"]),
    ]


def _random(plan: PlanBuilder, rng) -> None:
    seeds = rng.integers(1 << 30, size=DRAWS_A + DRAWS_B + 1)
    w = ("random_transform_params",)
    for i in range(DRAWS_A):
        plan.call(f"rtp_a{i}", "random_transform_params", plan.rng(seeds[i]), watch=w, **PARAMS_A)
    plan.call("rtp_again", "random_transform_params", plan.rng(seeds[0]), watch=w, **PARAMS_A)
    for i in range(DRAWS_B):
        plan.call(f"rtp_b{i}", "random_transform_params", plan.rng(seeds[DRAWS_A + i]), watch=w, **PARAMS_B)
    w = ("flow",)
    seed = int(seeds[-1])
    consts = plan.array("x_const", np.broadcast_to((np.arange(FLOW_N) / FLOW_N)[:, None, None, None],
                                                   (FLOW_N, 4, 4, 1)).copy())
    labels = plan.array("y_const", 100 + np.arange(FLOW_N))
    kw = {"rotation_range": 40, "zoom_range": 0.2, "horizontal_flip": True}
    plan.iterate("flow_labels", "flow", consts, labels, FLOW_BATCH, plan.rng(seed), limit=50, watch=w, **kw)
    xd = plan.array("x_flow_aug", rng.random((12, 9, 9, 1)))
    for key, s in (("flow_aug_a", seed), ("flow_aug_b", seed), ("flow_aug_c", seed + 1)):
        plan.iterate(key, "flow", xd, None, 5, plan.rng(s), limit=50, watch=w, rotation_range=90, width_shift_range=0.2)


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs drawn from ``rng``."""
    plan = PlanBuilder()
    specs = _deterministic(plan, rng)
    _random(plan, rng)
    return plan.build(), specs


# --------------------------------------------------------------------------- property checks
_W = {
    "missing_key": {"ja": "返した辞書にキー {key!r} がありません (キー: {keys})。",
                    "en": "the returned dict has no key {key!r} (keys: {keys})."},
    "out_of_range": {"ja": "{name} = {value:.4g} が範囲 [{lo:.4g}, {hi:.4g}] の外です。",
                     "en": "{name} = {value:.4g} is outside [{lo:.4g}, {hi:.4g}]."},
    "narrow": {"ja": "{n} 回引いた {name} の最大の絶対値が {top:.3g} で、範囲 ±{hi:.3g} を使い切っていません{why}。",
               "en": "over {n} draws the largest |{name}| is {top:.3g}, far inside ±{hi:.3g}{why}."},
    "radians": {"ja": " (度ではなくラジアン?)", "en": " (radians instead of degrees?)"},
    "uncrossed": {"ja": "tx は {tx_range}、ty は {ty_range} の範囲にありました。Keras では tx が height_shift_range × H、"
                        "ty が width_shift_range × W から引かれます。",
                  "en": "tx stayed within {tx_range} and ty within {ty_range}; Keras draws tx from height_shift_range x H "
                        "and ty from width_shift_range x W."},
    "not_uniform": {"ja": "{n} 回引いた {name} の分布が一様分布 U({lo}, {hi}) から離れています (KS 距離 {d:.3f})。",
                    "en": "over {n} draws {name} is far from uniform on [{lo}, {hi}] (Kolmogorov-Smirnov distance "
                          "{d:.3f})."},
    "same_zoom": {"ja": "zx と zy がいつも同じ値です。別々に引きます。", "en": "zx always equals zy: draw them separately."},
    "flip_rate": {"ja": "{name} が {n} 回中 {k} 回 True でした (期待 {want})。",
                  "en": "{name} was True {k} times in {n} draws (expected {want})."},
    "int_shift": {"ja": "width_shift_range=3 (整数) のとき ty は -2..2 の整数のはずですが {value!r} でした。",
                  "en": "with width_shift_range=3 (an int) ty should be an integer in -2..2, got {value!r}."},
    "batches": {"ja": "バッチの大きさが {sizes} でした (期待 {want})。", "en": "the batch sizes were {sizes}, expected {want}."},
    "no_items": {"ja": "バッチ {i} が (batch_x, batch_y) の組ではありません。",
                 "en": "batch {i} is not a pair (batch_x, batch_y)."},
    "labels_set": {"ja": "ラベルが y のちょうど 1 回ずつになっていません。", "en": "the labels are not each label of y exactly once."},
    "labels_apart": {"ja": "画像とラベルが対応していません (バッチ {i} の {j} 番目: 画像は y={image_label} のもの、ラベルは "
                           "{label})。",
                     "en": "images and labels do not match (batch {i}, item {j}: the image is y={image_label}'s, the "
                           "label says {label})."},
    "image_unknown": {"ja": "バッチ {i} の {j} 番目が入力のどの画像とも合いません。",
                      "en": "batch {i}, item {j} matches none of the input images."},
    "not_shuffled": {"ja": "shuffle=True なのに順番が入力のままです。", "en": "shuffle=True kept the input order."},
    "not_augmented": {"ja": "rotation_range=90 でも {n} 枚中 {k} 枚しか変わっていません。",
                      "en": "with rotation_range=90 only {k} of {n} images changed."},
}
_KEYS = ("theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal", "flip_vertical")


def _draws(arrays, prefix: str, n: int) -> dict:
    """``{key: values over n draws}`` of the dicts returned by steps ``prefix0..``."""
    out = {k: [] for k in _KEYS}
    for i in range(n):
        got = arrays(f"{prefix}{i}")
        if not isinstance(got, dict):
            raise Violation(f"{prefix}{i}", _W["missing_key"], key="theta", keys=type(got).__name__)
        for k in _KEYS:
            value = got.get(k)
            if value is None or value.size != 1:
                raise Violation(f"{prefix}{i}", _W["missing_key"], key=k, keys=sorted(got))
            out[k].append(float(value.reshape(())))
    return {k: np.array(v) for k, v in out.items()}


def _ks(values: np.ndarray, lo: float, hi: float) -> float:
    v = np.sort(values)
    cdf = np.clip((v - lo) / (hi - lo), 0, 1)
    n = len(v)
    return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))


def _within(key: str, name: str, values: np.ndarray, lo: float, hi: float) -> None:
    bad = values[(values < lo - 1e-9) | (values > hi + 1e-9)]
    if bad.size:
        raise Violation(key, _W["out_of_range"], name=name, value=bad[0], lo=lo, hi=hi)


def _params_ranges(arrays) -> None:
    same_twice(arrays, "rtp_a0", "rtp_again", "rtp_a1")
    d = _draws(arrays, "rtp_a", DRAWS_A)
    h, w = PARAMS_A["img_shape"][:2]
    tx_hi, ty_hi = PARAMS_A["height_shift_range"] * h, PARAMS_A["width_shift_range"] * w
    if np.abs(d["tx"]).max() < 0.8 * tx_hi and np.abs(d["ty"]).max() > ty_hi * 1.05:  # tx from width_shift_range
        raise Violation("rtp_a0", _W["uncrossed"], "4_9.shift_ranges_uncrossed",
                        tx_range=f"±{np.abs(d['tx']).max():.2f}", ty_range=f"±{np.abs(d['ty']).max():.2f}")
    limits = {"theta": PARAMS_A["rotation_range"], "tx": tx_hi, "ty": ty_hi, "shear": PARAMS_A["shear_range"]}
    for name, hi in limits.items():
        _within("rtp_a0", name, d[name], -hi, hi)
        top = np.abs(d[name]).max()
        if top < 0.8 * hi:
            why = _W["radians"] if name in ("theta", "shear") and top <= np.deg2rad(hi) * 1.01 else {"ja": "", "en": ""}
            raise Violation("rtp_a0", {k: _W["narrow"][k].replace("{why}", why[k]) for k in ("ja", "en")},
                            n=DRAWS_A, name=name, top=top, hi=hi)
    z = PARAMS_A["zoom_range"]
    for name in ("zx", "zy"):
        _within("rtp_a0", name, d[name], 1 - z, 1 + z)
    if np.all(d["zx"] == d["zy"]):
        raise Violation("rtp_a0", _W["same_zoom"])
    k = int(d["flip_horizontal"].sum())
    if not 0.4 * DRAWS_A <= k <= 0.6 * DRAWS_A:
        raise Violation("rtp_a0", _W["flip_rate"], name="flip_horizontal", n=DRAWS_A, k=k, want=f"~{DRAWS_A // 2}")
    if d["flip_vertical"].any():
        raise Violation("rtp_a0", _W["flip_rate"], name="flip_vertical", n=DRAWS_A, k=int(d["flip_vertical"].sum()),
                        want=0)
    b = _draws(arrays, "rtp_b", DRAWS_B)
    for i, value in enumerate(b["ty"]):
        if value != round(value) or abs(value) > 2:
            raise Violation(f"rtp_b{i}", _W["int_shift"], value=value)
    if not (np.all(b["zx"] == 1) and np.all(b["zy"] == 1) and np.all(b["theta"] == 0) and np.all(b["tx"] == 0)):
        raise Violation("rtp_b0", _W["out_of_range"], name="zx, zy, theta, tx", value=float("nan"), lo=0, hi=0)


def _params_distribution(arrays) -> None:
    d = _draws(arrays, "rtp_a", DRAWS_A)
    r, z = PARAMS_A["rotation_range"], PARAMS_A["zoom_range"]
    for name, lo, hi in (("theta", -r, r), ("zx", 1 - z, 1 + z), ("zy", 1 - z, 1 + z)):
        dist = _ks(d[name], lo, hi)
        if dist > 0.1:  # the 1e-4 critical value for 400 draws is about 0.097... of a true uniform: 0.1 is safe
            raise Violation("rtp_a0", _W["not_uniform"], n=DRAWS_A, name=name, lo=lo, hi=hi, d=dist)


def _flow_items(arrays, key: str, with_labels: bool) -> list:
    got = arrays(key)
    count = int(got["count"]) if isinstance(got, dict) and got.get("count") is not None else 0
    items = []
    for i in range(count):
        if with_labels:
            bx, by = got.get(f"{i}.0"), got.get(f"{i}.1")
            if bx is None or by is None:
                raise Violation(key, _W["no_items"], i=i)
            items.append((bx.astype(np.float64), by))
        else:
            bx = got.get(str(i))
            if bx is None:
                raise Violation(key, _W["no_items"], i=i)
            items.append(bx.astype(np.float64))
    return items


def _flow_labels(arrays) -> None:
    items = _flow_items(arrays, "flow_labels", True)
    sizes = [len(bx) for bx, _ in items]
    want = [FLOW_BATCH] * (FLOW_N // FLOW_BATCH) + ([FLOW_N % FLOW_BATCH] if FLOW_N % FLOW_BATCH else [])
    if sizes != want or any(bx.shape[1:] != (4, 4, 1) or by.shape != (len(bx),) for bx, by in items):
        raise Violation("flow_labels", _W["batches"], sizes=sizes, want=want)
    labels = np.concatenate([by for _, by in items])
    if sorted(labels.tolist()) != list(range(100, 100 + FLOW_N)):
        raise Violation("flow_labels", _W["labels_set"])
    apart = None
    for i, (bx, by) in enumerate(items):
        for j, (img, label) in enumerate(zip(bx, by)):
            which = img.mean() * FLOW_N
            if abs(which - round(which)) > 1e-3 or np.ptp(img) > 1e-3 or not 0 <= round(which) < FLOW_N:
                raise Violation("flow_labels", _W["image_unknown"], i=i, j=j)
            if round(which) + 100 != label and apart is None:
                apart = (i, j, int(round(which)) + 100, int(label))
    if apart is not None:
        i, j, image_label, label = apart
        raise Violation("flow_labels", _W["labels_apart"], "4_9.flow_labels_apart", i=i, j=j,
                        image_label=image_label, label=label)
    if labels.tolist() == list(range(100, 100 + FLOW_N)):
        raise Violation("flow_labels", _W["not_shuffled"])


def _flow_augments(plan_arrays):
    def judge(arrays) -> None:
        same_twice(arrays, "flow_aug_a", "flow_aug_b", "flow_aug_c")
        x = plan_arrays["x_flow_aug"]
        items = _flow_items(arrays, "flow_aug_a", False)
        if [b.shape for b in items] != [(5,) + x.shape[1:], (5,) + x.shape[1:], (2,) + x.shape[1:]]:
            raise Violation("flow_aug_a", _W["batches"], sizes=[len(b) for b in items], want=[5, 5, 2])
        out = np.concatenate(items)
        unchanged = sum(np.min(np.abs(x - img).reshape(len(x), -1).max(axis=1)) < 1e-6 for img in out)
        if len(out) - unchanged < len(out) // 2:
            raise Violation("flow_aug_a", _W["not_augmented"], n=len(out), k=len(out) - unchanged)
    return judge


def extra_checks(ctx: Context) -> list[CheckResult]:
    """``random_transform_params`` and ``flow``, judged by properties."""
    check = functools.partial(property_check, ctx)
    draws = tuple(f"rtp_a{i}" for i in range(DRAWS_A)) + ("rtp_again",) + tuple(f"rtp_b{i}" for i in range(DRAWS_B))
    return [
        check(Spec("random_transform_params.ranges", 2, hint=_H["params"]), draws, _params_ranges),
        check(Spec("random_transform_params.distribution", 1, hint=_H["params"]), draws[:DRAWS_A],
              _params_distribution),
        check(Spec("flow.labels_follow_images", 2, hint=_H["flow"]), ("flow_labels",), _flow_labels),
        check(Spec("flow.augments", 1, hint=_H["flow"]), ("flow_aug_a", "flow_aug_b", "flow_aug_c"),
              _flow_augments(ctx.plan.arrays)),
    ]

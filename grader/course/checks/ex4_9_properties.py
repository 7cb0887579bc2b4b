"""The property judges of exercise 4_9's random parts (``random_transform_params`` and
``flow``), with their ja/en texts: the keys, every drawn value within its range (with Keras'
crossing: ``tx`` from ``height_shift_range`` times H, ``ty`` from ``width_shift_range`` times W),
the distribution over 400 draws (Kolmogorov-Smirnov distance to the uniform law), flips at the
right rate, the same seed giving the same draws; ``flow``'s batches and labels (each label stays
with its image) and that it augments. The plan that feeds them is
:func:`grader.course.checks.ex4_9.build`; the parameters they share with it live here.
"""
from __future__ import annotations

import numpy as np

from grader.course.checks.property_checks import Violation, same_twice

__all__ = ["PARAMS_A", "PARAMS_B", "DRAWS_A", "DRAWS_B", "FLOW_N", "FLOW_BATCH", "params_ranges",
           "params_distribution", "flow_labels", "flow_augments"]

PARAMS_A = {"rotation_range": 20, "width_shift_range": 0.1, "height_shift_range": 0.2, "shear_range": 5,
            "zoom_range": 0.2, "horizontal_flip": True, "img_shape": [28, 20, 1]}
PARAMS_B = {"width_shift_range": 3, "img_shape": [12, 12, 1]}
DRAWS_A, DRAWS_B = 400, 40
FLOW_N, FLOW_BATCH = 23, 8


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


def params_ranges(arrays) -> None:
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


def params_distribution(arrays) -> None:
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


def flow_labels(arrays) -> None:
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


def flow_augments(plan_arrays):
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

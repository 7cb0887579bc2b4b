"""The property judges of exercise 4_9's ``random_transform_params``, with their ja/en texts:
the keys, every drawn value within its range (with Keras' crossing: ``tx`` from
``height_shift_range`` times H, ``ty`` from ``width_shift_range`` times W; lists of shifts, float
shifts of 1 or more in pixels, a ``zoom_range`` list, vertical flips, channel shift and
brightness), the distribution over 400 draws (Kolmogorov-Smirnov distance to the uniform law),
flips at the right rate, the same seed giving the same draws. The plan that feeds them is
:func:`grader.course.checks.ex4_9.build`; the parameters they share with it live here.
(``flow``'s judges: :mod:`grader.course.checks.ex4_9_flow`.)
"""
from __future__ import annotations

import numpy as np

from grader.course.checks.property_checks import Violation, same_twice

__all__ = ["PARAMS_A", "PARAMS_B", "PARAMS_C", "DRAWS_A", "DRAWS_B", "DRAWS_C", "params_ranges", "params_distribution"]

PARAMS_A = {"rotation_range": 20, "width_shift_range": 0.1, "height_shift_range": 0.2, "shear_range": 5,
            "zoom_range": 0.2, "horizontal_flip": True, "img_shape": [28, 20, 1]}
PARAMS_B = {"width_shift_range": 3, "img_shape": [12, 12, 1]}
# the other kinds of range Keras reads: a list of shifts, a float shift of 1 or more (pixels, not
# scaled), a zoom_range list, vertical flips, channel shift and brightness
PARAMS_C = {"height_shift_range": [-2, 0, 3], "width_shift_range": 2.5, "zoom_range": [0.7, 0.9], "vertical_flip": True,
            "channel_shift_range": 30.0, "brightness_range": [0.6, 1.4], "img_shape": [14, 10, 1]}
DRAWS_A, DRAWS_B, DRAWS_C = 400, 40, 100



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
    "shift_choice": {"ja": "height_shift_range={choices} (リスト) のとき tx はリストの値に ±1 を掛けたものですが {value:.4g} "
                           "でした (1 以上の値は画素数のまま)。",
                     "en": "with height_shift_range={choices} (a list) tx is one of its values times ±1, got {value:.4g} "
                           "(values of 1 or more are pixels, not scaled)."},
    "not_drawn": {"ja": "{param} を指定しても {name} が {value} でした。", "en": "with {param} set, {name} was {value}."},
}
_KEYS = ("theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal", "flip_vertical")


# PARAMS_C's keys, each with the argument that asks for it to be drawn
_SET_BY_C = {"tx": "height_shift_range", "ty": "width_shift_range", "zx": "zoom_range", "zy": "zoom_range",
             "flip_vertical": "vertical_flip", "channel_shift_intensity": "channel_shift_range",
             "brightness": "brightness_range"}


def _draws(arrays, prefix: str, n: int, keys=_KEYS, set_by: dict | None = None) -> dict:
    """``{key: values over n draws}`` of the dicts returned by steps ``prefix0..``; a key without
    a number is a :class:`Violation` (saying which argument asked for it, when ``set_by`` does)."""
    out = {k: [] for k in keys}
    for i in range(n):
        got = arrays(f"{prefix}{i}")
        if not isinstance(got, dict):
            raise Violation(f"{prefix}{i}", _W["missing_key"], key=keys[0], keys=type(got).__name__)
        for k in keys:
            value = got.get(k)
            if value is None or value.size != 1:
                if set_by and k in set_by:
                    raise Violation(f"{prefix}{i}", _W["not_drawn"], param=set_by[k], name=k,
                                    value=None if value is None else value.tolist())
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
    _other_ranges(arrays)


def _spread(key: str, name: str, values: np.ndarray, lo: float, hi: float) -> None:
    """Within ``[lo, hi]`` and reaching both ends' last fifth."""
    _within(key, name, values, lo, hi)
    span = hi - lo
    if values.min() > lo + 0.2 * span or values.max() < hi - 0.2 * span:
        raise Violation(key, _W["narrow"], n=len(values), name=name, top=float(np.abs(values).max()), hi=hi,
                        why="")


def _other_ranges(arrays) -> None:
    """PARAMS_C: list and pixel shifts, a zoom list, vertical flips, channel shift, brightness."""
    c, n, key = PARAMS_C, DRAWS_C, "rtp_c0"
    d = _draws(arrays, "rtp_c", n, tuple(_SET_BY_C), _SET_BY_C)
    tx = d["tx"]
    allowed = {abs(v) for v in c["height_shift_range"]}
    odd = [v for v in tx if abs(v) not in allowed]
    if odd or not {2.0, 3.0} <= set(np.abs(tx).tolist()):
        raise Violation(key, _W["shift_choice"], choices=c["height_shift_range"], value=odd[0] if odd else float(tx[0]))
    _spread(key, "ty", d["ty"], -c["width_shift_range"], c["width_shift_range"])
    for name in ("zx", "zy"):
        _spread(key, name, d[name], *c["zoom_range"])
    k = int(d["flip_vertical"].sum())
    if not 0.25 * n <= k <= 0.75 * n:
        raise Violation(key, _W["flip_rate"], name="flip_vertical", n=n, k=k, want=f"~{n // 2}")
    cs = c["channel_shift_range"]
    _spread(key, "channel_shift_intensity", d["channel_shift_intensity"], -cs, cs)
    _spread(key, "brightness", d["brightness"], *c["brightness_range"])


def params_distribution(arrays) -> None:
    d = _draws(arrays, "rtp_a", DRAWS_A)
    r, z = PARAMS_A["rotation_range"], PARAMS_A["zoom_range"]
    for name, lo, hi in (("theta", -r, r), ("zx", 1 - z, 1 + z), ("zy", 1 - z, 1 + z)):
        dist = _ks(d[name], lo, hi)
        if dist > 0.1:  # the 1e-4 critical value for 400 draws is about 0.097... of a true uniform: 0.1 is safe
            raise Violation("rtp_a0", _W["not_uniform"], n=DRAWS_A, name=name, lo=lo, hi=hi, d=dist)

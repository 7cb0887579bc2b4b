"""Typical mistakes of exercise 4_9: Keras' ``ImageDataGenerator`` semantics (``docs/augmentation.md``).
The ``apply_transform`` variants are the reference with the mistake; the last two are recognised
by the property checks of ``random_transform_params`` and ``flow`` themselves (their variants
exist for the catalogue's tests)."""
from __future__ import annotations

import numpy as np

from reference import augment as ra

from grader.course.diagnosis.base import Mistake

__all__ = ["MISTAKES"]


def _changed(change):
    def apply_transform(x, transform_parameters, fill_mode="nearest", cval=0.0):
        return ra.apply_transform(x, change(dict(transform_parameters)), fill_mode, cval)
    return apply_transform


def _swap(a, b):
    def change(p):
        if a in p or b in p:
            p[a], p[b] = p.get(b, 0 if a in ("tx", "ty") else False), p.get(a, 0 if a in ("tx", "ty") else False)
        return p
    return change


def _inverse_zoom(p):
    p.update({k: 1.0 / p[k] for k in ("zx", "zy") if k in p})
    return p


def _theta_radians(p):
    if "theta" in p:
        p["theta"] = float(np.rad2deg(p["theta"]))
    return p


def _theta_clockwise(p):
    if "theta" in p:
        p["theta"] = -p["theta"]
    return p


def _offset_whole_pixel(x, transform_parameters, fill_mode="nearest", cval=0.0):
    """``ra.apply_transform`` with the centre offset x/2, y/2 (without Keras' -0.5): the same
    matrix conjugated by a further half-pixel translation, ``b' = b + d - A d``."""
    x = ra._image(x)
    m = ra._params_matrix(transform_parameters, x.shape[0], x.shape[1])
    if m is not None:
        d = np.array([0.5, 0.5])
        m = m.copy()
        m[:, 2] += d - m[:, :2] @ d
    return ra._finish(ra._affine_hwc(x[None], [m], fill_mode, cval)[0], transform_parameters)


def _uncrossed(rng, rotation_range=0, width_shift_range=0.0, height_shift_range=0.0, *args, **kwargs):
    return ra.random_transform_params(rng, rotation_range, height_shift_range, width_shift_range, *args, **kwargs)


def _flow_labels_apart(x, y, batch_size=32, rng=None, shuffle=True, fill_mode="nearest", cval=0.0, **params):
    labels = None if y is None else np.asarray(y)[np.random.default_rng(0).permutation(len(y)) if shuffle else
                                                  np.arange(len(y))]
    for start, batch in zip(range(0, len(x), batch_size), ra.flow(x, None, batch_size, rng, shuffle, fill_mode, cval,
                                                                     **params)):
        yield batch if labels is None else (batch, labels[start:start + batch_size])


def _t(ja, en):
    return {"ja": ja, "en": en}


MISTAKES = (
    Mistake("4_9.tx_ty_swapped", "apply_transform", (_changed(_swap("tx", "ty")),),
            _t("tx と ty を取り違えている", "tx and ty swapped"),
            _t("Keras の行列では tx が x (列) 方向、ty が y (行) 方向の平行移動です: S = [[1, 0, tx], [0, 1, ty], [0, 0, 1]]。"
               "行と列の入れ替えはその後で行列全体に対して行います。",
               "In Keras' matrix tx translates along x (the columns) and ty along y (the rows): S = [[1, 0, tx], "
               "[0, 1, ty], [0, 0, 1]]; rows and columns are swapped afterwards, on the whole matrix.")),
    Mistake("4_9.zoom_inverted", "apply_transform", (_changed(_inverse_zoom),),
            _t("ズームが逆 (1/zx, 1/zy になっている)", "zoom inverted (1/zx, 1/zy)"),
            _t("Keras の Z = diag(zx, zy, 1) は出力から入力への写像です: zx > 1 で内容が小さくなります。逆数にしません。",
               "Keras' Z = diag(zx, zy, 1) maps the output to the input: zx > 1 shrinks the content. Do not invert it.")),
    Mistake("4_9.theta_as_radians", "apply_transform", (_changed(_theta_radians),),
            _t("theta (度) をラジアンとして使っている", "theta (degrees) used as radians"),
            _t("theta は度です。np.deg2rad(theta) にしてから回転行列を作ります。",
               "theta is in degrees: build the rotation matrix from np.deg2rad(theta).")),
    Mistake("4_9.rotation_clockwise", "apply_transform", (_changed(_theta_clockwise),),
            _t("回転の向きが逆 (theta > 0 で時計回り)", "rotation in the wrong direction (clockwise for theta > 0)"),
            _t("Keras の R = [[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]] (x = 列、y = 行) では theta > 0 で画面上の"
               "反時計回りです (theta=90 は np.rot90(x, 1, axes=(0, 1)))。sin の符号を確かめてください。",
               "With Keras' R = [[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]] (x = column, y = row) theta > 0 turns "
               "counter-clockwise on screen (theta=90 is np.rot90(x, 1, axes=(0, 1))). Check the signs of sin.")),
    Mistake("4_9.offset_whole_pixel", "apply_transform", (_offset_whole_pixel,),
            _t("中心のずらし量が x/2, y/2 (Keras の -0.5 がない)", "centre offset x/2, y/2 (without Keras' -0.5)"),
            _t("transform_matrix_offset_center のずらし量は o_x = x/2 - 0.5、o_y = y/2 - 0.5 です (画素 i の中心が座標 i)。"
               "-0.5 がないと、回転や拡大の中心が半画素ずれます。",
               "transform_matrix_offset_center offsets by o_x = x/2 - 0.5 and o_y = y/2 - 0.5 (pixel i is centred at i); "
               "without the -0.5 the rotation and zoom turn about a point half a pixel off.")),
    Mistake("4_9.flips_swapped", "apply_transform", (_changed(_swap("flip_horizontal", "flip_vertical")),),
            _t("flip_horizontal と flip_vertical が逆", "flip_horizontal and flip_vertical swapped"),
            _t("(H, W, C) の画像で flip_horizontal は列を反転 (x[:, ::-1])、flip_vertical は行を反転 (x[::-1]) します。",
               "For an (H, W, C) image flip_horizontal reverses the columns (x[:, ::-1]) and flip_vertical the rows "
               "(x[::-1]).")),
    Mistake("4_9.shift_ranges_uncrossed", "random_transform_params", (_uncrossed,),
            _t("tx を width_shift_range から引いている (Keras と逆)", "tx drawn from width_shift_range (unlike Keras)"),
            _t("Keras の get_random_transform は tx を height_shift_range × H から、ty を width_shift_range × W から引きます"
               " (apply_transform で x と y を入れ替えるため)。同じ挙動にします。",
               "Keras' get_random_transform draws tx from height_shift_range x H and ty from width_shift_range x W "
               "(apply_transform swaps x and y); reproduce that.")),
    Mistake("4_9.flow_labels_apart", "flow", (_flow_labels_apart,),
            _t("画像とラベルを別々にシャッフルしている", "images and labels shuffled apart"),
            _t("順番 (rng.permutation) は 1 回だけ引き、同じ添字で x と y を取り出します: x[idx], y[idx]。",
               "Draw the order (rng.permutation) once and index x and y with the same indices: x[idx], y[idx].")),
)

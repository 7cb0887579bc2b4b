"""Typical mistakes of exercise 4_8: Augmentor-style operations on NCHW batches
(``docs/augmentation.md``, "Typical mistakes"). Each variant is the reference with the mistake."""
from __future__ import annotations

import numpy as np

from reference import augment as ra

from grader.course.diagnosis.base import Mistake

__all__ = ["MISTAKES"]


def _rotate_about(x, angle, fill, centre):
    """``ra.rotate`` about ``centre(h, w)`` instead of ((H-1)/2, (W-1)/2)."""
    x = np.asarray(x)
    n, _, h, w = x.shape
    t = np.deg2rad(np.broadcast_to(np.asarray(angle, dtype=np.float64), (n,)))
    cos, sin = np.cos(t), np.sin(t)
    linear = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
    c = np.array(centre(h, w), dtype=np.float64)
    mats = np.zeros((n, 2, 3))
    mats[:, :, :2] = linear
    mats[:, :, 2] = c - linear @ c
    out = ra._warp(x, mats, "pil", fill)
    return out.astype(x.dtype if x.dtype in (np.float32, np.float64) else np.float64, copy=False)


def _rotate_corner(x, angle, fill=0.0):
    return _rotate_about(x, angle, fill, lambda h, w: (0.0, 0.0))


def _rotate_half_pixel(x, angle, fill=0.0):
    return _rotate_about(x, angle, fill, lambda h, w: (h / 2, w / 2))


def _rotate_radians(x, angle, fill=0.0):
    return ra.rotate(x, np.rad2deg(np.asarray(angle, dtype=np.float64)), fill)


def _rotate_clockwise(x, angle, fill=0.0):
    return ra.rotate(x, -np.asarray(angle, dtype=np.float64), fill)


def _rotate_nearest(x, angle, fill=0.0):
    """``ra.rotate`` sampling the nearest pixel (sample points rounded half up) instead of bilinear."""
    x = np.asarray(x)
    n, _, h, w = x.shape
    t = np.deg2rad(np.broadcast_to(np.asarray(angle, dtype=np.float64), (n,)))[:, None, None]
    cr, cc = (h - 1) / 2, (w - 1) / 2
    dr, dc = np.meshgrid(np.arange(h) - cr, np.arange(w) - cc, indexing="ij")
    rows = np.floor(cr + np.cos(t) * dr + np.sin(t) * dc + 0.5)
    cols = np.floor(cc - np.sin(t) * dr + np.cos(t) * dc + 0.5)
    out = ra._sample(x, rows, cols, "pil", fill)
    return out.astype(x.dtype if x.dtype in (np.float32, np.float64) else np.float64, copy=False)


def _flip_channels(x):
    return np.asarray(x)[:, ::-1].copy()


def _shift_wraps(x, dx, dy, fill=0.0):
    """``np.roll`` per image: what leaves one side comes back on the other, nothing is filled."""
    x = np.asarray(x)
    n = x.shape[0]
    dxs, dys = (np.broadcast_to(np.asarray(v), (n,)) for v in (dx, dy))
    out = np.stack([np.roll(x[i], (int(dys[i]), int(dxs[i])), axis=(1, 2)) for i in range(n)])
    return out.astype(x.dtype if x.dtype in (np.float32, np.float64) else np.float64, copy=False)


def _flip_lr_rows(x):
    return ra.flip_top_bottom(x)


def _flip_tb_columns(x):
    return ra.flip_left_right(x)


def _shift_swapped(x, dx, dy, fill=0.0):
    return ra.shift(x, dy, dx, fill)


def _zoom_inverted(x, factor, fill=0.0):
    return ra.zoom(x, 1.0 / np.asarray(factor, dtype=np.float64), fill)


def _noise_unclipped(x, std, rng, mean=0.0):
    x = np.asarray(x)
    out = x + rng.normal(mean, std, size=x.shape)
    return out.astype(x.dtype if x.dtype in (np.float32, np.float64) else np.float64, copy=False)


def _t(ja, en):
    return {"ja": ja, "en": en}


MISTAKES = (
    Mistake("4_8.rotate_about_corner", "rotate", (_rotate_corner,),
            _t("左上の角を中心に回転している", "rotation about the top-left corner"),
            _t("回転の中心は画像の中心 ((H-1)/2, (W-1)/2) です。中心からのずれ (dr, dc) を回してから中心を足し戻します。",
               "Rotate about the image centre ((H-1)/2, (W-1)/2): turn the offsets (dr, dc) from the centre, then add "
               "the centre back.")),
    Mistake("4_8.rotate_degrees_as_radians", "rotate", (_rotate_radians,),
            _t("角度 (度) をそのまま np.cos / np.sin に渡している", "degrees passed to np.cos / np.sin as radians"),
            _t("angle は度です。np.deg2rad(angle) でラジアンにしてから np.cos / np.sin に渡します。",
               "angle is in degrees: convert with np.deg2rad(angle) before np.cos / np.sin.")),
    Mistake("4_8.rotate_clockwise", "rotate", (_rotate_clockwise,),
            _t("回転の向きが逆 (時計回り)", "rotation in the wrong direction (clockwise)"),
            _t("正の角度は画面上の反時計回りです (rotate(x, 90) は np.rot90(x, 1, axes=(2, 3)))。行は下向きに増えるので、"
               "入力の行は cr + cos*dr + sin*dc、列は cc - sin*dr + cos*dc です。",
               "A positive angle turns counter-clockwise on screen (rotate(x, 90) is np.rot90(x, 1, axes=(2, 3))). Rows "
               "grow downwards, so the input row is cr + cos*dr + sin*dc and the column cc - sin*dr + cos*dc.")),
    Mistake("4_8.rotate_centre_half_pixel", "rotate", (_rotate_half_pixel,),
            _t("中心を (H/2, W/2) にしている (半画素ずれ)", "centre taken as (H/2, W/2) (half a pixel off)"),
            _t("画素 i の中心は座標 i なので、画像の中心は ((H-1)/2, (W-1)/2) です (28x28 なら 13.5)。",
               "Pixel i is centred at coordinate i, so the image centre is ((H-1)/2, (W-1)/2) (13.5 for 28x28).")),
    Mistake("4_8.rotate_nearest", "rotate", (_rotate_nearest,),
            _t("双線形補間ではなく最も近い画素を取っている", "nearest pixel taken instead of bilinear interpolation"),
            _t("逆写像で得た入力の座標 (rows, cols) は整数とは限りません。丸めずに、まわりの 4 画素を距離で重み付けして"
               "補間します (双線形補間)。",
               "The input point (rows, cols) the inverse mapping gives is not a whole pixel: do not round it, "
               "interpolate the four pixels around it by their distances (bilinear).")),
    Mistake("4_8.flip_channels", "flip_left_right", (_flip_channels,),
            _t("左右反転でチャンネルの軸を反転している", "left-right flip reverses the channel axis"),
            _t("x は (N, C, H, W) です。x[:, ::-1] はチャンネルの順を逆にします。左右反転は最後の軸 W: x[:, :, :, ::-1]。",
               "x is (N, C, H, W): x[:, ::-1] reverses the channels. A left-right flip reverses the last axis, W: "
               "x[:, :, :, ::-1].")),
    Mistake("4_8.shift_wraps_around", "shift", (_shift_wraps,),
            _t("np.roll でずらして、はみ出した部分が反対側に戻っている", "np.roll: what leaves one side comes back on the other"),
            _t("ずらして空いた画素は fill にします。np.roll を使うなら、反対側に回り込んだ行と列を fill で上書きします"
               "(または np.full で fill の画像を作って、残る部分をコピーします)。",
               "The pixels the shift vacates get fill. With np.roll, overwrite the rows and columns that came round "
               "with fill (or start from np.full(..., fill) and copy the part that stays).")),
    Mistake("4_8.flip_lr_reverses_rows", "flip_left_right", (_flip_lr_rows,),
            _t("左右反転で H の軸 (行) を反転している", "left-right flip reverses the H axis (rows)"),
            _t("(N, C, H, W) の左右反転は最後の軸 W を逆順にします: x[:, :, :, ::-1]。",
               "A left-right flip of (N, C, H, W) reverses the last axis, W: x[:, :, :, ::-1].")),
    Mistake("4_8.flip_tb_reverses_columns", "flip_top_bottom", (_flip_tb_columns,),
            _t("上下反転で W の軸 (列) を反転している", "top-bottom flip reverses the W axis (columns)"),
            _t("(N, C, H, W) の上下反転は axis=2 (H) を逆順にします: x[:, :, ::-1, :]。",
               "A top-bottom flip of (N, C, H, W) reverses axis 2, H: x[:, :, ::-1, :].")),
    Mistake("4_8.shift_dx_dy_swapped", "shift", (_shift_swapped,),
            _t("dx と dy を取り違えている", "dx and dy swapped"),
            _t("dx は横 (列、W) 方向、dy は縦 (行、H) 方向のずらし量です。",
               "dx moves along the columns (W), dy along the rows (H).")),
    Mistake("4_8.zoom_inverted", "zoom", (_zoom_inverted,),
            _t("拡大と縮小が逆 (d * factor を参照している)", "zoom inverted (samples d * factor)"),
            _t("factor > 1 で拡大するには、出力のずれ d が入力の d / factor を参照します (逆写像)。",
               "To enlarge for factor > 1, the output offset d samples the input at d / factor (inverse mapping).")),
    Mistake("4_8.noise_not_clipped", "gaussian_noise", (_noise_unclipped,),
            _t("ノイズを足した後に [0, 1] にクリップしていない", "noise not clipped to [0, 1]"),
            _t("画像は [0, 1] の値です。ノイズを足した後 np.clip(..., 0, 1) で範囲に収めます。",
               "The images are in [0, 1]: clip with np.clip(..., 0, 1) after adding the noise.")),
)

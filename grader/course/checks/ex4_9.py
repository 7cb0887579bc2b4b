"""Exercise 4_9: Keras' ``ImageDataGenerator`` semantics, channels-last (``docs/augmentation.md``).

``transform_matrix_offset_center``, ``apply_affine_transform`` and ``apply_transform`` are
deterministic given their parameters and compared with ``reference.augment`` under the one
numerical policy. Fill modes ``constant`` and ``wrap`` jump at the edge pixels' centres, so
their cases use angles and shifts whose sample points never land exactly on them; the
right-angle and whole-pixel cases use ``nearest`` and ``reflect``, which are continuous there.

``random_transform_params`` and ``flow`` get an explicit generator (``{"$rng": seed}``) and are
judged by properties (:mod:`grader.course.checks.ex4_9_properties` and :mod:`grader.course.checks.ex4_9_flow`): the
keys, every drawn value within its range (with Keras' crossing:
``tx`` from ``height_shift_range`` times H, ``ty`` from ``width_shift_range`` times W), the
distribution over 400 draws (Kolmogorov-Smirnov distance to the uniform law), flips at the
right rate, the same seed giving the same draws; ``flow``'s batches and labels (each label stays
with its image), that it augments, and a deterministic unshuffled epoch compared exactly.
This module holds the exercise's graded names, hints, plan and the list of its checks. Points: 15.
"""
from __future__ import annotations

import functools

import numpy as np

from grader.grading.probe import PlanBuilder
from grader.grading.results import CheckResult
from grader.course.checks.base import Context, Spec
from grader.course.checks.ex4_9_flow import FLOW_BATCH, FLOW_FILL, FLOW_N, flow_augments, flow_labels
from grader.course.checks.ex4_9_properties import (DRAWS_A, DRAWS_B, DRAWS_C, PARAMS_A, PARAMS_B, PARAMS_C,
                                                  params_distribution, params_ranges)
from grader.course.checks.property_checks import property_check

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
    "fill": {"ja": "fill_mode と cval を ndimage.affine_transform の mode と cval にそのまま渡します (order=1)。"
                   "apply_transform.geometry も失敗しているなら、先に変換の行列を直してください (このチェックは同じ変換を"
                   "各 fill_mode で見ます)。",
             "en": "Pass fill_mode and cval on as the mode and cval of ndimage.affine_transform (order=1). If "
                   "apply_transform.geometry fails too, mend the matrix first (this check looks at the same transform in "
                   "each fill_mode)."},
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
    plan.call("tr_flip_h", "apply_transform", x255, {"flip_horizontal": True}, track=(0,), watch=w)
    plan.call("tr_flip_v", "apply_transform", x255, {"flip_vertical": True, "flip_horizontal": False}, track=(0,),
              watch=w)
    plan.call("tr_channel_shift", "apply_transform", x255, {"channel_shift_intensity": 40.0}, track=(0,), watch=w)
    plan.call("tr_brightness", "apply_transform", x255, {"brightness": 0.7}, track=(0,), watch=w)
    # Keras' order: the affine part, then the channel shift, the flips, the brightness (judged with the
    # geometry: flipping first moves the content elsewhere)
    plan.call("tr_all_at_once", "apply_transform", x255, {"theta": 25, "tx": 1.5, "flip_horizontal": True,
              "flip_vertical": True, "channel_shift_intensity": 30.0, "brightness": 0.8}, track=(0,), watch=w)
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
                                             "tr_random", "tr_all_at_once"), ("tr_empty",), hint=h["affine"]),
        Spec("apply_transform.fill_modes", 2, tuple(f"tr_fill_{m}" for m in ("constant", "nearest", "reflect", "wrap"))
             + ("tr_beyond_nearest", "tr_beyond_constant"), hint=h["fill"]),
        Spec("apply_transform.flips_and_color", 1, ("tr_flip_h", "tr_flip_v", "tr_channel_shift", "tr_brightness"),
             unmodified=("tr_flip_h", "tr_flip_v", "tr_channel_shift", "tr_brightness", "tr_all_at_once"),
             hint=h["color"]),
        Spec("flow.ordered_epoch", 1, ("flow_ordered",), ("flow_ordered",), hint=h["flow"]),
    ]


def _random(plan: PlanBuilder, rng) -> None:
    seeds = rng.integers(1 << 30, size=DRAWS_A + DRAWS_B + DRAWS_C + 1)
    w = ("random_transform_params",)
    for i in range(DRAWS_A):
        plan.call(f"rtp_a{i}", "random_transform_params", plan.rng(seeds[i]), watch=w, **PARAMS_A)
    plan.call("rtp_again", "random_transform_params", plan.rng(seeds[0]), watch=w, **PARAMS_A)
    for i in range(DRAWS_B):
        plan.call(f"rtp_b{i}", "random_transform_params", plan.rng(seeds[DRAWS_A + i]), watch=w, **PARAMS_B)
    for i in range(DRAWS_C):
        plan.call(f"rtp_c{i}", "random_transform_params", plan.rng(seeds[DRAWS_A + DRAWS_B + i]), watch=w, **PARAMS_C)
    w = ("flow",)
    seed = int(seeds[-1])
    consts = plan.array("x_const", np.broadcast_to((np.arange(FLOW_N) / FLOW_N)[:, None, None, None],
                                                   (FLOW_N, 4, 4, 1)).copy())
    labels = plan.array("y_const", 100 + np.arange(FLOW_N))
    kw = {"rotation_range": 40, "zoom_range": 0.2, "horizontal_flip": True}
    plan.iterate("flow_labels", "flow", consts, labels, FLOW_BATCH, plan.rng(seed), limit=50, watch=w, **kw)
    xd = plan.array("x_flow_aug", rng.random((12, 9, 9, 1)))
    for key, s in (("flow_aug_a", seed), ("flow_aug_b", seed), ("flow_aug_c", seed + 1)):
        plan.iterate(key, "flow", xd, None, 5, plan.rng(s), limit=50, track=(0,) if key == "flow_aug_a" else (),
                     watch=w, rotation_range=90, width_shift_range=0.2)
    same = plan.array("x_same", np.repeat(rng.random((1, 9, 9, 1)), 6, axis=0))
    plan.iterate("flow_same", "flow", same, None, 6, plan.rng(seed + 2), limit=50, watch=w, rotation_range=90)
    f = FLOW_FILL
    plan.iterate("flow_fill", "flow", plan.array("x_ones", np.ones((f["n"],) + f["shape"])), None, f["n"],
                 plan.rng(seed + 3), False, "constant", f["cval"], limit=50, watch=w,
                 height_shift_range=f["height_shift_range"])


def build(rng: np.random.Generator):
    """The plan of calls and the checks, with inputs drawn from ``rng``."""
    plan = PlanBuilder()
    specs = _deterministic(plan, rng)
    _random(plan, rng)
    return plan.build(), specs


def extra_checks(ctx: Context) -> list[CheckResult]:
    """``random_transform_params`` and ``flow``, judged by properties."""
    check = functools.partial(property_check, ctx)
    draws = (tuple(f"rtp_a{i}" for i in range(DRAWS_A)) + ("rtp_again",) + tuple(f"rtp_b{i}" for i in range(DRAWS_B))
             + tuple(f"rtp_c{i}" for i in range(DRAWS_C)))
    return [
        check(Spec("random_transform_params.ranges", 2, hint=_H["params"]), draws, params_ranges),
        check(Spec("random_transform_params.distribution", 1, hint=_H["params"]), draws[:DRAWS_A],
              params_distribution),
        check(Spec("flow.labels_follow_images", 2, hint=_H["flow"]), ("flow_labels",), flow_labels),
        check(Spec("flow.augments", 1, hint=_H["flow"]),
              ("flow_aug_a", "flow_aug_b", "flow_aug_c", "flow_same", "flow_fill"), flow_augments(ctx.plan.arrays)),
    ]

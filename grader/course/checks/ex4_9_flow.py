"""The property judges of exercise 4_9's ``flow``, with their ja/en texts: the batches and the
labels (each label stays with its image), the shuffle, that it augments with one draw per image,
that ``fill_mode``/``cval`` and the image's shape reach the transform, and that its inputs are
left as they were. The plan that feeds them is :func:`grader.course.checks.ex4_9.build`; the
parameters they share with it live here. (``random_transform_params``' judges:
:mod:`grader.course.checks.ex4_9_properties`.)
"""
from __future__ import annotations

import numpy as np

from grader.course.checks.property_checks import Violation, same_twice, untouched

__all__ = ["FLOW_N", "FLOW_BATCH", "FLOW_FILL", "flow_labels", "flow_augments"]

FLOW_N, FLOW_BATCH = 23, 8
# flow of all-ones images with a vertical shift, fill_mode="constant": cval shows where the shift
# vacated columns (Keras' tx, from height_shift_range x H, moves along the columns)
FLOW_FILL = {"n": 24, "shape": (8, 12, 1), "height_shift_range": 0.25, "cval": 0.25}


_W = {
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
    "pair_without_y": {"ja": "y=None なのにバッチ {i} が組 (batch_x, ...) でした。y がないときは batch_x だけを yield します。",
                       "en": "with y=None batch {i} is a pair (batch_x, ...): yield batch_x alone when there is no y."},
    "one_draw_per_batch": {"ja": "同じ画像 {n} 枚のバッチが全部同じに変換されました。変換のパラメーターは画像ごとに引きます。",
                           "en": "a batch of {n} copies of one image came out all transformed alike: draw the "
                                 "parameters for every image."},
    "fill_not_passed": {"ja": "fill_mode=\"constant\", cval={cval} で平行移動しても cval の画素がありません (flow が fill_mode "
                              "と cval を apply_transform に渡していない?)。",
                        "en": "shifted with fill_mode=\"constant\", cval={cval}, no pixel got cval (does flow pass "
                              "fill_mode and cval on to apply_transform?)."},
    "fill_values": {"ja": "1 だけの画像を fill_mode=\"constant\", cval={cval} で平行移動した結果に 1 と {cval} 以外の値 "
                          "{value:.4g} があります。",
                    "en": "all-ones images shifted with fill_mode=\"constant\", cval={cval} came out with a value "
                          "{value:.4g}, neither 1 nor {cval}."},
    "fill_too_wide": {"ja": "画像 {i} で {k} 列が cval になりました。tx は height_shift_range × H (画像の高さ H={h}) から"
                            "引くので最大 {most} 列のはずです (img_shape にバッチの形を渡していない?)。",
                      "en": "image {i} got {k} columns of cval; tx is drawn from height_shift_range x H (the image "
                            "height H={h}), so at most {most} (is img_shape the batch's shape?)."},
    "not_augmented": {"ja": "rotation_range=90 でも {n} 枚中 {k} 枚しか変わっていません。",
                      "en": "with rotation_range=90 only {k} of {n} images changed."},
}


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
                raise Violation(key, _W["pair_without_y"] if got.get(f"{i}.0") is not None else _W["no_items"], i=i)
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
        untouched(arrays, "flow_aug_a", x)
        same = _flow_items(arrays, "flow_same", False)
        if len(same) != 1 or same[0].shape != plan_arrays["x_same"].shape:
            raise Violation("flow_same", _W["batches"], sizes=[len(b) for b in same], want=[len(plan_arrays["x_same"])])
        if all(np.allclose(img, same[0][0], rtol=0, atol=1e-9) for img in same[0]):
            raise Violation("flow_same", _W["one_draw_per_batch"], n=len(same[0]))
        _fill(arrays)
    return judge


def _fill(arrays) -> None:
    """``flow_fill``: cval where the shift vacated columns, 1 elsewhere, at most
    ``ceil(height_shift_range * H)`` such columns per image."""
    f = FLOW_FILL
    items = _flow_items(arrays, "flow_fill", False)
    if [b.shape for b in items] != [(f["n"],) + f["shape"]]:
        raise Violation("flow_fill", _W["batches"], sizes=[len(b) for b in items], want=[f["n"]])
    out = items[0][..., 0]
    filled, ones = np.abs(out - f["cval"]) < 1e-6, np.abs(out - 1) < 1e-6
    if not (filled | ones).all():
        raise Violation("flow_fill", _W["fill_values"], cval=f["cval"], value=float(out[~(filled | ones)][0]))
    if not filled.any():
        raise Violation("flow_fill", _W["fill_not_passed"], cval=f["cval"])
    h = f["shape"][0]
    most = int(np.ceil(f["height_shift_range"] * h))
    for i, img in enumerate(filled):
        k = int(img.all(axis=0).sum())
        if k > most:
            raise Violation("flow_fill", _W["fill_too_wide"], i=i, k=k, h=h, most=most)

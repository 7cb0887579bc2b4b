"""4_10's grid of augmented samples: the fixed images ``augment`` is called on in the kernel,
the PNG the reports show (rendered here, in the grader, from the returned arrays), a rough
measurement of which operations the augmentation performs, and the class leaderboard.

The measurement compares each augmented copy with its source image (no access to the
trainee's code): ``rotate`` (the best-matching rotation of the source, after aligning the
centres of mass, is 4 degrees or more for a quarter of the copies; the largest such angle is
kept: far beyond 45 degrees suggests degrees given to a function of radians), ``flip`` (a mirrored
source matches clearly better), ``shift`` (the centre of mass moves 1 px or more), ``zoom`` (the
ink's radius of gyration changes by 6 % or more), ``erasing`` (more than a quarter of the ink
vanished, beyond what the zoom explains), ``noise`` (1.8 times as many inked pixels and a grainier
image); copies found erased or noisy are not used for the geometric measures. It is a summary for the instructor, not graded."""
from __future__ import annotations

import base64
import functools
import io
import json

import numpy as np

from grader.reports.messages import in_lang

__all__ = ["GRID_CLASSES", "GRID_COPIES", "train_images", "grid_batch", "grid_png", "measure", "grid_details",
           "describe", "leaderboard", "OPERATIONS"]

GRID_CLASSES = (0, 5, 6, 10, 11, 14)  # ア カ キ サ シ ソ
GRID_COPIES = 8
SCALE = 2  # pixels per image pixel in the PNG
OPERATIONS = ("rotate", "flip", "shift", "zoom", "erasing", "noise")
_NAMES = {"ja": {"rotate": "回転", "flip": "反転", "shift": "平行移動", "zoom": "拡大縮小", "erasing": "ランダム消去",
                 "noise": "ノイズ"},
          "en": {"rotate": "rotation", "flip": "flip", "shift": "shift", "zoom": "zoom", "erasing": "erasing",
                 "noise": "noise"}}
_ANGLES = np.arange(-180, 180, 4)


@functools.lru_cache(maxsize=1)
def train_images() -> tuple[np.ndarray, np.ndarray]:
    """The visible Katakana training split (read-only)."""
    from reference.katakana import load_katakana

    (x, t), _ = load_katakana()
    x.flags.writeable = t.flags.writeable = False
    return x, t


def grid_batch() -> np.ndarray:
    """``GRID_COPIES`` copies of the first training image of each class in ``GRID_CLASSES`` (float32)."""
    x, t = train_images()
    sources = np.stack([x[np.flatnonzero(t == c)[0]] for c in GRID_CLASSES])
    return np.repeat(sources, GRID_COPIES, axis=0)


def _png(gray: np.ndarray) -> bytes:
    """An 8-bit grayscale PNG of ``gray`` (values 0..255), written by Pillow."""
    from PIL import Image

    out = io.BytesIO()
    # zlib's default level: the same pixels as ``optimize=True`` (level 9), 2 % more bytes, 5x faster
    Image.fromarray(np.ascontiguousarray(gray, dtype=np.uint8), mode="L").save(out, format="PNG", compress_level=6)
    return out.getvalue()


def grid_png(sources: np.ndarray, augmented: np.ndarray) -> str:
    """A data URI: one row per source image, the source first (after a gap) then its copies,
    ink dark on white, 2x scale."""
    n = len(sources) // GRID_COPIES
    src = sources.reshape(n, GRID_COPIES, 28, 28)[:, 0]
    aug = np.clip(np.nan_to_num(augmented.astype(np.float64).reshape(n, GRID_COPIES, 28, 28)), 0, 1)
    cell, gap = 30, 8
    canvas = np.full((n * cell + 2, (GRID_COPIES + 1) * cell + gap + 2), 0.18)  # light grey frames
    for i in range(n):
        for j, image in enumerate([src[i], *aug[i]]):
            top, left = 2 + i * cell, 2 + j * cell + (gap if j else 0)
            canvas[top:top + 28, left:left + 28] = image
    gray = np.round(255 * (1 - canvas)).repeat(SCALE, 0).repeat(SCALE, 1)
    return "data:image/png;base64," + base64.b64encode(_png(gray)).decode("ascii")


def _blur(images: np.ndarray) -> np.ndarray:
    """A 7-tap Gaussian (sigma 1.2 px) over the last two axes, zero outside. The taps are added
    one by one, in order, into one buffer: the same sums, bit for bit, as adding the shifted
    products left to right, without a temporary array per tap."""
    k = np.exp(-0.5 * (np.arange(-3, 4) / 1.2) ** 2)
    k /= k.sum()
    h, w = images.shape[-2:]
    pad = np.pad(images, [(0, 0)] * (images.ndim - 2) + [(3, 3), (3, 3)])
    dtype = np.result_type(k, pad)
    rows, tap = np.zeros(pad.shape[:-2] + (h, w + 6), dtype), np.empty(pad.shape[:-2] + (h, w + 6), dtype)
    for i in range(7):
        rows += np.multiply(k[i], pad[..., i:i + h, :], out=tap)
    out, tap = np.zeros(images.shape, dtype), tap[..., :w]
    for i in range(7):
        out += np.multiply(k[i], rows[..., i:i + w], out=tap)
    return out


def _moments(images: np.ndarray):
    """Ink mass, centre of mass (row, col) and radius of gyration of each ``(N, 28, 28)`` image."""
    grid = np.arange(28.0)
    mass = images.sum(axis=(1, 2)) + 1e-9
    r = (images.sum(axis=2) * grid).sum(axis=1) / mass
    c = (images.sum(axis=1) * grid).sum(axis=1) / mass
    spread = (images * ((grid[:, None] - r[:, None, None]) ** 2 + (grid[None, :] - c[:, None, None]) ** 2)).sum(axis=(1, 2))
    return mass, r, c, np.sqrt(spread / mass)


@functools.lru_cache(maxsize=2)
def _source_side(raw: bytes, n: int) -> tuple:
    """Everything :func:`measure` needs from the sources alone (read-only; cached: the grid's
    sources are the same in every grading): their moments, inked pixel counts and grain, and
    the blurred, normalised rotations (and mirrors) of each distinct source with the index of
    each source's."""
    from reference.augment import rotate

    s = np.frombuffer(raw, np.float64).reshape(n, 28, 28)
    inked = np.maximum((s > 0.02).sum(axis=(1, 2)), 1)
    grain = np.maximum(np.abs(s - _blur(s)).mean(axis=(1, 2)), 1e-9)
    unique, index = np.unique(s.reshape(len(s), -1), axis=0, return_inverse=True)
    base = unique.reshape(-1, 1, 28, 28)
    turned = np.stack([rotate(base, a)[:, 0] for a in _ANGLES], axis=1)  # (U, A, 28, 28)
    cands = np.concatenate([turned, turned[..., ::-1]], axis=1)
    cands = _blur(cands).reshape(len(unique), 2 * len(_ANGLES), -1)
    cands /= np.linalg.norm(cands, axis=-1, keepdims=True) + 1e-12
    side = (*_moments(s), inked, grain, index.reshape(-1), cands)
    for array in side:
        array.flags.writeable = False
    return side


def _scores(cands: np.ndarray, index: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """``einsum("nkd,nd->nk", cands[index], probe)`` one distinct source at a time (the same
    sums, without copying the candidates of every copy)."""
    scores = np.empty((len(probe), cands.shape[1]), np.result_type(cands, probe))
    for u in np.unique(index):
        rows = np.flatnonzero(index == u)
        scores[rows] = np.einsum("kd,nd->nk", cands[u], probe[rows])
    return scores


def measure(sources: np.ndarray, augmented: np.ndarray) -> dict:
    """``{"augmentations": [names], "max_rotation": degrees or None}`` measured on the pairs."""
    from reference.augment import shift

    s = np.ascontiguousarray(sources, np.float64).reshape(-1, 28, 28)
    o = np.clip(np.nan_to_num(np.asarray(augmented, np.float64).reshape(-1, 28, 28)), 0, 1)
    ms, rs, cs, gs, s_inked, s_grain, index, cands = _source_side(s.tobytes(), len(s))
    mo, ro, co, go = _moments(o)
    moved = np.hypot(ro - rs, co - cs)
    scale = go / np.maximum(gs, 1e-9)
    inked = (o > 0.02).sum(axis=(1, 2)) / s_inked
    grain = np.abs(o - _blur(o)).mean(axis=(1, 2)) / s_grain
    noisy = (inked > 1.8) & (grain > 1.3)
    erased = (mo / ms < 0.75 * scale ** 2) & ~noisy
    zoomed = (np.abs(np.log(scale)) > 0.06) & ~erased & ~noisy
    # rotations: centre the copy's ink where the source's is, compare with rotated (and mirrored) sources
    centred = shift(o[:, None], np.round(cs - co).astype(int), np.round(rs - ro).astype(int))[:, 0]
    probe = _blur(centred).reshape(len(o), -1)
    probe /= np.linalg.norm(probe, axis=-1, keepdims=True) + 1e-12
    scores = _scores(cands, index, probe)
    best = scores.argmax(axis=1)
    angle = _ANGLES[best % len(_ANGLES)]
    mirrored = (best >= len(_ANGLES)) & (scores.max(axis=1) > scores[:, :len(_ANGLES)].max(axis=1) + 0.05)
    rotated = (np.abs(angle) >= 4) & ~noisy & ~erased
    quarter = len(o) / 4
    found = {"rotate": rotated.sum() >= quarter, "flip": mirrored.sum() >= max(2, len(o) / 10),
             "shift": ((moved >= 1.0) & ~erased).sum() >= quarter, "zoom": zoomed.sum() >= quarter,
             "erasing": erased.sum() >= max(2, len(o) / 10), "noise": noisy.sum() >= quarter}
    ops = [name for name in OPERATIONS if found[name]]
    return {"augmentations": ops, "max_rotation": float(np.abs(angle[rotated]).max()) if rotated.any() else None}


def grid_details(sources: np.ndarray, augmented: np.ndarray) -> dict:
    """``details`` for the report: the grid's PNG and the measured operations (nothing when the
    output has another shape)."""
    if augmented.shape != sources.shape:
        return {}
    out = {"augment_grid": {"uri": grid_png(sources, augmented), "rows": len(sources) // GRID_COPIES,
                            "copies": GRID_COPIES}}
    try:
        out.update(measure(sources, augmented))
    except (ValueError, FloatingPointError):  # a measurement is a courtesy, never a failure
        pass
    return out


def describe(ops, max_rotation, lang: str) -> str:
    names = in_lang(_NAMES, lang)
    listed = ", ".join(names[o] for o in ops) or ("なし" if lang == "ja" else "none")
    said = f"推定した拡張: {listed}。" if lang == "ja" else f"measured augmentations: {listed}."
    if max_rotation is not None and max_rotation > 60:
        said += (f" 回転が最大 {max_rotation:.0f} 度あります: 角度の単位 (度とラジアン) を確かめましょう。" if lang == "ja" else
                 f" Rotations reach {max_rotation:.0f} degrees: check the angle's unit (degrees or radians).")
    return said


def leaderboard(rows, names: dict, lang: str) -> list[dict]:
    """The class's 4_10 results ranked by hidden-set accuracy: ``[{"rank", "trainee", "name", "accuracy",
    "augmentations"}]``; ``rows``: gradebook rows (``trainee``, ``exercise``, ``checks_json``)."""
    label = in_lang(_NAMES, lang)
    out = []
    for row in rows:
        if row.get("exercise") != "4_10":
            continue
        details = {c["id"]: c.get("details") or {} for c in json.loads(row.get("checks_json") or "[]")}
        accuracy = details.get("network.hidden_accuracy", {}).get("accuracy")
        ops = details.get("augment.changes", {}).get("augmentations")
        shown = "—" if ops is None else (", ".join(label[o] for o in ops if o in label) or ("なし" if lang == "ja" else "none"))
        out.append({"trainee": row["trainee"], "name": names.get(row["trainee"], row["trainee"]),
                    "accuracy": accuracy, "augmentations": shown})
    out.sort(key=lambda r: (-(r["accuracy"] if r["accuracy"] is not None else -1.0), r["trainee"]))
    for i, row in enumerate(out, 1):
        row["rank"] = i
    return out

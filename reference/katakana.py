"""Katakana-15: 28x28 grayscale images of ア イ ウ エ オ カ キ ク ケ コ サ シ ス セ ソ rendered from
Japanese fonts (not handwriting; see docs/katakana.md), shipped as package data in
``reference/katakana_data/`` and made by ``scripts/make_katakana.py``.

``load_katakana`` gives the training split and the visible test split (other fonts);
``load_katakana_hidden`` the hidden evaluation split (other fonts again, stronger
distortions), for the grader only: it is never copied into a grading kernel.
"""
from __future__ import annotations

import json
from importlib import resources

import numpy as np

__all__ = ["KATAKANA_CLASSES", "load_katakana", "load_katakana_hidden", "katakana_manifest"]

KATAKANA_CLASSES = ("ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク", "ケ", "コ", "サ", "シ", "ス", "セ", "ソ")


class KatakanaDataError(RuntimeError):
    """The shipped Katakana files are missing or malformed."""


def _data_dir():
    return resources.files("reference") / "katakana_data"


def katakana_manifest() -> dict:
    """MANIFEST.json: fonts per split, counts, seed, script version, sha256 of each file."""
    return json.loads((_data_dir() / "MANIFEST.json").read_text(encoding="utf-8"))


def _read(split: str) -> tuple[np.ndarray, np.ndarray]:
    res = _data_dir() / f"{split}.npz"
    try:
        with res.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
            x, t = z["x"], z["t"]
    except (FileNotFoundError, KeyError, ValueError, OSError) as exc:
        raise KatakanaDataError(f"cannot read the Katakana {split} split ({res}): {exc}; "
                                "regenerate it with python scripts/make_katakana.py") from exc
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (1, 28, 28) or t.shape != (len(x),) \
            or (len(t) and int(t.max()) >= len(KATAKANA_CLASSES)):
        raise KatakanaDataError(f"the Katakana {split} split is malformed: x {x.shape} {x.dtype}, t {t.shape}")
    return x, t.astype(np.int64)


def _present(x, t, normalize: bool, one_hot_label: bool, flatten: bool):
    x = x.astype(np.float32) / np.float32(255.0) if normalize else x.copy()
    if flatten:
        x = x.reshape(len(x), -1)
    if one_hot_label:
        t = np.eye(len(KATAKANA_CLASSES), dtype=np.int64)[t]
    return x, t


def load_katakana(normalize: bool = True, one_hot_label: bool = False, flatten: bool = False):
    """``(x_train, t_train), (x_test, t_test)``: x ``(N, 1, 28, 28)`` float32 in [0, 1] (uint8
    0..255 with ``normalize=False``; ``(N, 784)`` with ``flatten=True``), t ``(N,)`` int64 in
    0..14 in the order of ``KATAKANA_CLASSES`` (``(N, 15)`` one-hot with ``one_hot_label=True``).
    The test split's fonts are not in the training split."""
    return (_present(*_read("train"), normalize, one_hot_label, flatten),
            _present(*_read("test"), normalize, one_hot_label, flatten))


def load_katakana_hidden(normalize: bool = True, one_hot_label: bool = False, flatten: bool = False):
    """``(x_hidden, t_hidden)``: the grader's evaluation split (fonts in neither other split,
    stronger distortions), in the format of :func:`load_katakana`."""
    return _present(*_read("hidden"), normalize, one_hot_label, flatten)

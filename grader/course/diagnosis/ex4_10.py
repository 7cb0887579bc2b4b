"""Typical mistakes of 4_10 (``augment``). Its checks are properties, not comparisons with the
reference, so the checks themselves name the mistake (``grader.course.checks.ex4_10``: a check that
fails the way a mistake does sets ``details["diagnosis"]``); the forms here are the mistakes
written out, for the catalogue's tests and titles."""
from __future__ import annotations

import numpy as np

from reference.augment import random_shift, rotate

from grader.course.diagnosis.base import Mistake

__all__ = ["MISTAKES", "BY_ID"]


def _shuffles(x, rng):
    """Augments, then reorders the batch (its labels no longer match)."""
    x = random_shift(x, 2, 2, rng)
    return x[rng.permutation(len(x))]


def _global_random(x, rng):
    """Draws from numpy's global generator instead of ``rng``."""
    return random_shift(x, 2, 2, np.random.default_rng())


def _radians(x, rng):
    """An angle in radians (±15° = ±0.26) given to a rotation that takes degrees: nearly nothing moves."""
    return rotate(x, np.deg2rad(rng.uniform(-15, 15, len(x))))


def _identity(x, rng):
    return x.copy()


MISTAKES = (
    Mistake("4_10.labels_shuffled", "augment", (_shuffles,),
            title={"ja": "augment の中でバッチを並べ替えている (ラベルと画像がずれる)",
                   "en": "augment reorders the batch (images and labels come apart)"},
            hint={"ja": "x[rng.permutation(N)] のような並べ替えは学習ループで x と t に同じ順番で行います。augment は i 番目の画像を "
                        "i 番目に返します。",
                  "en": "Shuffle in the training loop, x and t with the same order; augment returns image i at position i."}),
    Mistake("4_10.global_random", "augment", (_global_random,),
            title={"ja": "引数の rng ではなく np.random や random を使っている",
                   "en": "draws from np.random or random instead of the rng argument"},
            hint={"ja": "乱数はすべて rng.uniform(...), rng.integers(...) などで引数の rng から取ります。",
                  "en": "Draw every random number from the rng argument: rng.uniform(...), rng.integers(...)."}),
    Mistake("4_10.no_change", "augment", (_radians, _identity),
            title={"ja": "画像がほとんど変わらない (度の関数にラジアンを渡した、など)",
                   "en": "the images barely change (radians given to a function of degrees, ...)"},
            hint={"ja": "15 度は np.deg2rad(15) = 0.26 ラジアンです。使う関数の角度の単位を確かめ、変化が見えるか拡張例の図で確かめましょう。",
                  "en": "15 degrees is np.deg2rad(15) = 0.26 radians. Check the unit the function takes, and look at "
                        "the grid of samples."}),
)
BY_ID = {m.id: m for m in MISTAKES}

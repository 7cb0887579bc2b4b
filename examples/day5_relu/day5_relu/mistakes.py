"""Typical mistakes of exercise 5_1, each a variant implementation of a graded name: when a
failed check's outputs equal a variant's (and not the correct ones), the hint names it."""
import numpy as np

from grader.course.diagnosis.base import Mistake


def _relu_inplace(x):  # right values, but the caller's array is changed
    x[x < 0] = 0
    return x


def _relu_abs(x):  # |x| instead of max(x, 0)
    return np.abs(np.asarray(x, dtype=np.float64))


MISTAKES = (
    Mistake("5_1.relu_abs", "relu", (_relu_abs,),
            title={"ja": "絶対値を返している", "en": "returns the absolute value"},
            hint={"ja": "np.abs(x) ではなく np.maximum(x, 0) です。負の値は 0 になります。",
                  "en": "It is np.maximum(x, 0), not np.abs(x): negative values become 0."}),
    Mistake("5_1.relu_inplace", "relu", (_relu_inplace,),
            title={"ja": "入力を書き換えている", "en": "changes its input"},
            hint={"ja": "x[x < 0] = 0 は呼び出し元の配列を変えます。np.maximum(x, 0) は新しい配列を返します。",
                  "en": "x[x < 0] = 0 changes the caller's array; np.maximum(x, 0) returns a new one."}),
)

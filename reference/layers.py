"""The layers of the earlier exercises: ReLU, Affine and softmax with cross-entropy loss.
Each backward sits beside its forward; every layer keeps only what its backward needs."""
from __future__ import annotations

import numpy as np

from .shapes import as_float_array

__all__ = ["Relu", "Affine", "SoftmaxWithLoss", "softmax"]


class Relu:
    """``forward(x) = max(x, 0)`` elementwise, any shape; ``backward(dout) = dout * (x > 0)``.

    ``inplace=True`` (as in PyTorch) writes the results into ``x`` and ``dout`` themselves
    instead of new arrays, for callers that own them and need them no more (a network
    passing one layer's fresh output to the next); the values are the same.
    """

    def __init__(self, *, inplace: bool = False):
        self.mask = None
        self.inplace = inplace

    def forward(self, x) -> np.ndarray:
        x = as_float_array(x)
        self.mask = x > 0
        return np.maximum(x, 0, out=x if self.inplace and x.flags.writeable else None)

    def backward(self, dout) -> np.ndarray:
        if (self.inplace and isinstance(dout, np.ndarray) and dout.flags.writeable
                and dout.dtype.kind == "f" and dout.shape == self.mask.shape):
            return np.multiply(dout, self.mask, out=dout)
        return dout * self.mask


class Affine:
    """Fully connected layer: ``W`` ``(D, M)``, ``b`` ``(M,)``.

    ``forward(x)``: ``x`` ``(N, ...)`` is flattened to ``(N, D)``; returns ``x @ W + b``
    ``(N, M)``. ``backward(dout)`` returns ``dx`` in the shape ``x`` had and sets
    ``self.dW`` ``(D, M)`` and ``self.db`` ``(M,)``.
    """

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.dW = None
        self.db = None
        self._x2 = None
        self._x_shape = None

    def forward(self, x) -> np.ndarray:
        x = as_float_array(x)
        self._x_shape = x.shape
        self._x2 = x.reshape(x.shape[0], -1)
        if self._x2.shape[1] != self.W.shape[0]:
            raise ValueError(f"Affine: input {x.shape} flattens to {self._x2.shape}, W is {self.W.shape}")
        return self._x2 @ self.W + self.b

    def backward(self, dout) -> np.ndarray:
        self.dW = self._x2.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self._x_shape)


def softmax(x) -> np.ndarray:
    """Row-wise softmax of ``(N, K)`` scores (or of one ``(K,)`` vector), computed stably."""
    x = as_float_array(x)
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def _labels_to_onehot(t: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    onehot = np.zeros((t.shape[0], n_classes), dtype=dtype)
    onehot[np.arange(t.shape[0]), t] = 1
    return onehot


class SoftmaxWithLoss:
    """Softmax followed by the mean cross-entropy over the batch.

    ``forward(x, t)``: scores ``x`` ``(N, K)``, targets ``t`` as labels ``(N,)`` or one-hot
    ``(N, K)``; returns ``-(1/N) * sum_n sum_k t[n, k] * log softmax(x)[n, k]`` as a float.
    ``backward(dout=1)``: ``dout * (softmax(x) - t) / N``.
    """

    def __init__(self):
        self.y = None
        self.t = None  # one-hot (N, K)

    def forward(self, x, t) -> float:
        x = as_float_array(x)
        if x.ndim != 2:
            raise ValueError(f"SoftmaxWithLoss expects (N, K) scores, got shape {x.shape}")
        t = np.asarray(t)
        if t.ndim == 1:
            t = _labels_to_onehot(t.astype(np.intp), x.shape[1], x.dtype)
        elif t.shape != x.shape:
            raise ValueError(f"SoftmaxWithLoss: targets {t.shape} match neither labels ({x.shape[0]},) nor one-hot {x.shape}")
        shifted = x - x.max(axis=1, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        log_y = shifted - log_sum
        self.y = np.exp(log_y)
        self.t = t.astype(x.dtype, copy=False)
        return float(-(self.t * log_y).sum() / x.shape[0])

    def backward(self, dout=1.0) -> np.ndarray:
        return (self.y - self.t) * (dout / self.y.shape[0])

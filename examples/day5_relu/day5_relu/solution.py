"""The correct implementation of exercise 5_1: the expected outputs are computed with it, in the
grader's process (it never enters the trainee's kernel)."""
import numpy as np

__all__ = ["relu", "Relu"]


def relu(x):
    """``max(x, 0)`` element-wise, a new float array of the shape of ``x``."""
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


class Relu:
    """The ReLU layer: ``forward(x)`` remembers where ``x <= 0``; ``backward(dout)`` lets the
    gradient through only where ``x > 0``."""

    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = np.asarray(x) <= 0
        out = np.array(x, dtype=np.float64)
        out[self.mask] = 0.0
        return out

    def backward(self, dout):
        dx = np.array(dout, dtype=np.float64)
        dx[self.mask] = 0.0
        return dx

"""Optimizers. ``update(params, grads)`` changes every array of ``params`` in place, so layers
holding references to them see the new values."""
from __future__ import annotations

import numpy as np

__all__ = ["SGD", "Momentum", "Adam"]


class SGD:
    """``p -= lr * g``."""

    def __init__(self, lr: float = 0.01):
        self.lr = lr

    def update(self, params: dict, grads: dict) -> None:
        for key, param in params.items():
            param -= self.lr * grads[key]


class Momentum:
    """``v = momentum * v - lr * g; p += v``."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9):
        self.lr = lr
        self.momentum = momentum
        self.v = None

    def update(self, params: dict, grads: dict) -> None:
        if self.v is None:
            self.v = {key: np.zeros_like(param) for key, param in params.items()}
        for key, param in params.items():
            v = self.v[key]
            v *= self.momentum
            v -= self.lr * grads[key]
            param += v


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction folded into the step size:
    ``m += (1-beta1)(g - m); v += (1-beta2)(g^2 - v);
    p -= lr * sqrt(1-beta2^t) / (1-beta1^t) * m / (sqrt(v) + eps)``."""

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.iter = 0
        self.m = None
        self.v = None

    def update(self, params: dict, grads: dict) -> None:
        if self.m is None:
            self.m = {key: np.zeros_like(param) for key, param in params.items()}
            self.v = {key: np.zeros_like(param) for key, param in params.items()}
        self.iter += 1
        lr_t = float(self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter))
        for key, param in params.items():
            g, m, v = grads[key], self.m[key], self.v[key]
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g * g - v)
            param -= lr_t * m / (np.sqrt(v) + self.eps)

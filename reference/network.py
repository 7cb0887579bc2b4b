"""SimpleConvNet: Convolution -> ReLU -> MaxPooling(2, 2, stride=2) -> Affine -> ReLU ->
Affine -> softmax with cross-entropy (exercise 4_7)."""
from __future__ import annotations

import numpy as np

from .conv_layers import Convolution, MaxPooling
from .layers import Affine, Relu, SoftmaxWithLoss
from .shapes import conv_output_size

__all__ = ["SimpleConvNet", "DEFAULT_CONV_PARAM"]

DEFAULT_CONV_PARAM = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}


def _init_scale(weight_init_std, fan_in: int) -> float:
    """A number is used as it is; ``"he"`` gives ``sqrt(2 / fan_in)``, ``"xavier"`` ``sqrt(1 / fan_in)``."""
    if isinstance(weight_init_std, str):
        factors = {"he": 2.0, "relu": 2.0, "xavier": 1.0, "sigmoid": 1.0}
        if weight_init_std.lower() not in factors:
            raise ValueError(f"weight_init_std must be a number, 'he' or 'xavier', not {weight_init_std!r}")
        return float(np.sqrt(factors[weight_init_std.lower()] / fan_in))
    return float(weight_init_std)


class SimpleConvNet:
    """A small CNN for ``input_dim = (C, H, W)`` images.

    ``params``: ``W1`` ``(FN, C, FS, FS)``, ``b1`` ``(FN,)``, ``W2`` ``(FN*PH*PW, hidden_size)``,
    ``b2``, ``W3`` ``(hidden_size, output_size)``, ``b3``, where ``OH = (H + 2*pad - FS) //
    stride + 1`` and ``PH = OH // 2`` (likewise ``PW``). The layers hold references to these
    arrays: update them in place (``params[k][...] = v`` or ``params[k] -= ...``).
    ``rng`` (a ``numpy.random.Generator`` or a seed) draws the initial weights; ``dtype`` is
    float64 or float32 (the fast path for training); inputs are cast to it. ``architecture``
    holds the constructor arguments (JSON-ready) that rebuild a network of the same shapes.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10,
                 weight_init_std=0.01, *, rng=None, dtype=np.float64):
        conv = dict(DEFAULT_CONV_PARAM, **(conv_param or {}))
        fn, fs, pad, stride = conv["filter_num"], conv["filter_size"], conv["pad"], conv["stride"]
        C, H, W = input_dim
        oh, ow = conv_output_size(H, fs, pad, stride), conv_output_size(W, fs, pad, stride)
        pool_size = fn * conv_output_size(oh, 2, 0, 2) * conv_output_size(ow, 2, 0, 2)
        self.dtype = np.dtype(dtype)
        self.architecture = {"input_dim": [int(C), int(H), int(W)], "conv_param": dict(conv),
                             "hidden_size": int(hidden_size), "output_size": int(output_size)}
        rng = np.random.default_rng(rng)
        shapes = {"W1": (fn, C, fs, fs), "W2": (pool_size, hidden_size), "W3": (hidden_size, output_size)}
        fan_in = {"W1": C * fs * fs, "W2": pool_size, "W3": hidden_size}
        self.params = {}
        for i, name in enumerate(shapes, start=1):
            scale = _init_scale(weight_init_std, fan_in[name])
            self.params[name] = (scale * rng.standard_normal(shapes[name])).astype(self.dtype)
            self.params[f"b{i}"] = np.zeros(shapes[name][0] if name == "W1" else shapes[name][1], dtype=self.dtype)
        p = self.params
        self.layers = {
            "Conv1": Convolution(p["W1"], p["b1"], stride, pad),
            "Relu1": Relu(inplace=True),  # each layer's output is fresh: no copies needed
            "Pool1": MaxPooling(2, 2, stride=2),
            "Affine1": Affine(p["W2"], p["b2"]),
            "Relu2": Relu(inplace=True),
            "Affine2": Affine(p["W3"], p["b3"]),
        }
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x) -> np.ndarray:
        """Scores before softmax, ``(N, output_size)``, for ``x`` ``(N, C, H, W)``."""
        out = np.asarray(x, dtype=self.dtype)
        for layer in self.layers.values():
            out = layer.forward(out)
        return out

    def loss(self, x, t) -> float:
        """Mean cross-entropy; ``t`` as labels ``(N,)`` or one-hot ``(N, output_size)``."""
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size: int = 100) -> float:
        """Fraction of images whose highest score is the label, computed in batches."""
        t = np.asarray(t)
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        correct = 0
        for start in range(0, len(x), batch_size):
            scores = self.predict(x[start:start + batch_size])
            correct += int(np.sum(scores.argmax(axis=1) == labels[start:start + batch_size]))
        return correct / len(x)

    def loss_and_gradient(self, x, t) -> tuple[float, dict]:
        """One forward and one backward pass: the loss and the gradients by backpropagation."""
        loss = self.loss(x, t)
        dout = self.last_layer.backward(1.0)
        layers = list(self.layers.values())
        for layer in reversed(layers[1:]):
            dout = layer.backward(dout)
        layers[0].backward(dout, input_grad=False)  # nobody needs d(loss)/d(image)
        grads = {}
        for i, name in enumerate(("Conv1", "Affine1", "Affine2"), start=1):
            grads[f"W{i}"] = self.layers[name].dW
            grads[f"b{i}"] = self.layers[name].db
        return loss, grads

    def gradient(self, x, t) -> dict:
        """Gradients of :meth:`loss` with respect to every parameter, by backpropagation."""
        return self.loss_and_gradient(x, t)[1]

    def numerical_gradient(self, x, t, h: float = 1e-5) -> dict:
        """Gradients by central differences ``(L(p + h) - L(p - h)) / 2h``, one element at a
        time (slow: for checking :meth:`gradient` on small networks)."""
        grads = {}
        for name, param in self.params.items():
            grad = np.zeros_like(param)
            for idx in np.ndindex(param.shape):
                saved = param[idx]
                param[idx] = saved + h
                plus = self.loss(x, t)
                param[idx] = saved - h
                minus = self.loss(x, t)
                param[idx] = saved
                grad[idx] = (plus - minus) / (2 * h)
            grads[name] = grad
        return grads

"""A quick self-test of the reference (about a second), run by ``grader ci``.

Each check compares the reference with an independent definition: the slide's worked
examples, a plain-loop im2col, the adjoint identity ``<im2col(x), y> == <x, col2im(y)>``,
and central-difference gradients of the layers and of a small SimpleConvNet.
``run()`` returns the failures (empty when everything holds); ``python -m reference.selftest``
prints them and exits 1 when there are any.
"""
from __future__ import annotations

import sys

import numpy as np

from .basics import convolution, max_pooling
from .conv_layers import Convolution, MaxPooling
from .im2col import col2im, im2col
from .network import SimpleConvNet
from .shapes import conv_output_size

__all__ = ["run", "CHECKS"]

_SLIDE_X = [[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]]
_SLIDE_W = [[2, 0, 1], [0, 1, 2], [1, 0, 2]]
# (N, C, H, W, FH, FW, stride, pad): overlapping, strided, padded and rectangular windows
_IM2COL_CASES = [(2, 3, 5, 5, 3, 3, 1, 0), (2, 2, 7, 6, 3, 3, 2, 1), (1, 2, 6, 5, 2, 3, 2, 1),
                 (3, 1, 4, 4, 2, 2, 2, 0), (1, 2, 5, 7, 3, 2, 1, 2)]
_GRAD_TOL = 1e-6


def _slide_examples(rng: np.random.Generator) -> list[str]:  # noqa: ARG001 - fixed inputs
    got = {"plain": convolution(_SLIDE_X, _SLIDE_W), "b=3": convolution(_SLIDE_X, _SLIDE_W, b=3),
           "pad=1": convolution(_SLIDE_X, _SLIDE_W, pad=1)}
    want = {"plain": [[15, 16], [6, 15]], "b=3": [[18, 19], [9, 18]],
            "pad=1": [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]]}
    failures = [f"convolution(slide example, {k}) = {got[k].tolist()}, expected {want[k]}"
                for k in want if not np.array_equal(got[k], want[k])]
    if conv_output_size(28, 5, 0, 1) != 24 or conv_output_size(7, 3, 1, 2) != 4:
        failures.append("conv_output_size: (28, 5, 0, 1) should be 24 and (7, 3, 1, 2) should be 4")
    pooled = max_pooling(np.array(_SLIDE_X, dtype=float), 2, 2, stride=2)
    if not np.array_equal(pooled, [[2, 3], [3, 2]]):
        failures.append(f"max_pooling(slide x, 2, 2, stride=2) = {pooled.tolist()}, expected [[2, 3], [3, 2]]")
    return failures


def _im2col_loops(x, fh, fw, stride, pad):
    """The definition, one window at a time."""
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = conv_output_size(H, fh, pad, stride), conv_output_size(W, fw, pad, stride)
    rows = [xp[n, :, i * stride:i * stride + fh, j * stride:j * stride + fw].ravel()
            for n in range(N) for i in range(oh) for j in range(ow)]
    return np.array(rows)


def _im2col_col2im(rng: np.random.Generator) -> list[str]:
    failures = []
    for N, C, H, W, fh, fw, stride, pad in _IM2COL_CASES:
        call = f"shape {(N, C, H, W)}, filter {fh}x{fw}, stride {stride}, pad {pad}"
        x = rng.standard_normal((N, C, H, W))
        col = im2col(x, fh, fw, stride, pad)
        if col.shape != _im2col_loops(x, fh, fw, stride, pad).shape or \
                not np.allclose(col, _im2col_loops(x, fh, fw, stride, pad), rtol=0, atol=1e-12):
            failures.append(f"im2col differs from the loop definition ({call})")
            continue
        y = rng.standard_normal(col.shape)
        lhs, rhs = np.vdot(col, y), np.vdot(x, col2im(y, x.shape, fh, fw, stride, pad))
        if not np.isclose(lhs, rhs, rtol=1e-10, atol=1e-10):
            failures.append(f"col2im is not the adjoint of im2col ({call}): <im2col(x), y> = {lhs:.12g}, "
                            f"<x, col2im(y)> = {rhs:.12g}")
    return failures


def _numerical(f, array: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``array`` (changed in place, restored)."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + h
        plus = f()
        array[index] = saved - h
        minus = f()
        array[index] = saved
        grad[index] = (plus - minus) / (2 * h)
    return grad


def _relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def _compare(name: str, analytic, numeric, failures: list[str]) -> None:
    error = _relative_error(np.asarray(analytic), numeric)
    if not error < _GRAD_TOL:
        failures.append(f"{name}: backward differs from central differences (max relative error {error:.2e}, "
                        f"threshold {_GRAD_TOL:g})")


def _layer_gradients(rng: np.random.Generator) -> list[str]:
    failures: list[str] = []
    W, b = rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    x = rng.standard_normal((2, 2, 5, 5))
    conv = Convolution(W, b, stride=2, pad=1)
    dout = rng.standard_normal(conv.forward(x).shape)
    dx = conv.backward(dout)
    loss = lambda: float(np.vdot(conv.forward(x), dout))  # noqa: E731 - d loss / d out = dout
    _compare("Convolution dx", dx, _numerical(loss, x), failures)
    _compare("Convolution dW", conv.dW, _numerical(loss, W), failures)
    _compare("Convolution db", conv.db, _numerical(loss, b), failures)
    pool = MaxPooling(3, 3, stride=2, pad=1)  # overlapping windows, padding never wins
    xp = rng.permutation(2 * 2 * 6 * 6).reshape(2, 2, 6, 6).astype(float)  # distinct values: no ties
    dout = rng.standard_normal(pool.forward(xp).shape)
    dx = pool.backward(dout)
    _compare("MaxPooling dx", dx, _numerical(lambda: float(np.vdot(pool.forward(xp), dout)), xp, h=1e-3), failures)
    return failures


def _network_gradient(rng: np.random.Generator) -> list[str]:
    failures: list[str] = []
    net = SimpleConvNet(input_dim=(1, 8, 8), conv_param={"filter_num": 2, "filter_size": 3, "pad": 1, "stride": 1},
                        hidden_size=5, output_size=3, weight_init_std=0.5, rng=rng)
    x, t = rng.standard_normal((3, 1, 8, 8)), np.array([0, 2, 1])
    grads = net.gradient(x, t)
    for key in ("W1", "b1", "W2", "b2", "W3", "b3"):
        _compare(f"SimpleConvNet.gradient[{key!r}]", grads[key],
                 _numerical(lambda: float(net.loss(x, t)), net.params[key]), failures)
    return failures


CHECKS = {
    "slide examples": _slide_examples,
    "im2col/col2im": _im2col_col2im,
    "layer gradients": _layer_gradients,
    "SimpleConvNet gradient": _network_gradient,
}


def run(seed: int = 0) -> list[str]:
    """Every self-check; returns the failures as messages (empty: the reference is sound)."""
    failures = []
    for name, check in CHECKS.items():
        try:
            failures.extend(check(np.random.default_rng(seed)))
        except Exception as exc:  # a crash is a failure of that check, the others still run
            failures.append(f"{name}: raised {type(exc).__name__}: {exc}")
    return failures


def main() -> int:
    failures = run()
    for failure in failures:
        print(f"FAILED: {failure}")
    print("reference self-test: " + ("ok" if not failures else f"{len(failures)} failure(s)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

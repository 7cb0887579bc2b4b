"""In-process checks of the corpus's own code against the independent loop oracle
(tests/oracle.py, no ``reference``): the graded cells of a notebook are executed in a plain
namespace (numpy, and for the book's layout the oracle's im2col/col2im standing in for
``common.util``), then compared on small inputs that include the boundary cases (stride not
dividing ``H + 2P - FH``, non-square shapes, N = 1, C > 1, integer and float32 inputs).
Tolerance: float32 level, relative to the scale of the expected output."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided, sliding_window_view

import oracle

_RTOL = 1e-5


def _close(got, want) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    assert np.abs(got - want).max(initial=0.0) <= _RTOL * scale, np.abs(got - want).max()


def graded_namespace(spec) -> dict:
    """The names the notebook's graded cells define, executed in-process (magics dropped)."""
    ns = {"np": np, "sliding_window_view": sliding_window_view, "as_strided": as_strided,
          "im2col": oracle.im2col, "col2im": oracle.col2im, "display": print}
    source = "\n".join(line for line in spec.graded_source().splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        exec(compile(source, spec.path, "exec"), ns)
    except ImportError as exc:  # a course package (scipy...) the grader installs for the kernel
        pytest.skip(f"{spec.path} needs {exc.name}, not installed here")
    return ns


_CONV_CASES = [  # (x shape, w shape, stride, pad)
    ((4, 4), (3, 3), 1, 0), ((6, 9), (2, 3), 2, 1), ((7, 8), (3, 2), 2, 2), ((3, 7, 8), (3, 3, 3), 2, 1),
    ((8, 8), (3, 3), 3, 1), ((5, 5), (5, 5), 1, 0),
]


def check_4_1(ns, rng=None):
    rng = rng or np.random.default_rng(0)
    size = ns["conv_output_size"]
    for args in [(4, 3), (8, 3, 1, 2), (7, 3, 0, 2), (10, 2, 0, 3), (3, 5, 1, 1)]:
        assert size(*args) == oracle.conv_output_size(*args), args
    for xs, ws, stride, pad in _CONV_CASES:
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        _close(ns["convolution"](x, w, b=0.5, stride=stride, pad=pad), oracle.convolution(x, w, 0.5, stride, pad))
    xi, wi = rng.integers(0, 10, (6, 6)), rng.integers(-3, 4, (3, 3))
    _close(ns["convolution"](xi, wi, stride=2, pad=1), oracle.convolution(xi, wi, 0.0, 2, 1))


def check_4_2(ns, rng=None):
    rng = rng or np.random.default_rng(1)
    for shape, ph, pw, stride, pad in [((4, 4), 2, 2, 2, 0), ((5, 8), 2, 3, 2, 1), ((2, 7, 9), 3, 3, 2, 0),
                                       ((5, 6), 3, 3, 1, 1), ((7, 7), 3, 3, 2, 1)]:
        x = -rng.uniform(1, 9, shape)
        _close(ns["max_pooling"](x, ph, pw, stride=stride, pad=pad), oracle.max_pooling(x, ph, pw, stride, pad))
    xi = rng.integers(1, 10, (7, 7))
    _close(ns["max_pooling"](xi, 3, 3, stride=2, pad=1), oracle.max_pooling(xi, 3, 3, 2, 1))


def check_4_3(ns, rng=None):
    rng = rng or np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 5))
    _close(ns["pad_hw"](x, 2), oracle.pad_hw(x, 2))
    _close(ns["pad_hw"](x, 1, constant_values=-1.5), oracle.pad_hw(x, 1, -1.5))
    W = rng.standard_normal((4, 3, 3, 2))
    _close(ns["filters_to_matrix"](W), oracle.filters_to_matrix(W))
    m = rng.standard_normal((2 * 3 * 4, 5))
    _close(ns["matrix_to_nchw"](m, 2, 3, 4), oracle.matrix_to_nchw(m, 2, 3, 4))
    d = rng.standard_normal((2, 5, 3, 4))
    _close(ns["nchw_to_matrix"](d), oracle.nchw_to_matrix(d))


def check_4_4(ns, rng=None):
    rng = rng or np.random.default_rng(3)
    for shape, fh, fw, stride, pad in [((2, 3, 7, 6), 3, 3, 2, 1), ((3, 2, 9, 8), 2, 3, 3, 2),
                                       ((1, 1, 5, 5), 3, 3, 1, 0), ((2, 2, 6, 6), 3, 3, 1, 1)]:
        x = rng.standard_normal(shape)
        col = ns["im2col"](x, fh, fw, stride=stride, pad=pad)
        _close(col, oracle.im2col(x, fh, fw, stride, pad))
        dcol = rng.standard_normal(np.shape(col))
        _close(ns["col2im"](dcol, list(shape), fh, fw, stride=stride, pad=pad),
               oracle.col2im(dcol, shape, fh, fw, stride, pad))
    x = rng.standard_normal((2, 3, 7, 6))
    _close(ns["im2col"](x, 3, 3, stride=2, pad=1, constant_values=-1.5), oracle.im2col(x, 3, 3, 2, 1, -1.5))


def check_4_5(ns, rng=None):
    rng = rng or np.random.default_rng(4)
    for xs, ws, stride, pad in [((2, 3, 7, 6), (4, 3, 3, 2), 2, 1), ((1, 1, 6, 5), (1, 1, 3, 3), 1, 1),
                                ((3, 2, 5, 6), (3, 2, 2, 3), 1, 0)]:
        x, W, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
        layer = ns["Convolution"](W, b, stride=stride, pad=pad)
        out = layer.forward(x)
        _close(out, oracle.conv_forward(x, W, b, stride, pad))
        dout = rng.standard_normal(np.shape(out))
        dx, dW, db = oracle.conv_backward(x, W, dout, stride, pad)
        _close(layer.backward(dout), dx)
        _close(layer.dW, dW)
        _close(layer.db, db)


def check_4_6(ns, rng=None):
    rng = rng or np.random.default_rng(5)
    for shape, ph, pw, stride, pad in [((2, 3, 6, 6), 2, 2, 2, 0), ((2, 2, 7, 7), 3, 3, 3, 1),
                                       ((1, 2, 7, 9), 3, 3, 2, 0), ((2, 2, 8, 9), 2, 3, 3, 0)]:
        x = -rng.uniform(1, 9, shape)
        layer = ns["MaxPooling"](ph, pw, stride=stride, pad=pad)
        out = layer.forward(x)
        _close(out, oracle.pool_forward(x, ph, pw, stride, pad))
        dout = rng.standard_normal(np.shape(out))
        _close(layer.backward(dout), oracle.pool_backward(x, dout, ph, pw, stride, pad))
    ties = rng.integers(0, 2, (2, 2, 6, 6)).astype(np.float64)
    layer = ns["MaxPooling"](3, 3, stride=3)
    dout = rng.standard_normal(np.shape(layer.forward(ties)))
    _close(layer.backward(dout), oracle.pool_backward(ties, dout, 3, 3, 3, 0))


ORACLE_CHECKS = {"4_1": check_4_1, "4_2": check_4_2, "4_3": check_4_3, "4_4": check_4_4, "4_5": check_4_5,
                 "4_6": check_4_6}

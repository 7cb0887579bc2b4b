"""The layers' backward against central finite differences (float64) for any geometry: the
gradient of ``L = sum(forward(x) * dout)`` with respect to x is ``backward(dout)`` and with
respect to a parameter the ``d<param>`` the layer stores (tests/test_gradients.py's method and
tolerance).

Replaces ``test_convolution_backward`` (stride 1, 2 x pad 0, 1) and ``test_maxpooling_backward``
(five hand-picked window/stride/pad configurations) of tests/test_gradients.py: each of their
cases is an ``@example`` with the same shapes and the same seed, so the same numbers.
"""
from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

import reference
from strategies import FEW, Geometry, geometries, seeds
from test_gradients import assert_grad, distinct_values, numeric_grad

FORMER_CONV = [(stride, pad) for pad in (0, 1) for stride in (1, 2)]
FORMER_POOL = [(2, 2, 2, 0), (3, 3, 1, 0), (3, 2, 2, 1), (2, 3, 1, 1), (3, 3, 2, 1)]
# "2x2s2", "3x3s1-overlap", "3x2s2p1", "2x3s1p1-overlap", "3x3s2p1-overlap"


def _former(cases, make):
    def decorate(test):
        for case in reversed(cases):
            test = example(**make(*case))(test)
        return test
    return decorate


@FEW
@given(g=geometries(h_max=6, f_max=3), n=st.integers(1, 2), c=st.integers(1, 2), fn=st.integers(1, 3), seed=seeds)
@_former(FORMER_CONV, lambda stride, pad: dict(g=Geometry(5, 6, 3, 2, stride, pad), n=2, c=2, fn=3,
                                               seed=(11, stride, pad)))
def test_convolution_backward_is_the_gradient_of_forward(g, n, c, fn, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, g.h, g.w))
    w, b = rng.standard_normal((fn, c, g.fh, g.fw)), rng.standard_normal(fn)
    layer = reference.Convolution(w, b, stride=g.stride, pad=g.pad)
    dout = rng.standard_normal(layer.forward(x).shape)
    dx = layer.backward(dout)

    def loss():
        return float(np.sum(layer.forward(x) * dout))

    assert_grad(dx, numeric_grad(loss, x), f"Convolution dx {g}")
    assert_grad(layer.dW, numeric_grad(loss, w), f"Convolution dW {g}")
    assert_grad(layer.db, numeric_grad(loss, b), f"Convolution db {g}")


@FEW
@given(g=geometries(h_max=6, f_max=3, pool=True), n=st.integers(1, 2), c=st.integers(1, 2), seed=seeds)
@_former(FORMER_POOL, lambda ph, pw, stride, pad: dict(g=Geometry(5, 6, ph, pw, stride, pad), n=2, c=2,
                                                       seed=(12, ph, pw, stride, pad)))
def test_maxpooling_backward_is_the_gradient_of_forward(g, n, c, seed):
    """Distinct values (no ties), so max pooling is differentiable at x; overlapping windows
    (stride < window) add their gradients."""
    rng = np.random.default_rng(seed)
    x = distinct_values(rng, (n, c, g.h, g.w))
    layer = reference.MaxPooling(g.fh, g.fw, stride=g.stride, pad=g.pad)
    dout = rng.standard_normal(layer.forward(x).shape)
    dx = layer.backward(dout)
    assert_grad(dx, numeric_grad(lambda: float(np.sum(layer.forward(x) * dout)), x), f"MaxPooling dx {g}")

"""Properties of the reference's window operations and layers (4_1, 4_2, 4_5, 4_6) against the
loop oracle (tests/oracle.py): for any geometry with a non-empty output, any input dtype and
memory layout, ``convolution``, ``max_pooling`` and the ``Convolution`` / ``MaxPooling``
layers' forward and backward (strided views, tensordot, float32 kept) equal the plain
definitions, and leave their inputs untouched.

These replace the seeded ``range(N)`` parametrizations of tests/test_reference_oracle.py;
each former case is kept as an ``@example`` (``Seeded(kind, case)``, rebuilt from
``case_rng(kind, case)`` in the former test's order of draws).
"""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import reference
from strategies import FEW, SOME, Seeded, drawn, geometries, seeded
from test_reference_oracle import (N_CASES, assert_matches, call, case_rng, case_style, conv_geometry, layer_case, oracle,
                                   param_dtype, values, with_layout)


def _single_image(case, kind: str, **geometry):
    """(rng, dtype, layout, geometry tuple, channels) of a 4_1 / 4_2 case; channels 0: (H, W)."""
    if isinstance(case, Seeded):
        rng = case_rng(kind, case.case)
        dtype, layout = case_style(case.case)
        g = conv_geometry(rng, **geometry)
        return rng, dtype, layout, g, int(rng.integers(0, 5))
    rng, dtype, layout, _, fh, fw, stride, pad = case.unpack()
    return rng, dtype, layout, (case.geometry.h, case.geometry.w, fh, fw, stride, pad), case.c


def _layer(case, kind: str, pool: bool = False):
    return layer_case(kind, case.case, pool=pool) if isinstance(case, Seeded) else case.unpack()


# --------------------------------------------------------------------------- 4_1 / 4_2


@SOME
@given(case=drawn(channels=st.integers(0, 4)))
@seeded("conv", N_CASES)
def test_convolution_equals_the_loop_oracle(case):
    rng, dtype, layout, (h, w, fh, fw, stride, pad), channels = _single_image(case, "conv")
    xshape, wshape = ((h, w), (fh, fw)) if channels == 0 else ((channels, h, w), (channels, fh, fw))
    x = with_layout(values(rng, xshape, dtype), layout, rng)
    filt = with_layout(values(rng, wshape, dtype), layout, rng)
    bias = int(rng.integers(-3, 4)) if np.issubdtype(dtype, np.integer) else float(rng.standard_normal())
    got = call(reference.convolution, x, filt, bias, stride=stride, pad=pad)
    assert_matches(got, oracle.convolution(x, filt, bias, stride, pad), dtype, what=f"convolution {case}")


@SOME
@given(case=drawn(geometries(f_max=4, pool=True), channels=st.integers(0, 4)))
@seeded("pool", N_CASES)
def test_max_pooling_equals_the_loop_oracle(case):
    rng, dtype, layout, (h, w, ph, pw, stride, pad), channels = _single_image(case, "pool", f_max=4, pool=True)
    shape = (h, w) if channels == 0 else (channels, h, w)
    # every other case integer-valued with many ties
    raw = values(rng, shape, dtype, -2, 2) if case.variant % 2 else rng.integers(-1, 2, size=shape).astype(dtype)
    x = with_layout(raw, layout, rng)
    got = call(reference.max_pooling, x, ph, pw, stride=stride, pad=pad)
    assert_matches(got, oracle.max_pooling(x, ph, pw, stride, pad), dtype, exact=True, what=f"max_pooling {case}")


# --------------------------------------------------------------------------- 4_5 / 4_6


@FEW
@given(case=drawn(geometries(h_max=9, f_max=4)))
@seeded("convlayer", 30)
def test_convolution_layer_forward_and_backward_equal_the_loop_oracle(case):
    rng, dtype, layout, shape, fh, fw, stride, pad = _layer(case, "convlayer")
    fn_ = int(rng.integers(1, 4))
    pdt = param_dtype(dtype)
    filt = values(rng, (fn_, shape[1], fh, fw), pdt)
    bias = values(rng, (fn_,), pdt)
    layer = reference.Convolution(filt, bias, stride=stride, pad=pad)
    x = with_layout(values(rng, shape, dtype), layout, rng)
    out = call(layer.forward, x)
    assert_matches(out, oracle.conv_forward(x, filt, bias, stride, pad), dtype, what=f"Convolution.forward {case}")
    dout = with_layout(values(rng, out.shape, out.dtype), layout, rng)
    dx = call(layer.backward, dout)
    want_dx, want_dw, want_db = oracle.conv_backward(x, filt, dout, stride, pad)
    assert_matches(dx, want_dx, dtype, what="dx")
    assert_matches(layer.dW, want_dw, dtype, what="dW")
    assert_matches(layer.db, want_db, dtype, what="db")


@FEW
@given(case=drawn(geometries(h_max=9, f_max=4, pool=True)))
@seeded("poollayer", 40)
def test_maxpooling_layer_forward_and_backward_equal_the_loop_oracle(case):
    rng, dtype, layout, shape, ph, pw, stride, pad = _layer(case, "poollayer", pool=True)
    if case.variant % 4 == 0:  # overlapping windows
        stride = max(1, min(ph, pw) - 1)
    # integer values in a small range: many ties inside windows
    raw = rng.integers(0, 3, size=shape).astype(dtype) if case.variant % 2 else values(rng, shape, dtype)
    x = with_layout(raw, layout, rng)
    layer = reference.MaxPooling(ph, pw, stride=stride, pad=pad)
    out = call(layer.forward, x)
    assert_matches(out, oracle.pool_forward(x, ph, pw, stride, pad), dtype, exact=True, what=f"MaxPooling {case}")
    dout = with_layout(values(rng, out.shape, out.dtype), layout, rng)
    dx = call(layer.backward, dout)
    assert_matches(dx, oracle.pool_backward(x, dout, ph, pw, stride, pad), dtype, what="MaxPooling.backward")

"""Properties of the reference's im2col family (4_3, 4_4) against the loop oracle (tests/oracle.py).

The reference reads windows through strided views and folds them back with a strided
assignment when windows do not overlap (``add_windows``' fast path) or slice additions when
they do; the oracle is plain index loops. For *any* geometry with a non-empty output, any
input dtype (float64, float32, int64) and memory layout (contiguous, transposed, step-sliced,
read-only), the two agree, the inputs are left untouched, and im2col / col2im are adjoint.

These replace the seeded ``range(N)`` parametrizations of tests/test_reference_oracle.py;
each of their cases is kept as an ``@example`` (``Seeded(kind, case)`` rebuilds it from
``case_rng(kind, case)`` exactly as the former test did), and hypothesis draws more
geometries, shrinking a failure to the smallest one.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference
from strategies import SOME, Seeded, drawn, geometries, seeded, seeds
from test_reference_oracle import (N_CASES, assert_matches, call, case_rng, case_style, im2col_case, oracle, values,
                                   with_layout)


def batch_case(case):
    return im2col_case(case.kind, case.case) if isinstance(case, Seeded) else case.unpack()


# --------------------------------------------------------------------------- 4_3


@SOME
@given(case=drawn(geometries(h_max=4)))
@seeded("pad", 12)
def test_pad_hw_equals_the_oracle_and_keeps_the_dtype(case):
    if isinstance(case, Seeded):  # the former test's draws, in its order
        rng = case_rng("pad", case.case)
        dtype, layout = case_style(case.case)
        shape = tuple(int(v) for v in rng.integers(1, 5, size=4))
        x = with_layout(values(rng, shape, dtype), layout, rng)
        pad, fill = int(rng.integers(0, 3)), int(rng.integers(-3, 4))
    else:
        rng, dtype, layout, shape, *_ = case.unpack()
        x = with_layout(values(rng, shape, dtype), layout, rng)
        pad, fill = case.geometry.pad, case.variant - 2
    got = call(reference.pad_hw, x, pad, constant_values=fill)
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got, oracle.pad_hw(x, pad, fill).astype(x.dtype))
    np.testing.assert_array_equal(call(reference.pad_hw, x, pad), oracle.pad_hw(x, pad).astype(x.dtype))


@SOME
@given(case=drawn(geometries(h_max=4, f_max=4)))
@seeded("matrix", 12)
def test_matrix_helpers_keep_the_order_and_are_inverse(case):
    if isinstance(case, Seeded):
        rng = case_rng("matrix", case.case)
        dtype, layout = case_style(case.case)
        fn_, c_, fh, fw = (int(v) for v in rng.integers(1, 5, size=4))
    else:
        rng, dtype, layout, _, fh, fw, _, _ = case.unpack()
        fn_, c_ = case.n, case.c
    filt = with_layout(values(rng, (fn_, c_, fh, fw), dtype), layout, rng)
    m = call(reference.filters_to_matrix, filt)
    assert m.dtype == filt.dtype
    np.testing.assert_array_equal(m, oracle.filters_to_matrix(filt))

    if isinstance(case, Seeded):
        n_, oh, ow = (int(v) for v in rng.integers(1, 5, size=3))
    else:
        (oh, ow), n_ = case.geometry.out(), case.variant + 1
    rows = with_layout(values(rng, (n_ * oh * ow, fn_), dtype), layout, rng)
    nchw = call(reference.matrix_to_nchw, rows, n_, oh, ow)
    assert nchw.dtype == rows.dtype
    np.testing.assert_array_equal(nchw, oracle.matrix_to_nchw(rows, n_, oh, ow))
    back = call(reference.nchw_to_matrix, with_layout(nchw, layout, rng))
    assert back.dtype == rows.dtype
    np.testing.assert_array_equal(back, rows)
    np.testing.assert_array_equal(back, oracle.nchw_to_matrix(nchw))
    d = with_layout(values(rng, (n_, fn_, oh, ow), dtype), layout, rng)
    np.testing.assert_array_equal(reference.matrix_to_nchw(call(reference.nchw_to_matrix, d), n_, oh, ow), d)


# --------------------------------------------------------------------------- 4_4


@SOME
@given(case=drawn())
@seeded("im2col", N_CASES)
def test_im2col_equals_the_loop_oracle(case):
    rng, dtype, layout, shape, fh, fw, stride, pad = batch_case(case)
    x = with_layout(values(rng, shape, dtype), layout, rng)
    got = call(reference.im2col, x, fh, fw, stride=stride, pad=pad)
    assert_matches(got, oracle.im2col(x, fh, fw, stride, pad), dtype, exact=True, what=f"im2col {case}")
    if pad:
        fill = -np.inf if case.variant % 2 else 7.0
        got = call(reference.im2col, x, fh, fw, stride, pad, constant_values=fill)
        assert_matches(got, oracle.im2col(x, fh, fw, stride, pad, fill), dtype, exact=True, what="constant_values")


@SOME
@given(case=drawn())
@seeded("col2im", N_CASES)
def test_col2im_equals_the_loop_oracle(case):
    rng, dtype, layout, shape, fh, fw, stride, pad = batch_case(case)
    oh, ow = oracle.conv_output_size(shape[2], fh, pad, stride), oracle.conv_output_size(shape[3], fw, pad, stride)
    col = with_layout(values(rng, (shape[0] * oh * ow, shape[1] * fh * fw), dtype), layout, rng)
    got = call(reference.col2im, col, shape, fh, fw, stride=stride, pad=pad)
    assert_matches(got, oracle.col2im(col, shape, fh, fw, stride, pad), dtype, what=f"col2im {case}")


@SOME
@given(case=drawn(geometries(f_max=3).map(lambda g: replace(g, stride=max(g.stride, g.fh, g.fw)))))
def test_col2im_fast_path_for_windows_that_do_not_overlap_equals_the_loop_oracle(case):
    """``stride >= FH, FW``: ``add_windows`` writes all windows with one strided assignment
    instead of adding them; the loop oracle adds every entry."""
    rng, dtype, layout, shape, fh, fw, stride, pad = case.unpack()
    oh, ow = case.geometry.out()
    col = with_layout(values(rng, (shape[0] * oh * ow, shape[1] * fh * fw), dtype), layout, rng)
    got = call(reference.col2im, col, shape, fh, fw, stride=stride, pad=pad)
    assert_matches(got, oracle.col2im(col, shape, fh, fw, stride, pad), dtype, what=f"col2im {case}")


@SOME
@given(case=drawn())
@seeded("adjoint", N_CASES)
def test_im2col_and_col2im_are_adjoint(case):
    """``<im2col(x), y> == <x, col2im(y)>`` for every x and y of matching shapes."""
    rng, _, _, shape, fh, fw, stride, pad = batch_case(case)
    x = rng.standard_normal(shape)
    col = reference.im2col(x, fh, fw, stride, pad)
    y = rng.standard_normal(col.shape)
    lhs = float(np.sum(col * y))
    rhs = float(np.sum(x * reference.col2im(y, shape, fh, fw, stride, pad)))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@SOME
@given(n=st.integers(1, 3), c=st.integers(1, 3), f=st.integers(1, 4), oh=st.integers(1, 4), ow=st.integers(1, 4),
       seed=seeds)
def test_col2im_undoes_im2col_when_the_windows_tile_the_input(n, c, f, oh, ow, seed):
    """Square windows with stride = filter size that cover the input exactly: every element
    is read once, so folding the columns back gives the input itself."""
    x = np.random.default_rng(seed).standard_normal((n, c, oh * f, ow * f))
    col = reference.im2col(x, f, f, stride=f)
    np.testing.assert_array_equal(reference.col2im(col, x.shape, f, f, stride=f), x)

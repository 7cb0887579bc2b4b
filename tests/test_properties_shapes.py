"""Properties of the output-size formula (reference/shapes.py ``conv_output_size``), the one home
of ``OH = (H + 2*pad - FH) // stride + 1``: it counts the windows that fit (the loop oracle
counts them one by one), returns a Python ``int`` for any integer type, and raises
``ValueError`` exactly when there is no window (or stride, filter, pad or size is out of range).

Replaces in tests/test_reference_oracle.py the nested-loop grid of
``test_conv_output_size_matches_counting_windows`` (sizes 1..12, filters 1..6, pads 0..2,
strides 1..3: all 648 combinations kept as ``@example``\\ s) and the hand-picked list of
``test_conv_output_size_rejects`` (its 7 cases kept).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import reference
from strategies import MANY

try:
    from tests import oracle
except ImportError:  # tests/ on sys.path (tests/conftest.py)
    import oracle

GRID = [(size, fs, pad, stride)
        for size in range(1, 13) for fs in range(1, 7) for pad in range(3) for stride in range(1, 4)]
REJECTED = [(5, 3, 0, 0), (5, 3, 0, -1), (5, 3, -1, 1), (5, 0, 0, 1), (5, -2, 0, 1), (2, 3, 0, 1), (1, 4, 1, 1)]
# stride0, stride-neg, pad-neg, filter0, filter-neg, filter-too-big, filter-too-big-padded


def _with_examples(cases):
    def decorate(test):
        for size, fs, pad, stride in reversed(cases):
            test = example(size=size, fs=fs, pad=pad, stride=stride)(test)
        return test
    return decorate


@MANY
@given(size=st.integers(-3, 40), fs=st.integers(-3, 45), pad=st.integers(-3, 8), stride=st.integers(-3, 12))
@_with_examples(GRID + REJECTED)
def test_conv_output_size_counts_the_windows_or_raises(size, fs, pad, stride):
    in_range = size >= 0 and fs >= 1 and pad >= 0 and stride >= 1
    want = oracle.conv_output_size(size, fs, pad, stride) if in_range else 0  # the oracle loops forever on stride 0
    if want >= 1:
        got = reference.conv_output_size(size, fs, pad, stride)
        assert got == want and type(got) is int, (size, fs, pad, stride)
    else:
        with pytest.raises(ValueError):
            reference.conv_output_size(size, fs, pad, stride)


INTEGER_TYPES = (int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint32)


@MANY
@given(size=st.integers(0, 10**9), fs=st.integers(1, 10**9), pad=st.integers(0, 10**6), stride=st.integers(1, 10**9),
       kind=st.sampled_from(INTEGER_TYPES))
@example(size=7, fs=3, pad=0, stride=2, kind=np.int64)  # test_conv_output_size_accepts_numpy_integers' values
def test_conv_output_size_is_the_number_of_windows_that_fit(size, fs, pad, stride, kind):
    """Large sizes (no loop): ``count`` windows start at 0, stride, ...; the last one fits
    into the padded input, one more would not. Any integer type gives a Python int."""
    padded = size + 2 * pad
    if fs > padded:
        with pytest.raises(ValueError):
            reference.conv_output_size(size, fs, pad, stride)
        return
    info = np.iinfo(kind) if kind is not int else None
    args = [kind(v) if info is None or v <= info.max else v for v in (size, fs, pad, stride)]
    count = reference.conv_output_size(*args)
    assert type(count) is int and count >= 1
    assert (count - 1) * stride + fs <= padded < count * stride + fs

"""The book-style baseline of benchmarks/ computes what the reference computes, so the
benchmark compares two correct implementations (small inputs, well under a second)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import reference

BASELINE_FILE = Path(__file__).resolve().parent.parent / "grader" / "classroom" / "known" / "book_style.py"


@pytest.fixture(scope="module")
def book():
    spec = importlib.util.spec_from_file_location("baseline_book", BASELINE_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def close(actual, expected, what, rtol=1e-10):
    """Equal up to ``rtol`` of each element, or of the array's scale for elements near zero: a
    float32 sum in another order moves a tiny element by a large fraction of itself."""
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=max(1e-12, rtol * scale), err_msg=what)


@pytest.mark.parametrize("stride, pad", [(1, 0), (1, 1), (2, 1)])
def test_im2col_and_col2im_match(book, stride, pad):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    col = reference.im2col(x, 3, 2, stride, pad)
    close(book.im2col(x, 3, 2, stride, pad), col, "im2col")
    dcol = rng.standard_normal(col.shape)
    close(book.col2im(dcol, x.shape, 3, 2, stride, pad), reference.col2im(dcol, x.shape, 3, 2, stride, pad), "col2im")


@pytest.mark.parametrize("N, C, FN, F, stride, pad", [
    (3, 2, 4, 3, 1, 0), (3, 2, 4, 3, 1, 1), (3, 2, 4, 3, 2, 1),
    (12, 16, 64, 5, 1, 1),  # FN*C*F*F large: the reference sums dW over slices of the batch
])
def test_convolution_matches(book, N, C, FN, F, stride, pad):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, 7, 7))
    W, b = rng.standard_normal((FN, C, F, F)), rng.standard_normal(FN)
    ref, base = reference.Convolution(W, b, stride, pad), book.Convolution(W, b, stride, pad)
    out = ref.forward(x)
    close(base.forward(x), out, "forward")
    dout = rng.standard_normal(out.shape)
    close(base.backward(dout), ref.backward(dout), "dx")
    close(base.dW, ref.dW, "dW")
    close(base.db, ref.db, "db")


@pytest.mark.parametrize("values", ["distinct", "ties"])
def test_max_pooling_matches(book, values):
    rng = np.random.default_rng(2)
    shape = (2, 3, 6, 8)
    x = rng.permutation(np.prod(shape)).reshape(shape) * 1.0 if values == "distinct" \
        else rng.integers(0, 3, shape).astype(np.float64)  # ties: both route to the first maximum
    ref, base = reference.MaxPooling(2, 2, stride=2), book.Pooling(2, 2, stride=2)
    out = ref.forward(x)
    close(base.forward(x), out, "forward", rtol=0)
    dout = rng.standard_normal(out.shape)
    close(base.backward(dout), ref.backward(dout), "dx", rtol=0)
    dout[0, 0, 0, :2] = np.inf, np.nan  # only the maxima receive them; elsewhere dx stays 0
    np.testing.assert_array_equal(base.backward(dout), ref.backward(dout), err_msg="dx with inf / nan")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_simple_conv_net_matches(book, dtype):
    rng = np.random.default_rng(3)
    arch = dict(input_dim=(1, 10, 10), conv_param={"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1},
                hidden_size=7, output_size=5)
    ref = reference.SimpleConvNet(**arch, weight_init_std=0.3, rng=4, dtype=dtype)
    base = book.SimpleConvNet(**arch, weight_init_std=0.3, rng=5, dtype=dtype)
    for key, value in ref.params.items():
        base.params[key][...] = value  # in place: the book's layers hold these arrays
    x = rng.random((6, 1, 10, 10)).astype(dtype)
    t = rng.integers(0, 5, 6)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    scores = base.predict(x)
    assert scores.dtype == dtype
    close(scores, ref.predict(x), "predict", rtol)
    close(base.loss(x, t), ref.loss(x, t), "loss", rtol=1e-5)  # the book adds 1e-7 inside the log
    grads, expected = base.gradient(x, t), ref.gradient(x, t)
    assert sorted(grads) == sorted(expected)
    for key in expected:
        assert grads[key].dtype == dtype, key
        close(grads[key], expected[key], f"gradient {key}", rtol)


def test_adam_matches(book):
    rng = np.random.default_rng(6)
    params = {"w": rng.standard_normal((3, 4))}
    mine = {"w": params["w"].copy()}
    ref, base = reference.Adam(lr=0.01), book.Adam(lr=0.01)
    for _ in range(3):
        grads = {"w": rng.standard_normal((3, 4))}
        ref.update(params, grads)
        base.update(mine, grads)
    # eps 1e-7 (book) vs 1e-8 moves each step by up to lr * 1e-7 / sqrt(v)
    np.testing.assert_allclose(mine["w"], params["w"], rtol=0, atol=1e-5)


@pytest.mark.parametrize("pool, stride, pad", [(2, 2, 0), (3, 2, 1), (2, 1, 0), (2, 3, 1)])
def test_max_pooling_over_slices_of_the_batch_matches(book, monkeypatch, pool, stride, pad):
    """The reference pools a slice of the batch at a time; cut the slices small, the results stay."""
    rng = np.random.default_rng(7)
    x = rng.integers(0, 4, (5, 3, 7, 8)).astype(np.float64)  # many ties
    dout_shape = (5, 3, (7 + 2 * pad - pool) // stride + 1, (8 + 2 * pad - pool) // stride + 1)
    dout = rng.standard_normal(dout_shape)
    whole = reference.MaxPooling(pool, pool, stride=stride, pad=pad)
    expected = whole.forward(x), whole.backward(dout)
    monkeypatch.setattr("reference.conv_layers.SLICE_ELEMENTS", 100)  # 1 image per slice
    sliced = reference.MaxPooling(pool, pool, stride=stride, pad=pad)
    close(sliced.forward(x), expected[0], "forward", rtol=0)
    close(sliced.backward(dout), expected[1], "dx", rtol=0)
    if (pool, stride, pad) == (2, 2, 0):
        base = book.Pooling(2, 2, stride=2)
        close(base.forward(x[:, :, :6]), sliced.forward(x[:, :, :6]), "forward vs book", rtol=0)
        close(base.backward(dout[:, :, :3]), sliced.backward(dout[:, :, :3]), "dx vs book", rtol=0)

"""The reference against the loop oracle (tests/oracle.py) on seeded random cases.

Every case is drawn from ``numpy.random.default_rng((BASE_SEED, case))``, so the
suite is deterministic. Each case cycles through the input dtypes (float64,
float32, int64) and layouts (contiguous, transposed view, step-sliced view,
read-only), and every call is checked for the output dtype and for leaving its
inputs (values, flags, strides, the underlying buffer) untouched.

The window operations' seeded cases (``case_rng(kind, case)``, helpers below) are the
``@example``s of the hypothesis properties in tests/test_properties_{shapes,im2col,layers}.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference

try:  # tests/ as a package or as a plain directory on sys.path
    from tests import oracle
except ImportError:  # pragma: no cover
    import oracle

BASE_SEED = 20240404
N_CASES = 60
DTYPES = (np.float64, np.float32, np.int64)
LAYOUTS = ("contiguous", "transposed", "strided", "readonly")
TOL = {np.dtype(np.float64): dict(rtol=1e-10, atol=1e-10), np.dtype(np.float32): dict(rtol=1e-4, atol=1e-4)}


# --------------------------------------------------------------------------- helpers


def case_rng(kind: str, case: int) -> np.random.Generator:
    return np.random.default_rng((BASE_SEED, sum(map(ord, kind)), case))


def case_style(case: int) -> tuple[type, str]:
    """Deterministic dtype/layout for a case: all 12 combinations within 12 cases."""
    return DTYPES[case % len(DTYPES)], LAYOUTS[(case // len(DTYPES)) % len(LAYOUTS)]


def out_dtype(dtype) -> np.dtype:
    return np.dtype(np.float32) if np.dtype(dtype) == np.float32 else np.dtype(np.float64)


def values(rng, shape, dtype, low=-5, high=6) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        return rng.integers(low, high, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def with_layout(arr: np.ndarray, layout: str, rng) -> np.ndarray:
    """The same values as ``arr`` in the requested memory layout."""
    if layout == "contiguous":
        return arr.copy()
    if layout == "transposed":
        axes = tuple(reversed(range(arr.ndim)))
        return np.ascontiguousarray(arr.transpose(axes)).transpose(axes)
    if layout == "strided":
        big = values(rng, tuple(2 * s + 1 for s in arr.shape), arr.dtype, 50, 99)  # junk around
        view = big[tuple(slice(1, None, 2) for _ in arr.shape)]
        view[...] = arr
        return view
    if layout == "readonly":
        out = arr.copy()
        out.setflags(write=False)
        return out
    raise AssertionError(layout)


class Untouched:
    """Snapshot arrays before a call; ``check()`` asserts nothing changed."""

    def __init__(self, *arrays):
        self.items = [(a, self._state(a)) for a in arrays if isinstance(a, np.ndarray)]

    @staticmethod
    def _state(a):
        base = a.base.copy() if isinstance(a.base, np.ndarray) else None
        flags = (a.flags.c_contiguous, a.flags.f_contiguous, a.flags.writeable, a.flags.owndata)
        return a.copy(), base, flags, a.strides, a.dtype, a.shape

    def check(self):
        for a, (copy, base, flags, strides, dtype, shape) in self.items:
            assert a.dtype == dtype and a.shape == shape and a.strides == strides
            assert (a.flags.c_contiguous, a.flags.f_contiguous, a.flags.writeable, a.flags.owndata) == flags
            np.testing.assert_array_equal(a, copy, err_msg="input was modified")
            if base is not None:
                np.testing.assert_array_equal(a.base, base, err_msg="input's buffer was modified")


def call(fn, *args, **kwargs):
    guard = Untouched(*args, *kwargs.values())
    result = fn(*args, **kwargs)
    guard.check()
    return result


def assert_matches(actual, expected, dtype, exact=False, what=""):
    want = out_dtype(dtype)
    assert isinstance(actual, np.ndarray), f"{what}: expected ndarray, got {type(actual)!r}"
    assert actual.dtype == want, f"{what}: dtype {actual.dtype}, expected {want}"
    assert actual.shape == np.shape(expected), f"{what}: shape {actual.shape}, expected {np.shape(expected)}"
    if exact:
        np.testing.assert_array_equal(actual, np.asarray(expected).astype(want), err_msg=what)
    else:
        np.testing.assert_allclose(actual, expected, err_msg=what, **TOL[want])


def conv_geometry(rng, h_max=12, f_max=5, pool=False):
    """Draw (H, W, FH, FW, stride, pad) until the output is non-empty.

    For pooling, ``pad < pool size`` so that no window lies wholly in the padding.
    """
    while True:
        h, w = (int(v) for v in rng.integers(1, h_max + 1, size=2))
        fh, fw = (int(v) for v in rng.integers(1, f_max + 1, size=2))
        stride, pad = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        if pool and pad >= min(fh, fw):
            continue
        if oracle.conv_output_size(h, fh, pad, stride) >= 1 and oracle.conv_output_size(w, fw, pad, stride) >= 1:
            return h, w, fh, fw, stride, pad


# --------------------------------------------------------------------------- 4_1


def test_conv_output_size_accepts_numpy_integers():
    got = reference.conv_output_size(np.int64(7), np.int32(3), np.int64(0), np.int8(2))
    assert got == 3 and type(got) is int


def test_convolution_and_pooling_accept_numpy_integer_arguments():
    rng = case_rng("npint", 0)
    x, w = rng.standard_normal((2, 7, 6)), rng.standard_normal((2, 3, 2))
    got = reference.convolution(x, w, np.float64(0.5), stride=np.int64(2), pad=np.int64(1))
    assert_matches(got, oracle.convolution(x, w, 0.5, 2, 1), np.float64)
    got = reference.max_pooling(x, np.int64(3), np.int64(2), stride=np.int64(2), pad=np.int64(1))
    assert_matches(got, oracle.max_pooling(x, 3, 2, 2, 1), np.float64, exact=True)


def test_convolution_default_bias_and_args():
    rng = np.random.default_rng(BASE_SEED)
    x, w = rng.standard_normal((3, 6, 5)), rng.standard_normal((3, 2, 3))
    assert_matches(reference.convolution(x, w), oracle.convolution(x, w), np.float64)


# --------------------------------------------------------------------------- 4_2


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_max_pooling_padding_never_wins(dtype):
    x = -np.arange(1, 26, dtype=dtype).reshape(5, 5)  # all negative: a zero pad would win
    got = call(reference.max_pooling, x, 3, 3, stride=2, pad=1)
    assert_matches(got, oracle.max_pooling(x, 3, 3, 2, 1), dtype, exact=True)
    assert np.all(got < 0)


# --------------------------------------------------------------------------- 4_3


def test_filters_to_matrix_column_is_flattened_filter():
    w = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)
    m = reference.filters_to_matrix(w)
    assert m.shape == (12, 2)
    np.testing.assert_array_equal(m[:, 0], np.arange(12))
    np.testing.assert_array_equal(m[:, 1], np.arange(12, 24))


# --------------------------------------------------------------------------- 4_4


def im2col_case(kind, case):
    rng = case_rng(kind, case)
    dtype, layout = case_style(case)
    h, w, fh, fw, stride, pad = conv_geometry(rng)
    n_, c_ = (int(v) for v in rng.integers(1, 5, size=2))
    return rng, dtype, layout, (n_, c_, h, w), fh, fw, stride, pad


def test_col2im_accepts_list_shape():
    col = np.ones((4, 4))
    np.testing.assert_array_equal(reference.col2im(col, [1, 1, 3, 3], 2, 2), oracle.col2im(col, (1, 1, 3, 3), 2, 2))


# --------------------------------------------------------------------------- 4_5 / 4_6 layers


def layer_case(kind, case, pool=False):
    rng = case_rng(kind, case)
    dtype, layout = case_style(case)
    h, w, fh, fw, stride, pad = conv_geometry(rng, h_max=9, f_max=4, pool=pool)
    n_, c_ = (int(v) for v in rng.integers(1, 5, size=2))
    return rng, dtype, layout, (n_, c_, h, w), fh, fw, stride, pad


def param_dtype(dtype):
    """Layer parameters are float; integer cases feed integer x to float64 parameters."""
    return np.float64 if np.issubdtype(dtype, np.integer) else dtype


def test_maxpooling_backward_tie_goes_to_first_and_overlaps_add():
    x = np.zeros((1, 1, 3, 3))  # every window is all ties
    layer = reference.MaxPooling(2, 2, stride=1)
    layer.forward(x)
    dx = layer.backward(np.array([[[[1.0, 2.0], [4.0, 8.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[1, 2, 0], [4, 8, 0], [0, 0, 0]])
    x = np.array([[[[0, 0, 0], [0, 9, 0], [0, 0, 0]]]], dtype=np.float64)  # one max shared by 4 windows
    layer.forward(x)
    dx = layer.backward(np.array([[[[1.0, 2.0], [4.0, 8.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0], [0, 15, 0], [0, 0, 0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_layers_repeated_forward_backward_with_changing_batch(dtype):
    rng = case_rng("repeat", 0)
    filt, bias = values(rng, (3, 2, 3, 3), dtype), values(rng, (3,), dtype)
    conv = reference.Convolution(filt, bias, stride=1, pad=1)
    pool = reference.MaxPooling(2, 2, stride=2)
    for n_ in (3, 1, 4, 2, 1):
        x = values(rng, (n_, 2, 6, 6), dtype)
        out = conv.forward(x)
        assert_matches(out, oracle.conv_forward(x, filt, bias, 1, 1), dtype, what=f"conv N={n_}")
        pooled = pool.forward(out)
        assert_matches(pooled, oracle.pool_forward(out, 2, 2, 2), dtype, exact=True, what=f"pool N={n_}")
        dpool = values(rng, pooled.shape, dtype)
        dconv = pool.backward(dpool)
        assert_matches(dconv, oracle.pool_backward(out, dpool, 2, 2, 2), dtype, what=f"pool back N={n_}")
        dx = conv.backward(dconv)
        want_dx, want_dw, want_db = oracle.conv_backward(x, filt, dconv, 1, 1)
        assert_matches(dx, want_dx, dtype, what=f"dx N={n_}")
        assert_matches(conv.dW, want_dw, dtype, what=f"dW N={n_}")
        assert_matches(conv.db, want_db, dtype, what=f"db N={n_}")


def test_convolution_layer_sees_in_place_parameter_updates():
    rng = case_rng("inplace", 0)
    filt, bias = rng.standard_normal((2, 1, 3, 3)), rng.standard_normal(2)
    layer = reference.Convolution(filt, bias)
    x = rng.standard_normal((2, 1, 5, 5))
    layer.forward(x)
    filt[...] = rng.standard_normal(filt.shape)
    bias[...] = 5.0
    assert_matches(layer.forward(x), oracle.conv_forward(x, filt, bias), np.float64)


# --------------------------------------------------------------------------- earlier layers


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_forward_backward(dtype):
    rng = case_rng("relu", 0)
    x = values(rng, (3, 2, 4, 4), dtype)
    layer = reference.Relu()
    out = call(layer.forward, x)
    assert_matches(out, oracle.relu(x), dtype, exact=True)
    dout = values(rng, x.shape, dtype)
    assert_matches(call(layer.backward, dout), np.where(x > 0, dout, 0), dtype, exact=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_affine_forward_flattens_and_backward_restores_shape(dtype):
    rng = case_rng("affine", int(np.dtype(dtype).itemsize))
    x = with_layout(values(rng, (3, 2, 3, 2), dtype), "transposed", rng)
    pdt = param_dtype(dtype)
    w, b = values(rng, (12, 5), pdt), values(rng, (5,), pdt)
    layer = reference.Affine(w, b)
    out = call(layer.forward, x)
    assert_matches(out, oracle.affine(x, w, b), dtype)
    dout = values(rng, out.shape, out.dtype)
    dx = call(layer.backward, dout)
    assert_matches(dx, (dout @ w.T).reshape(x.shape), dtype)
    assert_matches(layer.dW, np.asarray(x, dtype=np.float64).reshape(3, 12).T @ dout, dtype, what="dW")
    assert_matches(layer.db, dout.sum(axis=0), dtype, what="db")


@pytest.mark.parametrize("onehot", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_with_loss_forward(dtype, onehot):
    rng = case_rng("softmax", int(onehot))
    scores = (10 * rng.standard_normal((5, 10))).astype(dtype)
    labels = rng.integers(0, 10, size=5)
    t = np.eye(10, dtype=np.int64)[labels] if onehot else labels
    layer = reference.SoftmaxWithLoss()
    loss = call(layer.forward, scores, t)
    assert isinstance(loss, float)
    assert loss == pytest.approx(oracle.softmax_cross_entropy(scores, labels), rel=TOL[out_dtype(dtype)]["rtol"])
    dx = layer.backward()
    e = np.exp(scores.astype(np.float64) - scores.max(axis=1, keepdims=True))
    want = (e / e.sum(axis=1, keepdims=True) - np.eye(10)[labels]) / 5
    assert_matches(dx, want, dtype)


def test_softmax_with_loss_extreme_scores_stay_finite():
    layer = reference.SoftmaxWithLoss()
    loss = layer.forward(np.array([[1000.0, -1000.0, 0.0]]), np.array([0]))
    assert loss == pytest.approx(0.0, abs=1e-12)
    assert np.all(np.isfinite(layer.backward()))


# --------------------------------------------------------------------------- 4_7


def small_net(dtype=np.float64, seed=0, **kw):
    kw.setdefault("conv_param", {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1})
    kw.setdefault("hidden_size", 10)
    return reference.SimpleConvNet(input_dim=(1, 10, 10), weight_init_std=0.3, rng=np.random.default_rng(seed),
                                   dtype=dtype, **kw)


def test_simpleconvnet_param_shapes():
    net = reference.SimpleConvNet(rng=np.random.default_rng(0))
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (30 * 12 * 12, 100), "b2": (100,),
                      "W3": (100, 10), "b3": (10,)}


@pytest.mark.parametrize("conv_param", [{"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1},
                                        {"filter_num": 2, "filter_size": 3, "pad": 1, "stride": 2}])
def test_simpleconvnet_predict_and_loss_match_oracle(conv_param):
    rng = case_rng("net", conv_param["stride"])
    net = small_net(conv_param=conv_param)
    x = rng.random((3, 1, 10, 10))
    t = rng.integers(0, 10, size=3)
    params = {k: v.copy() for k, v in net.params.items()}
    want = oracle.simple_convnet_predict(x, params, conv_param["stride"], conv_param["pad"])
    assert_matches(call(net.predict, x), want, np.float64)
    assert call(net.loss, x, t) == pytest.approx(oracle.softmax_cross_entropy(want, t), rel=1e-10)
    assert net.loss(x, np.eye(10)[t]) == pytest.approx(oracle.softmax_cross_entropy(want, t), rel=1e-10)


def test_simpleconvnet_sees_in_place_parameter_updates():
    rng = case_rng("net-inplace", 0)
    net = small_net()
    x = rng.random((2, 1, 10, 10))
    net.predict(x)
    for k, v in net.params.items():
        v[...] = rng.standard_normal(v.shape) * 0.3
    want = oracle.simple_convnet_predict(x, {k: v.copy() for k, v in net.params.items()})
    assert_matches(net.predict(x), want, np.float64)


@pytest.mark.parametrize("batch_size", [1, 3, 100])
def test_simpleconvnet_accuracy(batch_size):
    rng = case_rng("net-acc", batch_size)
    net = small_net()
    x = rng.random((7, 1, 10, 10))
    pred = np.argmax(oracle.simple_convnet_predict(x, net.params), axis=1)
    t = pred.copy()
    t[:3] = (t[:3] + 1) % 10  # 4 of 7 right
    assert net.accuracy(x, t, batch_size=batch_size) == pytest.approx(4 / 7)
    assert net.accuracy(x, np.eye(10)[t], batch_size=batch_size) == pytest.approx(4 / 7)

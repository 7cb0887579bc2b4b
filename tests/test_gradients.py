"""Every backward of the reference against central finite differences (float64).

A layer's backward is checked through the scalar ``L = sum(forward(x) * dout)``
for a fixed random ``dout``: its gradient with respect to x is ``backward(dout)``
and with respect to a parameter is the ``d<param>`` the layer stores. Parameters
are perturbed in place, so the layer sees the perturbation through its
reference to the array. Errors are asserted against a threshold, never printed.
Convolution and MaxPooling over any geometry: tests/test_properties_gradients.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference

REL_TOL = 1e-6


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar ``f()`` with respect to ``x``, perturbed in place."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        keep = x[idx]
        x[idx] = keep + eps
        plus = f()
        x[idx] = keep - eps
        minus = f()
        x[idx] = keep
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def rel_error(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-8)
    return float(np.max(np.abs(a - b)) / scale)


def assert_grad(analytic, numeric, what, tol=REL_TOL):
    assert np.shape(analytic) == np.shape(numeric), f"{what}: shape {np.shape(analytic)} != {np.shape(numeric)}"
    err = rel_error(analytic, numeric)
    assert err < tol, f"{what}: relative error {err:.3e} >= {tol:.0e}"


def distinct_values(rng, shape, gap=0.01):
    """Values without ties (pairwise at least ``gap`` apart), so max pooling is differentiable."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * gap + gap * 0.25 * rng.random(n)).reshape(shape) - n * gap / 2


def away_from_zero(rng, shape, margin=0.05):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-300) * margin * 2, x)


# --------------------------------------------------------------------------- the helper itself


def test_numeric_grad_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    assert_grad(numeric_grad(lambda: float(np.sum(x**3)), x), 3 * x**2, "d sum(x^3)")


# --------------------------------------------------------------------------- layers


def test_affine_backward_with_4d_input():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3, 2, 3, 2))
    w, b = rng.standard_normal((12, 4)), rng.standard_normal(4)
    layer = reference.Affine(w, b)
    dout = rng.standard_normal((3, 4))
    layer.forward(x)
    dx = layer.backward(dout)

    def loss():
        return float(np.sum(layer.forward(x) * dout))

    assert_grad(dx, numeric_grad(loss, x), "Affine dx")
    assert_grad(layer.dW, numeric_grad(loss, w), "Affine dW")
    assert_grad(layer.db, numeric_grad(loss, b), "Affine db")


def test_relu_backward():
    rng = np.random.default_rng(14)
    x = away_from_zero(rng, (2, 3, 4))
    layer = reference.Relu()
    dout = rng.standard_normal(x.shape)
    layer.forward(x)
    dx = layer.backward(dout)
    assert_grad(dx, numeric_grad(lambda: float(np.sum(layer.forward(x) * dout)), x), "Relu dx")


@pytest.mark.parametrize("onehot", [False, True], ids=["labels", "onehot"])
def test_softmax_with_loss_backward(onehot):
    rng = np.random.default_rng(15)
    x = 3 * rng.standard_normal((4, 10))
    labels = rng.integers(0, 10, size=4)
    t = np.eye(10)[labels] if onehot else labels
    layer = reference.SoftmaxWithLoss()
    layer.forward(x, t)
    dx = layer.backward()
    assert_grad(dx, numeric_grad(lambda: layer.forward(x, t), x), "SoftmaxWithLoss dx")
    layer.forward(x, t)
    assert_grad(layer.backward(2.0), 2 * dx, "SoftmaxWithLoss dx with dout=2")


# --------------------------------------------------------------------------- SimpleConvNet


CONV_PARAMS = [
    {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1},
    {"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 2},
]


def small_net(conv_param, dtype=np.float64, seed=0):
    return reference.SimpleConvNet(input_dim=(1, 10, 10), conv_param=dict(conv_param), hidden_size=10,
                                   output_size=10, weight_init_std=0.3, rng=np.random.default_rng(seed), dtype=dtype)


def net_batch(seed=1):
    rng = np.random.default_rng(seed)
    x = distinct_values(rng, (2, 1, 10, 10), gap=0.01) + 0.5
    return x, rng.integers(0, 10, size=2)


@pytest.mark.parametrize("conv_param", CONV_PARAMS, ids=["s1p0", "s2p1"])
def test_simpleconvnet_gradient_vs_finite_differences(conv_param):
    net = small_net(conv_param)
    x, t = net_batch()
    grads = net.gradient(x, t)
    assert set(grads) == set(net.params)
    for key, param in net.params.items():
        assert grads[key].shape == param.shape and grads[key].dtype == np.float64
        assert_grad(grads[key], numeric_grad(lambda: net.loss(x, t), param), f"SimpleConvNet d{key}")


def test_simpleconvnet_gradient_vs_its_numerical_gradient():
    net = small_net(CONV_PARAMS[0])
    x, t = net_batch()
    grads = net.gradient(x, t)
    numeric = net.numerical_gradient(x, t)
    assert set(numeric) == set(net.params)
    for key in net.params:
        assert_grad(grads[key], numeric[key], f"numerical_gradient {key}", tol=1e-5)


def test_simpleconvnet_gradient_one_hot_equals_labels():
    net = small_net(CONV_PARAMS[0])
    x, t = net_batch()
    by_label = net.gradient(x, t)
    by_onehot = net.gradient(x, np.eye(10)[t])
    for key in net.params:
        np.testing.assert_allclose(by_onehot[key], by_label[key], rtol=1e-12, atol=1e-15)


def test_simpleconvnet_float32_gradient_is_float32_and_close_to_float64():
    net64 = small_net(CONV_PARAMS[0])
    net32 = small_net(CONV_PARAMS[0], dtype=np.float32)
    for key, value in net64.params.items():
        assert net32.params[key].dtype == np.float32, key
        value[...] = value.astype(np.float32)  # both nets hold exactly the same numbers
        net32.params[key][...] = value
    x, t = net_batch()
    x = x.astype(np.float32).astype(np.float64)
    g64, g32 = net64.gradient(x, t), net32.gradient(x.astype(np.float32), t)
    assert isinstance(net32.loss(x.astype(np.float32), t), float)
    for key in net64.params:
        assert g32[key].dtype == np.float32, key
        assert_grad(g32[key], g64[key], f"float32 {key}", tol=1e-4)


def test_simpleconvnet_gradients_leave_params_and_inputs_unchanged():
    net = small_net(CONV_PARAMS[1])
    x, t = net_batch()
    params = {k: v.copy() for k, v in net.params.items()}
    ids = {k: id(v) for k, v in net.params.items()}
    x_copy, t_copy = x.copy(), t.copy()
    net.gradient(x, t)
    net.numerical_gradient(x, t)
    for key, value in net.params.items():
        assert id(value) == ids[key], f"params[{key!r}] was replaced, not updated in place"
        np.testing.assert_array_equal(value, params[key], err_msg=f"params[{key!r}] changed")
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(t, t_copy)

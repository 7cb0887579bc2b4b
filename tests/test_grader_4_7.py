"""Exercise 4_7 graded end to end in real kernels: a trainee-style SimpleConvNet trained briefly
in the notebook, mutants named by their defect (each fails exactly the checks of its defect),
a missing or unusable ``network``, and the reference used in place of the trainee's class;
plus the pure parts of the trained-accuracy check (points, architecture, curves)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from grader.course.checks import ex4_7
from grader.course.checks.base import Context
from grader.grading.grade import PUBLIC_SEED, grade_notebook
from grader.grading.probe import PlanBuilder, ProbeOutputs
from points import full
from inprocess import grade_in_process
from nbfactory import by_id, failing, make_notebook

pytestmark = pytest.mark.slow

NET = '''
import numpy as np
from reference import Convolution, MaxPooling, Relu, Affine, SoftmaxWithLoss, Adam

class SimpleConvNet:
    def __init__(self, input_dim=(1, 28, 28), conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        fn, fs = conv_param['filter_num'], conv_param['filter_size']
        pad, stride = conv_param['pad'], conv_param['stride']
        C, H, W = input_dim
        oh, ow = (H + 2*pad - fs) // stride + 1, (W + 2*pad - fs) // stride + 1
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(fn, C, fs, fs)
        self.params['b1'] = np.zeros(fn)
        self.params['W2'] = weight_init_std * np.random.randn(fn * (oh // 2) * (ow // 2), hidden_size)
        self.params['b2'] = np.zeros(hidden_size)
        self.params['W3'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b3'] = np.zeros(output_size)
        self.layers = {}
        self.layers['Conv1'] = Convolution(self.params['W1'], self.params['b1'], stride, pad)
        self.layers['Relu1'] = Relu()
        self.layers['Pool1'] = MaxPooling(pool_h=2, pool_w=2, stride=2)
        self.layers['Affine1'] = Affine(self.params['W2'], self.params['b2'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W3'], self.params['b3'])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.last_layer.forward(y, t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        acc = 0
        for i in range(0, len(x), batch_size):
            y = np.argmax(self.predict(x[i:i + batch_size]), axis=1)
            acc += np.sum(y == t[i:i + batch_size])
        return acc / x.shape[0]

    def gradient(self, x, t):
        self.loss(x, t)
        dout = 1
        dout = self.last_layer.backward(dout)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Conv1'].dW, self.layers['Conv1'].db
        grads['W2'], grads['b2'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W3'], grads['b3'] = self.layers['Affine2'].dW, self.layers['Affine2'].db
        return grads
'''
TRAIN = '''
from reference.data import load_mnist
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True)
np.random.seed(0)
network = SimpleConvNet(weight_init_std=0.05)
optimizer = Adam(lr=0.002)
train_loss_list, test_acc_list = [], []
for i in range(200):  # 10,000 images, batches of 50, one epoch
    batch = np.random.choice(len(x_train), 50)
    grads = network.gradient(x_train[batch], t_train[batch])
    optimizer.update(network.params, grads)
    if i % 10 == 0:
        train_loss_list.append(network.loss(x_train[batch], t_train[batch]))
test_acc_list.append(network.accuracy(x_test[:500], t_test[:500]))
'''
UNIT = {"SimpleConvNet.param_shapes", "SimpleConvNet.predict", "SimpleConvNet.loss", "SimpleConvNet.gradient",
        "SimpleConvNet.batch_sizes", "SimpleConvNet.input_dtypes", "SimpleConvNet.accuracy"}
TRAINED = "SimpleConvNet.trained_accuracy"
# accuracy is checked against the network's own predict, so a wrong forward pass does not cost it
FORWARD = {"SimpleConvNet.predict", "SimpleConvNet.loss", "SimpleConvNet.gradient", "SimpleConvNet.batch_sizes",
           "SimpleConvNet.input_dtypes"}
COPIES = ("(self.params['W1'], self.params['b1'], stride, pad)", "(self.params['W2'], self.params['b2'])",
          "(self.params['W3'], self.params['b3'])")


def _copies(source: str) -> str:
    for args in COPIES:
        source = source.replace(args, args.replace("])", "].copy())").replace("], self", "].copy(), self"))
    return source


MUTANTS = {
    "loss_summed_not_averaged": (NET.replace("return self.last_layer.forward(y, t)",
                                             "return self.last_layer.forward(y, t) * len(x)"),
                                 {"SimpleConvNet.loss", "SimpleConvNet.input_dtypes"}),
    "missing_relu": (NET.replace("        self.layers['Relu1'] = Relu()\n", ""), FORWARD),
    "params_replaced_not_in_place": (_copies(NET), FORWARD),
    "gradient_not_divided_by_batch": (NET.replace("dout = self.last_layer.backward(dout)",
                                                  "dout = self.last_layer.backward(dout) * len(x)"),
                                      {"SimpleConvNet.gradient", "SimpleConvNet.batch_sizes"}),
    "accuracy_drops_partial_batch": (NET.replace("for i in range(0, len(x), batch_size):",
                                                 "for i in range(0, len(x) - batch_size + 1, batch_size):"),
                                     {"SimpleConvNet.accuracy"}),
    # caught by the plans' fixed boundary cases (a network whose conv output is odd), whatever the seed
    "w2_sized_with_true_division": (NET.replace("fn * (oh // 2) * (ow // 2)", "int(fn * (oh / 2) * (ow / 2))"),
                                    {"SimpleConvNet.param_shapes"}),
}


def test_trained_notebook_scores_by_the_graders_own_accuracy(tmp_path):
    nb = make_notebook(tmp_path / "4_7_simpleconvnet_trainee.ipynb", [NET, TRAIN])
    result = grade_notebook(nb, lang="en")
    assert result.errors == () and result.flags == ()
    assert set(by_id(result)) == UNIT | {TRAINED}
    assert failing(result) <= {TRAINED}
    check = by_id(result)[TRAINED]
    accuracy = check.details["accuracy"]
    assert accuracy >= 0.93 and f"{accuracy:.4f}" in check.message
    assert check.points == ex4_7.accuracy_points(accuracy) > 0 and check.max_points == 4
    assert check.details["architecture"] == {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1, "hidden_size": 100}
    assert result.max_score == full("4_7") and result.score == pytest.approx(full("4_7") - check.max_points + check.points)
    if hasattr(PlanBuilder, "global_array"):
        assert len(check.details["curves"]["train_loss_list"]) == 20
        assert list(check.details["curves"]) == ["train_loss_list", "test_acc_list"]
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_mutant_fails_exactly_its_checks(defect):
    source, expected_failures = MUTANTS[defect]
    # judged in-process (tests/inprocess.py): a kernel adds nothing to a mutant's verdict
    result = grade_in_process("4_7", [source], PUBLIC_SEED, lang="en")
    assert failing(result) == expected_failures | {TRAINED}
    assert by_id(result)[TRAINED].status == "missing"
    for check_id in expected_failures:
        check = by_id(result)[check_id]
        assert check.points == 0 and check.message and check.hint


@pytest.mark.parametrize("network, status, words", [
    ("", "missing", "`network`"),
    ("network = SimpleConvNet(input_dim=(1, 20, 20))", "failed", "W2 has 1920 rows"),
    ("network = 42", "failed", "no attribute params"),
    ("network = SimpleConvNet()\nnetwork.params['b3'] = [0.0] * 10", "failed", "network.params['b3']"),
])
def test_unusable_network_costs_only_the_accuracy(tmp_path, network, status, words):
    nb = make_notebook(tmp_path / "4_7.ipynb", [NET, network])
    result = grade_notebook(nb, lang="en")
    check = by_id(result)[TRAINED]
    assert check.status == status and check.points == 0 and words in check.message
    assert failing(result) == {TRAINED} and result.score == full("4_7") - check.max_points


def test_reference_class_is_flagged(tmp_path):
    nb = make_notebook(tmp_path / "4_7.ipynb", ["from reference import SimpleConvNet\nnetwork = SimpleConvNet()"])
    result = grade_notebook(nb, lang="ja")
    # the grading kernel's reference has no SimpleConvNet (issue 12): refused there, named by the static scan
    assert [(f.kind, f.name) for f in result.flags] == [("suspicious-code", "reference.SimpleConvNet")]
    assert result.score == 0 and failing(result) == UNIT | {TRAINED}


def test_network_of_the_reference_class_scores_no_accuracy(tmp_path):
    nb = make_notebook(tmp_path / "4_7.ipynb", [NET, "import reference\nnetwork = reference.SimpleConvNet()"])
    result = grade_notebook(nb, lang="en")
    assert failing(result) == {TRAINED}  # reference.SimpleConvNet does not exist in the grading kernel (issue 12)
    assert by_id(result)[TRAINED].status == "missing"


@pytest.mark.parametrize("accuracy, points", [(0.99, 4), (0.97, 4), (0.935, 2), (0.9, 0), (0.5, 0), (0.9525, 3)])
def test_accuracy_points_are_linear_between_the_thresholds(accuracy, points):
    assert ex4_7.accuracy_points(accuracy) == pytest.approx(points)


def _shapes(fn=30, fs=5, rows=4320, hidden=100, out=10):
    return {"W1": (fn, 1, fs, fs), "b1": (fn,), "W2": (rows, hidden), "b2": (hidden,), "W3": (hidden, out),
            "b3": (out,)}


@pytest.mark.parametrize("shapes, arch", [
    (_shapes(), {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1, "hidden_size": 100}),
    (_shapes(16, 3, 16 * 14 * 14, 50), {"filter_num": 16, "filter_size": 3, "pad": 1, "stride": 1, "hidden_size": 50}),
    (_shapes(rows=30 * 6 * 6), {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 2, "hidden_size": 100}),
])
def test_architecture_is_inferred_from_the_shapes(shapes, arch):
    assert ex4_7.infer_architecture(shapes) == arch


def test_a_network_trained_with_stride_2_is_measured_as_it_predicts():
    """Found by the s5 audit: a SimpleConvNet with ``conv_param["stride"] = 2`` (the notebook asks
    for nothing else) scored 0, its shapes fitting no stride-1 network. Its W2 fits pad 0 and pad 1
    (both give 6x6 pooled maps): the grader measures both and keeps the better, which is the pad
    the network was trained with, and equals the network's own accuracy."""
    from reference import Adam, SimpleConvNet
    from reference.data import load_mnist
    from grader.course.checks import trained_network

    (x, t), (x_test, t_test) = load_mnist(normalize=True)
    conv = {"filter_num": 8, "filter_size": 5, "pad": 0, "stride": 2}
    net = SimpleConvNet((1, 28, 28), conv, hidden_size=30, output_size=10, dtype=np.float32, rng=0)
    optimizer, rng = Adam(lr=0.005), np.random.default_rng(0)
    for _ in range(60):
        batch = rng.choice(5000, 100, replace=False)
        optimizer.update(net.params, net.gradient(x[batch], t[batch]))
    shapes = {k: tuple(v.shape) for k, v in net.params.items()}
    assert [(a["stride"], a["pad"]) for a in trained_network.architectures(shapes)] == [(2, 0), (2, 1)]
    arch, accuracy = trained_network.best_accuracy(net.params, trained_network.architectures(shapes), x_test[:2000],
                                                   t_test[:2000])
    assert (arch["stride"], arch["pad"]) == (2, 0)
    assert accuracy == net.accuracy(x_test[:2000], t_test[:2000], batch_size=1000) > 0.7


@pytest.mark.parametrize("shapes, words", [
    (_shapes(rows=1000), "W2 has 1000 rows"),
    (_shapes(out=5), "(hidden_size, 10)"),
    (dict(_shapes(), W1=(30, 3, 5, 5)), "W1 (30, 3, 5, 5)"),
    ({"W1": (30, 1, 5, 5)}, "keys"),
])
def test_shapes_that_do_not_fit_are_explained(shapes, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        ex4_7.infer_architecture(shapes)


def test_curves_are_json_lists_thinned_to_a_cap():
    arrays = {"curve_train_loss_list": np.linspace(2.3, 0.1, 5000), "curve_test_acc_list": np.array([0.9, np.nan]),
              "curve_train_acc_list": np.ones((2, 2))}
    ctx = Context(PlanBuilder().build(), ProbeOutputs(arrays, {}), ProbeOutputs({}, {}))
    found = ex4_7.curves(ctx)
    assert set(found) == {"train_loss_list", "test_acc_list"}
    assert len(found["train_loss_list"]) == ex4_7.MAX_CURVE_POINTS
    assert found["train_loss_list"][0] == 2.3 and found["train_loss_list"][-1] == pytest.approx(0.1)
    assert found["test_acc_list"] == [0.9, None]


def _graded_network(params: dict, lang="en"):
    """The trained-accuracy check on a probe result holding ``network.params`` (no kernel)."""
    plan, _ = ex4_7.build(np.random.default_rng(0))
    status = {"network": {"status": "ok"}, "network_predict": {"status": "ok"},
              "network_params": {"status": "ok", "keys": sorted(params)}}
    got = ProbeOutputs({f"network_params/{k}": v for k, v in params.items()}, status)
    checks = ex4_7.extra_checks(Context(plan, got, ProbeOutputs({}, {}), lang))
    return next(c for c in checks if c.id == TRAINED)


def test_full_accuracy_passes_with_all_points(monkeypatch):
    import reference

    net = reference.SimpleConvNet(conv_param={"filter_num": 6, "filter_size": 3, "pad": 1}, hidden_size=12,
                                  weight_init_std="he", rng=1)
    x = np.random.default_rng(2).random((30, 1, 28, 28)).astype(np.float32)
    monkeypatch.setattr(ex4_7, "_mnist_test", lambda: (x, net.predict(x).argmax(axis=1)))
    check = _graded_network({k: v.astype(np.float32) for k, v in net.params.items()}, lang="ja")
    assert check.passed and check.status == "passed" and check.points == check.max_points == 4
    assert check.hint is None and "1.0000" in check.message and "pad 1" in check.message
    assert check.details["architecture"] == {"filter_num": 6, "filter_size": 3, "pad": 1, "stride": 1, "hidden_size": 12}


def test_missing_mnist_is_a_grader_error(monkeypatch):
    from reference.data import MnistNotFoundError

    def no_mnist():
        raise MnistNotFoundError("no MNIST here")

    monkeypatch.setattr(ex4_7, "_mnist_test", no_mnist)
    check = _graded_network({k: np.zeros(shape) for k, shape in _shapes().items()})
    assert check.status == "grader-error" and check.points == 0 and "no MNIST here" in check.message


def test_nonfinite_weights_score_zero_without_warnings(monkeypatch):
    x = np.random.default_rng(3).random((10, 1, 28, 28)).astype(np.float32)
    monkeypatch.setattr(ex4_7, "_mnist_test", lambda: (x, np.arange(10)))
    params = {k: np.full(shape, np.nan if k == "W1" else 1e30) for k, shape in _shapes().items()}
    check = _graded_network(params)
    assert check.status == "failed" and check.points == 0 and check.details["accuracy"] <= 0.2

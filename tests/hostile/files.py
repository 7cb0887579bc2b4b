"""Broken notebook files and forged result files, written on demand (a 150 MB notebook is
not kept in the repository). Each writer is named by its defect.

``NOTEBOOKS``: name -> ``(writer, expected)``; ``expected`` is either ``("unreadable",
text the error message must contain)`` or ``("graded", score)``.
``FORGED_OUTPUTS``: name -> writer of an exchange folder whose ``outputs.npz`` (or
``status.json``) is forged, and the text :class:`grader.grading.probe.ProbeReadError` must contain.
"""
from __future__ import annotations

import io
import json
import os
import pickle
import zipfile
from pathlib import Path

import nbformat
import numpy as np
from nbformat.v4 import new_code_cell, new_notebook, new_output

from test_grader_4_4 import COL2IM, IM2COL


def _good_notebook(**metadata) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_code_cell(IM2COL), new_code_cell(COL2IM)])
    nb.metadata.update(metadata)
    return nb


def _good_bytes() -> bytes:
    return nbformat.writes(_good_notebook()).encode("utf-8")


def empty(path: Path) -> None:
    path.write_bytes(b"")


def not_json(path: Path) -> None:
    path.write_text("print('this is a Python script, not a notebook')\n", encoding="utf-8")


def truncated(path: Path) -> None:
    data = _good_bytes()
    path.write_bytes(data[: len(data) // 2])


def latin_1(path: Path) -> None:
    nb = _good_notebook()
    nb.cells.insert(0, new_code_cell("# café: encoded as latin-1 by an old editor"))
    path.write_bytes(nbformat.writes(nb).encode("latin-1"))


def bom_prefixed(path: Path) -> None:
    path.write_bytes(b"\xef\xbb\xbf" + _good_bytes())


def nbformat_v3(path: Path) -> None:
    path.write_text(nbformat.writes(nbformat.convert(_good_notebook(), 3), version=3), encoding="utf-8")


def nbformat_5(path: Path) -> None:
    data = json.loads(_good_bytes())
    data["nbformat"], data["nbformat_minor"] = 5, 0
    path.write_text(json.dumps(data), encoding="utf-8")


def deeply_nested(path: Path) -> None:
    depth = 200_000
    path.write_text('{"cells": [], "metadata": {"x": ' + "[" * depth + "]" * depth + "}}", encoding="utf-8")


def outputs_150_mb(path: Path) -> None:
    nb = _good_notebook()
    nb.cells[0].outputs = [new_output("stream", name="stdout", text="z" * (150 * 1024 * 1024))]
    path.write_text(nbformat.writes(nb), encoding="utf-8")


NOTEBOOKS = {
    "empty": (empty, ("unreadable", "empty")),
    "not_json": (not_json, ("unreadable", "not valid JSON")),
    "truncated": (truncated, ("unreadable", "not valid JSON")),
    "latin_1": (latin_1, ("unreadable", "not UTF-8")),
    "bom_prefixed": (bom_prefixed, ("graded", 10)),
    "nbformat_v3": (nbformat_v3, ("graded", 10)),
    "nbformat_5": (nbformat_5, ("unreadable", "nbformat")),
    "deeply_nested": (deeply_nested, ("unreadable", "nested too deeply")),
    "outputs_150_mb": (outputs_150_mb, ("unreadable", "larger than the limit")),
}


# -- forged result files (the exchange folder after a kernel tampered with it) ----------------
def _status(folder: Path) -> None:
    (folder / "status.json").write_text(json.dumps({"im2col_slide": {"status": "ok"}}), encoding="utf-8")


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def symlink(folder: Path) -> None:
    _status(folder)
    os.symlink("/etc/passwd", folder / "outputs.npz")


def symlinked_status(folder: Path) -> None:
    os.symlink("/etc/passwd", folder / "status.json")


def hard_link(folder: Path) -> None:
    _status(folder)
    (folder / "elsewhere.npz").write_bytes(_npz_bytes(x=np.zeros(3)))
    os.link(folder / "elsewhere.npz", folder / "outputs.npz")


def fifo(folder: Path) -> None:
    _status(folder)
    os.mkfifo(folder / "outputs.npz")  # opening it for reading would block forever


def directory(folder: Path) -> None:
    _status(folder)
    (folder / "outputs.npz").mkdir()


def object_array(folder: Path) -> None:
    _status(folder)
    (folder / "outputs.npz").write_bytes(_npz_bytes(im2col_slide=np.array([object(), 1], dtype=object)))


def pickle_file(folder: Path) -> None:
    _status(folder)
    (folder / "outputs.npz").write_bytes(pickle.dumps({"im2col_slide": np.zeros(3)}))


def not_npy_member(folder: Path) -> None:
    _status(folder)
    with zipfile.ZipFile(folder / "outputs.npz", "w") as archive:
        archive.writestr("payload.pkl", pickle.dumps(object))


def expands_to_1_gib(folder: Path) -> None:
    """An honest zip bomb: 1 MB on disk, a 1 GiB member (deflate blocks of zeros reused)."""
    _status(folder)
    zero = bytes(2**20)
    packer = __import__("zlib").compressobj(9, 8, -15)
    block = packer.compress(zero) + packer.flush(3)  # Z_FULL_FLUSH: a self-contained block
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**27,)})

    class Zeros:
        def __init__(self, *args, **kwargs):
            self.real = __import__("zlib").compressobj(9, 8, -15)

        def compress(self, data):
            return block if data == zero else self.real.compress(data) + self.real.flush(3)

        def flush(self):
            return self.real.flush()

    saved, zipfile._get_compressor = zipfile._get_compressor, Zeros
    try:
        with zipfile.ZipFile(folder / "outputs.npz", "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open("im2col_slide.npy", "w", force_zip64=True) as member:
                member.write(header.getvalue())
                for _ in range(1024):
                    member.write(zero)
    finally:
        zipfile._get_compressor = saved


def lying_header(folder: Path) -> None:
    """A small member whose .npy header claims 2**40 elements (numpy would allocate first)."""
    _status(folder)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    with zipfile.ZipFile(folder / "outputs.npz", "w") as archive:
        archive.writestr("im2col_slide.npy", header.getvalue() + bytes(64))


def status_deeply_nested(folder: Path) -> None:
    (folder / "status.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (folder / "outputs.npz").write_bytes(_npz_bytes())


def status_too_large(folder: Path) -> None:
    with open(folder / "status.json", "wb") as f:
        f.truncate(64 * 1024 * 1024)  # sparse: 64 MiB of nothing
    (folder / "outputs.npz").write_bytes(_npz_bytes())


def status_wrong_structure(folder: Path) -> None:
    (folder / "status.json").write_text(json.dumps({"im2col_slide": "ok"}), encoding="utf-8")
    (folder / "outputs.npz").write_bytes(_npz_bytes())


FORGED_OUTPUTS = {
    "symlink": (symlink, "not a regular file"),
    "symlinked_status": (symlinked_status, "not a regular file"),
    "hard_link": (hard_link, "hard links"),
    "fifo": (fifo, "not a regular file"),
    "directory": (directory, "not a regular file"),
    "object_array": (object_array, "dtype object"),
    "pickle": (pickle_file, "cannot be read"),
    "not_npy_member": (not_npy_member, "unexpected member"),
    "expands_to_1_gib": (expands_to_1_gib, "expands to more than"),
    "lying_header": (lying_header, "claims more data"),
    "status_deeply_nested": (status_deeply_nested, "not valid JSON"),
    "status_too_large": (status_too_large, "limit"),
    "status_wrong_structure": (status_wrong_structure, "wrong structure"),
}

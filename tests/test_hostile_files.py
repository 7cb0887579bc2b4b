"""Broken notebook files and forged result files (``hostile/files.py``): refused with a clear
message, quickly, never loaded whole, never followed, never unpickled."""
from __future__ import annotations

import resource
import time

import pytest

from grader.cli.commands import main
from grader.errors import NotebookError
from grader.grading.grade import grade_notebook
from grader.grading.notebook import read_notebook
from grader.grading.probe import ProbeReadError, killed_step, read_outputs
from hostile.cells import LIMITS
from hostile.files import FORGED_OUTPUTS, NOTEBOOKS

UNREADABLE = sorted(name for name, (_, (kind, _)) in NOTEBOOKS.items() if kind == "unreadable")
READABLE = sorted(name for name, (_, (kind, _)) in NOTEBOOKS.items() if kind == "graded")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("defect", UNREADABLE)
def test_broken_notebook_is_refused_with_a_clear_message(tmp_path, capsys, defect):
    write, (_, expected) = NOTEBOOKS[defect]
    path = tmp_path / f"{defect}_4_4.ipynb"
    write(path)
    started = time.monotonic()
    with pytest.raises(NotebookError) as caught:
        read_notebook(path)
    assert expected in caught.value.problem and str(path) in str(caught.value)
    assert main(["check", str(path), "--lang", "en"]) == 2
    assert expected in capsys.readouterr().err
    assert time.monotonic() - started < 10


def test_a_150_mb_notebook_is_not_read_at_all(tmp_path):
    write, _ = NOTEBOOKS["outputs_150_mb"]
    path = tmp_path / "big_4_4.ipynb"
    write(path)
    before = _peak_mib()
    with pytest.raises(NotebookError):
        read_notebook(path)
    assert _peak_mib() - before < 50  # refused on its size, before reading


@pytest.mark.slow
@pytest.mark.parametrize("defect", READABLE)
def test_odd_but_valid_notebook_is_graded(tmp_path, defect):
    write, (_, score) = NOTEBOOKS[defect]
    path = tmp_path / f"{defect}_4_4.ipynb"
    write(path)
    result = grade_notebook(path, lang="en", limits=LIMITS)
    assert result.score == score and result.errors == ()


@pytest.mark.parametrize("forgery", sorted(FORGED_OUTPUTS))
def test_forged_result_files_are_refused(tmp_path, forgery):
    write, expected = FORGED_OUTPUTS[forgery]
    folder = tmp_path / "exchange"
    folder.mkdir()
    write(folder)
    before, started = _peak_mib(), time.monotonic()
    with pytest.raises(ProbeReadError) as caught:
        read_outputs(folder)
    assert expected in str(caught.value)
    assert time.monotonic() - started < 2 and _peak_mib() - before < 50  # nothing expanded, nothing loaded


def test_the_exchange_folder_itself_must_not_be_a_link(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    FORGED_OUTPUTS["object_array"][0](real)
    (tmp_path / "exchange").symlink_to(real)
    with pytest.raises(ProbeReadError, match="cannot be opened"):
        read_outputs(tmp_path / "exchange")


def test_progress_of_the_probe_is_read_safely(tmp_path):
    (tmp_path / "progress").write_text("im2col_rect", encoding="utf-8")
    assert killed_step(tmp_path) == "im2col_rect"
    (tmp_path / "progress").unlink()
    (tmp_path / "progress").symlink_to("/etc/hostname")
    assert killed_step(tmp_path) is None
    assert killed_step(tmp_path / "missing") is None

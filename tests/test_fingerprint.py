"""What a stored grade was computed by (grader.grading.fingerprint): each exercise's grading code
covers the shared grading code and data and its own modules, not another exercise's; a byte
changed in a covered file changes it. (A rerun grading again when it changed: test_batch.)"""
from __future__ import annotations

import shutil
from pathlib import Path

from grader.course import registry
from grader.grading import fingerprint
from grader.grading.fingerprint import common_files, fingerprint_of, grading_code, own_files

ROOT = Path(__file__).resolve().parents[1]


def _names(paths) -> set[str]:
    return {str(Path(p).resolve().relative_to(ROOT)) for p in paths}


def test_an_exercise_owns_its_checks_catalogue_and_their_siblings():
    assert _names(own_files("4_8")) == {"grader/course/checks/ex4_8.py", "grader/course/checks/ex4_8_properties.py",
                                        "grader/course/diagnosis/ex4_8.py", "reference/augment.py"}
    assert _names(own_files("4_1")) == {"grader/course/checks/ex4_1.py", "grader/course/diagnosis/ex4_1.py"}
    assert "grader/course/checks/ex4_10_hidden_accuracy.py" in _names(own_files("4_10"))
    assert not any("ex4_10" in name for name in _names(own_files("4_1")))  # ex4_1_ is not ex4_10


def test_the_shared_files_are_what_every_score_depends_on():
    shared = _names(common_files())
    assert {"grader/grading/compare.py", "grader/grading/kernel_probe.py", "grader/kernel/execute.py",
            "grader/course/checks/base.py", "grader/course/checks/trained_network.py", "reference/conv_layers.py",
            "reference/katakana_data/hidden.npz"} <= shared
    assert "reference/augment.py" in shared  # 4_8 and 4_9 both name it: shared, not one exercise's
    assert not any(name.startswith("grader/reports/") or name.startswith("grader/cli/") for name in shared)
    assert not shared & (_names(own_files("4_1")) | _names(own_files("4_5")) | _names(own_files("4_10")))


def test_every_exercise_has_its_own_stable_code():
    codes = {e.id: grading_code(e.id) for e in registry.exercises()}
    assert len(set(codes.values())) == len(codes) and all(len(c) == 16 for c in codes.values())
    fingerprint.grading_code.cache_clear()
    fingerprint._common_code.cache_clear()
    assert {e.id: grading_code(e.id) for e in registry.exercises()} == codes


def test_one_byte_changes_the_fingerprint(tmp_path):
    files = own_files("4_8")
    copies = []
    for i, path in enumerate(files):
        (tmp_path / str(i)).mkdir()
        copies.append(Path(shutil.copy(path, tmp_path / str(i) / Path(path).name)))
    assert fingerprint_of(copies, "x") == fingerprint_of(files, "x") != fingerprint_of(files, "y")
    source = copies[0].read_text(encoding="utf-8")
    copies[0].write_text(source.replace("ROTATE_RANGE", "ROTATE_RANGE ", 1), encoding="utf-8")
    assert fingerprint_of(copies, "x") != fingerprint_of(files, "x")

"""Naming typical mistakes end to end in real kernels: mutant notebooks through ``grader check``
(the contract's JSON, the terminal report) and ``grade_notebook``."""
from __future__ import annotations

import json

import pytest

from grader.cli.commands import main
from grader.grading.grade import grade_notebook
from mutants import MUTANTS, cells
from nbfactory import make_notebook

pytestmark = pytest.mark.slow


def test_cli_json_and_terminal_name_the_mistake(tmp_path, capsys):
    nb = make_notebook(tmp_path / "4_4_im2col_col2im_trainee.ipynb", cells(MUTANTS["col2im_assigns_windows"].sources))
    assert main(["check", str(nb), "--json", "--lang", "ja", "--seed", "7"]) == 1
    checks = {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["col2im.overlap"]["hint"].startswith("よくある間違い: ")
    assert checks["col2im.overlap"]["details"]["diagnosis"] == "col2im_overwrites"
    assert all(c["passed"] and "diagnosis" not in c["details"] for i, c in checks.items() if i.startswith("im2col"))
    assert main(["check", str(nb), "--lang", "en"]) == 1
    assert "Typical mistake: overlapping windows overwrite each other" in capsys.readouterr().out


def test_grade_notebook_diagnoses_layers_holding_copies(tmp_path):
    mutant = MUTANTS["net_casts_params_after_layers"]
    nb = make_notebook(tmp_path / "tanaka_4_7.ipynb", cells(mutant.sources))
    result = grade_notebook(nb, lang="en")
    found = {c.id: c.details.get("diagnosis") for c in result.checks if not c.passed}
    assert found["SimpleConvNet.predict"] == found["SimpleConvNet.gradient"] == "params_replaced"
    assert "diagnosis" in result.timings

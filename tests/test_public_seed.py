"""The public seed is sound: the self-check (``grader check`` / ``selfcheck()``, plans built
with ``PUBLIC_SEED``) never says "perfect" to code that a grading seed fails.

Every plan holds fixed boundary cases besides its random ones (a stride that does not divide
``H + 2P - FH``, odd outputs, non-square inputs and filters, ``N = 1`` with ``C > 1``, batch
sizes that are no multiple of ``accuracy``'s ``batch_size``, calls with positional arguments in
the contract's order, a 4_7 network with an odd conv output), so a defect that only some
shapes show is caught whatever the seed. Measured in process: the public seed through the
self-check's own path (``tests/inprocess.py``, diagnosis included), the grading seeds through
the cached plan runner of ``tests/plan_runner_inprocess.py`` (the same checks, no diagnosis,
which never changes a verdict)."""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.course import checks

from grader.course import registry
from grader.grading.grade import PUBLIC_SEED
from inprocess import failed_ids, run_in_process
from mutants import BASES, MUTANTS, cells, namespace
from plan_runner_inprocess import SEED_INDEPENDENT, failed_checks

# under pytest-xdist the module runs on one worker: the mutants' failing seeds and the plans are
# cached per process, shared by two tests per mutant
pytestmark = pytest.mark.xdist_group("public_seed")

ROOT = Path(__file__).parents[1]
SEEDS = tuple(range(1, 21))  # 20 grading seeds


@functools.lru_cache(maxsize=None)
def _public_failures(defect: str) -> frozenset[str]:
    """What the self-check says about the mutant: its failed checks under the public seed."""
    mutant = MUTANTS[defect]
    return frozenset(failed_ids(run_in_process(mutant.exercise, cells(mutant.sources), PUBLIC_SEED, "en"))
                     - SEED_INDEPENDENT)


@functools.lru_cache(maxsize=None)
def _failing_seeds(defect: str) -> tuple[int, ...]:
    mutant = MUTANTS[defect]
    return tuple(s for s in SEEDS if failed_checks(mutant.exercise, namespace(mutant.sources), s))


@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_public_seed_fails_every_mutant_a_grading_seed_fails(defect):
    if _failing_seeds(defect):
        assert _public_failures(defect), f"perfect under the public seed, fails under seeds {_failing_seeds(defect)}"


@pytest.mark.parametrize("defect", sorted(MUTANTS))
def test_every_mutant_fails_under_every_seed(defect):
    """Stronger, and true of every mutant today: the fixed cases catch each defect whatever the
    random draws (a mutant that some seed lets through is caught by luck, not by the plan)."""
    assert _public_failures(defect)
    assert _failing_seeds(defect) == SEEDS


def _definitions(path: Path) -> list[str]:
    """The imports, functions and classes of a notebook's code cells (no checks, no training)."""
    sources = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            keep = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
            sources += [ast.unparse(ast.Module(body=keep, type_ignores=[]))] if keep else []
    return sources


@pytest.mark.parametrize("exercise", registry.ids("day4-grader"))
def test_correct_code_passes_the_boundary_cases_under_every_seed(exercise):
    """The mutants' base solutions and the course's source notebooks pass every check (the
    trained accuracy aside) under the public seed and all grading seeds."""
    sources = [BASES[exercise]] + [_definitions(p) for p in sorted((ROOT / "exercises" / "source").glob("4_*.ipynb"))
                                   if nbformat.read(p, as_version=4).metadata["grader"]["exercise"] == exercise]
    assert len(sources) == 2
    for source in sources:
        assert {s: failed_checks(exercise, namespace(source), s) for s in (PUBLIC_SEED, *SEEDS)} == dict.fromkeys(
            (PUBLIC_SEED, *SEEDS), frozenset())


def test_boundary_cases_are_in_every_plan():
    """The fixed cases do not depend on the seed: the same step keys, arguments and shapes."""
    def fixed(exercise, seed):
        plan = checks.load(exercise).build(np.random.default_rng(seed))[0]
        keys = {"4_1": ("conv_uneven", "conv_positional", "size_positional"), "4_2": ("pool_uneven", "pool_positional"),
                "4_3": ("pad_const_positional",), "4_4": ("im2col_uneven", "im2col_positional", "col2im_uneven",
                                                         "col2im_positional"),
                "4_5": ("fwd_uneven", "fwd_positional"), "4_6": ("fwd_uneven", "fwd_positional"),
                "4_7": ("net_odd", "predict_one", "accuracy_positional", "accuracy_partial"),
                "4_8": ("rot_90_wide", "rot_neg30", "zoom_down", "shift_beyond_x", "shift_beyond_y", "crop_whole",
                        "flip_lr_one"),
                "4_9": ("offset_wide", "tr_theta90", "tr_theta_wide", "tr_beyond_nearest", "tr_beyond_constant",
                        "tr_fill_wrap", "affine_all"),
                "4_10": ("aug_one", "aug_grid")}[exercise]
        return [(plan.step(k)["name"], str(plan.step(k).get("args")), str(plan.step(k).get("kwargs")),
                 [plan.arrays[a["$array"]].shape for a in plan.step(k).get("args", []) if isinstance(a, dict)
                  and "$array" in a]) for k in keys]

    for exercise in registry.ids("day4-grader"):
        assert fixed(exercise, PUBLIC_SEED) == fixed(exercise, 3) == fixed(exercise, 11)


def figures() -> str:
    """The property's figures: mutants x seeds, the mutants the public seed lets through although
    a grading seed fails them, and those whose failed checks differ between seeds."""
    missed, partial, differ = [], [], []
    for defect in sorted(MUTANTS):
        seeds = _failing_seeds(defect)
        if seeds and not _public_failures(defect):
            missed.append(defect)
        if seeds and seeds != SEEDS:
            partial.append(defect)
        mutant = MUTANTS[defect]
        if any(failed_checks(mutant.exercise, namespace(mutant.sources), s) - _public_failures(defect) for s in SEEDS):
            differ.append(defect)
    return (f"{len(MUTANTS)} mutants x {len(SEEDS)} seeds (+ the public seed {PUBLIC_SEED})\n"
            f"perfect under the public seed but failed by a grading seed: {len(missed)} {missed}\n"
            f"failed by some grading seeds only: {len(partial)} {partial}\n"
            f"failing, under some grading seed, a check the public seed passes: {len(differ)} {differ}")


if __name__ == "__main__":  # python tests/test_public_seed.py
    print(figures())

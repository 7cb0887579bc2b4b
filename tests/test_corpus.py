"""The realistic corpus (tests/corpus): notebooks written the way trainees write them, graded
in real kernels under the public seed and one other seed, each against its expected outcome
(tests/corpus/expected.json). Fast in-process tests keep the corpus itself honest: the files are
what make_corpus.py writes, every correct style agrees with the independent loop oracle
(tests/oracle.py), and every wrong one really has its mistake."""
from __future__ import annotations

import json
import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
sys.path.insert(0, str(CORPUS))

import make_corpus  # noqa: E402
from corpus_checks import ORACLE_CHECKS, graded_namespace  # noqa: E402

from grader.course.checks.ex4_7 import accuracy_points  # noqa: E402
from grader.grading.grade import PUBLIC_SEED, grade_notebook  # noqa: E402
from grader.grading.results import GradingResult  # noqa: E402

SPECS = make_corpus.all_notebooks()
OTHER_SEED = 20261129
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))["notebooks"]


def _id(spec) -> str:
    return spec.path


def test_corpus_files_are_what_the_generator_writes(tmp_path):
    make_corpus.main(tmp_path)
    written = sorted(p.relative_to(tmp_path / "notebooks") for p in (tmp_path / "notebooks").rglob("*.ipynb"))
    committed = sorted(p.relative_to(CORPUS / "notebooks") for p in (CORPUS / "notebooks").rglob("*.ipynb"))
    assert written == committed, "run: python tests/corpus/make_corpus.py"
    for rel in written:
        assert (tmp_path / "notebooks" / rel).read_bytes() == (CORPUS / "notebooks" / rel).read_bytes(), rel
    assert (tmp_path / "expected.json").read_text(encoding="utf-8") == (CORPUS / "expected.json").read_text(
        encoding="utf-8")


def test_corpus_covers_every_exercise_in_both_directions():
    for exercise in ("4_1", "4_2", "4_3", "4_4", "4_5", "4_6", "4_7"):
        mine = [s for s in SPECS if s.exercise == exercise]
        assert any(s.correct for s in mine) and any(not s.correct for s in mine), exercise
    assert len(SPECS) >= 25


@pytest.mark.parametrize("spec", [s for s in SPECS if s.correct and s.exercise in ORACLE_CHECKS], ids=_id)
def test_correct_style_agrees_with_the_oracle(spec):
    """The corpus's correct code is right by an independent computation (not the reference), so
    a grader that fails it is wrong, not the notebook."""
    ns = graded_namespace(spec)
    ORACLE_CHECKS[spec.exercise](ns)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.verify is not None], ids=_id)
def test_wrong_notebook_really_has_its_mistake(spec):
    spec.verify(graded_namespace(spec))


def _failing(result) -> set[str]:
    return {c.id for c in result.checks if not c.passed}


def _lost_points(result, failing: set[str]) -> float:
    return sum(c.max_points - c.points for c in result.checks if c.id in failing)


def _grade(path: str, seed: int) -> str:
    """In a worker process: ``grade_notebook`` as the test would call it, the result as JSON."""
    return grade_notebook(path, seed=seed, lang="en").to_json()


@pytest.fixture(scope="module")
def corpus_results(request):
    """Every (notebook, seed) this session selected, graded once by two worker processes (two
    gradings overlap one's kernel start with the other's work); each test asserts on its own."""
    wanted = sorted({(item.callspec.params["spec"].path, item.callspec.params["seed"])
                     for item in request.session.items
                     if getattr(item, "originalname", "") == "test_corpus_notebook_grades_as_expected"})
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = {key: pool.submit(_grade, str(CORPUS / "notebooks" / key[0]), key[1]) for key in wanted}
        return {key: GradingResult.from_json(future.result()) for key, future in futures.items()}


@pytest.mark.slow
@pytest.mark.xdist_group("corpus")  # under pytest-xdist all on one worker: corpus_results grades them once
@pytest.mark.parametrize("seed", [PUBLIC_SEED, OTHER_SEED], ids=["public", "other"])
@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_corpus_notebook_grades_as_expected(spec, seed, corpus_results):
    result = corpus_results[spec.path, seed]
    assert result.exercise == spec.exercise
    failing = _failing(result)
    summary = {c.id: c.message[:160] for c in result.checks if not c.passed}
    trained = None
    if spec.accuracy:
        trained = next(c for c in result.checks if c.id == "SimpleConvNet.trained_accuracy")
        if "SimpleConvNet.trained_accuracy" not in spec.failing:
            accuracy = trained.details.get("accuracy")
            lo, hi = spec.accuracy
            assert accuracy is not None and lo <= accuracy <= hi, (accuracy, trained.message)
            assert trained.points == accuracy_points(accuracy)
            failing.discard("SimpleConvNet.trained_accuracy")
    assert set(spec.failing) <= failing, summary
    extra = failing - set(spec.failing)
    assert all(any(e.startswith(p) for p in spec.fail_prefixes) for e in extra), summary
    if spec.fail_prefixes and not spec.failing:
        assert failing, "the mistake went unnoticed under this seed"
    assert not [f for f in result.flags if f.kind not in spec.allowed_flags], result.flags
    partial = trained.max_points - trained.points if trained is not None and trained.id not in failing else 0.0
    assert result.score == pytest.approx(result.max_score - _lost_points(result, failing) - partial)
    assert EXPECTED[spec.path]["failing"] == list(spec.failing)

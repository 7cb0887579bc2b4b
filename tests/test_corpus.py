"""The realistic corpus (tests/corpus): notebooks written the way trainees write them, each
graded against its expected outcome (tests/corpus/expected.json).

- **Public seed, real kernel** (``grade_notebook``, one kernel run per notebook): the notebook's
  style works in a grading kernel (magics, Colab lines, ``sys.path.append(os.pardir)`` then
  ``from common.util import im2col``, ``%%writefile`` modules, the course shim) and grades as
  expected. Asserted from this run only, because they need the kernel and do not depend on
  the seed: 4_7's ``trained_accuracy`` (the network the notebook trains in its kernel, measured
  by the grader on MNIST's test images whatever the seed) and the integrity flags of a real
  grading (the static scan reads the source; the probe's flags come from the kernel).
- **The in-process judge agrees with the kernel** on the public seed, for every notebook: the
  notebook's graded cells executed here as its kernel defines them (``corpus_checks.
  grade_like_the_kernel``: the kernel's own course shim, the same plan, checks, diagnosis and
  static scan) give the same status, points and diagnosis for every check and the same flags
  (``trained_accuracy`` apart). That is what makes the next verdict trustworthy.
- **Another seed, in process**: the checks' verdicts on other hidden inputs need no kernel; the
  same assertions as under the public seed, ``trained_accuracy`` apart (see above).

Fast in-process tests keep the corpus itself honest: the files are what make_corpus.py writes,
every correct style agrees with the independent loop oracle (tests/oracle.py), and every wrong
one really has its mistake."""
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
from corpus_checks import (ORACLE_CHECKS, TRAINED, course_shim, grade_like_the_kernel, graded_namespace,  # noqa: E402
                           kernel_namespace)

import reference  # noqa: E402
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


def test_in_process_namespace_is_the_kernels():
    """The in-process judge takes the course helpers from the grading kernel's own shim (what
    ``from common.util import im2col`` gives a kernel: the reference's objects, not the test
    oracle's), refuses what the kernel refuses, and leaves this process's modules as it found them."""
    book = next(s for s in SPECS if s.path == "kato/4_5_convolution_layer_trainee.ipynb")
    ns = kernel_namespace(book)
    assert ns["im2col"] is reference.im2col and ns["col2im"] is reference.col2im
    net = kernel_namespace(next(s for s in SPECS if s.path == "kato/4_7_simpleconvnet_trainee.ipynb"))
    assert net["Pooling"] is reference.MaxPooling and net["Convolution"] is reference.Convolution
    assert not [m for m in sys.modules if m.partition(".")[0] in ("common", "dataset")]
    with course_shim("4_4"), pytest.raises(ImportError, match="4_4"):
        exec("from common.util import im2col", {})  # graded in 4_4: withheld, as in the kernel
    with pytest.raises(ImportError, match="SimpleConvNet"):
        exec("from reference import Convolution, SimpleConvNet", dict(net))  # the 4_7 kernel's copy lacks it


def _failing(result) -> set[str]:
    return {c.id for c in result.checks if not c.passed}


def _lost_points(result, failing: set[str]) -> float:
    return sum(c.max_points - c.points for c in result.checks if c.id in failing)


def _grade(path: str, seed: int) -> str:
    """In a worker process: ``grade_notebook`` as the test would call it, the result as JSON."""
    return grade_notebook(path, seed=seed, lang="en").to_json()


_KERNEL_TESTS = ("test_corpus_notebook_grades_as_expected_in_a_kernel", "test_in_process_judge_agrees_with_the_kernel")


@pytest.fixture(scope="module")
def corpus_results(request):
    """Every notebook this session selected, graded once under the public seed in a real kernel
    by two worker processes (two gradings overlap one's kernel start with the other's work);
    each test asserts on its own."""
    wanted = sorted({item.callspec.params["spec"].path for item in request.session.items
                     if getattr(item, "originalname", "") in _KERNEL_TESTS})
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = {path: pool.submit(_grade, str(CORPUS / "notebooks" / path), PUBLIC_SEED) for path in wanted}
        return {path: GradingResult.from_json(future.result()) for path, future in futures.items()}


def _assert_grades_as_expected(spec, result, expected_failing: tuple) -> None:
    """The notebook's expected outcome; ``expected_failing``: ``spec.failing`` (without
    ``trained_accuracy`` when the result has no such check)."""
    assert result.exercise == spec.exercise
    failing = _failing(result)
    summary = {c.id: c.message[:160] for c in result.checks if not c.passed}
    trained = next((c for c in result.checks if c.id == TRAINED), None)
    if spec.accuracy and trained is not None and TRAINED not in spec.failing:
        accuracy = trained.details.get("accuracy")
        lo, hi = spec.accuracy
        assert accuracy is not None and lo <= accuracy <= hi, (accuracy, trained.message)
        assert trained.points == accuracy_points(accuracy)
        failing.discard(TRAINED)
    assert set(expected_failing) <= failing, summary
    extra = failing - set(expected_failing)
    assert all(any(e.startswith(p) for p in spec.fail_prefixes) for e in extra), summary
    if spec.fail_prefixes and not expected_failing:
        assert failing, "the mistake went unnoticed under this seed"
    assert not [f for f in result.flags if f.kind not in spec.allowed_flags], result.flags
    partial = trained.max_points - trained.points if trained is not None and trained.id not in failing else 0.0
    assert result.score == pytest.approx(result.max_score - _lost_points(result, failing) - partial)
    assert EXPECTED[spec.path]["failing"] == list(spec.failing)


@pytest.mark.slow
@pytest.mark.xdist_group("corpus")  # under pytest-xdist all on one worker: corpus_results grades them once
@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_corpus_notebook_grades_as_expected_in_a_kernel(spec, corpus_results):
    """Public seed, real kernel: the style works in a grading kernel; 4_7's trained accuracy and
    the flags of a real grading are asserted here (they need the kernel, not another seed)."""
    result = corpus_results[spec.path]
    if spec.accuracy and TRAINED not in spec.failing:
        assert any(c.id == TRAINED for c in result.checks), "the kernel run measures the trained network"
    _assert_grades_as_expected(spec, result, spec.failing)


def _verdict(result) -> dict:
    """What the in-process judge must reproduce: every check's status, points and diagnosis,
    the flags, and the score, all without ``trained_accuracy``."""
    kept = [c for c in result.checks if c.id != TRAINED]
    return {"checks": {c.id: (c.status, c.passed, c.points, c.max_points, c.details.get("diagnosis"))
                       for c in kept},
            "flags": sorted((f.kind, f.name) for f in result.flags),
            "score": round(sum(c.points for c in kept), 6)}


@pytest.mark.slow
@pytest.mark.xdist_group("corpus")
@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_in_process_judge_agrees_with_the_kernel(spec, corpus_results):
    """Public seed: the notebook judged in this process gets the kernel's verdict, so the
    other-seed verdict below (in process) is the one a kernel would give."""
    kernel = corpus_results[spec.path]
    mine = grade_like_the_kernel(spec, PUBLIC_SEED)
    assert mine.seed == kernel.seed == PUBLIC_SEED
    assert _verdict(mine) == _verdict(kernel)


@pytest.mark.parametrize("spec", SPECS, ids=_id)
def test_corpus_notebook_grades_as_expected_under_another_seed(spec):
    """Another seed, in process (the in-process judge agrees with the kernel: see above); every
    assertion of the kernel test but the trained network's accuracy, which is seed-independent
    and asserted from the public-seed kernel run."""
    result = grade_like_the_kernel(spec, OTHER_SEED)
    assert result.seed == OTHER_SEED and all(c.id != TRAINED for c in result.checks)
    _assert_grades_as_expected(spec, result, tuple(c for c in spec.failing if c != TRAINED))

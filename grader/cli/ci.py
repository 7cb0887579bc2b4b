"""``grader ci [PATH]``: the course repository checks its own materials.

PATH (default ``exercises``) holds ``source/`` (notebooks with solutions), ``trainee/`` (the
released notebooks) and optionally ``samples/`` (a sample class, one folder or zip per
trainee, with ``expected_scores.json``). Five suites, each a list of :class:`Case`:

- ``release``: every trainee notebook equals a fresh release of its source;
- ``source``: every source notebook runs without a cell error and passes every check;
- ``trainee``: every trainee notebook runs (cells may raise ``NotImplementedError``, but
  nothing times out or kills the kernel) and scores zero on every check;
- ``samples``: the sample class grades, with the seed recorded in ``expected_scores.json``,
  to the scores recorded there (``--record-samples`` writes that file);
- ``reference``: :func:`reference.selftest.run` finds nothing.

All notebooks are graded in parallel by the batch runner (:mod:`grader.classroom.runner`: the same
workers, limits, bounds and fresh kernels as ``grader grade``), the longest exercises first.
A grader error is a JUnit *error*, anything else that is not right a *failure*.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError, UsageError
from grader.grading.results import GradingResult, Status
from grader.reports.ci_cases import SUITES, Case, CiReport  # the records; rendering them never imports the CLI

__all__ = ["Case", "CiReport", "CiJob", "run_ci", "grade_with_runner", "SUITES", "EXPECTED_NAME", "SAMPLES_SEED",
           "read_expected"]

EXPECTED_NAME = "expected_scores.json"
SAMPLES_SEED = 1  # README's demo command grades the samples with --seed 1
SCORE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class CiJob:
    """One notebook to grade: its ``suite`` (``source``, ``trainee``, ``samples``), file, exercise,
    seed, and for a sample its trainee."""

    suite: str
    path: Path
    exercise: str
    seed: int
    trainee: str | None = None


# ---------------------------------------------------------------- what to grade


def read_expected(path: Path) -> tuple[int, dict, dict]:
    """``(seed, {trainee: {exercise: score}}, {exercise: tolerance})`` of an expected-scores file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        scores = {str(t): {str(e): float(s) for e, s in ex.items()} for t, ex in data["scores"].items()}
        tolerance = {str(e): float(v) for e, v in data.get("tolerance", {}).items()}
        return int(data["seed"]), scores, tolerance
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path}: not a readable expected-scores file ({type(exc).__name__}: {exc}); "
                         "expected {\"seed\": 1, \"scores\": {trainee: {exercise: score}}}") from None


def _notebook_jobs(suite: str, folder: Path, seed: int, cases: list[Case]) -> list[CiJob]:
    from grader.grading.notebook import identify_exercise, read_notebook

    jobs = []
    for path in sorted(folder.glob("*.ipynb")):
        try:
            jobs.append(CiJob(suite, path, identify_exercise(read_notebook(path), path), seed))
        except GraderError as exc:
            cases.append(Case(suite, str(path), "notebook.readable", str(path), failure=str(exc)))
    return jobs


def _sample_jobs(samples: Path, staging: Path, seed: int, cases: list[Case]) -> list[CiJob]:
    from grader.grading.notebook import EXERCISES
    from grader.classroom.submissions import discover

    from grader.classroom.gradebook import derive_seed

    subs, problems = discover(samples, staging, EXERCISES)
    for p in problems:
        cases.append(Case("samples", f"samples.{p.trainee}", "discovery", p.path, failure=p.message))
    # each sample on the inputs `grader grade SAMPLES --seed SEED` gives it: seeds per submission
    secret = str(seed).encode()
    return [CiJob("samples", s.path, s.exercise, derive_seed(secret, s.trainee, s.exercise, s.sha256), s.trainee)
            for s in subs]


def _release_cases(root: Path) -> list[Case]:
    from grader.cli.release import release_all

    source, trainee = root / "source", root / "trainee"
    try:
        stale = set(release_all(source, trainee, check=True))
    except (ValueError, OSError) as exc:
        return [Case("release", "release", "release_all", str(source), failure=str(exc))]
    return [Case("release", "release", path.name, str(trainee / path.name),
                  failure=(f"out of date with {source / path.name}: run `grader release {source} {trainee}`"
                           if trainee / path.name in stale else None))
            for path in sorted(source.glob("*.ipynb"))]


def _reference_cases() -> list[Case]:
    from reference import selftest

    started = time.perf_counter()
    try:
        failures = selftest.run()
    except Exception as exc:  # the self-test itself broke
        failures = [f"raised {type(exc).__name__}: {exc}"]
    return [Case("reference", "reference", "selftest", selftest.__file__,
                 failure="; ".join(failures) or None, seconds=time.perf_counter() - started)]


# ---------------------------------------------------------------- judging one result


def _message(check) -> str:
    return check.message + (f" (hint: {check.hint})" if check.hint else "")


def _source_cases(job: CiJob, result: GradingResult) -> list[Case]:
    name, seconds = str(job.path), result.timings.get("total", 0.0)
    runs = "; ".join(f"cell {e.cell}: {e.kind}: {e.message}" for e in result.errors)
    out = [Case("source", name, "notebook.runs", name, failure=runs or None, seconds=seconds)]
    for c in result.checks:
        error = _message(c) if c.status == Status.GRADER_ERROR else None
        failure = None if c.passed or error else f"{c.status}: {_message(c)}"
        out.append(Case("source", name, c.id, name, failure=failure, error=error))
    return out


def _trainee_cases(job: CiJob, result: GradingResult) -> list[Case]:
    name, seconds = str(job.path), result.timings.get("total", 0.0)
    broken = [e for e in result.errors if e.kind != "error"]  # raising is expected; hanging or dying is not
    runs = "; ".join(f"cell {e.cell}: {e.kind}: {e.message}" for e in broken)
    out = [Case("trainee", name, "notebook.runs", name, failure=runs or None, seconds=seconds)]
    for c in result.checks:
        error = _message(c) if c.status == Status.GRADER_ERROR else None
        failure = None if c.points == 0 or error else (
            f"the released notebook scores {c.points:g} of {c.max_points:g} here; it must score zero "
            f"(is a solution left outside the BEGIN/END SOLUTION markers?): {c.message}")
        out.append(Case("trainee", name, c.id, name, failure=failure, error=error))
    return out


def _score_case(job: CiJob, result: GradingResult | None, expected: dict, tolerance: dict,
                error: str | None = None) -> Case:
    classname, name = f"samples.{job.trainee}", f"{job.exercise}.score"
    if error is None and result is not None and result.grader_failed:
        error = "; ".join(_message(c) for c in result.checks if c.status == Status.GRADER_ERROR)
    want = expected.get(job.trainee, {}).get(job.exercise)
    failure = None
    if error is None and result is not None:
        if want is None:
            failure = f"scores {result.score:g}, but {EXPECTED_NAME} records no score for {job.trainee} {job.exercise}"
        elif abs(result.score - want) > tolerance.get(job.exercise, SCORE_TOLERANCE):
            failing = ", ".join(c.id for c in result.checks if not c.passed) or "none"
            failure = f"scores {result.score:g}, {EXPECTED_NAME} records {want:g} (failing checks: {failing})"
    return Case("samples", classname, name, str(job.path), failure=failure, error=error,
                seconds=result.timings.get("total", 0.0) if result else 0.0)


# ---------------------------------------------------------------- the run


def grade_with_runner(jobs: list[CiJob], workers: int, lang: str, progress) -> dict[CiJob, GradingResult | str]:
    """Every job graded by the batch runner: ``{job: result}``, or an error message where the grader failed.
    ``progress(done, total, job, result)`` as each ends. :func:`run_ci`'s default way to grade."""
    from grader.classroom.runner import Job, RunOptions, run_jobs

    results: dict[CiJob, GradingResult | str] = {}

    def record(outcome, done: int, total: int) -> None:
        job = outcome.job.tag
        results[job] = outcome.result if outcome.result is not None else outcome.error
        progress(done, total, job, results[job])

    # the runner starts the longest exercises first (4_7 trains); among equals, the sources first
    order = sorted(jobs, key=lambda j: j.suite != "source")
    run_jobs([Job(str(j.path), j.exercise, j.seed, tag=j) for j in order], RunOptions(workers=workers, lang=lang),
             on_result=record)
    return results


def _quiet(*_args) -> None:
    return None


def _missing_samples(expected: dict, jobs: list[CiJob]) -> list[Case]:
    found = {(j.trainee, j.exercise) for j in jobs if j.suite == "samples"}
    return [Case("samples", f"samples.{t}", f"{e}.score", None,
                 failure=f"{EXPECTED_NAME} records {s:g} for {t} {e}, but the sample class has no such notebook")
            for t, ex in sorted(expected.items()) for e, s in sorted(ex.items()) if (t, e) not in found]


def run_ci(root: Path, *, workers: int = 2, seed: int | None = None, lang: str = "en",
           record_samples: bool = False, progress=_quiet, grade_all=grade_with_runner) -> CiReport:
    """Check the course materials under ``root``; see the module docstring. ``grade_all``: how the
    notebooks are graded, called once with every job as :func:`grade_with_runner` (the default) is;
    it must return a result or an error message for each job (a test passes one that takes the
    gradings it already has)."""
    from grader.grading.judging import PUBLIC_SEED

    started = time.monotonic()
    root = Path(root)
    if not (root / "source").is_dir():
        raise UsageError(f"{root}: no source/ folder of notebooks here (expected {root}/source, {root}/trainee, "
                         f"{root}/samples)")
    cases = _release_cases(root)
    seed = PUBLIC_SEED if seed is None else seed
    jobs = _notebook_jobs("source", root / "source", seed, cases)
    jobs += _notebook_jobs("trainee", root / "trainee", seed, cases)
    samples, expected_file = root / "samples", root / "samples" / EXPECTED_NAME
    expected, tolerance, samples_seed = {}, {}, SAMPLES_SEED
    if expected_file.is_file():
        try:
            samples_seed, expected, tolerance = read_expected(expected_file)
        except UsageError:
            if not record_samples:  # recording replaces a broken file
                raise
    with tempfile.TemporaryDirectory(prefix="grader-ci-") as staging:
        if samples.is_dir():
            jobs += _sample_jobs(samples, Path(staging), samples_seed, cases)
            if not expected_file.is_file() and not record_samples:
                cases.append(Case("samples", "samples", EXPECTED_NAME, str(expected_file),
                                  failure=f"{expected_file} is missing: grade the samples once with "
                                          f"`grader ci {root} --record-samples`, review, commit it"))
        cases += _reference_cases()
        results = grade_all(jobs, workers, lang, progress)
    if record_samples and samples.is_dir():
        _write_expected(expected_file, samples_seed, tolerance, jobs, results)
        expected = _recorded(jobs, results)
    judge = {"source": _source_cases, "trainee": _trainee_cases}
    for job in jobs:
        result = results[job]
        if job.suite == "samples":
            failed = isinstance(result, str)
            cases.append(_score_case(job, None if failed else result, expected, tolerance, result if failed else None))
        elif isinstance(result, str):
            cases.append(Case(job.suite, str(job.path), "notebook.graded", str(job.path), error=result))
        else:
            cases += judge[job.suite](job, result)
    if samples.is_dir():
        cases += _missing_samples(expected, jobs)
    order = {s: i for i, s in enumerate(SUITES)}
    cases.sort(key=lambda c: (order[c.suite], c.classname))  # stable: a notebook's checks stay in order
    return CiReport(cases, time.monotonic() - started)


def _recorded(jobs: list[CiJob], results: dict) -> dict:
    scores: dict[str, dict[str, float]] = {}
    for job in jobs:
        if job.suite == "samples" and isinstance(results[job], GradingResult):
            scores.setdefault(job.trainee, {})[job.exercise] = float(results[job].score)
    return scores


def _write_expected(path: Path, seed: int, tolerance: dict, jobs: list[CiJob], results: dict) -> None:
    """The expected-scores file (its seed and tolerances kept when it existed)."""
    data = {"about": "Scores of the sample class, graded by `grader ci --record-samples` with this seed; "
                     "reviewed against EXPECTED.md. `grader ci` regrades the samples and compares; "
                     "tolerance: allowed absolute difference per exercise (default 1e-6).",
            "seed": seed, "tolerance": tolerance,
            "scores": {t: dict(sorted(e.items())) for t, e in sorted(_recorded(jobs, results).items())}}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)

"""The margin of the numerical policy (grader/grading/compare.py), measured.

For every exercise and seed it runs the plan in this process (no kernel) against
  - correct implementations in other styles (tests/numerics_styles.py: float32 working
    precision, einsum, bincount / np.add.at col2im, FFT convolution, other summation orders)
    and the course's own source solutions' style (tests/mutants BASES), and
  - every mutant of the test suite (tests/mutants and tests/test_grader_4_*.py),
and measures, per value check (a Spec with probe keys), the scale-relative error
``max|r - e| / max(floor, max|e|)`` of the worst array of the check (grader.grading.compare.scaled_error).

It prints: the largest error of any correct style on any check, the smallest error of any
mutant on any check it fails by value (checks failed by shape, type, an exception or a
modified input are counted apart: their error is not a number), the policy's tolerance and
margin, and how many checks of correct styles the first release's policy failed.

    .venv/bin/python benchmarks/numerical_margin.py [--seeds 4_2024,7,11]
"""
from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from grader.course import checks  # noqa: E402
from grader.course.checks.base import Context, evaluate_all  # noqa: E402
from grader.grading.compare import POLICY, scaled_error  # noqa: E402
from grader.grading.grade import PUBLIC_SEED  # noqa: E402
from grader.grading.kernel_probe import _day4_run_plan  # noqa: E402
from grader.grading.probe import ProbeOutputs, expected_outputs  # noqa: E402

__all__ = ["check_errors", "measure"]

# mutants built to be wrong by a tiny absolute amount (not a trainee's typical mistake)
DELIBERATELY_TINY = {"mutants:conv_off_by_a_little"}


def _outputs(exercise: str, cells, seed: int):
    from inprocess import namespace_of

    module = checks.load(exercise)
    plan, specs = module.build(np.random.default_rng(seed))
    expected = expected_outputs(plan)
    ns = namespace_of(cells)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        got = ProbeOutputs(*_day4_run_plan(dict(plan.as_json(), reference_dir=None), plan.arrays, ns))
    return plan, specs, expected, got


def _array_error(got: ProbeOutputs, expected: ProbeOutputs, key: str) -> float:
    """The worst scale-relative error of a step's arrays; ``nan`` when the step gave no numbers
    or other dictionary keys (not a value failure)."""
    info, want = got.step_status(key), expected.step_status(key)
    if info.get("status") != "ok" or want.get("status") != "ok":
        return math.nan
    names = [key] if key in expected.arrays else [f"{key}/{k}" for k in want.get("keys", [])]
    if "keys" in want and info.get("keys") != want["keys"]:
        return math.nan
    errors = []
    for name in names:
        if name not in got.arrays:
            return math.nan
        with np.errstate(all="ignore"):
            errors.append(scaled_error(got.arrays[name], expected.arrays[name]))
    return max(errors, default=0.0)


def check_errors(exercise: str, cells, seed: int, compare=None) -> dict[str, tuple[float, bool]]:
    """``{check id: (scale-relative error, failed)}`` for the value checks of ``exercise``;
    ``failed`` by the current policy, or by ``compare`` (patched into grader.course.checks.base)."""
    import grader.course.checks.base as base

    plan, specs, expected, got = _outputs(exercise, cells, seed)
    saved = base.compare_arrays
    if compare is not None:
        base.compare_arrays = compare
    try:
        results = {r.id: r for r in evaluate_all(specs, Context(plan, got, expected, "en"))}
    finally:
        base.compare_arrays = saved
    out = {}
    for spec in specs:
        if spec.keys:
            errors = [_array_error(got, expected, key) for key in spec.keys]
            error = math.nan if any(math.isnan(e) for e in errors) else max(errors)
            out[spec.id] = (error, not results[spec.id].passed)
    return out


def measure(seeds) -> dict:
    from mutants import BASES, cells
    from numerics_styles import STYLES, legacy_compare, suite_mutants

    correct = [(f"{ex}:{name}", ex, [src]) for ex, styles in STYLES.items() for name, src in styles.items()]
    correct += [(f"{ex}:mutants_base", ex, cells(BASES[ex])) for ex in BASES]
    worst, legacy_failures, policy_failures = (0.0, None), [], []
    for seed in seeds:
        for label, exercise, sources in correct:
            for check, (error, failed) in check_errors(exercise, sources, seed).items():
                if failed:
                    policy_failures.append((label, check, seed))
                if not math.isnan(error) and error > worst[0]:
                    worst = (error, (label, check, seed))
            legacy = check_errors(exercise, sources, seed, legacy_compare)
            legacy_failures += [(label, check, seed) for check, (_, failed) in legacy.items() if failed]
    closest, typical, structural, value_failures, lost = (math.inf, None), (math.inf, None), 0, 0, []
    for seed in seeds:
        for label, exercise, sources, _ in suite_mutants():
            errors = check_errors(exercise, sources, seed)
            legacy = check_errors(exercise, sources, seed, legacy_compare)
            lost += [(label, check, seed, errors[check][0]) for check, (_, failed) in legacy.items()
                     if failed and not errors[check][1]]
            for check, (error, failed) in errors.items():
                if not failed:
                    continue
                if math.isnan(error) or math.isinf(error):
                    structural += 1
                    continue
                value_failures += 1
                if error < closest[0]:
                    closest = (error, (label, check, seed))
                if label not in DELIBERATELY_TINY and error < typical[0]:
                    typical = (error, (label, check, seed))
    return {"worst_correct": worst, "closest_mutant": closest, "closest_typical": typical, "structural": structural,
            "value_failures": value_failures, "legacy_failures": legacy_failures,
            "policy_failures": policy_failures, "lost": lost}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default=f"{PUBLIC_SEED},7,11")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    found = measure(seeds)
    tol, margin = POLICY.scale_tol, POLICY.margin
    worst, closest = found["worst_correct"], found["closest_mutant"]
    print(f"policy: |r - e| <= {tol:g} * max({POLICY.floor:g}, max|e|); a diagnosis needs >= {margin:g} x that")
    print(f"seeds: {seeds}")
    print(f"largest scale-relative error of a correct style:  {worst[0]:.3g}  {worst[1]}")
    print(f"smallest scale-relative error of a failing mutant: {closest[0]:.3g}  {closest[1]}")
    typical = found["closest_typical"]
    print(f"smallest among the other mutants (typical mistakes): {typical[0]:.3g}  {typical[1]}")
    print(f"mutant checks failed by value: {found['value_failures']}; by shape/type/exception/input: {found['structural']}")
    if worst[0] > 0:
        print(f"tolerance / largest correct error: {tol / worst[0]:.3g}x; smallest mutant error / tolerance: "
              f"{closest[0] / tol:.3g}x (typical mistakes: {typical[0] / tol:.3g}x, diagnosis margin {margin:g}x)")
    print(f"checks of correct styles failed by the current policy: {len(found['policy_failures'])}")
    print(f"mutant checks the first release's policy failed and this one passes: {len(found['lost'])}")
    for label, check, seed, error in found["lost"]:
        print(f"  {label:40s} {check:36s} seed {seed}: error {error:.3g} of the scale")
    print(f"checks of correct styles failed by the first release's policy: {len(found['legacy_failures'])}")
    for label, check, seed in sorted(set(found["legacy_failures"]))[:40]:
        print(f"  {label:40s} {check:36s} seed {seed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

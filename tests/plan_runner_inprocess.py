"""A minimal in-process runner of an exercise's plan, for tests that grade many namespaces on
many seeds (no kernel, no diagnosis): the plan and the reference's outputs are built once per
``(exercise, seed)``, the trainee's outputs come from the probe's own ``_day4_run_plan`` run on
a namespace exec'd from trainee-style sources, and the checks are evaluated as ``grade`` does.

``SimpleConvNet.trained_accuracy`` is left out: it grades the notebook's trained ``network``
on MNIST, which no seed changes."""
from __future__ import annotations

import functools
import warnings

import numpy as np

from grader.course import checks
from grader.course.checks.base import Context, evaluate_all
from grader.grading.judging import integrity_flags
from grader.grading.kernel_probe import _day4_run_plan
from grader.grading.probe import ProbeOutputs, expected_outputs
from grader.grading.results import CheckResult

__all__ = ["plan_for", "run_plan", "failed_checks", "SEED_INDEPENDENT"]

SEED_INDEPENDENT = frozenset({"SimpleConvNet.trained_accuracy", "network.hidden_accuracy"})


@functools.lru_cache(maxsize=None)
def plan_for(exercise: str, seed: int):
    """``(module, plan, specs, expected)`` for ``exercise`` under ``seed`` (cached: the probe
    passes a fresh copy of every input array to each call, so a plan can be reused)."""
    module = checks.load(exercise)
    plan, specs = module.build(np.random.default_rng(seed))
    return module, plan, tuple(specs), expected_outputs(plan, checks.reference_namespace(exercise))


def run_plan(exercise: str, namespace: dict, seed: int, lang: str = "en") -> list[CheckResult]:
    """Every check of ``exercise`` but the seed-independent ones, on ``namespace``."""
    module, plan, specs, expected = plan_for(exercise, seed)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # a wrong trainee function may warn; that is its answer
        got = ProbeOutputs(*_day4_run_plan(plan.as_json(), plan.arrays, namespace))
    flags = integrity_flags(plan, got, module.GRADED, lang)
    ctx = Context(plan, got, expected, lang, None, frozenset(f.name for f in flags))
    results = evaluate_all(specs, ctx)
    if hasattr(module, "extra_checks"):
        results.extend(module.extra_checks(ctx))
    return [r for r in results if r.id not in SEED_INDEPENDENT]


def failed_checks(exercise: str, namespace: dict, seed: int) -> frozenset[str]:
    """The ids of the checks ``namespace`` fails under ``seed``."""
    return frozenset(r.id for r in run_plan(exercise, namespace, seed) if not r.passed)

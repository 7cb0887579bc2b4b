"""Running a variant on a check's probe steps and comparing outputs, with the grader's own
policy (:mod:`grader.grading.compare`): :func:`agree` within the tolerance, :func:`apart` by at least
the policy's margin (wrong for a reason no rounding explains)."""
from __future__ import annotations

import numpy as np

import reference

from grader.grading.compare import clearly_differ, compare_arrays, scaled_error
from grader.grading.probe import Plan, ProbeOutputs, expected_outputs

__all__ = ["root_name", "step_arrays", "agree", "apart", "distance", "modified", "VariantRunner"]


def root_name(plan: Plan, key: str) -> str | None:
    """The graded name a step exercises (a method's object's constructor name)."""
    step = plan.step(key)
    while step["op"] in ("method", "attr", "setitems"):
        step = plan.step(step["obj"])
    return step.get("name")


def step_arrays(outputs: ProbeOutputs, key: str) -> dict | None:
    """The arrays a step returned (``{"": array}``, or one per dictionary key), ``None`` when
    the step did not return comparable numbers."""
    info = outputs.step_status(key)
    if info.get("status") != "ok":
        return None
    if key in outputs.arrays:
        return {"": outputs.arrays[key]}
    if "keys" in info:
        found = {k: outputs.sub(key, k) for k in info["keys"]}
        return None if any(v is None for v in found.values()) else found
    return None


def _kind(array: np.ndarray) -> str:
    return "f" if array.dtype.kind == "f" else "i"


def _same(a: np.ndarray, b: np.ndarray, precision, kinds: bool) -> bool:
    if kinds and a.ndim == 0 and _kind(a) != _kind(b):
        return False
    with np.errstate(all="ignore"):
        return compare_arrays(a, b, precision).ok


def agree(first: ProbeOutputs, second: ProbeOutputs, key: str, precision, kinds: bool = False) -> bool:
    """Both returned numbers for ``key`` and they are equal within the tolerance of
    ``precision`` (``second`` taken as the expected side)."""
    a, b = step_arrays(first, key), step_arrays(second, key)
    if a is None or b is None or a.keys() != b.keys():
        return False
    return all(_same(a[k], b[k], precision, kinds) for k in a)


def _far(a: np.ndarray, b: np.ndarray, kinds: bool) -> bool:
    if kinds and a.ndim == 0 and _kind(a) != _kind(b):
        return True
    with np.errstate(all="ignore"):
        return clearly_differ(a, b)


def distance(first: ProbeOutputs, second: ProbeOutputs, key: str, kinds: bool = False) -> float:
    """The largest scale-relative error of ``first``'s arrays for ``key`` against ``second``'s
    (``inf`` for other shapes, keys or kinds of scalar; ``nan`` when either gave no numbers)."""
    a, b = step_arrays(first, key), step_arrays(second, key)
    if a is None or b is None:
        return float("nan")
    if a.keys() != b.keys() or any(kinds and a[k].ndim == 0 and _kind(a[k]) != _kind(b[k]) for k in a):
        return float("inf")
    with np.errstate(all="ignore"):
        return max((scaled_error(a[k], b[k]) for k in a), default=0.0)


def apart(first: ProbeOutputs, second: ProbeOutputs, key: str, kinds: bool = False) -> bool:
    """Both returned numbers for ``key`` and some array of ``first`` is at least the policy's
    margin away from ``second``'s (or has another shape, keys, or kind of scalar)."""
    a, b = step_arrays(first, key), step_arrays(second, key)
    if a is None or b is None:
        return False
    if a.keys() != b.keys():
        return True
    return any(_far(a[k], b[k], kinds) for k in a)


def modified(outputs: ProbeOutputs, plan: Plan, key: str) -> bool:
    """Whether the call changed one of its tracked input arrays (shape or values)."""
    step = plan.step(key)
    for position in step.get("track", ()):
        original = plan.arg_array(key, position)
        after = outputs.arg_after(key, position)
        if after is None or after.shape != original.shape or not np.array_equal(after, original, equal_nan=True):
            return True
    return False


def _namespace(name: str, implementation) -> dict:
    namespace = {n: getattr(reference, n) for n in reference.__all__}
    namespace[name] = implementation
    return namespace


class VariantRunner:
    """Outputs of the plan's steps of one graded name with that name replaced by a variant;
    every variant runs once per grading (cached)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._cache: dict = {}

    def outputs(self, name: str, tag: str, implementation) -> ProbeOutputs:
        if (name, tag) not in self._cache:
            steps = tuple(s for s in self.plan.steps if root_name(self.plan, s["key"]) == name)
            with np.errstate(all="ignore"):  # a variant is wrong on purpose: overflow and the like are noise
                self._cache[name, tag] = expected_outputs(Plan(steps, self.plan.arrays), _namespace(name, implementation))
        return self._cache[name, tag]

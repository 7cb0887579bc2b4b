"""Comparing a trainee's array with the expected one: the only home of tolerances.

One numerical policy (:data:`POLICY`) for every check and every dtype. Shapes are compared
explicitly (a broadcastable shape is still a wrong shape). Values are compared relative to
the *scale* of the expected output, ``max|expected|`` (at least ``floor``)::

    |received - expected| <= scale_tol * max(floor, max|expected|)      (every element)

so that a correct algorithm passes whatever its summation order and working precision
(float32 or float64, for float64, float32 and integer inputs), while the typical mistakes,
which move values by a sizeable fraction of that scale, fail. ``benchmarks/numerical_margin.py``
measures both sides (10 seeds): correct styles (float32 throughout, einsum, bincount, FFT,
other summation orders) stay below 2.4e-6 of the scale (the worst: a float32 SimpleConvNet's
gradient), the typical mistakes of the test suite's mutants are at least 7.9e-4 of it, and a
mutant built to be off by 1e-3 absolute is 1.25e-4 off. ``scale_tol = 1e-4`` is 43x above
the worst rounding and below every mutant's failing check.

A diagnosis (:mod:`grader.course.diagnosis`) needs a margin on top: the trainee's output must fail
and be at least ``margin`` tolerances away from the reference, or ``margin`` times nearer the
mistake's output than the reference's (:func:`clearly_nearer`, :func:`clearly_differ`), never
a matter of rounding. A result that is right but returned in a narrower float type than the expected
one (float32 for float64 inputs) passes; :func:`compare_arrays` says so in ``fields["note"]``
(an informational note, never a lost point).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Policy", "POLICY", "Comparison", "compare_arrays", "bad_mask", "scale_of", "scaled_error",
           "clearly_differ", "clearly_nearer", "lower_precision", "excerpt"]


@dataclass(frozen=True)
class Policy:
    """``scale_tol``: allowed error as a fraction of the expected output's scale; ``floor``: the
    smallest scale (an all-zero expected output); ``margin``: how many tolerances a trainee's
    output must be away from the reference before a mistake is named."""

    scale_tol: float = 1e-4
    floor: float = 1e-12
    margin: float = 10.0


POLICY = Policy()


def _policy(policy: Policy | None) -> Policy:
    return POLICY if policy is None else policy


@dataclass(frozen=True)
class Comparison:
    """``reason`` is ``"ok"``, ``"shape"``, ``"nonfinite"`` (NaN or inf where a number is
    expected), ``"values_nonfinite"`` (a wrong value where an infinity is involved on either side,
    so no error size) or ``"values"``; ``fields`` feed the
    message (and, when ``ok``, may hold an informational ``note``)."""

    reason: str
    fields: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def _scalar(value) -> str:
    return f"{float(value):.6g}"


def _finite(value) -> float:
    return min(float(value), float(np.finfo(np.float64).max))


def scale_of(expected, policy: Policy | None = None) -> float:
    """``max(floor, max|expected|)`` over the finite expected values."""
    e = np.asarray(expected, dtype=np.float64)
    finite = np.abs(e[np.isfinite(e)])
    return max(_policy(policy).floor, float(finite.max()) if finite.size else 0.0)


def _abs_diff(received, expected) -> np.ndarray:
    """``|r - e|`` as float64: 0 where both are the same infinity or both NaN, inf where only
    one side is finite or NaN."""
    r = np.asarray(received).astype(np.float64)
    e = np.asarray(expected).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(r - e)
    same = (np.isinf(r) & np.isinf(e) & (np.sign(r) == np.sign(e))) | (np.isnan(r) & np.isnan(e))
    return np.where(same, 0.0, np.where(np.isnan(diff), np.inf, diff))


def bad_mask(received, expected, policy: Policy | None = None) -> np.ndarray:
    """The elements the policy judges wrong (same shapes required): the predicate of
    :func:`compare_arrays` and of the HTML excerpt's marks."""
    policy = _policy(policy)
    return _abs_diff(received, expected) > policy.scale_tol * scale_of(expected, policy)


def scaled_error(received, expected, policy: Policy | None = None) -> float:
    """``max|r - e| / scale``: ``inf`` for another shape or a non-finite value where a finite
    one was expected; ``0.0`` for empty arrays."""
    received, expected = np.asarray(received), np.asarray(expected)
    if received.shape != expected.shape:
        return float("inf")
    if received.size == 0:
        return 0.0
    return float(_abs_diff(received, expected).max()) / scale_of(expected, policy)


def clearly_differ(received, expected, policy: Policy | None = None) -> bool:
    """Whether ``received`` is at least ``margin`` tolerances away from ``expected``: wrong for a
    reason that no rounding explains (a diagnosis may name it)."""
    policy = _policy(policy)
    return scaled_error(received, expected, policy) >= policy.margin * policy.scale_tol


def clearly_nearer(to_variant: float, to_reference: float, policy: Policy | None = None) -> bool:
    """Whether an output whose scale-relative distances are ``to_variant`` (from a typical
    mistake's output) and ``to_reference`` matches the mistake clearly better than the reference:
    it fails (``to_reference`` above the tolerance) and is either ``margin`` tolerances away
    from the reference, or ``margin`` times nearer the mistake than the reference."""
    policy = _policy(policy)
    if not to_reference > policy.scale_tol:
        return False
    return to_reference >= policy.margin * policy.scale_tol or to_variant * policy.margin <= to_reference


def lower_precision(received, expected) -> bool:
    """A float result in a narrower float type than the expected one (float32 for float64)."""
    r, e = np.asarray(received).dtype, np.asarray(expected).dtype
    return r.kind == "f" and e.kind == "f" and r.itemsize < e.itemsize


def compare_arrays(received: np.ndarray, expected: np.ndarray, precision=None, *,
                   policy: Policy | None = None) -> Comparison:
    """Compare with the policy (see the module docstring). ``precision`` (the dtype of the
    call's inputs, first release) is accepted and ignored: one policy fits every dtype.
    NaN or inf in the result where the expected value is finite is a failure of its own."""
    received = np.asarray(received)
    expected = np.asarray(expected)
    if received.shape != expected.shape:
        return Comparison("shape", {"expected": tuple(expected.shape), "received": tuple(received.shape)})
    policy = _policy(policy)
    bad = bad_mask(received, expected, policy)
    with np.errstate(invalid="ignore"):
        bad_finite = ~np.isfinite(received.astype(np.float64)) & np.isfinite(expected.astype(np.float64))
    if bad_finite.any():
        index = tuple(int(i) for i in np.argwhere(bad_finite)[0])
        return Comparison("nonfinite", {"index": index, **excerpt(received, expected, index, mask=bad)})
    if not bad.any():
        if lower_precision(received, expected):
            return Comparison("ok", {"note": "lower_precision", "received_dtype": str(received.dtype),
                                     "expected_dtype": str(expected.dtype)})
        return Comparison("ok")
    diff = _abs_diff(received, expected)
    infinite = bad & ~np.isfinite(diff)  # inf where -inf is expected, a number where inf is: no error size
    if infinite.any():
        index = tuple(int(i) for i in np.argwhere(infinite)[0])
        return Comparison("values_nonfinite", {
            "index": index, "exp_value": _scalar(expected[index]), "got_value": _scalar(received[index]),
            "n_wrong": int(bad.sum()), "n_total": int(bad.size), **excerpt(received, expected, index, mask=bad)})
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    e = np.abs(expected.astype(np.float64))
    scale = scale_of(expected, policy)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # where 0 is expected an error has no size of its own: it is measured against the scale,
        # as the policy measures it (a failing array never reports "max rel error 0")
        rel = diff / np.where(e > 0, e, scale)
    # every number below is finite (strict JSON): an error beyond float64's range is shown as its largest value
    return Comparison("values", {
        "max_abs": float(diff.max()), "max_rel": _finite(rel.max()) if rel.size else 0.0,
        "scale": scale, "scaled_error": _finite(float(diff.max()) / scale), "tolerance": policy.scale_tol * scale,
        "index": index, "exp_value": _scalar(expected[index]), "got_value": _scalar(received[index]),
        "n_wrong": int(bad.sum()), "n_total": int(bad.size), **excerpt(received, expected, index, mask=bad),
    })


def excerpt(received: np.ndarray, expected: np.ndarray, index: tuple, size: int = 6, *,
            mask: np.ndarray | None = None) -> dict:
    """A small 2-D window of both arrays around ``index`` for side-by-side display:
    ``{"window": {"rows": [r0, r1], "cols": [c0, c1], "lead": [...]}, "expected_excerpt": [[...]],
    "received_excerpt": [[...]], "diff_mask": [[...]]}`` (JSON-compatible). ``diff_mask`` marks
    exactly the elements the comparison judged wrong: ``mask`` (of the whole arrays), else
    :func:`bad_mask` of the whole arrays."""
    received, expected = np.asarray(received), np.asarray(expected)
    if received.ndim == 0:
        return {}
    if mask is None:
        mask = bad_mask(received, expected)
    lead = tuple(index[:-2]) if received.ndim >= 2 else ()
    exp2 = expected[lead] if received.ndim >= 2 else expected[None, :]
    rec2 = received[lead] if received.ndim >= 2 else received[None, :]
    mask2 = mask[lead] if received.ndim >= 2 else mask[None, :]
    row = index[-2] if received.ndim >= 2 else 0
    col = index[-1]
    r0 = max(0, min(row - size // 2, exp2.shape[0] - size))
    c0 = max(0, min(col - size // 2, exp2.shape[1] - size))
    rows, cols = slice(r0, r0 + size), slice(c0, c0 + size)
    e, r = exp2[rows, cols].astype(np.float64), rec2[rows, cols].astype(np.float64)
    return {
        "window": {"lead": list(lead), "rows": [r0, r0 + e.shape[0]], "cols": [c0, c0 + e.shape[1]]},
        "expected_excerpt": [[_scalar(v) for v in line] for line in e],
        "received_excerpt": [[_scalar(v) for v in line] for line in r],
        "diff_mask": np.asarray(mask2[rows, cols], dtype=bool).tolist(),
    }

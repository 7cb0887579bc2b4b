"""Comparing a trainee's array with the expected one: the only home of tolerances.

Shapes are compared explicitly (a broadcastable shape is still a wrong shape); values with
a tolerance chosen by the precision of the call's inputs: a float32 computation may lose
digits that a float64 one must keep.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Comparison", "tolerance", "compare_arrays", "excerpt"]

_TOLERANCES = {  # (rtol, atol relative to the largest expected magnitude)
    np.dtype(np.float64): (1e-7, 1e-9),
    np.dtype(np.float32): (2e-4, 2e-5),
}


def tolerance(precision) -> tuple[float, float]:
    """``(rtol, atol_scale)`` for a computation whose inputs have dtype ``precision``."""
    return _TOLERANCES.get(np.dtype(precision), _TOLERANCES[np.dtype(np.float64)])


@dataclass(frozen=True)
class Comparison:
    """``reason`` is ``"ok"``, ``"shape"``, ``"nonfinite"`` or ``"values"``; ``fields`` feed the message."""

    reason: str
    fields: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def _scalar(value) -> str:
    return f"{float(value):.6g}"


def compare_arrays(received: np.ndarray, expected: np.ndarray, precision=np.float64) -> Comparison:
    """Compare with ``|r - e| <= atol + rtol * |e|``, ``atol = atol_scale * max(1, max|e|)``.

    NaN or inf in the result where the expected value is finite is a failure of its own.
    """
    received = np.asarray(received)
    expected = np.asarray(expected)
    if received.shape != expected.shape:
        return Comparison("shape", {"expected": tuple(expected.shape), "received": tuple(received.shape)})
    r = received.astype(np.float64)
    e = expected.astype(np.float64)
    both_inf = np.isinf(r) & np.isinf(e) & (np.sign(r) == np.sign(e))
    bad_finite = ~np.isfinite(r) & np.isfinite(e)
    if bad_finite.any():
        index = tuple(int(i) for i in np.argwhere(bad_finite)[0])
        return Comparison("nonfinite", {"index": index, **excerpt(received, expected, index)})
    rtol, atol_scale = tolerance(precision)
    finite_e = e[np.isfinite(e)]
    scale = max(1.0, float(np.abs(finite_e).max())) if finite_e.size else 1.0
    with np.errstate(invalid="ignore"):
        diff = np.where(both_inf, 0.0, np.abs(r - e))
    diff = np.where(np.isnan(diff) & ~both_inf, np.inf, diff)
    bad = diff > atol_scale * scale + rtol * np.abs(np.where(np.isfinite(e), e, 0.0))
    if not bad.any():
        return Comparison("ok")
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    finite_diff = np.where(np.isfinite(diff), diff, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(np.abs(e) > 0, finite_diff / np.abs(e), 0.0)
    return Comparison("values", {
        "max_abs": float(finite_diff.max()), "max_rel": float(np.nanmax(rel)) if rel.size else 0.0,
        "index": index, "exp_value": _scalar(expected[index]), "got_value": _scalar(received[index]),
        "n_wrong": int(bad.sum()), "n_total": int(bad.size), **excerpt(received, expected, index),
    })


def excerpt(received: np.ndarray, expected: np.ndarray, index: tuple, size: int = 6) -> dict:
    """A small 2-D window of both arrays around ``index`` for side-by-side display:
    ``{"window": {"rows": [r0, r1], "cols": [c0, c1], "lead": [...]}, "expected_excerpt": [[...]],
    "received_excerpt": [[...]], "diff_mask": [[...]]}`` (JSON-compatible)."""
    if received.ndim == 0:
        return {}
    lead = tuple(index[:-2]) if received.ndim >= 2 else ()
    exp2 = expected[lead] if received.ndim >= 2 else expected[None, :]
    rec2 = received[lead] if received.ndim >= 2 else received[None, :]
    row = index[-2] if received.ndim >= 2 else 0
    col = index[-1]
    r0 = max(0, min(row - size // 2, exp2.shape[0] - size))
    c0 = max(0, min(col - size // 2, exp2.shape[1] - size))
    rows, cols = slice(r0, r0 + size), slice(c0, c0 + size)
    e, r = exp2[rows, cols].astype(np.float64), rec2[rows, cols].astype(np.float64)
    with np.errstate(invalid="ignore"):
        mask = ~np.isclose(r, e, rtol=1e-5, atol=1e-8, equal_nan=True)
    return {
        "window": {"lead": list(lead), "rows": [r0, r0 + e.shape[0]], "cols": [c0, c0 + e.shape[1]]},
        "expected_excerpt": [[_scalar(v) for v in line] for line in e],
        "received_excerpt": [[_scalar(v) for v in line] for line in r],
        "diff_mask": mask.tolist(),
    }

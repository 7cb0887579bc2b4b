"""Generic diagnoses, for a failed check that no catalogue entry explains: what the wrong
output looks like next to the expected one (axes permuted, values in the wrong places, sign
flipped, all zero, a constant factor, wrong only at the borders or only where windows
overlap), and, across all the calls of a graded name, which stride / pad values fail.

Each finding is ``(id, fields)``; :mod:`grader.reports.messages` holds the texts (``diag_<kind>``)."""
from __future__ import annotations

from itertools import permutations

import numpy as np

from grader.grading.compare import POLICY, bad_mask, clearly_differ, compare_arrays
from grader.course.diagnosis.base import Geometry, batch_size, step_params
from grader.course.diagnosis.match import agree, apart, step_arrays

__all__ = ["check_finding", "params_finding", "unmodified_finding", "KINDS"]

_ORDER = ("transposed", "axes_permuted", "values_scrambled", "sign_flipped", "all_zero", "factor", "overlap", "border")
KINDS = _ORDER[:5] + ("factor", "factor_n", "factor_inv_n") + _ORDER[6:] + (
    "only_stride1", "only_pad0", "only_stride1_pad0", "input_reshaped", "input_overwritten")


_FACTOR_RTOL = POLICY.scale_tol  # factors fitted to outputs computed in float32 agree to ~1e-6


def _ok(a, b, precision) -> bool:
    with np.errstate(all="ignore"):
        return compare_arrays(a, b, precision).ok


def _bad_mask(got: np.ndarray, exp: np.ndarray, precision) -> np.ndarray:
    """Elementwise form of :func:`compare_arrays` (the same predicate)."""
    with np.errstate(all="ignore"):
        return bad_mask(got, exp)


def _clearly_wrong(got: np.ndarray, exp: np.ndarray) -> bool:
    with np.errstate(all="ignore"):
        return clearly_differ(got, exp)


def _permutation(got, exp, precision):
    if got.ndim < 2 or got.ndim > 5 or sorted(got.shape) != sorted(exp.shape):
        return None
    for axes in permutations(range(exp.ndim)):
        if axes != tuple(range(exp.ndim)) and exp.transpose(axes).shape == got.shape \
                and _ok(got, exp.transpose(axes), precision):
            return axes
    return None


def _factor(got, exp, precision):
    g, e = got.astype(np.float64).ravel(), exp.astype(np.float64).ravel()
    if not (np.isfinite(g).all() and np.isfinite(e).all()) or not np.any(e):
        return None
    k = float(np.dot(g, e) / np.dot(e, e))
    return k if abs(k) > 1e-12 and abs(k - 1) > _FACTOR_RTOL and _ok(got, k * exp, precision) else None


def _window_rows(size: int, f: int, stride: int, pad: int) -> tuple[int, np.ndarray]:
    """``OH`` and, for every input row, how many windows cover it."""
    out = (size + 2 * pad - f) // stride + 1
    cover = np.zeros(size, dtype=int)
    for i in range(out):
        lo, hi = max(i * stride - pad, 0), min(i * stride - pad + f, size)
        cover[lo:hi] += 1
    return out, cover


def _spatial(got, exp, precision, geo: Geometry | None) -> tuple[set, set]:
    """``(kinds, shown)``: ``"overlap"`` / ``"border"`` when every wrong element lies where windows
    overlap / reach into the padding (last two axes); in ``shown`` too when some element lies
    elsewhere (and is right), so that the step shows the difference."""
    if geo is None or got.shape != exp.shape or got.ndim < 2:
        return set(), set()
    wrong = _bad_mask(got, exp, precision).reshape((-1,) + got.shape[-2:]).any(axis=0)
    regions = {}
    if geo.space == "input" and (geo.stride < geo.fh or geo.stride < geo.fw):
        _, rows = _window_rows(got.shape[-2], geo.fh, geo.stride, geo.pad)
        _, cols = _window_rows(got.shape[-1], geo.fw, geo.stride, geo.pad)
        regions["overlap"] = np.outer(rows, cols) >= 2
    if geo.space == "output" and geo.pad > 0 and geo.in_hw is not None:
        edges = []
        for axis, (size, f) in enumerate(zip(geo.in_hw, (geo.fh, geo.fw))):
            starts = np.arange(got.shape[-2 + axis]) * geo.stride - geo.pad
            edges.append((starts < 0) | (starts + f > size))
        regions["border"] = edges[0][:, None] | edges[1][None, :]
    kinds = {k for k, region in regions.items() if wrong.any() and not (wrong & ~region).any()}
    return kinds, {k for k in kinds if (~regions[k]).any()}


def _array_kinds(got, exp, precision, geo):
    kinds, factor, shown = set(), None, set()
    axes = _permutation(got, exp, precision)
    if axes is not None:
        kinds.add("transposed" if got.ndim == 2 else "axes_permuted")
    if got.size == exp.size > 1 and np.unique(exp).size > 1 and _ok(np.sort(got, axis=None), np.sort(exp, axis=None), precision):
        kinds.add("values_scrambled")
    if got.shape == exp.shape:
        if np.any(exp) and _ok(got, -exp, precision):
            kinds.add("sign_flipped")
        elif np.any(exp) and not np.any(got):
            kinds.add("all_zero")
        else:
            factor = _factor(got, exp, precision)
            if factor is not None:
                kinds.add("factor")
        spatial, shown = _spatial(got, exp, precision, geo)
        kinds |= spatial
    return kinds, {"axes": axes, "factor": factor, "shown": shown}


def _step_kinds(ctx, key, precision, geo):
    got, exp = step_arrays(ctx.got, key), step_arrays(ctx.expected, key)
    if got is None or exp is None or got.keys() != exp.keys():
        return None
    wrong = [(got[k], exp[k]) for k in exp if not _ok(got[k], exp[k], precision)]
    if not wrong or not all(_clearly_wrong(g, e) for g, e in wrong):
        return None  # an array wrong by little more than rounding: nothing to name
    kinds, axes, factors, shown = None, None, [], set()
    for g, e in wrong:
        found, info = _array_kinds(g, e, precision, geo)
        kinds = found if kinds is None else kinds & found
        axes = axes if axes is not None else info["axes"]
        factors += [info["factor"]] if info["factor"] is not None else []
        shown |= info["shown"]
    if factors and not all(np.isclose(f, factors[0], rtol=_FACTOR_RTOL) for f in factors):
        kinds.discard("factor")
    return kinds, {"axes": axes, "factor": factors[0] if factors else None, "shown": shown,
                   "scalars": all(np.size(g) < 2 for g, _ in wrong)}


def _factor_fields(ctx, evidence, scalars_only: bool):
    """``{"per": "N"}`` / ``{"per": "1/N"}`` when each step's factor (``evidence``: ``(key, factor)``)
    is its batch size ``N`` (> 1) or its inverse, else ``{"factor": k}`` for one factor shared by all
    steps, unless every wrong array is a single number (any number is a multiple of another)."""
    factors = [f for _, f in evidence]
    sizes = [batch_size(ctx.plan, key) or 0 for key, _ in evidence]
    if all(n > 1 and np.isclose(f, n, rtol=_FACTOR_RTOL) for f, n in zip(factors, sizes)):
        return {"per": "N", "factor": "N"}
    if all(n > 1 and np.isclose(f, 1 / n, rtol=_FACTOR_RTOL) for f, n in zip(factors, sizes)):
        return {"per": "1/N", "factor": "1/N"}
    if not scalars_only and all(np.isclose(f, factors[0], rtol=_FACTOR_RTOL) for f in factors):
        return {"factor": f"{factors[0]:.6g}"}
    return None


def _pure_factor(ctx, key, precision):
    """The factor by which a wrong step's arrays are off, when they all are off by one."""
    if agree(ctx.got, ctx.expected, key, precision):
        return None
    found = _step_kinds(ctx, key, precision, None)
    return found[1]["factor"] if found and "factor" in found[0] else None


def check_finding(ctx, keys, precision, geometry, related=()) -> tuple[str, dict] | None:
    """The finding shared by every wrong step among ``keys``, or ``None``. ``related`` are the
    ``(key, precision)`` of the graded name's other steps: when they are off by a factor too,
    they tell a constant factor from the batch size (``N = 2`` and a factor of 1/2 coincide)."""
    common, evidence, fields, scalars_only, shown = None, [], {}, True, set()
    for key in keys:
        if agree(ctx.got, ctx.expected, key, precision):
            continue
        found = _step_kinds(ctx, key, precision, geometry(ctx.plan, key) if geometry else None)
        if found is None:
            return None
        kinds, info = found
        scalars_only = scalars_only and info["scalars"]
        shown |= info["shown"]
        common = kinds if common is None else common & kinds
        evidence.append((key, info.get("factor")))
        fields = fields or info
    for kind in _ORDER if common else ():
        if kind not in common or (kind in ("overlap", "border") and kind not in shown):
            continue  # wrong only where windows overlap means little when they overlap everywhere
        if kind == "factor":
            more = [(k, f) for k, p in related if k not in keys and (f := _pure_factor(ctx, k, p)) is not None]
            extra = _factor_fields(ctx, evidence + more, scalars_only) or _factor_fields(ctx, evidence, scalars_only)
            if extra is None:
                continue
            return "factor_n" if extra.get("per") == "N" else "factor_inv_n" if extra.get("per") == "1/N" else "factor", extra
        if kind in ("transposed", "axes_permuted"):
            return kind, {"axes": str(tuple(int(a) for a in fields.get("axes") or ()))}
        return kind, {}
    return None


def _describe(params: dict) -> str:
    return f"stride={params['stride']}, pad={params['pad']}"


def params_finding(ctx, steps: list[tuple[str, object]]) -> tuple[str, dict] | None:
    """Across all value steps ``(key, precision)`` of a graded name: do exactly the calls with
    ``stride > 1`` (or ``pad > 0``, or either) fail while calls with ``stride 1`` / ``pad 0`` pass?"""
    passed, failed = [], []
    for key, precision in steps:
        state = ctx.got.step_status(key).get("status")
        if state not in ("ok", "error") or ctx.expected.step_status(key).get("status") != "ok":
            continue
        params = step_params(ctx.plan, key)
        if not all(isinstance(params.get(k), int) for k in ("stride", "pad")):
            continue
        if state == "ok" and agree(ctx.got, ctx.expected, key, precision):
            passed.append(params)
        elif state == "ok" and not apart(ctx.got, ctx.expected, key):
            return None  # wrong by little more than rounding: no pattern to name
        else:
            failed.append(params)
    if not failed or not passed:
        return None
    breaks = {"only_stride1": lambda p: p["stride"] > 1, "only_pad0": lambda p: p["pad"] > 0,
              "only_stride1_pad0": lambda p: p["stride"] > 1 or p["pad"] > 0}
    # strict: no passing call breaks the rule; relaxed: some calls that break it pass too (db does
    # not depend on the stride, say), but every failing call breaks it and some call that keeps it passes
    strict = [k for k, b in breaks.items() if all(map(b, failed)) and not any(map(b, passed))]
    relaxed = [k for k, b in breaks.items() if all(map(b, failed)) and not all(map(b, passed))]
    for found in (strict, relaxed):
        single = [k for k in found if k != "only_stride1_pad0"]
        kind = single[0] if len(single) == 1 else "only_stride1_pad0" if "only_stride1_pad0" in found else None
        if kind is not None:
            return kind, {"calls": "; ".join(sorted({_describe(p) for p in failed}))}
    return None


def unmodified_finding(ctx, keys) -> tuple[str, dict] | None:
    """How an input came back changed: its shape (``x.shape = ...``) or its values."""
    for key in keys:
        step = ctx.plan.step(key)
        for position in step.get("track", ()):
            original = ctx.plan.arg_array(key, position)
            after = ctx.got.arg_after(key, position)
            if after is None:
                continue
            if after.shape != original.shape:
                return "input_reshaped", {"position": position}
            if not np.array_equal(after, original, equal_nan=True):
                return "input_overwritten", {"position": position}
    return None

"""Checks judged by properties of the trainee's outputs instead of a comparison with the
reference's: what random operations are judged by (4_8's ``gaussian_noise``, ``random_rotate``,
``random_erasing``; 4_9's ``random_transform_params`` and ``flow``).

A judge raises :class:`Violation` (the probe step, a ja/en text with its fields, and optionally
the id of the catalogued mistake it recognises); :func:`property_check` turns that into the
check's :class:`~grader.grading.results.CheckResult`. :func:`same_twice` (the same seed gives the
same output, another seed another) and :func:`as_array` are the judges' shared tests. One home
for how a property failure is reported.
"""
from __future__ import annotations

import numpy as np

from grader.reports.messages import in_lang, text
from grader.grading.plan import describe_step
from grader.grading.results import CheckResult, Status
from grader.course.checks.base import Context, Spec, make_result, step_problem

__all__ = ["Violation", "property_check", "same_twice", "as_array", "untouched", "say"]

_TEXTS = {
    "not_reproducible": {"ja": "同じ seed の rng で 2 回呼ぶと結果が違いました。乱数は引数の rng だけから引いてください"
                               " (np.random や random を使わない)。",
                         "en": "two calls with generators of the same seed gave different results. Draw only from "
                               "the rng argument (not np.random or random)."},
    "not_random": {"ja": "違う seed でも結果が同じでした。rng から引いた値を使っていますか。",
                   "en": "different seeds gave the same result. Are the values drawn from rng used?"},
    "property": {"ja": "{call}: {what}", "en": "{call}: {what}"},
    "modified": {"ja": "入力 {name} をその場で書き換えました (コピーに書き込むか、並べ替えは添字で行います)。",
                 "en": "it modified its input {name} in place (write into a copy; shuffle through indices)."},
}


def say(key: str, lang: str, texts: dict | None = None, **fields) -> str:
    return in_lang((texts or _TEXTS)[key], lang).format(**fields)


class Violation(Exception):
    """A property does not hold: ``key`` names the probe step, ``what`` is ``{"ja", "en"}``
    (format fields in ``fields``)."""

    def __init__(self, key: str, what: dict, diagnosis: str | None = None, **fields):
        super().__init__(what["en"])
        self.key, self.what, self.fields, self.diagnosis = key, what, fields, diagnosis


class _Outputs:
    """What a judge reads: ``outputs(key)`` is the step's array (or its dict ``{name: array}``),
    ``outputs.after(key, position)`` a tracked input as the call left it (``None``: not back)."""

    def __init__(self, ctx: Context):
        self._got = ctx.got

    def __call__(self, key):
        if key in self._got.arrays:
            return self._got.arrays[key]
        return {k: self._got.sub(key, k) for k in self._got.step_status(key).get("keys", ())}

    def after(self, key: str, position: int = 0):
        return self._got.arg_after(key, position)


def property_check(ctx: Context, spec: Spec, keys: tuple, judge) -> CheckResult:
    """A check judged by properties of the trainee's outputs of ``keys``: ``judge(outputs)`` (an
    :class:`_Outputs`) raises :class:`Violation`."""
    if spec.name in ctx.flagged:
        return make_result(spec, ctx, Status.FAILED, text("uses_reference", ctx.lang, name=spec.name))
    for key in keys:
        problem = step_problem(spec, ctx, key)
        if problem is not None:
            return make_result(spec, ctx, *problem)

    try:
        with np.errstate(all="ignore"):
            judge(_Outputs(ctx))
    except Violation as v:
        call = describe_step(ctx.plan, v.key)
        what = in_lang(v.what, ctx.lang).format(**v.fields)
        details = {"call": call, **({"diagnosis": v.diagnosis} if v.diagnosis else {})}
        result = make_result(spec, ctx, Status.FAILED, say("property", ctx.lang, call=call, what=what), details)
        return _with_named_mistake(result, v.diagnosis, ctx.lang) if v.diagnosis else result
    return make_result(spec, ctx, Status.PASSED, text("passed", ctx.lang, call=describe_step(ctx.plan, keys[-1])))


def _with_named_mistake(result: CheckResult, mistake_id: str, lang: str) -> CheckResult:
    """A property check that recognises a catalogued mistake itself (labels apart from images)
    says so as the diagnoser would."""
    from dataclasses import replace

    from grader.course.diagnosis.diagnoser import all_mistakes

    mistake = all_mistakes().get(mistake_id)
    if mistake is None:
        return result
    label, hint = mistake.describe(lang)
    return replace(result, hint=text("diagnosis", lang, title=label, hint=hint))


def as_array(value, key: str, shape: tuple) -> np.ndarray:
    """The step's output as a float array of ``shape``, else a :class:`Violation`."""
    if not isinstance(value, np.ndarray) or value.shape != tuple(shape):
        got = f"shape {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
        raise Violation(key, {"ja": "形状 {expected} の配列を期待しましたが {got} でした。",
                              "en": "expected an array of shape {expected}, got {got}."}, expected=tuple(shape), got=got)
    return value.astype(np.float64)


def same_twice(arrays, key_a: str, key_b: str, key_other: str | None = None) -> None:
    """Steps ``key_a`` and ``key_b`` (the same call, generators of the same seed) agree exactly;
    ``key_other`` (another seed) differs."""
    a, b = arrays(key_a), arrays(key_b)
    pairs = [(a[k], b.get(k)) for k in a] if isinstance(a, dict) else [(a, b)]
    pairs = [(x, y) for x, y in pairs if x is not None or y is not None]  # None items (no array) on both sides
    if isinstance(a, dict) and set(a) != set(b) or any(
            x is None or y is None or x.shape != y.shape or not np.array_equal(x, y, equal_nan=True) for x, y in pairs):
        raise Violation(key_b, _TEXTS["not_reproducible"])
    if key_other is not None:
        c = arrays(key_other)
        if isinstance(a, dict):
            same = set(a) == set(c) and all(a[k] is None and c[k] is None or a[k] is not None and c[k] is not None
                                            and a[k].shape == c[k].shape and np.array_equal(a[k], c[k]) for k in a)
        else:
            same = a.shape == c.shape and np.array_equal(a, c)
        if same:
            raise Violation(key_other, _TEXTS["not_random"])


def untouched(outputs, key: str, original: np.ndarray, name: str = "x") -> None:
    """Step ``key``'s input ``name`` (tracked as argument 0) is as ``original`` was before the call."""
    after = outputs.after(key, 0)
    if after is None or after.shape != original.shape or not np.array_equal(after, original, equal_nan=True):
        raise Violation(key, _TEXTS["modified"], name=name)

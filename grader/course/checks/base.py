"""What every exercise's checks share: a check compares the trainee's outputs of some probe
steps with the reference's outputs of the same steps. Pure functions, no I/O."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from grader.grading.compare import compare_arrays
from grader.reports.messages import in_lang, keyed as _keyed, text
from grader.grading.probe import Plan, ProbeOutputs, describe_step
from grader.grading.results import CheckResult, Status

__all__ = ["Spec", "Context", "evaluate", "evaluate_all", "make_result", "step_problem"]


@dataclass(frozen=True)
class Spec:
    """A check: ``id`` ``<graded name>.<aspect>``, its ``points``, the probe ``keys`` whose
    outputs must equal the reference's, and ``unmodified`` keys whose tracked input arrays
    must come back unchanged. ``precision`` is the dtype of the inputs, informational only: one
    numerical policy (:mod:`grader.grading.compare`) fits every dtype and working precision."""

    id: str
    points: float
    keys: tuple[str, ...] = ()
    unmodified: tuple[str, ...] = ()
    precision: str = "float64"
    hint: dict | None = None  # {"ja": ..., "en": ...} shown when the check fails

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[0]


@dataclass(frozen=True)
class Context:
    plan: Plan
    got: ProbeOutputs
    expected: ProbeOutputs
    lang: str = "ja"
    stopped: str | None = None  # why the notebook did not finish (deadline, kernel died)
    flagged: frozenset = field(default_factory=frozenset)  # graded names found using the reference


def make_result(spec: Spec, ctx: Context, status: str, message: str, details=None, keyed=None) -> CheckResult:
    passed = status == Status.PASSED
    # a hint helps with a wrong answer or a crash of the trainee's own code, not with missing
    # code or an unfinished placeholder
    show_hint = spec.hint is not None and (status == Status.FAILED or (
        status == Status.ERROR and "NotImplementedError" not in message))
    hint = in_lang(spec.hint, ctx.lang) if show_hint else None
    said = keyed if keyed is not None else message
    return CheckResult(id=spec.id, passed=passed, points=spec.points if passed else 0.0,
                       max_points=spec.points, message=str(message), hint=hint, status=status,
                       details=json.loads(json.dumps(details or {})),  # tuples -> lists: JSON round trip
                       message_key=getattr(said, "key", None) or None,
                       message_fields=_jsonable_fields(getattr(said, "fields", None) or {}),
                       hints=dict(spec.hint) if show_hint else None)


def _jsonable_fields(fields: dict) -> dict:
    """A message's fields as JSON keeps them: numbers and strings as they are (format specs
    such as ``{max_abs:.3g}`` still apply), anything else (tuples, shapes, lists) as its ``str``,
    so the message renders the same after a round trip."""
    out = {}
    for name, value in fields.items():
        if isinstance(value, np.generic):
            value = value.item()
        out[name] = value if value is None or isinstance(value, (bool, int, float, str)) else str(value)
    return out


def step_problem(spec: Spec, ctx: Context, key: str):
    """``(status, message)`` when the step did not produce a comparable value, else ``None``."""
    info = ctx.got.step_status(key)
    state = info.get("status")
    if state == "ok":
        return None
    call = describe_step(ctx.plan, key)
    if state == "missing":
        return Status.MISSING, _keyed("missing", ctx.lang, name=ctx.plan.step(key).get("name"))
    if state == "missing-attr":
        return Status.FAILED, _keyed("missing_attr", ctx.lang, call=describe_step(ctx.plan, ctx.plan.step(key)["obj"]),
                                   attr=ctx.plan.step(key)["name"])
    if state == "error":
        return Status.ERROR, _keyed("raised", ctx.lang, call=call, error=info.get("error", "?"))
    if state == "badtype":
        return Status.FAILED, _keyed("badtype", ctx.lang, call=call, type=info.get("type", "?"))
    if state == "skipped":
        for dep in ctx.plan.step(key).get("after", ()):
            problem = step_problem(spec, ctx, dep)
            if problem is not None:
                return problem
        return Status.FAILED, _keyed("skipped", ctx.lang, call=call)
    reason = ctx.stopped or state
    return Status.ERROR, _keyed("not_run", ctx.lang, reason=reason)


def _compare_key(spec: Spec, ctx: Context, key: str, notes: list | None = None):
    """``None`` when the outputs of ``key`` match, else ``(status, message, details)``. Arrays that
    match with an informational note (:func:`grader.grading.compare.compare_arrays`) add it to ``notes``."""
    call = describe_step(ctx.plan, key)
    exp_info = ctx.expected.step_status(key)
    if exp_info.get("status") != "ok":
        return Status.GRADER_ERROR, _keyed("grader_error", ctx.lang, error=f"reference failed on {call}: "
                                         f"{exp_info.get('error', exp_info.get('status'))}"), {}
    names = [key] if key in ctx.expected.arrays else [ProbeOutputs.sub_key(key, k) for k in exp_info.get("keys", [])]
    got_keys = ctx.got.step_status(key).get("keys")
    if "keys" in exp_info and got_keys != exp_info["keys"]:
        count = ProbeOutputs.sub_key(key, "count")  # an iterated step's number of items
        expected_n, got_n = ctx.expected.arrays.get(count), ctx.got.arrays.get(count)
        if expected_n is not None and got_n is not None and int(expected_n) != int(got_n):
            return Status.FAILED, _keyed("items", ctx.lang, call=call, expected=int(expected_n), received=int(got_n)), {}
        return Status.FAILED, _keyed("keys", ctx.lang, call=call, expected=exp_info["keys"], received=got_keys), {}
    for name in names:
        if name not in ctx.got.arrays:
            item = ProbeOutputs.split_sub(name)[1]
            bad = ctx.got.step_status(key).get("bad_items", {}).get(item, "?")
            return Status.FAILED, _keyed("badtype", ctx.lang, call=f"{call}[{item!r}]", type=bad), {}
        cmp = compare_arrays(ctx.got.arrays[name], ctx.expected.arrays[name], np.dtype(spec.precision))
        if cmp.ok and cmp.fields.get("note") and notes is not None:
            notes.append({"call": call if name == key else f"{call}[{name.split('/', 1)[1]!r}]", **cmp.fields})
        if not cmp.ok:
            label = call if name == key else f"{call}[{name.split('/', 1)[1]!r}]"
            return Status.FAILED, _keyed(cmp.reason, ctx.lang, call=label, **cmp.fields), {"call": label, **cmp.fields}
    return None


def _modified(ctx: Context, key: str):
    for position in ctx.expected.args_after(key):
        after = ctx.got.arg_after(key, position)
        original = ctx.plan.arg_array(key, position)
        if after is None or after.shape != original.shape or not np.array_equal(after, original, equal_nan=True):
            return _keyed("modified", ctx.lang, call=describe_step(ctx.plan, key), position=position)
    return None


def evaluate(spec: Spec, ctx: Context) -> CheckResult:
    """Run one :class:`Spec` against the probe outputs."""
    if spec.name in ctx.flagged:
        return make_result(spec, ctx, Status.FAILED, _keyed("uses_reference", ctx.lang, name=spec.name))
    for key in spec.keys + spec.unmodified:
        problem = step_problem(spec, ctx, key)
        if problem is not None:
            return make_result(spec, ctx, *problem)
    notes: list = []
    for key in spec.keys:
        mismatch = _compare_key(spec, ctx, key, notes)
        if mismatch is not None:
            return make_result(spec, ctx, *mismatch)
    for key in spec.unmodified:
        message = _modified(ctx, key)
        if message is not None:
            return make_result(spec, ctx, Status.FAILED, message)
    last = (spec.keys + spec.unmodified)[-1]
    message = _keyed("passed", ctx.lang, call=describe_step(ctx.plan, last))
    return make_result(spec, ctx, Status.PASSED, *_with_note(message, notes, ctx.lang), keyed=message)


def _with_note(message: str, notes: list, lang: str) -> tuple[str, dict | None]:
    """A passed check's message and details with the first informational note (a result right
    but returned in lower precision than its inputs): it costs no point."""
    if not notes:
        return message, None
    note = notes[0]
    said = text(f"note_{note['note']}", lang, **note)
    return f"{message} {said}", {"note": note["note"], "note_text": said, "notes": notes}


def evaluate_all(specs, ctx: Context) -> list[CheckResult]:
    return [evaluate(spec, ctx) for spec in specs]

"""What every exercise's checks share: a check compares the trainee's outputs of some probe
steps with the reference's outputs of the same steps. Pure functions, no I/O."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from ..compare import compare_arrays
from ..messages import text
from ..probe import Plan, ProbeOutputs, describe_step
from ..results import CheckResult, Status

__all__ = ["Spec", "Context", "evaluate", "evaluate_all", "make_result", "step_problem"]


@dataclass(frozen=True)
class Spec:
    """A check: ``id`` ``<graded name>.<aspect>``, its ``points``, the probe ``keys`` whose
    outputs must equal the reference's, and ``unmodified`` keys whose tracked input arrays
    must come back unchanged. ``precision`` is the dtype of the inputs (sets the tolerance)."""

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


def make_result(spec: Spec, ctx: Context, status: str, message: str, details=None) -> CheckResult:
    passed = status == Status.PASSED
    # a hint helps with a wrong answer or a crash of the trainee's own code, not with missing
    # code or an unfinished placeholder
    show_hint = spec.hint is not None and (status == Status.FAILED or (
        status == Status.ERROR and "NotImplementedError" not in message))
    hint = spec.hint.get(ctx.lang, spec.hint.get("en")) if show_hint else None
    return CheckResult(id=spec.id, passed=passed, points=spec.points if passed else 0.0,
                       max_points=spec.points, message=message, hint=hint, status=status,
                       details=json.loads(json.dumps(details or {})))  # tuples -> lists: JSON round trip


def step_problem(spec: Spec, ctx: Context, key: str):
    """``(status, message)`` when the step did not produce a comparable value, else ``None``."""
    info = ctx.got.step_status(key)
    call = describe_step(ctx.plan, key)
    state = info.get("status")
    if state == "ok":
        return None
    if state == "missing":
        return Status.MISSING, text("missing", ctx.lang, name=ctx.plan.step(key).get("name"))
    if state == "missing-attr":
        return Status.FAILED, text("missing_attr", ctx.lang, call=describe_step(ctx.plan, ctx.plan.step(key)["obj"]),
                                   attr=ctx.plan.step(key)["name"])
    if state == "error":
        return Status.ERROR, text("raised", ctx.lang, call=call, error=info.get("error", "?"))
    if state == "badtype":
        return Status.FAILED, text("badtype", ctx.lang, call=call, type=info.get("type", "?"))
    if state == "skipped":
        for dep in ctx.plan.step(key).get("after", ()):
            problem = step_problem(spec, ctx, dep)
            if problem is not None:
                return problem
        return Status.FAILED, text("skipped", ctx.lang, call=call)
    reason = ctx.stopped or state
    return Status.ERROR, text("not_run", ctx.lang, reason=reason)


def _compare_key(spec: Spec, ctx: Context, key: str):
    """``None`` when the outputs of ``key`` match, else ``(status, message, details)``."""
    call = describe_step(ctx.plan, key)
    exp_info = ctx.expected.step_status(key)
    if exp_info.get("status") != "ok":
        return Status.GRADER_ERROR, text("grader_error", ctx.lang, error=f"reference failed on {call}: "
                                         f"{exp_info.get('error', exp_info.get('status'))}"), {}
    names = [key] if key in ctx.expected.arrays else [f"{key}/{k}" for k in exp_info.get("keys", [])]
    got_keys = ctx.got.step_status(key).get("keys")
    if "keys" in exp_info and got_keys != exp_info["keys"]:
        return Status.FAILED, text("keys", ctx.lang, call=call, expected=exp_info["keys"], received=got_keys), {}
    for name in names:
        if name not in ctx.got.arrays:
            bad = ctx.got.step_status(key).get("bad_items", {}).get(name.split("/", 1)[-1], "?")
            return Status.FAILED, text("badtype", ctx.lang, call=f"{call}[{name.split('/', 1)[-1]!r}]", type=bad), {}
        cmp = compare_arrays(ctx.got.arrays[name], ctx.expected.arrays[name], np.dtype(spec.precision))
        if not cmp.ok:
            label = call if name == key else f"{call}[{name.split('/', 1)[1]!r}]"
            return Status.FAILED, text(cmp.reason, ctx.lang, call=label, **cmp.fields), {"call": label, **cmp.fields}
    return None


def _modified(ctx: Context, key: str):
    for name, before in ((n, a) for n, a in ctx.expected.arrays.items() if n.startswith(f"{key}@arg")):
        after = ctx.got.arrays.get(name)
        position = int(name.rsplit("@arg", 1)[1])
        original = ctx.plan.arrays[ctx.plan.step(key)["args"][position]["$array"]]
        if after is None or after.shape != original.shape or not np.array_equal(after, original, equal_nan=True):
            return text("modified", ctx.lang, call=describe_step(ctx.plan, key), position=position)
    return None


def evaluate(spec: Spec, ctx: Context) -> CheckResult:
    """Run one :class:`Spec` against the probe outputs."""
    if spec.name in ctx.flagged:
        return make_result(spec, ctx, Status.FAILED, text("uses_reference", ctx.lang, name=spec.name))
    for key in spec.keys + spec.unmodified:
        problem = step_problem(spec, ctx, key)
        if problem is not None:
            return make_result(spec, ctx, *problem)
    for key in spec.keys:
        mismatch = _compare_key(spec, ctx, key)
        if mismatch is not None:
            return make_result(spec, ctx, *mismatch)
    for key in spec.unmodified:
        message = _modified(ctx, key)
        if message is not None:
            return make_result(spec, ctx, Status.FAILED, message)
    last = (spec.keys + spec.unmodified)[-1]
    return make_result(spec, ctx, Status.PASSED, text("passed", ctx.lang, call=describe_step(ctx.plan, last)))


def evaluate_all(specs, ctx: Context) -> list[CheckResult]:
    return [evaluate(spec, ctx) for spec in specs]

"""What the catalogues and the diagnoser share: a typical mistake, the geometry of a probe step,
and reading the arguments of a step. Pure, no I/O."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from grader.reports.messages import in_lang
from grader.grading.probe import Plan

__all__ = ["Mistake", "ExtraCheck", "Geometry", "step_params", "array_args", "batch_size"]


@dataclass(frozen=True)
class Mistake:
    """A typical mistake in the graded ``name``: ``forms`` are variant implementations of that
    name (usually the reference with the mistake; several when trainees write it in several ways
    that give different numbers). ``title`` is a short label (class summary), ``hint`` says why
    it is wrong and how to fix it; both ``{"ja": ..., "en": ...}``.

    With ``factory=True`` each form is called with the check :class:`~grader.course.checks.base.Context`
    and returns the implementation: for a mistake whose numbers depend on the trainee's own state
    (for example the initial weights that layers holding copies keep)."""

    id: str
    name: str
    forms: tuple
    title: dict
    hint: dict
    factory: bool = False

    def implementations(self, ctx) -> list:
        return [form(ctx) for form in self.forms] if self.factory else list(self.forms)

    def describe(self, lang: str) -> tuple[str, str]:
        return in_lang(self.title, lang), in_lang(self.hint, lang)


@dataclass(frozen=True)
class ExtraCheck:
    """A check that is not a :class:`Spec` (an exercise's ``extra_checks``) but compares the
    outputs of probe steps: ``keys(plan)`` are those steps; ``kinds`` makes integer and float
    scalars differ even with equal values (a size returned as ``2.0``)."""

    keys: Callable[[Plan], tuple]
    kinds: bool = False


@dataclass(frozen=True)
class Geometry:
    """The windows behind one step's result. ``space`` is ``"output"`` when the result has one
    element per window (last two axes ``OH, OW``; ``in_hw`` the unpadded input's ``H, W``) and
    ``"input"`` when it has the shape of the input (a gradient, col2im)."""

    fh: int
    fw: int
    stride: int
    pad: int
    space: str
    in_hw: tuple[int, int] | None = None


def _resolve(value, plan: Plan):
    return plan.resolve(value)


# where the contract puts stride and pad among a graded name's positional arguments (plans
# also call in the contract's positional order, e.g. ``im2col(x, 3, 2, 2, 1)``)
_POSITIONAL = {"conv_output_size": {"pad": 2, "stride": 3}, "convolution": {"stride": 3, "pad": 4},
               "max_pooling": {"stride": 3, "pad": 4}, "im2col": {"stride": 3, "pad": 4},
               "col2im": {"stride": 4, "pad": 5}, "Convolution": {"stride": 2, "pad": 3},
               "MaxPooling": {"stride": 2, "pad": 3}, "pad_hw": {"pad": 1}}


def _positional(step: dict, plan: Plan) -> dict:
    args = step.get("args", [])
    return {k: _resolve(args[i], plan) for k, i in _POSITIONAL.get(step.get("name"), {}).items() if i < len(args)}


def step_params(plan: Plan, key: str) -> dict:
    """``{"args": [...], "stride": s, "pad": p, **kwargs}`` of a step, arrays resolved; for a
    method, the object's constructor arguments first (``"new_args"``), then the call's own.
    ``stride`` and ``pad`` default to 1 and 0, the contract's defaults; given positionally,
    they are read from their places in the contract's signature."""
    step = plan.step(key)
    out = {"stride": 1, "pad": 0, "new_args": []}
    owner = step
    while owner["op"] in ("method", "attr", "setitems"):
        owner = plan.step(owner["obj"])
    if owner is not step:
        out["new_args"] = [_resolve(a, plan) for a in owner.get("args", [])]
        out.update(_positional(owner, plan))
        out.update({k: _resolve(v, plan) for k, v in owner.get("kwargs", {}).items()})
    elif step["op"] == "call":
        out.update(_positional(step, plan))
    out.update({k: _resolve(v, plan) for k, v in step.get("kwargs", {}).items() if k != "values"})
    out["args"] = [_resolve(a, plan) for a in step.get("args", [])]
    return out


def array_args(params: dict) -> list[np.ndarray]:
    return [a for a in params["args"] if isinstance(a, np.ndarray)]


def batch_size(plan: Plan, key: str) -> int | None:
    """``N`` of a step: the first axis of its first array argument with two or more axes; for
    an attribute read after a call (``dW`` after ``backward(dout)``), that call's."""
    for array in array_args(step_params(plan, key)):
        if array.ndim >= 2:
            return int(array.shape[0])
    step = plan.step(key)
    if step["op"] == "attr":
        for dep in step.get("after", ()):
            if dep != step["obj"]:
                return batch_size(plan, dep)
    return None

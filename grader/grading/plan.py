"""The typed plan of calls and what comes back, as both sides of the probe read them: the
:class:`Plan` a check module builds with :class:`PlanBuilder` (inputs drawn from its ``rng``), the
:class:`ProbeOutputs` the kernel's (or the reference's) run returns, and :func:`describe_step`,
the call as a failure message shows it. No I/O here: the exchange files are
:mod:`grader.grading.exchange`, running a plan is :mod:`grader.grading.probe`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Plan", "PlanBuilder", "ProbeOutputs", "ARRAY_REF", "array_ref", "RNG_REF", "rng_ref", "describe_step",
           "REFERENCE_DIR"]

REFERENCE_DIR = str(Path(__import__("reference").__file__).resolve().parent) + os.sep


# The plan's and outputs' key grammar has one home here (the kernel side, kernel_probe.py,
# writes the same): an array argument is ``{"$array": name}``; a dict result's item is
# ``key/name``; a tracked input as it was after the call is ``key@argN``.
ARRAY_REF = "$array"
RNG_REF = "$rng"  # {"$rng": seed}: numpy.random.default_rng(seed), built fresh in the kernel for each use
_SUB, _ARG = "/", "@arg"


def rng_ref(value) -> int | None:
    """The seed when ``value`` is a generator argument (``{"$rng": seed}``), else ``None``."""
    return value[RNG_REF] if isinstance(value, dict) and set(value) == {RNG_REF} else None


def array_ref(value) -> str | None:
    """The plan array's name when ``value`` is an array argument (``{"$array": name}``), else ``None``."""
    return value[ARRAY_REF] if isinstance(value, dict) and set(value) == {ARRAY_REF} else None


@dataclass(frozen=True)
class Plan:
    steps: tuple[dict, ...]
    arrays: dict = field(default_factory=dict)

    def step(self, key: str) -> dict:
        by_key = self.__dict__.get("_by_key")
        if by_key is None:  # built on first use (the plan is frozen): checks look steps up by key often
            by_key = {}
            for step in self.steps:
                by_key.setdefault(step["key"], step)
            object.__setattr__(self, "_by_key", by_key)
        try:
            return by_key[key]
        except KeyError:
            raise KeyError(key) from None

    def as_json(self) -> dict:
        return {"steps": list(self.steps), "reference_dir": REFERENCE_DIR}

    def resolve(self, value):
        """``value`` with an array argument replaced by its array."""
        name = array_ref(value)
        return value if name is None else self.arrays[name]

    def arg_array(self, key: str, position: int) -> np.ndarray:
        """The input array passed at ``position`` of step ``key`` (a tracked argument)."""
        return self.arrays[array_ref(self.step(key)["args"][position])]


class PlanBuilder:
    """Collects the steps of a plan; array arguments are registered by name."""

    def __init__(self):
        self._steps: list[dict] = []
        self._keys: set[str] = set()
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, value) -> dict:
        value = np.ascontiguousarray(value)
        if name in self._arrays and not np.array_equal(self._arrays[name], value):
            raise ValueError(f"array {name!r} registered twice with different values")
        self._arrays[name] = value
        return {ARRAY_REF: name}

    def _add(self, op: str, key: str, **fields) -> str:
        if key in self._keys:
            raise ValueError(f"duplicate step key {key!r}")
        step = {"key": key, "op": op}
        step.update({k: v for k, v in fields.items() if v not in (None, (), [], {})})
        for name in ("args", "track", "watch", "after"):
            if name in step:
                step[name] = list(step[name])
        self._steps.append(step)
        self._keys.add(key)
        return key

    def call(self, key, name, *args, track=(), watch=(), after=(), **kwargs) -> str:
        return self._add("call", key, name=name, args=args, kwargs=kwargs, track=track, watch=watch, after=after)

    @staticmethod
    def rng(seed: int) -> dict:
        """An argument the kernel turns into ``numpy.random.default_rng(seed)`` (fresh per use)."""
        return {RNG_REF: int(seed)}

    def iterate(self, key, name, *args, limit: int, track=(), watch=(), after=(), **kwargs) -> str:
        """A call whose result is iterated (a generator): its items come back as a dict,
        ``count`` and ``"i"`` (or ``"i.j"`` for the parts of a tuple item); more than ``limit``
        items is an error of the step."""
        return self._add("call", key, name=name, args=args, kwargs=kwargs, track=track, watch=watch, after=after,
                         collect=int(limit))

    def new(self, key, name, *args, watch=(), after=(), **kwargs) -> str:
        return self._add("new", key, name=name, args=args, kwargs=kwargs, watch=watch, after=after)

    def method(self, key, obj, name, *args, track=(), watch=(), after=(), **kwargs) -> str:
        return self._add("method", key, obj=obj, name=name, args=args, kwargs=kwargs, track=track,
                         watch=watch, after=tuple(after) or (obj,))

    def attr(self, key, obj, name, after=()) -> str:
        return self._add("attr", key, obj=obj, name=name, after=tuple(after) or (obj,))

    def setitems(self, key, obj, attr, values: dict, after=()) -> str:
        return self._add("setitems", key, obj=obj, attr=attr, kwargs={"values": values},
                         after=tuple(after) or (obj,))

    def global_(self, key, name) -> str:
        return self._add("global", key, name=name)

    def global_array(self, key, name) -> str:
        """The notebook's global ``name`` (a list of numbers) as a float64 array."""
        return self._add("global_array", key, name=name)

    def build(self) -> Plan:
        return Plan(tuple(self._steps), dict(self._arrays))


@dataclass(frozen=True)
class ProbeOutputs:
    """What came back: arrays by key (``key``, ``key/sub`` for dicts, ``key@argN`` for inputs
    after the call) and a status dict per step."""

    arrays: dict
    status: dict

    def step_status(self, key: str) -> dict:
        return self.status.get(key, {"status": "not-run"})

    @staticmethod
    def sub_key(key: str, name: str) -> str:
        """The array key of item ``name`` of a dict returned by step ``key``."""
        return f"{key}{_SUB}{name}"

    @staticmethod
    def split_sub(array_key: str) -> tuple[str, str | None]:
        """``(step key, item name)`` of an array key; the name is ``None`` for a step's own result."""
        key, _, name = array_key.partition(_SUB)
        return key, name or None

    def sub(self, key: str, name: str):
        """Item ``name`` of the dict step ``key`` returned, ``None`` when it did not come back."""
        return self.arrays.get(self.sub_key(key, name))

    def arg_after(self, key: str, position: int):
        """The input at ``position`` of step ``key`` as it was after the call, ``None`` if absent."""
        return self.arrays.get(f"{key}{_ARG}{position}")

    def args_after(self, key: str) -> dict[int, np.ndarray]:
        """``{position: array}`` of every tracked input of step ``key`` that came back."""
        prefix = f"{key}{_ARG}"
        return {int(n[len(prefix):]): a for n, a in self.arrays.items() if n.startswith(prefix) and n[len(prefix):].isdigit()}


def _describe_value(value, arrays) -> str:
    if rng_ref(value) is not None:
        return f"default_rng({rng_ref(value)})"
    name = array_ref(value)
    if name is not None:
        array = arrays[name]
        return f"{name}{tuple(array.shape)} {array.dtype}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_describe_value(v, arrays)}" for k, v in value.items()) + "}"
    return repr(value)


def describe_step(plan: Plan, key: str) -> str:
    """``im2col(x(2, 3, 7, 7) float64, 3, 3, stride=2, pad=1)``; for a method, the object's
    construction first: ``Convolution(W(...), b(...), stride=1).forward(x(...))``."""
    step = plan.step(key)
    parts = [_describe_value(a, plan.arrays) for a in step.get("args", [])]
    parts += [f"{k}={_describe_value(v, plan.arrays)}" for k, v in step.get("kwargs", {}).items()]
    call = f"{step.get('name')}({', '.join(parts)})"
    if step["op"] in ("method", "attr", "setitems"):
        owner = describe_step(plan, step["obj"])
        if step["op"] == "attr":
            return f"{owner}.{step['name']}"
        if step["op"] == "setitems":
            return f"{owner}.{step['attr']}[...] = ..."
        return f"{owner}.{call}"
    if step["op"] in ("global", "global_array"):
        return step["name"]
    return call

"""The code that runs inside the trainee's kernel, appended as one last cell.

It is self-contained (standard library and NumPy only, no import of ``grader``): the grader
injects this file's source into the cell. It reads ``plan.json`` and ``inputs.npz`` from an
exchange folder, performs the plan's steps against the notebook's namespace, and writes
``outputs.npz`` (numeric arrays only) and ``status.json``. It never sees an expected value.
The grader runs the very same :func:`_day4_run_plan` against ``reference`` in its own
process to get the expected outputs.

A plan is a list of steps, each a dict with ``key`` and ``op``:
  ``call``   ``name(*args, **kwargs)`` of a global of the namespace;
  ``new``    ``name(*args, **kwargs)`` kept as an object under ``key``;
  ``method`` ``objects[obj].name(*args, **kwargs)``;
  ``attr``   ``objects[obj].name``;
  ``setitems`` ``getattr(objects[obj], attr)[k][...] = v`` for every ``k, v`` of ``values``;
  ``global`` the global ``name`` kept as an object under ``key``;
  ``global_array`` the global ``name`` (a list of numbers, e.g. a training curve) as an array.
Arguments are JSON values, ``{"$array": NAME}`` for an input array (a fresh copy per use),
``{"$rng": SEED}`` for ``numpy.random.default_rng(SEED)`` (a fresh generator per use).
A ``call`` with ``collect`` (a number) iterates its result (a generator) and keeps its items.
``track`` (list of argument positions) saves those arrays again after the call, so the
grader can tell whether the call modified its inputs.
"""
import json as _json
import os as _os
import sys as _sys
import traceback as _traceback

import numpy as _np

_DAY4_MAX_ELEMENTS = 20_000_000


def _day4_resolve(value, arrays):
    if isinstance(value, dict):
        if len(value) == 1 and "$array" in value:
            return arrays[value["$array"]].copy()
        if len(value) == 1 and "$rng" in value:  # a fresh generator per use
            return _np.random.default_rng(int(value["$rng"]))
        return {k: _day4_resolve(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_day4_resolve(v, arrays) for v in value]
    return value


def _day4_to_array(value):
    """``(array, None)`` for a numeric ndarray or scalar, else ``(None, description)``."""
    if isinstance(value, (bool, int, float, _np.number, _np.bool_)) and not isinstance(value, complex):
        return _np.asarray(value), None
    if type(value) is not _np.ndarray and not isinstance(value, _np.ndarray):
        return None, type(value).__name__
    if value.dtype.kind not in "biuf":
        return None, f"ndarray of dtype {value.dtype}"
    if value.size > _DAY4_MAX_ELEMENTS:
        return None, f"ndarray of {value.size} elements (too large)"
    return _np.array(value, copy=True, order="C"), None


class _Day4ReferenceWatch:
    """Records calls, during a step, of the reference's implementation of the graded thing."""

    def __init__(self, reference_dir, qualnames):
        self.reference_dir = reference_dir
        self.qualnames = set(qualnames)
        self.hits = set()

    def _hook(self):
        """The profile function: a plain closure (it runs on every call and return, C ones
        included, and costs less per event than an instance's ``__call__``)."""
        reference_dir, qualnames, hits = self.reference_dir, self.qualnames, self.hits

        def hook(frame, event, arg):
            if event == "call":
                code = frame.f_code
                if code.co_filename.startswith(reference_dir) and getattr(code, "co_qualname", code.co_name) in qualnames:
                    hits.add(code.co_qualname)
        return hook

    def __enter__(self):
        if self.reference_dir and self.qualnames:
            _sys.setprofile(self._hook())
        return self

    def __exit__(self, *exc):
        _sys.setprofile(None)
        return False


def _day4_origin(obj, reference_dir):
    """The file the object's code lives in: a function's, or a class's methods'."""
    targets = [obj]
    if isinstance(obj, type):
        targets = [getattr(obj, m, None) for m in ("__init__", "forward", "backward", "predict", "loss", "gradient")]
    for target in targets:
        code = getattr(getattr(target, "__func__", target), "__code__", None)
        if code is not None and reference_dir and code.co_filename.startswith(reference_dir):
            return "reference"
    return "trainee"


def _day4_step(step, namespace, objects, arrays, plan):
    op, name = step["op"], step.get("name")
    args = [_day4_resolve(a, arrays) for a in step.get("args", [])]
    kwargs = {k: _day4_resolve(v, arrays) for k, v in step.get("kwargs", {}).items()}
    info = {}
    if op in ("call", "new", "global", "global_array"):
        if name not in namespace:
            return None, {"status": "missing"}, args
        target = namespace[name]
        if op == "global_array":
            return _np.asarray(target, dtype=_np.float64), {"status": "ok"}, args
        info["origin"] = _day4_origin(target, plan.get("reference_dir"))
        if op == "global":
            return target, dict(info, status="ok"), args
    elif op in ("method", "attr", "setitems"):
        target = objects.get(step["obj"])
        if target is None:
            return None, {"status": "skipped"}, args
        if op == "attr":
            if not hasattr(target, name):
                return None, {"status": "missing-attr"}, args
            return getattr(target, name), {"status": "ok"}, args
    else:
        return None, {"status": "grader-error", "error": f"unknown op {op}"}, args
    watch = _Day4ReferenceWatch(plan.get("reference_dir"), step.get("watch", ()))
    with watch:
        if op == "setitems":
            holder = getattr(target, step["attr"])
            for k, v in kwargs["values"].items():
                holder[k][...] = v
            result = None
        elif op == "method":
            result = getattr(target, name)(*args, **kwargs)
        else:
            result = target(*args, **kwargs)
            if step.get("collect"):  # an iterable result (a generator): its items, run under the watch
                result = _day4_collect(result, int(step["collect"]))
    if watch.hits:
        info["reference_calls"] = sorted(watch.hits)
    return result, dict(info, status="ok"), args


def _day4_collect(value, limit):
    """The items of an iterable result as a dict: ``"count"``, and item ``i`` under ``"i"``, or
    its parts under ``"i.j"`` when it is a tuple or list (``(batch_x, batch_y)``); more than
    ``limit`` items (an endless generator) is an error."""
    out = {}
    for i, item in enumerate(value):
        if i >= limit:
            raise RuntimeError(f"the result yielded more than {limit} items (an endless loop?)")
        if isinstance(item, (tuple, list)):
            out.update({f"{i}.{j}": part for j, part in enumerate(item)})
        else:
            out[str(i)] = item
        out["count"] = i + 1
    out.setdefault("count", 0)
    return out


def _day4_store(key, value, outputs, info):
    if isinstance(value, dict):
        info["keys"] = sorted(str(k) for k in value)
        for k, v in value.items():
            array, problem = _day4_to_array(v)
            if array is None:
                info.setdefault("bad_items", {})[str(k)] = problem
            else:
                outputs[f"{key}/{k}"] = array
        return
    array, problem = _day4_to_array(value)
    if array is None:
        info["status"] = "badtype"
        info["type"] = problem
        info["repr"] = repr(value)[:200]
    else:
        outputs[key] = array
        info["dtype"] = str(array.dtype)
        info["shape"] = list(array.shape)


_DAY4_KILLED = "the kernel died or stopped responding during this call; the grader restarted it without this call"


def _day4_run_plan(plan, arrays, namespace, progress=None):
    """Perform every step; return ``(outputs, status)``: arrays by key, and a dict per step.
    ``progress(key)`` is called before each step; steps listed in ``plan["killed"]`` (they
    killed or hung the kernel in an earlier run) are not performed."""
    outputs, status, objects = {}, {}, {}
    killed = set(plan.get("killed", ()))
    for step in plan["steps"]:
        key = step["key"]
        if any(status.get(dep, {}).get("status") != "ok" for dep in step.get("after", ())):
            status[key] = {"status": "skipped"}
            continue
        if key in killed:
            status[key] = {"status": "error", "error": _DAY4_KILLED}
            continue
        if progress is not None:
            progress(key)
        try:
            value, info, args = _day4_step(step, namespace, objects, arrays, plan)
        except BaseException as exc:  # the trainee's code raised (KeyboardInterrupt included)
            if isinstance(exc, SystemExit):
                exc = RuntimeError(f"SystemExit({exc.code!r})")
            tb = _traceback.format_exception_only(type(exc), exc)[-1].strip()
            status[key] = {"status": "error", "error": tb[:500]}
            continue
        if info["status"] == "ok":
            if step["op"] in ("new", "global"):
                objects[key] = value
            elif step["op"] != "setitems":
                _day4_store(key, value, outputs, info)
            for position in step.get("track", ()):
                if position < len(args) and isinstance(args[position], _np.ndarray):
                    outputs[f"{key}@arg{position}"] = _np.array(args[position], copy=True)
        status[key] = info
    return outputs, status


def _day4_grader_probe(exchange, namespace, killed=()):
    with open(_os.path.join(exchange, "plan.json"), encoding="utf-8") as f:
        plan = _json.load(f)
    plan["killed"] = list(killed)
    with _np.load(_os.path.join(exchange, "inputs.npz"), allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}

    def progress(key):  # the step running now: if it kills the kernel, the grader skips it next time
        with open(_os.path.join(exchange, "progress"), "w", encoding="utf-8") as f:
            f.write(key)

    outputs, status = _day4_run_plan(plan, arrays, namespace, progress)
    _np.savez(_os.path.join(exchange, "outputs.npz"), **outputs)
    with open(_os.path.join(exchange, "status.json"), "w", encoding="utf-8") as f:
        _json.dump(status, f)


# Imported as a module by the grader's own process (expected outputs, the self-check), these are
# the public names; run in a kernel (``__name__`` is the kernel's), nothing more is defined
# there than the ``_day4_`` names above, which no trainee's name can collide with.
if __name__ == "grader.grading.kernel_probe":
    run_plan, origin = _day4_run_plan, _day4_origin
    __all__ = ["run_plan", "origin"]

"""The pure steps of grading that the grader process and the self-check (which runs inside a
trainee's own kernel) share: the public seed, and the integrity flags read from the probed
outputs. Nothing here starts or talks to a kernel; :mod:`grader.grading.selfcheck` imports it, so it
must stay free of nbclient, jupyter_client, zmq and the sandbox."""
from __future__ import annotations

from grader.reports.messages import text
from grader.grading.probe import ProbeOutputs
from grader.grading.results import Flag

__all__ = ["PUBLIC_SEED", "integrity_flags", "judge"]

PUBLIC_SEED = 4_2024  # self-check; instructors grade with a secret seed


def _graded_name(plan, key: str) -> str:
    step = plan.step(key)
    while step["op"] in ("method", "attr", "setitems"):
        step = plan.step(step["obj"])
    return step["name"]


def integrity_flags(plan, got: ProbeOutputs, graded: tuple, lang: str) -> tuple[Flag, ...]:
    """``uses-reference``: a graded name whose code lives in ``reference`` or that called the
    reference's implementation of the same thing while probed."""
    found: dict[str, str] = {}
    for key, info in got.status.items():
        try:
            name = _graded_name(plan, key)
        except KeyError:
            continue
        if name not in graded:
            continue
        if info.get("origin") == "reference":
            found.setdefault(name, f"{name} is defined in the reference package")
        elif info.get("reference_calls"):
            found.setdefault(name, f"{name} calls reference {', '.join(info['reference_calls'])} while graded")
    return tuple(Flag("uses-reference", name, f"{text('uses_reference', lang, name=name)} ({why})")
                 for name, why in sorted(found.items()))


def judge(exercise: str, module, plan, specs, got: ProbeOutputs, expected: ProbeOutputs, lang: str, *,
          stopped: str | None = None, extra: bool = True):
    """The outputs judged, the same way for a grading and a self-check: integrity flags, the
    checks (and the exercise's ``extra_checks`` unless ``extra`` is false), the diagnoses, in the
    order of the exercise's graded names. Returns ``(flags, ctx, results)``."""
    from grader.course.checks.base import Context, evaluate_all
    from grader.course.diagnosis import diagnose

    flags = integrity_flags(plan, got, module.GRADED, lang)
    ctx = Context(plan, got, expected, lang, stopped, frozenset(f.name for f in flags))
    results = evaluate_all(specs, ctx)
    if extra and hasattr(module, "extra_checks"):
        results.extend(module.extra_checks(ctx))
    results = diagnose(exercise, specs, ctx, results)
    order = {name: i for i, name in enumerate(module.GRADED)}
    results.sort(key=lambda c: order.get(c.name, len(order)))  # stable: a name's checks stay in order
    return flags, ctx, results

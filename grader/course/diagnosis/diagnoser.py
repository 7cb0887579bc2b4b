"""The diagnoser: for every failed check, a catalogue entry whose variant reproduces the
trainee's outputs, else a generic finding; the check's hint and details say which."""
from __future__ import annotations

from dataclasses import replace

from grader.course import registry
from grader.grading.compare import clearly_nearer
from grader.reports.messages import MESSAGES, text
from grader.grading.results import CheckResult, Status
from grader.course.diagnosis import generic
from grader.course.diagnosis.base import Mistake
from grader.course.diagnosis.match import VariantRunner, agree, distance, modified

__all__ = ["CATALOGUES", "catalogue", "all_mistakes", "diagnose", "title", "STRICT"]

STRICT = False  # tests set this: a failure of the diagnoser raises instead of leaving the result as it was
GENERIC_PREFIX = "generic."


def __getattr__(name: str):
    if name == "CATALOGUES":  # derived from the registry: {exercise: catalogue module path}
        return {e.id: e.diagnosis for e in registry.exercises() if e.diagnosis}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def catalogue(exercise: str):
    """The catalogue module of ``exercise`` (``MISTAKES``, optionally ``EXTRA`` and ``geometry``), or ``None``."""
    return registry.get(exercise).catalogue if registry.known(exercise) else None


def all_mistakes() -> dict[str, Mistake]:
    return {m.id: m for e in registry.exercises() if e.catalogue is not None for m in e.catalogue.MISTAKES}


def title(diagnosis: str, lang: str) -> str:
    """The short label of a diagnosis id (a catalogue id or ``generic.<kind>``); an id this
    version does not know (an older gradebook's) is its own label."""
    key = f"diagtitle_{diagnosis[len(GENERIC_PREFIX):]}"
    if diagnosis.startswith(GENERIC_PREFIX) and key in MESSAGES:
        return text(key, lang)
    mistake = all_mistakes().get(diagnosis)
    return mistake.describe(lang)[0] if mistake else diagnosis


def _matches(ctx, out, keys, unmodified, precision, kinds) -> bool:
    """The trainee's outputs equal the variant's on every step (within the tolerance), and on
    some step they match the mistake clearly better than the reference
    (:func:`grader.grading.compare.clearly_nearer`: failing, and ``margin`` tolerances away from the
    reference or ``margin`` times nearer the variant; never within rounding of both), or the
    variant modifies an input as the trainee's code does."""
    if not all(agree(ctx.got, out, key, precision, kinds) for key in keys):
        return False
    for key in unmodified:
        if out.step_status(key).get("status") != "ok" or modified(ctx.got, ctx.plan, key) != modified(out, ctx.plan, key):
            return False
    return (any(clearly_nearer(distance(ctx.got, out, key, kinds), distance(ctx.got, ctx.expected, key, kinds))
                for key in keys)
            or any(modified(out, ctx.plan, key) for key in unmodified))


def _catalogue_match(module, runner, ctx, name, steps) -> Mistake | None:
    for mistake in module.MISTAKES:
        if mistake.name != name:
            continue
        for i, implementation in enumerate(mistake.implementations(ctx)):
            if _matches(ctx, runner.outputs(name, f"{mistake.id}#{i}", implementation), *steps):
                return mistake
    return None


def _with_mistake(result: CheckResult, mistake: Mistake, lang: str) -> CheckResult:
    label, hint = mistake.describe(lang)
    return replace(result, hint=text("diagnosis", lang, title=label, hint=hint),
                   details={**result.details, "diagnosis": mistake.id})


def _with_finding(result: CheckResult, finding: tuple[str, dict], lang: str) -> CheckResult:
    kind, fields = finding
    said = text("diagnosis_generic", lang, finding=text(f"diag_{kind}", lang, **fields))
    return replace(result, hint=f"{said} {result.hint}" if result.hint else said,
                   details={**result.details, "diagnosis": GENERIC_PREFIX + kind, "diagnosis_fields": fields})


def _one(result, module, runner, ctx, specs) -> CheckResult:
    if result.status != Status.FAILED or result.name in ctx.flagged:
        return result
    spec = next((s for s in specs if s.id == result.id), None)
    extra = getattr(module, "EXTRA", {}).get(result.id)
    if spec is not None:
        steps = (spec.keys, spec.unmodified, spec.precision, False)
    elif extra is not None:
        steps = (tuple(extra.keys(ctx.plan)), (), "float64", extra.kinds)
    else:
        return result
    mistake = _catalogue_match(module, runner, ctx, result.name, steps)
    if mistake is not None:
        return _with_mistake(result, mistake, ctx.lang)
    if spec is None:
        return result
    finding = None
    if spec.keys:
        related = [(k, s.precision) for s in specs if s.name == spec.name for k in s.keys]
        finding = (generic.check_finding(ctx, spec.keys, spec.precision, getattr(module, "geometry", None), related)
                   or generic.params_finding(ctx, related))
    elif spec.unmodified:
        finding = generic.unmodified_finding(ctx, spec.unmodified)
    return _with_finding(result, finding, ctx.lang) if finding else result


def diagnose(exercise: str, specs, ctx, results) -> list[CheckResult]:
    """``results`` with the hint and details of every explained failed check rewritten.
    A failure of the diagnoser itself leaves the result as it was (it is no grading failure)."""
    module = catalogue(exercise)
    if module is None:
        return list(results)
    runner = VariantRunner(ctx.plan)
    out = []
    for result in results:
        try:
            out.append(_one(result, module, runner, ctx, specs))
        except Exception:
            if STRICT:
                raise
            out.append(result)
    return out

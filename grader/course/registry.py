"""The registry of exercises: the one home of the list of exercises and of what each one is.

An exercise is registered through the entry-point group ``day4_grader.exercises``: the entry
point's name is the exercise id, its value an :class:`Exercise` (or a dict of its fields, or a
function of no arguments returning either). The built-in DAY4 exercises are registered the
same way, by this project's ``pyproject.toml``; a course adds DAY5 with its own pip package
(see ``docs/authoring.md``). Everything else (identifying notebooks, release, CI, batch,
reports, selfcheck) asks this module: :func:`ids`, :func:`get`, :func:`exercises`.

What an exercise knows that is computed (graded names, limits, max points, hints) is read from
its checks module, so it has one home there; this record names the modules and holds the facts
that live nowhere else (titles, notebook names). Importing this module is cheap: no NumPy, no
checks module is imported before it is asked for.
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field, fields as dataclass_fields
from importlib import import_module
from importlib.metadata import entry_points

from grader.errors import GraderError

__all__ = ["GROUP", "Exercise", "RegistryError", "exercises", "ids", "get", "known", "id_pattern", "ids_in",
           "listing", "render_listing", "clear_cache"]

GROUP = "day4_grader.exercises"
_ID = re.compile(r"[0-9A-Za-z]+(?:_[0-9A-Za-z]+)*")  # "4_1", "5_1", "day5_relu"
_MAX_POINTS_SEED = 0  # the plan's points never depend on the draw; a fixed rng makes that a fact, not a hope


class RegistryError(GraderError):
    """An exercise registration that cannot be used; the message names the entry point and the
    problem, in Japanese and English (:meth:`GraderError.in_lang`). Exit status 3: the grader's
    installation is broken, not the user's command."""

    exit_code = 3


@dataclass(frozen=True)
class Exercise:
    """One exercise. Declared fields (what lives only here):

    ``id`` (``"5_1"``; the entry point's name), ``title_ja`` / ``title_en``, ``notebook`` (the
    source notebook's file name, solutions inside), ``trainee_notebook`` (the released file's
    name; default the same), ``checks`` (the module path of the checks: ``GRADED``,
    ``build(rng) -> (Plan, [Spec])``, optionally ``LIMITS`` and ``extra_checks(ctx)``),
    ``diagnosis`` (the module path of the catalogue of typical mistakes: ``MISTAKES``,
    optionally ``EXTRA`` and ``geometry``; ``None``: no catalogue), ``reference`` (the module
    path of the correct implementation the expected outputs come from; ``None``: this
    project's ``reference`` package), ``course`` (the course's label, e.g. ``DAY4``: the LMS
    grade item of the exercise is ``"{course} {id}"``; empty: ``"{id} {title_ja}"``).
    ``source`` and ``distribution`` are filled in by the
    registry: the distribution (and entry point) that registered the exercise.

    Derived (read from the checks module, computed once): :attr:`module`, :attr:`graded`,
    :attr:`limits`, :attr:`max_points`, :meth:`hints`, :attr:`catalogue`,
    :meth:`reference_namespace`."""

    id: str
    title_ja: str
    title_en: str
    notebook: str
    checks: str
    trainee_notebook: str | None = None
    diagnosis: str | None = None
    reference: str | None = None
    course: str = ""
    source: str = field(default="", compare=False)
    distribution: str = field(default="", compare=False)

    def title(self, lang: str) -> str:
        return self.title_ja if lang == "ja" else self.title_en

    @property
    def lms_item(self) -> str:
        """The exercise's column (assignment, grade item) in LMS exports."""
        return f"{self.course} {self.id}" if self.course else f"{self.id} {self.title_ja}"

    @property
    def notebooks(self) -> dict:
        """``{"source": ..., "trainee": ...}``: the file names of the exercise's notebooks."""
        return {"source": self.notebook, "trainee": self.trainee_notebook or self.notebook}

    @functools.cached_property
    def module(self):
        """The checks module (imported on first use)."""
        return import_module(self.checks)

    @property
    def graded(self) -> tuple[str, ...]:
        return tuple(self.module.GRADED)

    @property
    def limits(self):
        from grader.kernel.limits import Limits

        return getattr(self.module, "LIMITS", None) or Limits()

    @functools.cached_property
    def max_points(self) -> float:
        """The points of every check: the specs' of a plan built with a fixed rng, plus those
        of ``extra_checks`` judged on empty outputs (each reports its ``max_points`` however it
        ends)."""
        import numpy as np

        from grader.course.checks.base import Context
        from grader.grading.probe import ProbeOutputs

        plan, specs = self.module.build(np.random.default_rng(_MAX_POINTS_SEED))
        total = sum(float(spec.points) for spec in specs)
        if hasattr(self.module, "extra_checks"):
            empty = ProbeOutputs({}, {})
            ctx = Context(plan, empty, empty, "en", stopped="registry")
            total += sum(float(result.max_points) for result in self.module.extra_checks(ctx))
        return total

    def hints(self) -> dict:
        """``{check id: {"ja": ..., "en": ...}}`` of the specs that carry a hint."""
        import numpy as np

        _, specs = self.module.build(np.random.default_rng(_MAX_POINTS_SEED))
        return {spec.id: dict(spec.hint) for spec in specs if spec.hint}

    @functools.cached_property
    def catalogue(self):
        """The diagnosis catalogue module, or ``None``."""
        return import_module(self.diagnosis) if self.diagnosis else None

    def reference_namespace(self) -> dict | None:
        """``{name: object}`` the expected outputs are computed with, ``None`` for this project's
        ``reference`` package (the default of :func:`grader.grading.probe.expected_outputs`)."""
        if self.reference is None:
            return None
        module = import_module(self.reference)
        names = getattr(module, "__all__", None) or self.graded
        return {name: getattr(module, name) for name in names if hasattr(module, name)}

    def as_json(self, lang: str = "en") -> dict:
        """What ``grader exercises --json`` prints for this exercise."""
        return {"id": self.id, "title": self.title(lang), "titles": {"ja": self.title_ja, "en": self.title_en},
                "notebooks": self.notebooks, "graded": list(self.graded), "max_score": self.max_points,
                "limits": {k: v for k, v in asdict(self.limits).items() if isinstance(v, (int, float, str, type(None)))},
                "checks": self.checks, "diagnosis": self.diagnosis, "course": self.course, "lms_item": self.lms_item,
                "source": self.source,
                "distribution": self.distribution}


# ---------------------------------------------------------------- discovery


def _broken(ep, key: str, **fields) -> RegistryError:
    return RegistryError.keyed(key, entry_point=f"{ep.name} = {ep.value}", group=GROUP, **fields)


def _source(ep) -> str:
    dist = getattr(ep, "dist", None)
    name = f"{dist.metadata['Name']} {dist.version}" if dist is not None else "?"
    return f"{name} ({ep.name} = {ep.value})"


def _exercise_of(ep) -> Exercise:
    """The :class:`Exercise` an entry point registers, or a :class:`RegistryError` naming it."""
    try:
        value = ep.load()
    except Exception as exc:  # an import error of somebody else's package: say which and why
        raise _broken(ep, "err_registry_load", error=f"{type(exc).__name__}: {exc}") from None
    if callable(value) and not isinstance(value, type):
        try:
            value = value()
        except Exception as exc:
            raise _broken(ep, "err_registry_load", error=f"{type(exc).__name__}: {exc}") from None
    if isinstance(value, dict):
        allowed = {f.name for f in dataclass_fields(Exercise)} - {"source", "distribution"}
        unknown = sorted(set(value) - allowed)
        missing = sorted({"id", "title_ja", "title_en", "notebook", "checks"} - set(value))
        if unknown or missing:
            raise _broken(ep, "err_registry_fields", unknown=", ".join(unknown) or "-", missing=", ".join(missing) or "-")
        value = Exercise(**value)
    if not isinstance(value, Exercise):
        raise _broken(ep, "err_registry_shape", type=type(value).__name__)
    if value.id != ep.name or not _ID.fullmatch(value.id):
        raise _broken(ep, "err_registry_id", id=value.id)
    dist = getattr(ep, "dist", None)
    return Exercise(**{**{f.name: getattr(value, f.name) for f in dataclass_fields(Exercise)}, "source": _source(ep),
                       "distribution": dist.metadata["Name"] if dist is not None else ""})


def order_key(exercise_id: str) -> tuple:
    """``4_2`` before ``4_10`` before ``5_1``: numbers as numbers (the order of every listing)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in exercise_id.split("_"))


@functools.lru_cache(maxsize=None)
def _registered() -> tuple[Exercise, ...]:
    found: dict[str, Exercise] = {}
    for ep in entry_points(group=GROUP):
        exercise = _exercise_of(ep)
        if exercise.id in found and found[exercise.id].source != exercise.source:
            raise RegistryError.keyed("err_registry_duplicate", entry_point=exercise.source, group=GROUP,
                                      id=exercise.id, other=found[exercise.id].source)
        found[exercise.id] = exercise
    return tuple(sorted(found.values(), key=lambda e: order_key(e.id)))


def clear_cache() -> None:
    """Forget what was discovered (after installing a package in this process; tests)."""
    _registered.cache_clear()
    id_pattern.cache_clear()


def exercises() -> tuple[Exercise, ...]:
    """Every registered exercise, in id order (``4_2`` before ``4_10``). Raises
    :class:`RegistryError` for a broken registration."""
    return _registered()


def ids(distribution: str | None = None) -> tuple[str, ...]:
    """The registered ids; ``distribution``: only those one package registered
    (``ids("day4-grader")``: the built-in DAY4 exercises, for tests about them)."""
    return tuple(e.id for e in _registered() if distribution is None or e.distribution == distribution)


def known(exercise_id) -> bool:
    return any(e.id == exercise_id for e in _registered())


def get(exercise_id: str) -> Exercise:
    """The exercise ``exercise_id``; :class:`~grader.errors.UsageError` naming the known ones."""
    for exercise in _registered():
        if exercise.id == exercise_id:
            return exercise
    from grader.errors import UsageError

    raise UsageError.keyed("err_unknown_exercise", exercise=exercise_id, known=", ".join(ids()))


@functools.lru_cache(maxsize=None)
def id_pattern() -> re.Pattern:
    """A regex matching any registered id as a whole token of a (NFKC-normalised) file name:
    ``4_4``, ``4-4``, ``4.4``, ``4 4`` and ``44`` are 4_4; digits on either side end a token,
    so ``4_10`` is 4_10, never 4_1. The match's ``lastgroup`` names the exercise
    (``e4_4``). Longer ids are tried first."""
    alternatives = []
    for i, exercise in enumerate(sorted(ids(), key=len, reverse=True)):
        parts = [re.escape(p) for p in exercise.split("_")]
        before = "(?<![0-9])" if exercise[0].isdigit() else "(?<![0-9A-Za-z])"
        after = "(?![0-9])" if exercise[-1].isdigit() else "(?![0-9A-Za-z])"
        alternatives.append(f"(?P<e{i}>{before}{'[_. -]?'.join(parts)}{after})")
    return re.compile("|".join(alternatives) or r"(?!x)x")


def ids_in(name: str) -> list[str]:
    """The registered ids named in ``name`` (already normalised), in order of appearance."""
    by_group = {f"e{i}": e for i, e in enumerate(sorted(ids(), key=len, reverse=True))}
    return [by_group[m.lastgroup] for m in id_pattern().finditer(name)]


def listing(lang: str) -> dict:
    """``{"exercises": [...]}``: what ``grader exercises --json`` prints."""
    return {"exercises": [e.as_json(lang) for e in exercises()]}


def render_listing(lang: str) -> str:
    """The table ``grader exercises`` prints."""
    lines = []
    for e in exercises():
        lines.append(f"{e.id:6} {e.title(lang)}  [{e.max_points:g}]")
        lines.append(f"       notebook: {e.notebooks['source']}" + (
            f" -> {e.notebooks['trainee']}" if e.notebooks["trainee"] != e.notebooks["source"] else ""))
        lines.append(f"       graded: {', '.join(e.graded)}")
        lines.append(f"       source: {e.source}")
    return "\n".join(lines) + "\n"

"""Self-check from inside a notebook: ``from grader import selfcheck; selfcheck()``.

It runs the exercise's public checks on the live namespace of the notebook (IPython's
``user_ns``, else the caller's globals) and shows the result: a compact HTML report in a
Jupyter kernel, the terminal report elsewhere. It returns the :class:`GradingResult`.

The steps are those of :func:`grader.grading.grade.grade_parsed` without a fresh kernel: the plan is
built with the **public** seed, the trainee's outputs come from the same
``kernel_probe.run_plan`` the grading kernel runs, and the expected outputs from the
same ``probe.expected_outputs``. Unlike a real grading, the expected values are computed
*in the trainee's kernel*, where the trainee's code could change anything (numpy, the
``reference`` package). That is acceptable for a self-check on public inputs; the grade
itself always comes from ``grader check`` / ``grader grade`` (hidden seed, fresh kernel,
expected values outside the kernel).

The exercise comes from the argument; else from the notebook the kernel runs, when Jupyter
tells it (``JPY_SESSION_NAME`` / ``__session__``, VS Code's ``__vsc_ipynb_file__``): its
``metadata.grader.exercise``, else its file name; else from the graded names the namespace
defines (see :func:`infer_exercise`). A checks module can leave its ``extra_checks`` (for
example the evaluation of a trained network on MNIST) out of the self-check by setting
``SELFCHECK_EXTRA = False``.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

from grader import __version__

from grader.course import checks
from grader.errors import NotebookError, UsageError
from grader.grading.judging import PUBLIC_SEED, judge
from grader.grading.kernel_probe import origin, run_plan
from grader.reports.messages import default_lang, text
from grader.grading.notebook import EXERCISES, exercise_from_filename, identify_exercise, read_notebook
from grader.grading.probe import REFERENCE_DIR, ProbeOutputs, expected_outputs
from grader.reports.report import render_terminal, template_environment
from grader.grading.results import GradingResult

__all__ = ["selfcheck", "run_selfcheck", "infer_exercise", "render_selfcheck_html"]

_SESSION_NAMES = ("__session__", "__vsc_ipynb_file__")


def _bilingual(key: str, **fields) -> str:
    return f"{text(key, 'ja', **fields)}\n{text(key, 'en', **fields)}"


def _shell():
    """The running IPython shell, or ``None``."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _caller_globals() -> dict:
    """The globals of the first frame outside this package (callers go through wrappers)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "grader":
        frame = frame.f_back
    return frame.f_globals if frame is not None else {}


def notebook_path(namespace: dict) -> str | None:
    """The path of the running notebook when the front end tells the kernel, else ``None``."""
    for value in (os.environ.get("JPY_SESSION_NAME"), *(namespace.get(n) for n in _SESSION_NAMES)):
        if isinstance(value, str) and value.strip():
            return value
    return None


def _exercise_from_path(raw: str) -> str | None:
    """``metadata.grader.exercise`` of the notebook file when it can be read, else its name."""
    for candidate in (Path(raw), Path.cwd() / Path(raw).name):
        try:
            if candidate.is_file():
                return identify_exercise(read_notebook(candidate), candidate)
        except (NotebookError, UsageError, OSError):
            break
    return exercise_from_filename(raw)


def _order(exercise: str) -> int:
    return EXERCISES.index(exercise) if exercise in EXERCISES else -1


def infer_exercise(namespace: dict, graded: dict | None = None) -> str:
    """The exercise whose graded names the namespace defines (the trainee's own, not names
    imported from ``reference``): the one with the largest share defined. When several define
    all of theirs, the latest wins, since later notebooks reuse earlier exercises' names
    (a 4_5 notebook may define ``im2col`` too). Otherwise a tie raises :class:`UsageError`.
    ``graded`` maps exercise -> graded names (default: every module of the registry)."""
    if graded is None:
        graded = {exercise: checks.load(exercise).GRADED for exercise in checks.REGISTRY}
    share = {}
    for exercise, names in graded.items():
        own = [n for n in names if n in namespace and origin(namespace[n], REFERENCE_DIR) != "reference"]
        share[exercise] = len(own) / len(names) if names else 0.0
    best = max(share.values(), default=0.0)
    top = sorted((e for e, s in share.items() if s == best and best > 0), key=_order)
    if len(top) == 1 or (top and best == 1.0):
        return top[-1]
    raise UsageError(_bilingual("selfcheck_ambiguous", candidates=", ".join(top or sorted(graded, key=_order))))


def _resolve_exercise(exercise: str | None, namespace: dict) -> str:
    if exercise is None:
        path = notebook_path(namespace)
        exercise = _exercise_from_path(path) if path else None
        if exercise is None:
            return infer_exercise(namespace)
    exercise = exercise if exercise in checks.REGISTRY else exercise_from_filename(str(exercise)) or exercise
    if exercise not in checks.REGISTRY:
        raise UsageError(_bilingual("selfcheck_unknown", exercise=exercise, known=", ".join(checks.REGISTRY)))
    return exercise


def run_selfcheck(exercise: str, namespace: dict, *, lang: str, seed: int = PUBLIC_SEED,
                  notebook: str = "-") -> tuple[GradingResult, bool]:
    """Grade ``namespace`` on ``exercise`` in this process: ``(result, extra_checks_skipped)``."""
    module = checks.load(exercise)
    started = time.perf_counter()
    plan, specs = module.build(np.random.default_rng(seed))
    expected = expected_outputs(plan, checks.reference_namespace(exercise))  # None: `reference`
    got = ProbeOutputs(*run_plan(plan.as_json(), plan.arrays, namespace))
    skipped = hasattr(module, "extra_checks") and not getattr(module, "SELFCHECK_EXTRA", True)
    flags, _, results = judge(exercise, module, plan, specs, got, expected, lang, extra=not skipped)
    return GradingResult(exercise=exercise, notebook=notebook, checks=tuple(results), flags=flags, seed=seed,
                         grader_version=__version__,
                         timings={"selfcheck": round(time.perf_counter() - started, 3)}), skipped


def render_selfcheck_html(result: GradingResult, lang: str, skipped_extra: bool = False) -> str:
    """The compact HTML fragment shown in the notebook (CSS scoped to ``.day4-report``)."""
    template = template_environment().get_template("selfcheck.html")
    return template.render(result=result, lang=lang, skipped_extra=skipped_extra)


class _ShownResult(GradingResult):
    """What :func:`selfcheck` returns in a Jupyter kernel, where its report is on screen already:
    the same result, which as a cell's last line shows nothing more (``_ipython_display_``
    handles its own display by doing nothing, so no ``execute_result`` is sent)."""

    def _ipython_display_(self):
        return None


def _show(result: GradingResult, lang: str, skipped_extra: bool, shell) -> GradingResult:
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        note = text("selfcheck_note", lang) + (" " + text("selfcheck_skipped_extra", lang) if skipped_extra else "")
        plain = f"[{text('selfcheck_title', lang)}] {note}\n\n{render_terminal(result, lang)}"
        # one display: the HTML report, and the terminal report where HTML is not shown (never
        # the "<IPython.core.display.HTML object>" placeholder)
        display({"text/html": render_selfcheck_html(result, lang, skipped_extra), "text/plain": plain}, raw=True)
        return _ShownResult(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})
    note = text("selfcheck_note", lang) + (" " + text("selfcheck_skipped_extra", lang) if skipped_extra else "")
    print(f"[{text('selfcheck_title', lang)}] {note}\n")
    print(render_terminal(result, lang, colour=sys.stdout.isatty()), end="")
    return result


def selfcheck(exercise: str | None = None, *, lang: str | None = None, namespace: dict | None = None,
              seed: int | None = None) -> GradingResult:
    """Run the public checks of ``exercise`` (``"4_4"``; default: see the module docstring)
    on ``namespace`` (default: the notebook's), show the report and return the result.
    Raises :class:`UsageError` (bilingual message) when the exercise cannot be told."""
    shell = _shell()
    if namespace is None:
        namespace = shell.user_ns if shell is not None else _caller_globals()
    lang = lang or default_lang()
    exercise = _resolve_exercise(exercise, namespace)
    result, skipped = run_selfcheck(exercise, namespace, lang=lang, seed=PUBLIC_SEED if seed is None else seed,
                                    notebook=notebook_path(namespace) or "-")
    return _show(result, lang, skipped, shell)

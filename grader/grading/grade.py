"""Grading one notebook, composed from a declared list of small steps:
read -> identify -> plan -> expected (reference, here) -> execute with the probe (kernel)
-> read outputs -> integrity -> checks -> result."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from grader import __version__

from grader.course import checks

from grader.kernel import tempdirs
from grader.grading.cause import attribute_causes
from grader.kernel.course_shim import shim_folder, write_shim
from grader.kernel.reference_copy import withheld_names as reference_withheld
from grader.kernel.env_cells import neutralise_notebook
from grader.kernel.execute import run_notebook
from grader.kernel.limits import Limits
from grader.classroom.lifeline import signals_interrupt
from grader.kernel.prewarm import Prewarmer
from grader.reports.messages import default_lang, text
from grader.grading.notebook import clear_outputs, identify_exercise, read_notebook
from grader.grading.integrity import after_scan, drop_confirmed, scan_notebook
from grader.kernel.view import fill_reference, view_protections
from grader.grading.probe import (ProbeOutputs, ProbeReadError, expected_outputs, killed_step, probe_cell_source, read_outputs,
                    write_exchange)
from grader.grading.fingerprint import grading_code
from grader.grading.results import CellError, GradingResult, Note, cap_errors
from grader.grading.judging import PUBLIC_SEED, judge  # their home: shared with the self-check

__all__ = ["grade_notebook", "grade_parsed", "PUBLIC_SEED", "limits_for"]


def limits_for(module) -> Limits:
    return getattr(module, "LIMITS", Limits())


def _private_dir(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir(mode=0o700)
    return path


def _byte_size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _worded(error: CellError, lang: str) -> CellError:
    """Errors of the kinds the report has no sentence of its own for, worded in ``lang``."""
    if error.kind == "output-limit":
        return CellError(error.cell, error.kind, text("output_limit", lang, limit=_byte_size(int(error.message))))
    if error.kind == "disk-limit":
        return CellError(error.cell, error.kind, text("disk_limit", lang, limit=_byte_size(int(error.message))))
    return error


def _execute(nb, plan, limits: Limits, lang: str, prewarmer: Prewarmer | None = None, course: tuple = ("", ())):
    """Run the notebook and the probe in a throwaway folder; read the probe's outputs back.
    Returns ``(outputs, why stopped, cell errors, execution)``. ``prewarmer``: the kernel comes
    from it (already started, with its own throwaway folder), and it starts the next one as
    soon as this one is ready."""
    if prewarmer is None:
        with tempdirs.temporary("grader") as tmp:  # 0711: a kernel under a uid of its own must reach its folders
            workdir, exchange = _private_dir(Path(tmp), "work"), _private_dir(Path(tmp), "exchange")
            return _execute_in(nb, plan, limits, lang, workdir, exchange, course=course)
    kernel = prewarmer.take(limits)
    try:
        return _execute_in(nb, plan, limits, lang, kernel.workdir, kernel.exchange, course=course, kernel=kernel,
                           on_ready=lambda: prewarmer.prepare(limits))
    finally:
        kernel.close()


def _execute_in(nb, plan, limits: Limits, lang: str, workdir: Path, exchange: Path, course: tuple = ("", ()),
                **kernel):
    """Run in ``workdir`` with the probe's ``exchange`` folder; ``kernel``: for run_notebook;
    ``course``: ``(exercise, graded names)`` of the book-layout shim (grader.kernel.course_shim)."""
    errors: list[CellError] = []
    write_exchange(plan, exchange)
    write_shim(shim_folder(workdir), *course,  # a prewarmed kernel reads it once its notebook imports it
               unavailable=reference_withheld(course[0] or None))
    fill_reference(workdir, course[0] or None)  # the kernel's reference: without the graded names
    killed: list[str] = []

    def retry_without_the_killing_step():
        key = killed_step(exchange)
        if key is None or key in killed:
            return None
        killed.append(key)
        return probe_cell_source(exchange, killed)

    execution = run_notebook(nb, workdir, limits, probe_cell_source(exchange), shared=(exchange,),
                             on_probe_failure=retry_without_the_killing_step, **kernel)
    execution.protections.update(view_protections(execution.protections, course[0] or None))
    errors.extend(_worded(e, lang) for e in execution.errors)
    got, stopped = ProbeOutputs({}, {}), execution.stopped
    if execution.probe_ran:
        try:
            got = read_outputs(exchange)
        except ProbeReadError as exc:
            errors.append(CellError(None, "probe", text("probe_unreadable", lang, message=str(exc))))
            stopped = stopped or f"probe: {exc}"
    return got, stopped, errors, execution


def grade_parsed(nb, notebook: str, exercise: str, *, seed: int, lang: str,
                 limits: Limits | None = None, prewarmer: Prewarmer | None = None,
                 kernel_python: str | None = None) -> GradingResult:
    """Grade an already read notebook (``nb`` is modified: outputs cleared, environment lines
    neutralised, probe appended). ``prewarmer``: a worker's source of prewarmed kernels (batch
    grading); ``kernel_python``: the kernel's interpreter (default: the grader's own)."""
    timings = {}
    module = checks.load(exercise)
    started = time.perf_counter()
    plan, specs = module.build(np.random.default_rng(seed))
    expected = expected_outputs(plan, checks.reference_namespace(exercise))  # None: `reference`
    timings["reference"] = time.perf_counter() - started
    clear_outputs(nb)
    sources = [cell.source if cell.cell_type == "code" else None for cell in nb.cells]
    scanning = time.perf_counter()
    suspicious = scan_notebook(nb, module.GRADED, lang)  # the source, before anything runs
    timings["scan"] = time.perf_counter() - scanning  # bounded; counted in the notebook's deadline
    notes = tuple(Note("env-cell-skipped", s.cell, text("env_cell_skipped", lang, cell=s.cell, line=s.line, count=s.count))
                  for s in neutralise_notebook(nb))  # Colab and install lines: not run, no points lost
    limits = after_scan(limits or limits_for(module), timings["scan"])
    if kernel_python:
        limits = dataclasses.replace(limits, kernel_python=kernel_python)
    got, stopped, errors, execution = _execute(nb, plan, limits, lang, prewarmer, (exercise, tuple(module.GRADED)))
    timings["execute"] = execution.seconds
    judging = time.perf_counter()
    flags, ctx, results = judge(exercise, module, plan, specs, got, expected, lang, stopped=stopped)
    flags += drop_confirmed(suspicious, ctx.flagged)
    results = attribute_causes(results, sources, errors, lang)  # an earlier failed cell, not the algorithm
    timings["diagnosis"] = time.perf_counter() - judging  # checks and diagnoses
    timings["total"] = time.perf_counter() - started
    return GradingResult(exercise=exercise, notebook=notebook, checks=tuple(results), flags=flags,
                         errors=cap_errors(errors, lambda n: text("errors_dropped", lang, count=n)),
                         seed=seed, grader_version=__version__,
                         timings={k: round(v, 3) for k, v in timings.items()},
                         protections=dict(execution.protections), notes=notes,
                         grading_code=grading_code(exercise))


def grade_notebook(path, *, exercise: str | None = None, seed: int | None = None, lang: str | None = None,
                   limits: Limits | None = None, kernel_python: str | None = None) -> GradingResult:
    """Read, identify and grade the notebook at ``path``. Raises ``NotebookError`` /
    ``UsageError`` for an unreadable notebook or an unknown exercise."""
    nb = read_notebook(path, follow_symlinks=True)  # the path the user named; batches never follow links
    exercise = identify_exercise(nb, path, exercise)
    with signals_interrupt():  # SIGTERM/SIGHUP end it as Ctrl-C does: kernel killed, folders removed
        return grade_parsed(nb, str(path), exercise, seed=PUBLIC_SEED if seed is None else seed,
                            lang=lang or default_lang(), limits=limits, kernel_python=kernel_python)

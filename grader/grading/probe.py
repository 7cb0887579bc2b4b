"""The probe, grader side: the cell appended to the trainee's notebook (the plan runner of
:mod:`grader.grading.kernel_probe`, run in the kernel on the exchange folder) and the expected
outputs, the same plan run against ``reference`` in this process.

Its parts have their own modules: the typed plan and outputs (:mod:`grader.grading.plan`) and
the exchange files (:mod:`grader.grading.exchange`); their names are importable from here too."""
from __future__ import annotations

from pathlib import Path

from grader.grading import kernel_probe
from grader.grading.exchange import (MAX_OUTPUT_BYTES, MAX_STATUS_BYTES, ProbeReadError, killed_step, read_outputs,
                                     write_exchange)
from grader.grading.plan import (ARRAY_REF, REFERENCE_DIR, RNG_REF, Plan, PlanBuilder, ProbeOutputs, array_ref,
                                 describe_step, rng_ref)

__all__ = ["Plan", "PlanBuilder", "ProbeOutputs", "ARRAY_REF", "array_ref", "RNG_REF", "rng_ref", "ProbeReadError",
           "write_exchange", "read_outputs", "expected_outputs", "probe_cell_source", "describe_step",
           "MAX_OUTPUT_BYTES", "MAX_STATUS_BYTES", "REFERENCE_DIR", "killed_step"]


def expected_outputs(plan: Plan, namespace: dict | None = None) -> ProbeOutputs:
    """Run ``plan`` against the reference implementation in this process."""
    if namespace is None:
        import reference

        namespace = {name: getattr(reference, name) for name in reference.__all__}
    plan_json = dict(plan.as_json(), reference_dir=None)
    arrays, status = kernel_probe.run_plan(plan_json, plan.arrays, namespace)
    return ProbeOutputs(arrays, status)


def probe_cell_source(exchange: Path, killed=()) -> str:
    """The source of the cell appended to the notebook; ``killed``: keys of steps not to
    perform (they killed or hung the kernel in an earlier run)."""
    source = Path(kernel_probe.__file__).read_text(encoding="utf-8")
    return f"{source}\n_day4_grader_probe({str(exchange)!r}, globals(), {list(killed)!r})\n"

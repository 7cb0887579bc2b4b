"""Rendering a ``grader ci`` run: JUnit XML, GitHub Actions annotations, the terminal summary.
Strings only; the CLI writes them."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from grader.reports.ci_cases import SUITES, Case, CiReport

__all__ = ["junit_xml", "github_annotations", "terminal_summary"]

_MAX_MESSAGE = 1000  # the message attribute stays short; the element's text has everything


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _suite_counts(cases: list[Case]) -> dict[str, str]:
    failures = sum(c.failure is not None and c.error is None for c in cases)
    errors = sum(c.error is not None for c in cases)
    return {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors), "skipped": "0",
            "time": f"{sum(c.seconds for c in cases):.3f}"}


def junit_xml(report: CiReport, name: str = "grader ci") -> str:
    """``<testsuites>`` with one ``<testsuite>`` per suite and one ``<testcase>`` per check
    (``classname`` the notebook, ``name`` the check id); ``<failure>`` / ``<error>`` carry a
    ``message`` attribute and the full text. Only attributes of the strict (xunit2) schema."""
    totals = {k: v for k, v in _suite_counts(report.cases).items() if k != "skipped"}
    root = ET.Element("testsuites", {"name": name, **totals, "time": f"{report.seconds:.3f}"})
    for suite in SUITES:
        cases = [c for c in report.cases if c.suite == suite]
        if not cases:
            continue
        element = ET.SubElement(root, "testsuite", {"name": suite, **_suite_counts(cases)})
        for case in cases:
            testcase = ET.SubElement(element, "testcase", {"classname": case.classname, "name": case.name,
                                                           "time": f"{case.seconds:.3f}"})
            if case.error is not None:
                ET.SubElement(testcase, "error", {"message": _short(case.error), "type": "grader-error"}).text = case.error
            elif case.failure is not None:
                ET.SubElement(testcase, "failure", {"message": _short(case.failure), "type": suite}).text = case.failure
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: CiReport) -> str:
    """One ``::error file=...,title=...::message`` workflow command per failed case."""
    lines = []
    for case in report.failed:
        props = [f"file={_escape_property(case.file)}"] if case.file else []
        props.append(f"title={_escape_property(f'{case.suite}: {case.classname} {case.name}')}")
        lines.append(f"::error {','.join(props)}::{_escape_data(_short(case.error or case.failure or ''))}")
    return "".join(line + "\n" for line in lines)


def terminal_summary(report: CiReport) -> str:
    """Per suite a count, then every failure with its message, then one closing line."""
    out = []
    for suite in SUITES:
        cases = [c for c in report.cases if c.suite == suite]
        if cases:
            bad = Counter(c.ok for c in cases)[False]
            out.append(f"{suite + ':':<11} {len(cases):4d} cases, {bad} failed")
    for case in report.failed:
        kind = "ERROR" if case.error is not None else "FAIL"
        out.append(f"{kind} [{case.suite}] {case.classname}::{case.name}: {case.error or case.failure}")
    failed = len(report.failed)
    out.append(f"grader ci: {len(report.cases) - failed} passed, {failed} failed in {report.seconds:.1f} s")
    return "\n".join(out) + "\n"

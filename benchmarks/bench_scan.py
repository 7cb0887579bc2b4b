"""The static scan's cost against the size of a cell of ``!`` lines (issue 12: a 38 KB one kept
the old scan busy for 86 s). Prints seconds and the growth ratio when the cell doubles: about
2 for the scan (linear), about 4 for IPython's own TransformerManager (quadratic; it also
gives up past 500 rewritten lines, so it is timed on small cells only).

``python benchmarks/bench_scan.py``"""
from __future__ import annotations

import time

from grader.grading.integrity import scan_sources


def shell_cell(lines: int) -> str:
    return "\n".join(f"!echo line {i} && ls -la /tmp | head -n 3" for i in range(lines))


def seconds(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def series(name: str, fn, sizes) -> None:
    previous = None
    for lines in sizes:
        cell = shell_cell(lines)
        took = seconds(fn, cell)
        growth = f"x{took / previous:.1f}" if previous else ""
        print(f"{name:>10} {lines:>7} lines {len(cell) / 1024:>8.0f} KB {took:>8.3f} s {growth}")
        previous = took


def main() -> None:
    series("scan", lambda cell: scan_sources([(0, cell)], ("im2col",)), (1_000, 2_000, 4_000, 8_000, 16_000))
    from IPython.core.inputtransformer2 import TransformerManager

    series("IPython", lambda cell: TransformerManager().transform_cell(cell), (60, 120, 240))


if __name__ == "__main__":
    main()

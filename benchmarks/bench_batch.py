"""Batch grading throughput against bare nbclient execution, measured in one run.

    python benchmarks/bench_batch.py [--trainees 40] [--workers 2]

Generates a class of TRAINEES copies of the source notebooks 4_1 ... 4_6 (one folder per
trainee), then measures, wall-clock:
  bare      nbclient executing every notebook one after another (kernel start included);
  grade/1   `grader grade` with one worker (fresh gradebook);
  grade/N   `grader grade` with N workers (fresh gradebook);
  rerun     `grader grade` again with nothing changed.
It prints notebooks per minute, the grader's overhead per notebook on one worker
(grade/1 - bare, per notebook) and the parallel speed-up.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ("4_1", "4_2", "4_3", "4_4", "4_5", "4_6")


def make_class(target: Path, trainees: int) -> list[Path]:
    sources = [p for p in sorted((ROOT / "exercises" / "source").glob("4_*.ipynb")) if p.name[:3] in EXERCISES]
    notebooks = []
    for i in range(trainees):
        folder = target / f"trainee{i:03d}"
        folder.mkdir(parents=True)
        for source in sources:
            notebooks.append(Path(shutil.copy(source, folder / source.name)))
    return notebooks


def bare(notebooks: list[Path], workdir: Path) -> float:
    start = time.perf_counter()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                       resources={"metadata": {"path": str(workdir)}}).execute()
    return time.perf_counter() - start


def grade(root: Path, out: Path, workers: int) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader.cli.commands", "grade", str(root), "--out", str(out),
                    "--workers", str(workers), "--seed", "1", "--exercises", ",".join(EXERCISES)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trainees", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        notebooks = make_class(tmp / "class", args.trainees)
        n = len(notebooks)
        (tmp / "work").mkdir()
        t_bare = bare(notebooks, tmp / "work")
        t_one = grade(tmp / "class", tmp / "out1", 1)
        t_many = grade(tmp / "class", tmp / "outN", args.workers)
        t_rerun = grade(tmp / "class", tmp / "outN", args.workers)
    print(f"{n} notebooks ({args.trainees} trainees x {len(EXERCISES)} exercises), wall-clock seconds")
    print(f"{'run':<12}{'seconds':>10}{'nb/min':>10}{'s/nb':>8}")
    for name, t in (("bare", t_bare), ("grade/1", t_one), (f"grade/{args.workers}", t_many)):
        print(f"{name:<12}{t:>10.1f}{60 * n / t:>10.1f}{t / n:>8.2f}")
    print(f"{'rerun':<12}{t_rerun:>10.1f}")
    print(f"grader overhead per notebook on one worker: {(t_one - t_bare) / n:+.2f} s")
    print(f"speed-up with {args.workers} workers over one: {t_one / t_many:.2f}x (ideal {args.workers}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

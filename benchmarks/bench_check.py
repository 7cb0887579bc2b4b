"""`grader check` on one notebook against the bare nbclient execution of the same notebook.

    python benchmarks/bench_check.py [NOTEBOOK] [--repeat 5]

Both are measured in this run, alternately, as whole commands (a fresh process each, as a
trainee runs them): `grader check NOTEBOOK --json` and a bare script that reads the notebook
and executes it with nbclient. Prints the medians and the grader's extra time.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE = """
import sys, tempfile, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
with tempfile.TemporaryDirectory() as tmp:
    NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=True,
                   resources={"metadata": {"path": tmp}}).execute()
"""


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", nargs="?", type=Path,
                        default=ROOT / "exercises" / "source" / "4_4_im2col_col2im_trainee.ipynb")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(BARE)
    grader = [sys.executable, "-m", "grader.cli.commands", "check", str(args.notebook), "--json"]
    bare = [sys.executable, script.name, str(args.notebook)]
    times = {"bare nbclient": [], "grader check": []}
    for _ in range(args.repeat):
        times["bare nbclient"].append(_time(bare))
        times["grader check"].append(_time(grader))
    Path(script.name).unlink()
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.notebook.name}, {args.repeat} runs each, wall-clock median seconds")
    for name, value in medians.items():
        print(f"  {name:<14} {value:6.2f}   (min {min(times[name]):.2f}, max {max(times[name]):.2f})")
    extra = medians["grader check"] - medians["bare nbclient"]
    print(f"  grader adds    {extra:+6.2f} s ({medians['grader check'] / medians['bare nbclient']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

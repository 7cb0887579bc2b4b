"""The similarity report on a large synthetic class, against a quadratic pass of full diffs,
measured in one run.

    python benchmarks/bench_similarity.py [--trainees 300]

Builds TRAINEES synthetic trainees per exercise (4_1 and 4_4) from the independent styles of
``tests/similarity_material.py``: each trainee takes a style, renames every variable, drops or
duplicates a few statements and adds prints; ten of them are planted copies of a classmate.
It times, wall-clock:
  prepare   normalising every trainee's code;
  analyse   fingerprinting, the inverted index and every pair's score;
  difflib   ``difflib.SequenceMatcher`` over normalised token streams for a sample of pairs,
            extrapolated to every pair (what a quadratic pass of full diffs would cost);
and prints the ratio difflib / (prepare + analyse), and whether every planted pair was found.
"""
from __future__ import annotations

import argparse
import difflib
import itertools
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import similarity_material as material  # noqa: E402
from grader.classroom.similarity import THRESHOLD, analyse, prepare  # noqa: E402

KEEP = {"im2col", "col2im", "convolution", "conv_output_size", "_indices"}


def _variant(source: str, rng: random.Random) -> str:
    lines = material.rename(source, KEEP, rng).splitlines()
    out = []
    for line in lines:
        roll = rng.random()
        if roll < 0.04 and line.strip().startswith(("out", "result", "acc", "res")):
            continue
        out.append(line)
        if roll > 0.97 and line.strip() and not line.rstrip().endswith((":", ",", "\\", "(")):
            out.append(line)
    return material.insert_prints("\n".join(out), rng)


def synthetic_class(exercise: str, trainees: int, rng: random.Random):
    styles = list(material.MATERIAL[exercise].values())
    sources = {f"t{i:04d}": _variant(styles[i % len(styles)], rng) for i in range(trainees - 10)}
    planted = []
    for j in range(10):
        victim = rng.choice(sorted(sources))
        sources[f"copy{j}"] = "\n\n".join(material.disguise(sources[victim], KEEP, seed=j))
        planted.append((victim, f"copy{j}"))
    return sources, planted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=300)
    args = parser.parse_args(argv)
    rng = random.Random(0)
    for exercise in sorted(material.MATERIAL):
        sources, planted = synthetic_class(exercise, args.trainees, rng)
        start = time.perf_counter()
        codes = [prepare(name, [src]) for name, src in sources.items()]
        prepared = time.perf_counter()
        analysis = analyse(exercise, codes)
        analysed = time.perf_counter()
        found = {(p.a, p.b) for p in analysis.above(THRESHOLD)}
        hits = sum((min(a, b), max(a, b)) in found for a, b in planted)
        sample = list(itertools.islice(itertools.combinations(codes, 2), 2000))
        diff_start = time.perf_counter()
        for a, b in sample:
            difflib.SequenceMatcher(None, a.tokens, b.tokens, autojunk=False).ratio()
        per_pair = (time.perf_counter() - diff_start) / len(sample)
        pairs = len(codes) * (len(codes) - 1) // 2
        ours = analysed - start
        print(f"{exercise}: {len(codes)} trainees, prepare {prepared - start:.2f} s, analyse {analysed - prepared:.2f} s, "
              f"{len(analysis.pairs)} pairs sharing a fingerprint, {len(found)} at or above {THRESHOLD:.0%}; "
              f"planted found {hits}/{len(planted)}")
        print(f"      difflib over all {pairs} pairs (extrapolated from {len(sample)}): {per_pair * pairs:.1f} s "
              f"= {per_pair * pairs / ours:.0f}x ours")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

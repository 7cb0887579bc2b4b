"""Accuracy of the reference SimpleConvNet (15 outputs) on Katakana-15, trained without and
with augmentation (``reference.augment.example_augment``: rotation +-15 deg, zoom 0.9-1.1,
shift +-2 px, random erasing), measured on the visible test split and on the hidden split.

    python benchmarks/katakana_accuracy.py [--epochs 2] [--seeds 0 1] [--json out.json]

Prints one line per (seed, variant) with wall and CPU seconds of training (augmentation
included), then the means. Not a test: it trains for minutes.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference import Adam, SimpleConvNet  # noqa: E402
from reference.augment import example_augment  # noqa: E402
from reference.katakana import load_katakana, load_katakana_hidden  # noqa: E402


def train(x, t, *, epochs: int, seed: int, augment=None, batch_size: int = 100, lr: float = 0.001,
          dtype=np.float32):
    rng = np.random.default_rng(seed)
    net = SimpleConvNet(input_dim=(1, 28, 28), output_size=15, weight_init_std="he", rng=rng, dtype=dtype)
    opt = Adam(lr=lr)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), batch_size):
            idx = order[s:s + batch_size]
            xb = x[idx] if augment is None else augment(x[idx], rng).astype(dtype)
            _, grads = net.loss_and_gradient(xb, t[idx])
            opt.update(net.params, grads)
    return net


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                    help="the network's dtype (trainees' notebooks usually train in float64)")
    args = ap.parse_args(argv)
    (x_tr, t_tr), (x_te, t_te) = load_katakana()
    x_hi, t_hi = load_katakana_hidden()
    print(f"train {len(x_tr)}, test {len(x_te)}, hidden {len(x_hi)} images; {args.epochs} epochs, {args.dtype}")
    rows = []
    for seed in args.seeds:
        for name, aug in (("none", None), ("example_augment", example_augment)):
            w, c = time.perf_counter(), time.process_time()
            net = train(x_tr, t_tr, epochs=args.epochs, seed=seed, augment=aug, dtype=np.dtype(args.dtype))
            wall, cpu = time.perf_counter() - w, time.process_time() - c
            row = {"seed": seed, "augment": name, "train_seconds": round(wall, 1), "train_cpu_seconds": round(cpu, 1),
                   "test_acc": round(net.accuracy(x_te, t_te), 4), "hidden_acc": round(net.accuracy(x_hi, t_hi), 4)}
            rows.append(row)
            print(f"seed {seed} augment={name:16s} test {row['test_acc']:.4f} hidden {row['hidden_acc']:.4f} "
                  f"train {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    for name in ("none", "example_augment"):
        sel = [r for r in rows if r["augment"] == name]
        print(f"mean augment={name:16s} test {np.mean([r['test_acc'] for r in sel]):.4f} "
              f"hidden {np.mean([r['hidden_acc'] for r in sel]):.4f} "
              f"train {np.mean([r['train_seconds'] for r in sel]):.1f} s")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Speed of the reference against the book-style baseline, bare matrix products and PyTorch.

    python benchmarks/bench_reference.py [--repeat N] [--threads 1] [--epoch-repeat 3] [--clock process]

Every row is the median of ``--repeat`` timed runs after ``--warmup`` untimed ones; the
implementations of a row run interleaved (a, b, c, a, b, c, ...), so a change in machine load
hits all of them alike. The clock is ``time.process_time`` (CPU seconds of this process, all
threads; default) or ``time.perf_counter`` (``--clock wall``). The thread count of
OpenBLAS / OpenMP (and ``torch.set_num_threads``) is set from ``--threads`` before NumPy is
imported.

Rows: a convolution forward + backward (dx included) at two shapes, against the three matrix
products it contains timed alone (forward ``(FN, K) @ (K, M)``, dW ``(FN, M) @ (M, K)``,
dcol ``(K, FN) @ (FN, M)`` with ``K = C*FH*FW``, ``M = N*OH*OW``); max pooling 2x2 / 2 forward
+ backward; one SimpleConvNet gradient step on a batch of 100 (``gradient``, and ``gradient``
+ Adam update); one float32 training epoch (50,000 images, batch 100, Adam) of the reference
against PyTorch on CPU with the same network. The goals checked at the end are the issue's.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=20, help="timed runs per row (default 20)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    p.add_argument("--threads", type=int, default=1, help="BLAS / OpenMP / torch threads (default 1)")
    p.add_argument("--epoch-repeat", type=int, default=3, help="timed epochs per side (default 3; 0 skips)")
    p.add_argument("--epoch-images", type=int, default=50_000, help="images per epoch (default 50,000)")
    p.add_argument("--clock", choices=("process", "wall"), default="process")
    args = p.parse_args(argv)
    if min(args.repeat, args.threads) < 1 or min(args.warmup, args.epoch_repeat) < 0 or args.epoch_images < 100:
        p.error("--repeat and --threads must be >= 1, --warmup and --epoch-repeat >= 0, --epoch-images >= 100")
    return args


def set_threads(threads: int) -> None:
    """Set the thread variables; re-executes this script when NumPy was imported already."""
    wanted = {name: str(threads) for name in THREAD_VARIABLES}
    if "numpy" in sys.modules and any(os.environ.get(k) != v for k, v in wanted.items()):
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **wanted})
    os.environ.update(wanted)


# ---------------------------------------------------------------- timing


def timed(cases: dict, repeat: int, warmup: int, clock) -> dict:
    """Median seconds of each zero-argument callable in ``cases``, run interleaved."""
    import numpy as np

    for _ in range(warmup):
        for run in cases.values():
            run()
    samples = {name: [] for name in cases}
    for _ in range(repeat):
        for name, run in cases.items():
            start = clock()
            run()
            samples[name].append(clock() - start)
    return {name: float(np.median(values)) for name, values in samples.items()}


class Table:
    """Rows of milliseconds: the reference, the book baseline and a third party (the bare
    matrix products, or PyTorch), with ``book / ref`` (the reference's speed-up) and
    ``ref / other`` (how far the reference is from it)."""

    def __init__(self):
        self.rows = []

    def add(self, what: str, ref: float, book: float | None = None, other: float | None = None,
            note: str = ""):
        self.rows.append((what, ref, book, other, note))

    def render(self) -> str:
        def ms(value):
            return f"{value * 1e3:9.2f}" if value is not None else f"{'-':>9}"

        def ratio(a, b):
            return f"{a / b:7.2f}x" if a is not None and b is not None else f"{'-':>8}"

        head = (f"{'case (ms per run)':<56} {'reference':>9} {'book':>9} {'book/ref':>8} "
                f"{'other':>9} {'ref/other':>9}  other is")
        lines = [head, "-" * len(head)]
        for what, ref, book, other, note in self.rows:
            lines.append(f"{what:<56} {ms(ref)} {ms(book)} {ratio(book, ref)} {ms(other)} "
                         f"{ratio(ref, other):>9}  {note}".rstrip())
        return "\n".join(lines)


# ---------------------------------------------------------------- the rows


def conv_rows(table, goals, args, clock, rng):
    import numpy as np

    from grader.classroom.known import book_style as book
    from reference import Convolution

    shapes = [(100, 1, 28, 30, 5, 0), (64, 16, 32, 32, 3, 1)]
    for dtype in (np.float64, np.float32):
        for N, C, H, FN, F, pad in shapes:
            x = rng.standard_normal((N, C, H, H)).astype(dtype)
            W = (0.1 * rng.standard_normal((FN, C, F, F))).astype(dtype)
            b = np.zeros(FN, dtype)
            ref, base = Convolution(W, b, 1, pad), book.Convolution(W, b, 1, pad)
            dout = rng.standard_normal(ref.forward(x).shape).astype(dtype)
            K, M = C * F * F, dout.size // FN
            Wm, col, dm = W.reshape(FN, K), rng.standard_normal((K, M)).astype(dtype), dout.reshape(FN, M)
            times = timed({
                "ref": lambda: (ref.forward(x), ref.backward(dout)),
                "book": lambda: (base.forward(x), base.backward(dout)),
                "gemm": lambda: (Wm @ col, dm @ col.T, Wm.T @ dm),
            }, args.repeat, args.warmup, clock)
            what = f"conv fwd+bwd {np.dtype(dtype).name} ({N},{C},{H},{H}) FN={FN} {F}x{F} pad={pad}"
            table.add(what, times["ref"], times["book"], times["gemm"], "its 3 GEMMs alone")
            ratio = times["ref"] / times["gemm"]
            if dtype is np.float64:
                goals.append((f"conv {N}x{C}x{H}x{H} f64 within 1.6x of its GEMMs", ratio <= 1.6, f"{ratio:.2f}x"))


def pool_rows(table, args, clock, rng):
    import numpy as np

    from grader.classroom.known import book_style as book
    from reference import MaxPooling

    for dtype in (np.float64, np.float32):
        x = rng.standard_normal((100, 30, 24, 24)).astype(dtype)
        dout = rng.standard_normal((100, 30, 12, 12)).astype(dtype)
        ref, base = MaxPooling(2, 2, stride=2), book.Pooling(2, 2, stride=2)
        times = timed({"ref": lambda: (ref.forward(x), ref.backward(dout)),
                       "book": lambda: (base.forward(x), base.backward(dout))}, args.repeat, args.warmup, clock)
        table.add(f"max pool 2x2/2 fwd+bwd {np.dtype(dtype).name} (100,30,24,24)", times["ref"], times["book"])


def step_rows(table, goals, args, clock, rng):
    import numpy as np

    from grader.classroom.known import book_style as book
    from reference import Adam, SimpleConvNet

    for dtype in (np.float64, np.float32):
        x = rng.random((100, 1, 28, 28)).astype(dtype)
        t = rng.integers(0, 10, 100)
        ref, base = SimpleConvNet(rng=1, dtype=dtype), book.SimpleConvNet(rng=1, dtype=dtype)
        ref_opt, base_opt = Adam(), book.Adam()
        times = timed({
            "ref": lambda: ref.gradient(x, t), "book": lambda: base.gradient(x, t),
            "ref+": lambda: ref_opt.update(ref.params, ref.gradient(x, t)),
            "book+": lambda: base_opt.update(base.params, base.gradient(x, t)),
        }, args.repeat, args.warmup, clock)
        name = np.dtype(dtype).name
        table.add(f"SimpleConvNet gradient, batch 100, {name}", times["ref"], times["book"])
        table.add(f"SimpleConvNet gradient + Adam, batch 100, {name}", times["ref+"], times["book+"])
        if dtype is np.float64:
            for key, what in (("", "gradient"), ("+", "gradient + Adam")):
                speedup = times["book" + key] / times["ref" + key]
                goals.append((f"f64 {what} step >= 3x faster than the baseline", speedup >= 3, f"{speedup:.2f}x"))


def epoch_data(n_images: int, rng):
    """MNIST training images when available (the speed does not depend on it), else noise."""
    import numpy as np

    try:
        from reference.data import load_mnist

        (x, t), _ = load_mnist(dtype=np.float32)
        source = "MNIST"
    except Exception as exc:  # any failure: benchmark on noise, and say so
        x, t = rng.random((n_images, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n_images)
        source = f"random images ({type(exc).__name__})"
    return np.ascontiguousarray(x[:n_images]), t[:n_images], source


def reference_epoch(x, t, rng):
    import numpy as np

    from reference import Adam, SimpleConvNet

    network, optimizer = SimpleConvNet(weight_init_std="he", rng=2, dtype=np.float32), Adam()

    def epoch():
        order = rng.permutation(len(x))
        for start in range(0, len(x), 100):
            idx = order[start:start + 100]
            optimizer.update(network.params, network.loss_and_gradient(x[idx], t[idx])[1])
    return epoch


def torch_epoch(x, t, threads: int, rng):
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(2)
    model = nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
    optimizer, loss_fn = torch.optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss()
    xt, tt = torch.from_numpy(x), torch.from_numpy(t.astype("int64"))

    def epoch():
        order = torch.from_numpy(rng.permutation(len(x)))
        for start in range(0, len(x), 100):
            idx = order[start:start + 100]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(xt[idx]), tt[idx]).backward()
            optimizer.step()
    return epoch, torch.__version__


def epoch_rows(table, goals, args, clock, rng):
    x, t, source = epoch_data(args.epoch_images, rng)
    cases = {"ref": reference_epoch(x, t, rng)}
    try:
        cases["torch"], version = torch_epoch(x, t, args.threads, rng)
    except ImportError as exc:
        version = None
        note = f"PyTorch row skipped: torch is not importable ({exc})"
    what = f"epoch float32, {len(x)} {source}, batch 100, Adam"
    times = timed(cases, args.epoch_repeat, 1 if args.warmup else 0, clock)
    if version is None:
        table.add(what, times["ref"], note=note)
        return
    ratio = times["ref"] / times["torch"]
    table.add(what, times["ref"], other=times["torch"], note=f"PyTorch {version}")
    goals.append(("f32 epoch within 1.5x of PyTorch", ratio <= 1.5, f"ref = {ratio:.2f}x torch"))


def describe(args) -> str:
    import numpy as np

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    clock = "time.process_time (CPU s of the process)" if args.clock == "process" else "time.perf_counter (wall)"
    return (f"numpy {np.__version__}, python {platform.python_version()}, {cpu}, {os.cpu_count()} CPUs; "
            f"threads {args.threads}; clock {clock}; median of {args.repeat} after {args.warmup} warm-up "
            f"(epochs: median of {args.epoch_repeat})")


def main(argv=None) -> int:
    args = parse_args(argv)
    set_threads(args.threads)
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    clock = time.process_time if args.clock == "process" else time.perf_counter
    rng = np.random.default_rng(0)
    table, goals = Table(), []
    print(describe(args), flush=True)
    conv_rows(table, goals, args, clock, rng)
    pool_rows(table, args, clock, rng)
    step_rows(table, goals, args, clock, rng)
    if args.epoch_repeat:
        epoch_rows(table, goals, args, clock, rng)
    print(table.render())
    print("\ngoals:")
    for what, ok, value in goals:
        print(f"  [{'met' if ok else 'MISSED'}] {what}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The corpus's graded code in this process, two ways.

- Against the independent loop oracle (tests/oracle.py, no ``reference``), to keep the corpus
  honest: :func:`graded_namespace` executes the graded cells in a plain namespace (numpy, and
  for the book's layout the oracle's im2col/col2im standing in for ``common.util``), then the
  ``check_4_*`` compare on small inputs that include the boundary cases (stride not dividing
  ``H + 2P - FH``, non-square shapes, N = 1, C > 1, integer and float32 inputs). Tolerance:
  float32 level, relative to the scale of the expected output.
- As the grader judges it, without a kernel: :func:`kernel_namespace` builds the namespace a
  grading kernel gives the graded names (the kernel's own course shim for ``common.*`` and
  ``dataset.*``, its ``reference`` refusals, the grader's reading of IPython syntax and its
  environment-line neutralisation) and :func:`grade_like_the_kernel` grades it with the same
  plan, checks, diagnosis and static scan as a grading (tests/test_corpus.py proves it gives
  the kernel's verdict on the public seed).
Over 250 lines: the six oracle checks and the kernel namespace belong together (one corpus)."""
from __future__ import annotations

import ast
import builtins
import contextlib
import dataclasses
import importlib
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided, sliding_window_view

import oracle
from grader.course import checks
from grader.grading.integrity import drop_confirmed, scan_notebook
from grader.grading.ipython_syntax import python_source
from grader.grading.results import GradingResult
from grader.kernel.course_shim import write_shim
from grader.kernel.env_cells import neutralise_notebook
from grader.kernel.reference_names import WHOLE_MODULES
from grader.kernel.reference_names import withheld_names as reference_withheld
from inprocess import grade_in_process

_RTOL = 1e-5


def _close(got, want) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    assert np.abs(got - want).max(initial=0.0) <= _RTOL * scale, np.abs(got - want).max()


def graded_namespace(spec) -> dict:
    """The names the notebook's graded cells define, executed in-process (magics dropped)."""
    ns = {"np": np, "sliding_window_view": sliding_window_view, "as_strided": as_strided,
          "im2col": oracle.im2col, "col2im": oracle.col2im, "display": print}
    source = "\n".join(line for line in spec.graded_source().splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        exec(compile(source, spec.path, "exec"), ns)
    except ImportError as exc:  # a course package (scipy...) the grader installs for the kernel
        pytest.skip(f"{spec.path} needs {exc.name}, not installed here")
    return ns


_CONV_CASES = [  # (x shape, w shape, stride, pad)
    ((4, 4), (3, 3), 1, 0), ((6, 9), (2, 3), 2, 1), ((7, 8), (3, 2), 2, 2), ((3, 7, 8), (3, 3, 3), 2, 1),
    ((8, 8), (3, 3), 3, 1), ((5, 5), (5, 5), 1, 0),
]


def check_4_1(ns, rng=None):
    rng = rng or np.random.default_rng(0)
    size = ns["conv_output_size"]
    for args in [(4, 3), (8, 3, 1, 2), (7, 3, 0, 2), (10, 2, 0, 3), (3, 5, 1, 1)]:
        assert size(*args) == oracle.conv_output_size(*args), args
    for xs, ws, stride, pad in _CONV_CASES:
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        _close(ns["convolution"](x, w, b=0.5, stride=stride, pad=pad), oracle.convolution(x, w, 0.5, stride, pad))
    xi, wi = rng.integers(0, 10, (6, 6)), rng.integers(-3, 4, (3, 3))
    _close(ns["convolution"](xi, wi, stride=2, pad=1), oracle.convolution(xi, wi, 0.0, 2, 1))


def check_4_2(ns, rng=None):
    rng = rng or np.random.default_rng(1)
    for shape, ph, pw, stride, pad in [((4, 4), 2, 2, 2, 0), ((5, 8), 2, 3, 2, 1), ((2, 7, 9), 3, 3, 2, 0),
                                       ((5, 6), 3, 3, 1, 1), ((7, 7), 3, 3, 2, 1)]:
        x = -rng.uniform(1, 9, shape)
        _close(ns["max_pooling"](x, ph, pw, stride=stride, pad=pad), oracle.max_pooling(x, ph, pw, stride, pad))
    xi = rng.integers(1, 10, (7, 7))
    _close(ns["max_pooling"](xi, 3, 3, stride=2, pad=1), oracle.max_pooling(xi, 3, 3, 2, 1))


def check_4_3(ns, rng=None):
    rng = rng or np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 5))
    _close(ns["pad_hw"](x, 2), oracle.pad_hw(x, 2))
    _close(ns["pad_hw"](x, 1, constant_values=-1.5), oracle.pad_hw(x, 1, -1.5))
    W = rng.standard_normal((4, 3, 3, 2))
    _close(ns["filters_to_matrix"](W), oracle.filters_to_matrix(W))
    m = rng.standard_normal((2 * 3 * 4, 5))
    _close(ns["matrix_to_nchw"](m, 2, 3, 4), oracle.matrix_to_nchw(m, 2, 3, 4))
    d = rng.standard_normal((2, 5, 3, 4))
    _close(ns["nchw_to_matrix"](d), oracle.nchw_to_matrix(d))


def check_4_4(ns, rng=None):
    rng = rng or np.random.default_rng(3)
    for shape, fh, fw, stride, pad in [((2, 3, 7, 6), 3, 3, 2, 1), ((3, 2, 9, 8), 2, 3, 3, 2),
                                       ((1, 1, 5, 5), 3, 3, 1, 0), ((2, 2, 6, 6), 3, 3, 1, 1)]:
        x = rng.standard_normal(shape)
        col = ns["im2col"](x, fh, fw, stride=stride, pad=pad)
        _close(col, oracle.im2col(x, fh, fw, stride, pad))
        dcol = rng.standard_normal(np.shape(col))
        _close(ns["col2im"](dcol, list(shape), fh, fw, stride=stride, pad=pad),
               oracle.col2im(dcol, shape, fh, fw, stride, pad))
    x = rng.standard_normal((2, 3, 7, 6))
    _close(ns["im2col"](x, 3, 3, stride=2, pad=1, constant_values=-1.5), oracle.im2col(x, 3, 3, 2, 1, -1.5))


def check_4_5(ns, rng=None):
    rng = rng or np.random.default_rng(4)
    for xs, ws, stride, pad in [((2, 3, 7, 6), (4, 3, 3, 2), 2, 1), ((1, 1, 6, 5), (1, 1, 3, 3), 1, 1),
                                ((3, 2, 5, 6), (3, 2, 2, 3), 1, 0)]:
        x, W, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
        layer = ns["Convolution"](W, b, stride=stride, pad=pad)
        out = layer.forward(x)
        _close(out, oracle.conv_forward(x, W, b, stride, pad))
        dout = rng.standard_normal(np.shape(out))
        dx, dW, db = oracle.conv_backward(x, W, dout, stride, pad)
        _close(layer.backward(dout), dx)
        _close(layer.dW, dW)
        _close(layer.db, db)


def check_4_6(ns, rng=None):
    rng = rng or np.random.default_rng(5)
    for shape, ph, pw, stride, pad in [((2, 3, 6, 6), 2, 2, 2, 0), ((2, 2, 7, 7), 3, 3, 3, 1),
                                       ((1, 2, 7, 9), 3, 3, 2, 0), ((2, 2, 8, 9), 2, 3, 3, 0)]:
        x = -rng.uniform(1, 9, shape)
        layer = ns["MaxPooling"](ph, pw, stride=stride, pad=pad)
        out = layer.forward(x)
        _close(out, oracle.pool_forward(x, ph, pw, stride, pad))
        dout = rng.standard_normal(np.shape(out))
        _close(layer.backward(dout), oracle.pool_backward(x, dout, ph, pw, stride, pad))
    ties = rng.integers(0, 2, (2, 2, 6, 6)).astype(np.float64)
    layer = ns["MaxPooling"](3, 3, stride=3)
    dout = rng.standard_normal(np.shape(layer.forward(ties)))
    _close(layer.backward(dout), oracle.pool_backward(ties, dout, 3, 3, 3, 0))


ORACLE_CHECKS = {"4_1": check_4_1, "4_2": check_4_2, "4_3": check_4_3, "4_4": check_4_4, "4_5": check_4_5,
                 "4_6": check_4_6}


# --- the namespace a grading kernel gives the notebook's graded names, in this process --------

_SHIM_TOP = ("common", "dataset", "japanize_matplotlib")  # what the kernel's course folder holds
TRAINED = "SimpleConvNet.trained_accuracy"  # needs the network the notebook trained in its kernel


class _NoShell:
    """``get_ipython()`` for cells run here: line magics and shell escapes (``%matplotlib``,
    ``%load_ext``, ``!unzip``) do nothing; the public-seed kernel run shows they work there."""

    def run_line_magic(self, *args, **kwargs):
        return None

    system = getoutput = run_cell_magic = run_line_magic


def _as_python(source: str) -> str:
    """A cell as the kernel runs it, in Python (the grader's own reading of IPython syntax): a
    cell magic's body is run as code (``%%capture``, ``%%time``; ``%%writefile m.py`` of a module
    the notebook then star-imports, which binds the same names)."""
    code, embedded, magic = python_source(source)
    return "\n".join(body for _, body in embedded) if magic is not None else code


def _parsed(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError:  # the cell fails in the kernel too
        return ast.Module(body=[], type_ignores=[])


def _needed_imports(source: str, used: set[str]) -> str:
    """The top-level imports of a cell that bind a name the graded code uses (or ``*``)."""
    keep = [s for s in _parsed(source).body if isinstance(s, (ast.Import, ast.ImportFrom))
            and {(a.asname or a.name).split(".")[0] for a in s.names} & (used | {"*"})]
    return "\n".join(ast.unparse(s) for s in keep)


def _reference_import(withheld: frozenset[str]):
    """``__import__`` refusing what the kernel's ``reference`` copy does not hold (names of
    ``reference`` and its modules but ``data``, kept whole), as the kernel does."""
    def __import__(name, globals=None, locals=None, fromlist=(), level=0):
        module, _, sub = name.partition(".")
        if level == 0 and module == "reference" and sub not in WHOLE_MODULES:
            hidden = sorted(set(fromlist or ()) & withheld)
            if hidden:
                raise ImportError(f"cannot import name {hidden[0]!r} from {name!r}", name=name)
        return builtins.__import__(name, globals, locals, fromlist, level)
    return __import__


@contextlib.contextmanager
def course_shim(exercise: str):
    """The kernel's book layout (``common.util``, ``common.layers``, ``dataset.mnist``...) importable
    here: the very modules :func:`grader.kernel.course_shim.write_shim` writes for a grading of
    ``exercise`` (its graded names withheld), on ``sys.path`` for the block, re-exporting this
    process's ``reference`` (the kernel's is a copy of the same source)."""
    graded = tuple(checks.load(exercise).GRADED)
    with tempfile.TemporaryDirectory(prefix="corpus-shim-") as tmp:
        write_shim(Path(tmp), exercise, graded, unavailable=reference_withheld(exercise))
        saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.partition(".")[0] in _SHIM_TOP}
        sys.path.insert(0, tmp)
        importlib.invalidate_caches()
        try:
            yield
        finally:
            sys.path.remove(tmp)
            for k in [k for k in sys.modules if k.partition(".")[0] in _SHIM_TOP]:
                del sys.modules[k]
            sys.modules.update(saved)


def kernel_namespace(spec) -> dict:
    """The notebook's graded names as its grading kernel defines them, executed here: the
    grader's own environment-line neutralisation, then the code cells up to the last graded one
    in order, each graded cell whole and, of the others, the imports that bind a name the graded
    code uses (``from common.util import im2col`` through the kernel's shim, ``from reference
    import ...`` as the kernel's copy allows it). A cell that raises stops there and the next one
    runs, as in a kernel. Not run: the other cells' statements (plots, timings, training)."""
    nb = spec.to_notebook()
    neutralise_notebook(nb)
    cells = {i: _as_python(c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    graded = [cells[i] for i in spec.graded_cells]
    used = {n.id for code in graded for n in ast.walk(_parsed(code)) if isinstance(n, ast.Name)}
    ns = {"__name__": "__main__", "get_ipython": _NoShell,
          "__builtins__": {**builtins.__dict__, "__import__": _reference_import(reference_withheld(spec.exercise))}}
    with course_shim(spec.exercise), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a notebook's warnings are its own, as in a kernel
        for i in sorted(c for c in cells if c <= max(spec.graded_cells)):
            code = cells[i] if i in spec.graded_cells else _needed_imports(cells[i], used)
            try:
                exec(compile(code, f"<{spec.path} cell {i}>", "exec"), ns)
            except Exception:  # noqa: BLE001 - recorded by the kernel run, here only its effect counts
                continue
    return ns


def grade_like_the_kernel(spec, seed: int, lang: str = "en") -> GradingResult:
    """The notebook graded in this process as :func:`grader.grading.grade.grade_parsed` grades it
    in a kernel: :func:`kernel_namespace` probed with the same plan, checks and diagnosis
    (``tests/inprocess.grade_in_process``), plus the static scan's flags (the scan reads the
    source, never runs it). 4_7's ``trained_accuracy`` needs the network the notebook trains in
    its kernel: it is left out."""
    result = grade_in_process(spec.exercise, kernel_namespace(spec), seed, lang)
    flagged = {f.name for f in result.flags}  # the probe's uses-reference flags (grade: ctx.flagged)
    scan = drop_confirmed(scan_notebook(spec.to_notebook(), checks.load(spec.exercise).GRADED, lang), flagged)
    return dataclasses.replace(result, checks=tuple(c for c in result.checks if c.id != TRAINED),
                               flags=result.flags + scan)

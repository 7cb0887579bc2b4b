"""Shared hypothesis settings and strategies of the property tests (tests/test_properties_*.py).

Deterministic and CI-friendly: ``derandomize=True`` (the examples are a function of the test's
source, so every run of one command tries the same ones), no example database on disk, no
per-example deadline (a loaded 2-core machine must not turn a slow example into a failure).
``FEW``, ``SOME``, ``MANY`` and ``RENDERS`` are the example budgets; every property states
which one it uses, chosen so that one test stays well under 2 s here. Hand-picked cases of the
tests these properties replaced are kept as ``@example``\\ s (hypothesis runs them first, every
time). One caveat: hypothesis (6.1xx) sometimes draws constants found in the project's modules
already imported, so a run of one file may try other examples than the whole suite does; a
failure prints its example, to be pasted as an ``@example``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, example, settings
from hypothesis import strategies as st

__all__ = ["FEW", "SOME", "MANY", "RENDERS", "seeds", "Geometry", "geometries", "DTYPES", "LAYOUTS", "Seeded", "Drawn",
           "drawn", "seeded"]

_BASE = settings(derandomize=True, database=None, deadline=None, print_blob=False,
                 suppress_health_check=[HealthCheck.too_slow])
FEW = settings(_BASE, max_examples=25)  # examples that run the loop oracle on whole layers
SOME = settings(_BASE, max_examples=60)
MANY = settings(_BASE, max_examples=100)  # cheap pure functions
RENDERS = settings(_BASE, max_examples=8)  # a whole HTML report per example (~0.1 s here)

DTYPES = (np.float64, np.float32, np.int64)
LAYOUTS = ("contiguous", "transposed", "strided", "readonly")

seeds = st.integers(0, 2**32 - 1)  # for np.random.default_rng: the values of an example


@dataclass(frozen=True)
class Geometry:
    """One spatial axis pair of a window operation: input H x W, window FH x FW, stride, pad;
    the output is never empty (``FH <= H + 2*pad``)."""

    h: int
    w: int
    fh: int
    fw: int
    stride: int
    pad: int

    def out(self) -> tuple[int, int]:
        return ((self.h + 2 * self.pad - self.fh) // self.stride + 1,
                (self.w + 2 * self.pad - self.fw) // self.stride + 1)


@st.composite
def geometries(draw, h_max: int = 12, f_max: int = 5, stride_max: int = 3, pad_max: int = 2,
               pool: bool = False) -> Geometry:
    """A window geometry with a non-empty output, like ``conv_geometry`` of
    tests/test_reference_oracle.py (same ranges by default). ``pool``: ``pad < min(FH, FW)``,
    so no window lies wholly in the padding."""
    h, w = draw(st.integers(1, h_max)), draw(st.integers(1, h_max))
    pad = draw(st.integers(0, pad_max))
    low = pad + 1 if pool else 1
    fh, fw = draw(st.integers(low, min(f_max, h + 2 * pad))), draw(st.integers(low, min(f_max, w + 2 * pad)))
    stride = draw(st.integers(1, stride_max))
    return Geometry(h, w, fh, fw, stride, pad)


@dataclass(frozen=True)
class Seeded:
    """Case ``case`` of the former ``@pytest.mark.parametrize("case", range(N))`` test ``kind``."""

    kind: str
    case: int

    @property
    def variant(self) -> int:
        return self.case


@dataclass(frozen=True)
class Drawn:
    """A case drawn by hypothesis: geometry, batch size, channels, dtype, layout; the values
    come from ``default_rng(seed)``; ``variant`` plays the former ``case`` number's parity."""

    geometry: Geometry
    n: int
    c: int
    dtype: type
    layout: str
    seed: int
    variant: int

    def unpack(self):
        g = self.geometry
        return (np.random.default_rng(self.seed), self.dtype, self.layout, (self.n, self.c, g.h, g.w),
                g.fh, g.fw, g.stride, g.pad)


def drawn(geometry=None, channels=st.integers(1, 4)):
    """:class:`Drawn` cases: a geometry (by default the ranges of the former ``conv_geometry``),
    N in 1..4, ``channels``, any dtype and layout, a seed for the values, a variant 0..3."""
    geometry = geometries() if geometry is None else geometry
    return st.builds(Drawn, geometry, st.integers(1, 4), channels, st.sampled_from(DTYPES),
                     st.sampled_from(LAYOUTS), seeds, st.integers(0, 3))


def seeded(kind: str, count: int):
    """Every case of the former parametrized test as an ``@example``."""
    def decorate(test):
        for case in reversed(range(count)):
            test = example(case=Seeded(kind, case))(test)
        return test
    return decorate

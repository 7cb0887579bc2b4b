"""Shapes and dtypes: the one home of the output-size formula and of the dtype rule."""
from __future__ import annotations

import operator

import numpy as np

__all__ = ["conv_output_size", "as_float_array"]


def _nonnegative_int(name: str, value: object) -> int:
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__} ({value!r})") from None
    if number < 0:
        raise ValueError(f"{name} must be >= 0, got {number}")
    return number


def conv_output_size(input_size: int, filter_size: int, pad: int = 0, stride: int = 1) -> int:
    """Output length of a convolution or pooling window along one axis.

    ``OH = (H + 2*pad - FH) // stride + 1``: windows start at ``0, stride, 2*stride ...``
    of the padded input and a window that would run past its end is not used.

    >>> conv_output_size(4, 3), conv_output_size(4, 3, pad=1), conv_output_size(7, 3, stride=2)
    (2, 4, 3)

    Raises ``ValueError`` when ``stride < 1``, ``filter_size < 1`` or the filter does not fit
    into the padded input (the output would be empty).
    """
    size = _nonnegative_int("input_size", input_size)
    filt = _nonnegative_int("filter_size", filter_size)
    pad = _nonnegative_int("pad", pad)
    stride = _nonnegative_int("stride", stride)
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if filt < 1:
        raise ValueError(f"filter_size must be >= 1, got {filt}")
    if size + 2 * pad < filt:
        raise ValueError(
            f"filter of size {filt} does not fit into input of size {size} with pad {pad}"
        )
    return (size + 2 * pad - filt) // stride + 1


def as_float_array(x: object) -> np.ndarray:
    """``x`` as an ndarray of float32 or float64: float32 and float64 stay as they are,
    anything else (integers, booleans, float16, lists) becomes float64. Never copies a
    float32/float64 array."""
    array = np.asarray(x)
    if array.dtype in (np.float32, np.float64):
        return array
    return array.astype(np.float64)

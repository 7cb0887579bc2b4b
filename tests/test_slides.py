"""The worked examples of the course slides (CONTRACT.md), expected values by hand."""

from __future__ import annotations

import numpy as np
import pytest

import reference

X4 = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
W3 = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]])

X6 = np.array(
    [
        [1, 2, 3, 0, 1, 2],
        [0, 1, 2, 3, 4, 5],
        [3, 0, 1, 2, 6, 7],
        [2, 3, 0, 1, 0, 1],
        [5, 4, 9, 0, 2, 8],
        [1, 6, 3, 2, 1, 1],
    ]
)


# --------------------------------------------------------------------------- 4_1


@pytest.mark.parametrize(
    "args, expected",
    [
        ((4, 3), 2),  # the slide's 4x4 input, 3x3 filter
        ((4, 3, 1), 4),  # same, pad 1: size kept
        ((7, 3, 0, 2), 3),  # 7x7, 3x3, stride 2
        ((7, 3, 1, 2), 4),
        ((28, 5), 24),  # MNIST, the SimpleConvNet filter
        ((24, 2, 0, 2), 12),  # the SimpleConvNet pooling
        ((5, 2, 0, 2), 2),  # floor: the last column is not covered
        ((6, 3, 0, 3), 2),
        ((1, 1), 1),
    ],
)
def test_conv_output_size_examples(args, expected):
    assert reference.conv_output_size(*args) == expected


@pytest.mark.parametrize("dtype", [np.int64, np.float64, np.float32])
def test_convolution_slide_example(dtype):
    x, w = X4.astype(dtype), W3.astype(dtype)
    out = reference.convolution(x, w)
    assert out.dtype == (np.float32 if dtype is np.float32 else np.float64)
    np.testing.assert_array_equal(out, [[15, 16], [6, 15]])
    np.testing.assert_array_equal(reference.convolution(x, w, 3), [[18, 19], [9, 18]])
    np.testing.assert_array_equal(
        reference.convolution(x, w, pad=1),
        [[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]],
    )


def test_convolution_stride_2_and_channels_are_summed():
    np.testing.assert_array_equal(reference.convolution(X4, W3, pad=1, stride=2), [[7, 10], [10, 15]])
    # two channels: the second is the first times 10, so the sum is 11 times the slide result
    x = np.stack([X4, 10 * X4])
    w = np.stack([W3, W3])
    np.testing.assert_array_equal(reference.convolution(x, w), [[165, 176], [66, 165]])


def test_convolution_is_not_flipped():
    x = np.arange(9).reshape(3, 3)
    w = np.array([[1, 0], [0, 0]])  # picks the window's top-left element
    np.testing.assert_array_equal(reference.convolution(x, w), [[0, 1], [3, 4]])


# --------------------------------------------------------------------------- 4_2


@pytest.mark.parametrize(
    "pool, stride, pad, expected",
    [
        (2, 2, 0, [[2, 3, 5], [3, 2, 7], [6, 9, 8]]),
        (3, 3, 0, [[3, 7], [9, 8]]),
        (2, 2, 1, [[1, 3, 1, 2], [3, 2, 6, 7], [5, 9, 2, 8], [1, 6, 2, 1]]),
    ],
)
def test_max_pooling_slide_example(pool, stride, pad, expected):
    np.testing.assert_array_equal(reference.max_pooling(X6, pool, pool, stride=stride, pad=pad), expected)


def test_max_pooling_overlapping_windows():
    # 3x3 windows, stride 2 (overlap by one row/column): OH = (6 - 3)//2 + 1 = 2
    np.testing.assert_array_equal(reference.max_pooling(X6, 3, 3, stride=2), [[3, 6], [9, 9]])


def test_max_pooling_rectangular_window():
    # 2 rows x 3 columns, stride 2: OH = 3, OW = (6 - 3)//2 + 1 = 2
    np.testing.assert_array_equal(reference.max_pooling(X6, 2, 3, stride=2), [[3, 4], [3, 6], [9, 9]])


def test_max_pooling_negative_input_padding_never_wins():
    expected = -np.array([[1, 2, 0, 2], [0, 0, 2, 5], [2, 0, 0, 1], [1, 3, 1, 1]])
    # -X6 with 2x2 / stride 2 / pad 1: each window's max is minus the window's min
    np.testing.assert_array_equal(reference.max_pooling(-X6, 2, 2, stride=2, pad=1), expected)


def test_max_pooling_channels_kept():
    x = np.stack([X6, -X6, 2 * X6])
    out = reference.max_pooling(x, 2, 2, stride=2)
    assert out.shape == (3, 3, 3)
    np.testing.assert_array_equal(out[0], [[2, 3, 5], [3, 2, 7], [6, 9, 8]])
    np.testing.assert_array_equal(out[2], 2 * out[0])
    np.testing.assert_array_equal(out[1], [[0, 0, -1], [0, 0, 0], [-1, 0, -1]])


# --------------------------------------------------------------------------- 4_6 MaxPooling layer


def test_maxpooling_layer_slide_example_with_ties():
    layer = reference.MaxPooling(2, 2, stride=2)
    out = layer.forward(X6[None, None].astype(np.float64))
    np.testing.assert_array_equal(out[0, 0], [[2, 3, 5], [3, 2, 7], [6, 9, 8]])
    # window (0, 1) is [[3, 0], [2, 3]] and window (1, 0) is [[3, 0], [2, 3]]: ties, first wins
    dx = layer.backward(np.arange(1.0, 10.0).reshape(1, 1, 3, 3))
    np.testing.assert_array_equal(
        dx[0, 0],
        [
            [0, 1, 2, 0, 0, 0],
            [0, 0, 0, 0, 0, 3],
            [4, 0, 0, 5, 0, 6],
            [0, 0, 0, 0, 0, 0],
            [0, 0, 8, 0, 0, 9],
            [0, 7, 0, 0, 0, 0],
        ],
    )


def test_maxpooling_layer_overlap_gradients_add():
    layer = reference.MaxPooling(3, 3, stride=2)
    layer.forward(X6[None, None].astype(np.float64))
    # windows (1, 0) and (1, 1) both pick the 9 at (4, 2)
    dx = layer.backward(np.array([[[[1.0, 2.0], [4.0, 8.0]]]]))
    expected = np.zeros((6, 6))
    expected[0, 2] = 1  # window (0, 0): first 3 in row-major order
    expected[2, 4] = 2  # window (0, 1): the 6
    expected[4, 2] = 4 + 8
    np.testing.assert_array_equal(dx[0, 0], expected)


# --------------------------------------------------------------------------- 4_3 / 4_4


def test_im2col_4x4_image_2x2_filter_stride_2_rows_are_blocks():
    x = np.arange(16).reshape(1, 1, 4, 4)
    col = reference.im2col(x, 2, 2, stride=2)
    np.testing.assert_array_equal(col, [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]])
    assert col.dtype == np.float64
    # no overlap: col2im puts every block back
    np.testing.assert_array_equal(reference.col2im(col, x.shape, 2, 2, stride=2), x)


def test_im2col_two_images_two_channels():
    x = np.arange(36).reshape(2, 2, 3, 3)  # image n, channel c: 18n + 9c + [[0,1,2],[3,4,5],[6,7,8]]
    col = reference.im2col(x, 2, 2)
    image0 = [
        [0, 1, 3, 4, 9, 10, 12, 13],
        [1, 2, 4, 5, 10, 11, 13, 14],
        [3, 4, 6, 7, 12, 13, 15, 16],
        [4, 5, 7, 8, 13, 14, 16, 17],
    ]
    np.testing.assert_array_equal(col, np.array(image0 + [[v + 18 for v in row] for row in image0]))
    # col2im of all ones counts how many windows cover each pixel
    counts = reference.col2im(np.ones_like(col), x.shape, 2, 2)
    np.testing.assert_array_equal(counts, np.broadcast_to([[1, 2, 1], [2, 4, 2], [1, 2, 1]], x.shape))


def test_im2col_padding_and_col2im_drops_it():
    x = np.array([[[[1, 2], [3, 4]]]])
    col = reference.im2col(x, 2, 2, stride=1, pad=1)
    np.testing.assert_array_equal(
        col,
        [
            [0, 0, 0, 1], [0, 0, 1, 2], [0, 0, 2, 0],
            [0, 1, 0, 3], [1, 2, 3, 4], [2, 0, 4, 0],
            [0, 3, 0, 0], [3, 4, 0, 0], [4, 0, 0, 0],
        ],
    )  # fmt: skip
    np.testing.assert_array_equal(reference.col2im(col, x.shape, 2, 2, stride=1, pad=1), 4 * x)


def test_padding_reshape_transpose_helpers_small_example():
    x = np.arange(4).reshape(1, 1, 2, 2)
    np.testing.assert_array_equal(
        reference.pad_hw(x, 1, constant_values=-1)[0, 0],
        [[-1, -1, -1, -1], [-1, 0, 1, -1], [-1, 2, 3, -1], [-1, -1, -1, -1]],
    )
    w = np.arange(8).reshape(2, 1, 2, 2)  # two filters [[0,1],[2,3]] and [[4,5],[6,7]]
    np.testing.assert_array_equal(reference.filters_to_matrix(w), [[0, 4], [1, 5], [2, 6], [3, 7]])
    out = np.array([[0, 10], [1, 11], [2, 12], [3, 13]])  # rows (n=0, oh, ow), columns = filters
    nchw = reference.matrix_to_nchw(out, 1, 2, 2)
    np.testing.assert_array_equal(nchw, [[[[0, 1], [2, 3]], [[10, 11], [12, 13]]]])
    np.testing.assert_array_equal(reference.nchw_to_matrix(nchw), out)


def test_convolution_by_im2col_equals_slide_result():
    col = reference.im2col(X4[None, None], 3, 3)
    out = col @ reference.filters_to_matrix(W3[None, None])
    np.testing.assert_array_equal(reference.matrix_to_nchw(out, 1, 2, 2)[0, 0], [[15, 16], [6, 15]])
    layer = reference.Convolution(W3[None, None].astype(np.float64), np.array([3.0]), pad=1)
    np.testing.assert_array_equal(
        layer.forward(X4[None, None])[0, 0],
        np.array([[7, 12, 10, 2], [4, 15, 16, 10], [10, 6, 15, 6], [8, 10, 4, 3]]) + 3,
    )

"""The course's NumPy reference implementation of DAY4 (CNNs).

Every graded name of the contract lives here with exactly the contract's meaning, beside the
helpers a notebook may import (layers and optimizers of earlier exercises, MNIST loading in
:mod:`reference.data`).
"""
from .basics import convolution, filters_to_matrix, matrix_to_nchw, max_pooling, nchw_to_matrix, pad_hw
from .conv_layers import Convolution, MaxPooling
from .im2col import col2im, im2col
from .layers import Affine, Relu, SoftmaxWithLoss, softmax
from .network import SimpleConvNet
from .optimizers import SGD, Adam, Momentum
from .shapes import conv_output_size
from .trainer import EpochRecord, History, Trainer

__all__ = [
    "conv_output_size", "convolution", "max_pooling",
    "pad_hw", "filters_to_matrix", "matrix_to_nchw", "nchw_to_matrix",
    "im2col", "col2im", "Convolution", "MaxPooling",
    "Relu", "Affine", "SoftmaxWithLoss", "softmax", "SimpleConvNet",
    "SGD", "Momentum", "Adam", "Trainer", "History", "EpochRecord",
]
__version__ = "0.1.0"

"""4_7 (SimpleConvNet) in trainees' styles: the book's OrderedDict network on the book's layout
(``common.layers``, ``common.optimizer``, ``dataset.mnist``, ``tqdm.notebook``, pandas, pyplot),
a self-contained float32 network with its own layers (tensordot over sliding windows) and Adam; and the book's code as printed
(``accuracy`` dropping the last partial batch, ``W2`` sized with ``/``) left untrained.
Training is kept short (a few hundred iterations): the expected outcome is the partial credit
the grader's own measurement of ``network.params`` gives.
Over 300 lines: nearly all of it is the notebooks' cell text, not logic.
"""
from __future__ import annotations

import numpy as np

from nbspec import Notebook, md

BOOK_HEAD = '''
import sys, os
sys.path.append(os.pardir)
import numpy as np
import pickle
from collections import OrderedDict
from common.layers import *
from common.optimizer import Adam
from dataset.mnist import load_mnist
from tqdm.notebook import tqdm
import pandas as pd
import matplotlib.pyplot as plt
%matplotlib inline
np.random.seed(1234)
'''

BOOK_NET = '''
class SimpleConvNet:
    """conv - relu - pool - affine - relu - affine - softmax"""

    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        filter_num = conv_param['filter_num']
        filter_size = conv_param['filter_size']
        filter_pad = conv_param['pad']
        filter_stride = conv_param['stride']
        C, H, W = input_dim
        conv_h = (H - filter_size + 2*filter_pad) // filter_stride + 1
        conv_w = (W - filter_size + 2*filter_pad) // filter_stride + 1
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)

        # 重みの初期化
        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(filter_num, C, filter_size, filter_size)
        self.params['b1'] = np.zeros(filter_num)
        self.params['W2'] = weight_init_std * np.random.randn(pool_output_size, hidden_size)
        self.params['b2'] = np.zeros(hidden_size)
        self.params['W3'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b3'] = np.zeros(output_size)

        # レイヤの生成
        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(self.params['W1'], self.params['b1'],
                                           conv_param['stride'], conv_param['pad'])
        self.layers['Relu1'] = Relu()
        self.layers['Pool1'] = MaxPooling(pool_h=2, pool_w=2, stride=2)
        self.layers['Affine1'] = Affine(self.params['W2'], self.params['b2'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W3'], self.params['b3'])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.last_layer.forward(y, t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        acc = 0.0
        for i in range(0, x.shape[0], batch_size):   # 端数のバッチも数える
            tx = x[i:i + batch_size]
            tt = t[i:i + batch_size]
            y = np.argmax(self.predict(tx), axis=1)
            acc += np.sum(y == tt)
        return acc / x.shape[0]

    def gradient(self, x, t):
        # forward
        self.loss(x, t)
        # backward
        dout = 1
        dout = self.last_layer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Conv1'].dW, self.layers['Conv1'].db
        grads['W2'], grads['b2'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W3'], grads['b3'] = self.layers['Affine2'].dW, self.layers['Affine2'].db
        return grads
'''

BOOK_TRAIN = '''
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=False, one_hot_label=False)
# 全部だと時間がかかるので一部だけ使う
x_train, t_train = x_train[:6000], t_train[:6000]
x_test, t_test = x_test[:1000], t_test[:1000]

# フィルター 30 枚だと遅いので 10 枚に減らした
network = SimpleConvNet(input_dim=(1, 28, 28),
                        conv_param={'filter_num': 10, 'filter_size': 5, 'pad': 0, 'stride': 1},
                        hidden_size=100, output_size=10, weight_init_std=0.01)
optimizer = Adam(lr=0.003)

iters_num = 240
batch_size = 100
train_size = x_train.shape[0]
train_loss_list = []
for i in tqdm(range(iters_num)):
    batch_mask = np.random.choice(train_size, batch_size)
    x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
    grads = network.gradient(x_batch, t_batch)
    optimizer.update(network.params, grads)
    if i % 20 == 0:
        train_loss_list.append(network.loss(x_batch, t_batch))

test_acc = network.accuracy(x_test, t_test)
print('test acc:', test_acc)
'''

BOOK_REPORT = '''
df = pd.DataFrame({'iteration': np.arange(len(train_loss_list)) * 20, 'loss': train_loss_list})
display(df.tail())
plt.plot(df['iteration'], df['loss'])
plt.xlabel('イテレーション')
plt.ylabel('損失')
plt.title('学習の推移')
plt.show()
'''

OWN_LAYERS = '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from reference.data import load_mnist


class Conv:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        s, p = self.stride, self.pad
        FN, C, FH, FW = self.W.shape
        self.x_shape = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.win = sliding_window_view(xp, (FH, FW), axis=(2, 3))[:, :, ::s, ::s]
        out = np.tensordot(self.win, self.W, axes=([1, 4, 5], [1, 2, 3]))   # (N, OH, OW, FN)
        return out.transpose(0, 3, 1, 2) + self.b[:, None, None]

    def backward(self, dout):
        s, p = self.stride, self.pad
        FN, C, FH, FW = self.W.shape
        N, _, H, W = self.x_shape
        OH, OW = dout.shape[2:]
        self.db = dout.sum(axis=(0, 2, 3))
        self.dW = np.tensordot(dout, self.win, axes=([0, 2, 3], [0, 2, 3]))   # (FN, C, FH, FW)
        dwin = np.tensordot(dout, self.W, axes=([1], [0]))   # (N, OH, OW, C, FH, FW)
        dxp = np.zeros((N, C, H + 2 * p, W + 2 * p), dtype=dout.dtype)
        for i in range(FH):
            for j in range(FW):
                dxp[:, :, i:i + s * OH:s, j:j + s * OW:s] += dwin[..., i, j].transpose(0, 3, 1, 2)
        return dxp[:, :, p:p + H, p:p + W]


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Pool2x2:
    """2x2、ストライド 2 専用 (reshape で計算)。奇数のときは最後の行・列を捨てる。"""

    def forward(self, x):
        N, C, H, W = x.shape
        PH, PW = H // 2, W // 2
        self.x_shape = x.shape
        blocks = x[:, :, :PH * 2, :PW * 2].reshape(N, C, PH, 2, PW, 2).transpose(0, 1, 2, 4, 3, 5)
        blocks = blocks.reshape(N, C, PH, PW, 4)
        self.arg = blocks.argmax(axis=-1)
        return blocks.max(axis=-1)

    def backward(self, dout):
        N, C, H, W = self.x_shape
        PH, PW = dout.shape[2:]
        d = np.zeros((N, C, PH, PW, 4), dtype=dout.dtype)
        np.put_along_axis(d, self.arg[..., None], dout[..., None], axis=-1)
        d = d.reshape(N, C, PH, PW, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, PH * 2, PW * 2)
        dx = np.zeros(self.x_shape, dtype=dout.dtype)
        dx[:, :, :PH * 2, :PW * 2] = d
        return dx


class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.shape)


class SoftmaxCE:
    def forward(self, x, t):
        if t.ndim == 1:
            t = np.eye(x.shape[1], dtype=x.dtype)[t]
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y, self.t = e / e.sum(axis=1, keepdims=True), t
        return -np.sum(t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self):
        return (self.y - self.t) / self.y.shape[0]
'''

OWN_NET = '''
class SimpleConvNet:
    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        C, H, W = input_dim
        fn, fs = conv_param['filter_num'], conv_param['filter_size']
        pad, stride = conv_param['pad'], conv_param['stride']
        oh = (H + 2 * pad - fs) // stride + 1
        ow = (W + 2 * pad - fs) // stride + 1
        rng = np.random.default_rng(0)
        def init(*shape):
            return (weight_init_std * rng.standard_normal(shape)).astype(np.float32)
        self.params = {'W1': init(fn, C, fs, fs), 'b1': np.zeros(fn, np.float32),
                       'W2': init(fn * (oh // 2) * (ow // 2), hidden_size), 'b2': np.zeros(hidden_size, np.float32),
                       'W3': init(hidden_size, output_size), 'b3': np.zeros(output_size, np.float32)}
        p = self.params
        self.layers = [Conv(p['W1'], p['b1'], stride, pad), ReLU(), Pool2x2(),
                       Dense(p['W2'], p['b2']), ReLU(), Dense(p['W3'], p['b3'])]
        self.loss_layer = SoftmaxCE()

    def predict(self, x):
        x = np.asarray(x, dtype=np.float32)   # float32 で計算して速くする
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.loss_layer.forward(self.predict(x), np.asarray(t))

    def accuracy(self, x, t, batch_size=100):
        t = np.asarray(t)
        labels = t.argmax(axis=1) if t.ndim == 2 else t
        hits = sum(int((self.predict(x[i:i + batch_size]).argmax(axis=1) == labels[i:i + batch_size]).sum())
                   for i in range(0, len(x), batch_size))
        return hits / len(x)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.loss_layer.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        conv, dense1, dense2 = self.layers[0], self.layers[3], self.layers[5]
        return {'W1': conv.dW, 'b1': conv.db, 'W2': dense1.dW, 'b2': dense1.db, 'W3': dense2.dW, 'b3': dense2.db}


class MyAdam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.m, self.v, self.iter = lr, beta1, beta2, None, None, 0

    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for k in params:
            self.m[k] += (1 - self.beta1) * (grads[k] - self.m[k])
            self.v[k] += (1 - self.beta2) * (grads[k] ** 2 - self.v[k])
            params[k] -= (lr_t * self.m[k] / (np.sqrt(self.v[k]) + 1e-7)).astype(params[k].dtype)
'''

OWN_TRAIN = '''
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=False, one_hot_label=True)
network = SimpleConvNet(conv_param={'filter_num': 16, 'filter_size': 5, 'pad': 0, 'stride': 1}, hidden_size=64)
opt = MyAdam(lr=0.002)
rng = np.random.default_rng(42)
train_loss_list = []
for it in range(300):
    idx = rng.integers(0, 10000, 64)
    grads = network.gradient(x_train[idx], t_train[idx])
    opt.update(network.params, grads)
    if it % 50 == 0:
        train_loss_list.append(float(network.loss(x_train[idx], t_train[idx])))
        print(it, train_loss_list[-1])
print('test acc', network.accuracy(x_test[:2000], t_test[:2000]))
'''

BOOK_AS_PRINTED = '''
import numpy as np
from collections import OrderedDict
from reference import Convolution, MaxPooling, Relu, Affine, SoftmaxWithLoss, SGD
from reference.data import load_mnist


class SimpleConvNet:
    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        filter_num = conv_param['filter_num']
        filter_size = conv_param['filter_size']
        filter_pad = conv_param['pad']
        filter_stride = conv_param['stride']
        input_size = input_dim[1]
        conv_output_size = (input_size - filter_size + 2*filter_pad) / filter_stride + 1
        pool_output_size = int(filter_num * (conv_output_size/2) * (conv_output_size/2))

        self.params = {}
        self.params['W1'] = weight_init_std * np.random.randn(filter_num, input_dim[0], filter_size, filter_size)
        self.params['b1'] = np.zeros(filter_num)
        self.params['W2'] = weight_init_std * np.random.randn(pool_output_size, hidden_size)
        self.params['b2'] = np.zeros(hidden_size)
        self.params['W3'] = weight_init_std * np.random.randn(hidden_size, output_size)
        self.params['b3'] = np.zeros(output_size)

        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(self.params['W1'], self.params['b1'], conv_param['stride'], conv_param['pad'])
        self.layers['Relu1'] = Relu()
        self.layers['Pool1'] = MaxPooling(pool_h=2, pool_w=2, stride=2)
        self.layers['Affine1'] = Affine(self.params['W2'], self.params['b2'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W3'], self.params['b3'])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.last_layer.forward(y, t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        acc = 0.0
        for i in range(int(x.shape[0] / batch_size)):
            tx = x[i*batch_size:(i+1)*batch_size]
            tt = t[i*batch_size:(i+1)*batch_size]
            y = self.predict(tx)
            y = np.argmax(y, axis=1)
            acc += np.sum(y == tt)
        return acc / x.shape[0]

    def gradient(self, x, t):
        self.loss(x, t)
        dout = 1
        dout = self.last_layer.backward(dout)
        layers = list(self.layers.values())
        layers.reverse()
        for layer in layers:
            dout = layer.backward(dout)
        grads = {}
        grads['W1'], grads['b1'] = self.layers['Conv1'].dW, self.layers['Conv1'].db
        grads['W2'], grads['b2'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
        grads['W3'], grads['b3'] = self.layers['Affine2'].dW, self.layers['Affine2'].db
        return grads
'''

def _verify_book_as_printed(ns: dict) -> None:
    """accuracy drops the last partial batch; W2 is sized with / (wrong for an odd conv output)."""
    net = ns["SimpleConvNet"](input_dim=(1, 10, 10), conv_param={'filter_num': 3, 'filter_size': 3, 'pad': 1,
                                                                'stride': 1}, hidden_size=8, output_size=5)
    x = np.random.default_rng(0).random((20, 1, 10, 10))
    t = net.predict(x).argmax(axis=1)  # its own predictions: the right accuracy is 1
    assert net.accuracy(x, t, batch_size=6) == 18 / 20 and net.accuracy(x, t, batch_size=5) == 1.0
    odd = ns["SimpleConvNet"](input_dim=(1, 14, 14), conv_param={'filter_num': 2, 'filter_size': 3, 'pad': 1,
                                                                'stride': 2}, hidden_size=6, output_size=4)
    oh = (14 + 2 - 3) // 2 + 1  # 7, pooled to 3
    assert odd.params['W2'].shape != (2 * (oh // 2) ** 2, 6)


NOTEBOOKS = [
    Notebook(
        "kato/4_7_simpleconvnet_trainee.ipynb", "4_7",
        (BOOK_HEAD, md("## SimpleConvNet (本の ch07/simple_convnet.py を参考に)"), BOOK_NET,
         md("## 学習 (時間短縮のため 6000 枚・240 イテレーション、フィルター 10 枚)"), BOOK_TRAIN, BOOK_REPORT),
        "the book's layout (common.layers *, common.optimizer.Adam, dataset.mnist.load_mnist), OrderedDict "
        "of layers, np.random.seed + randn init, tqdm.notebook progress bar, pandas loss table with display(), "
        "pyplot with Japanese labels; 10 filters, 240 Adam (lr 0.003) iterations on 6,000 images "
        "(measured: 0.9354 on the 10,000 test images, 2.02 of 4 points)",
        accuracy=(0.92, 0.95), measured_accuracy=0.9354, needs=("H3",), graded_cells=(2,)),
    Notebook(
        "ito/ito_4_7_cnn.ipynb", "4_7",
        (OWN_LAYERS, OWN_NET, OWN_TRAIN),
        "self-contained: its own float32 layers (tensordot conv over sliding windows, 2x2 reshape pooling with "
        "argmax, put_along_axis backward), a list of layers, its own Adam, one-hot labels, 16 filters and "
        "hidden 64; 300 iterations of 64 images (measured: 0.9383, 2.19 of 4 points)",
        accuracy=(0.925, 0.955), measured_accuracy=0.9383, needs=("H1",), graded_cells=(0, 1)),
    Notebook(
        "yamada/4_7_simpleconvnet_trainee.ipynb", "4_7",
        (BOOK_AS_PRINTED, "(x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=False)\n"
         "network = SimpleConvNet()\n# 学習は時間がかかるので後でやる\n# for i in range(10000): ...",
         "print(network.accuracy(x_test[:250], t_test[:250]))"),
        "WRONG: the book's code as printed (accuracy loops int(N / batch_size) times and drops the last "
        "partial batch; W2 sized with / ), course imports from reference, never trained",
        failing=("SimpleConvNet.accuracy", "SimpleConvNet.param_shapes", "SimpleConvNet.trained_accuracy"),
        fail_prefixes=("SimpleConvNet.param_shapes",), graded_cells=(0,), verify=_verify_book_as_printed),
]

"""Helpers of the book's ``common/`` layout that ``reference`` does not have, for the grading
kernel's course shim (:mod:`grader.kernel.course_shim` copies this file's text into the shim as
``common/_helpers.py``; it imports only NumPy and, lazily, the optimizers of ``reference``).

The semantics follow the book ("Deep Learning from Scratch") that real course notebooks are
written against: ``sigmoid``, ``cross_entropy_error``, ``numerical_gradient(f, x)``, the
``Sigmoid`` / ``Dropout`` / ``BatchNormalization`` layers, the ``AdaGrad`` / ``RMSprop``
optimizers, ``smooth_curve``, ``shuffle_dataset`` and a ``Trainer`` with the book's
signature. None of them is a graded name of any exercise.
"""
import numpy as np

__all__ = ["identity_function", "step_function", "sigmoid", "sigmoid_grad", "relu", "relu_grad",
           "mean_squared_error", "cross_entropy_error", "softmax_loss", "numerical_gradient",
           "Sigmoid", "Dropout", "BatchNormalization", "AdaGrad", "RMSprop", "smooth_curve",
           "shuffle_dataset", "Trainer"]


def identity_function(x):
    return x


def step_function(x):
    return np.array(x > 0, dtype=int)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)


def relu(x):
    return np.maximum(0, x)


def relu_grad(x):
    return np.where(np.asarray(x) >= 0, 1.0, 0.0)


def mean_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    """Mean cross-entropy of probabilities ``y`` ``(N, K)`` (or ``(K,)``) against labels
    ``t`` ``(N,)`` or one-hot ``(N, K)``."""
    y, t = np.asarray(y), np.asarray(t)
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    if t.size == y.size:  # one-hot
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def softmax_loss(X, t):
    shifted = X - np.max(X, axis=-1, keepdims=True)
    y = np.exp(shifted) / np.sum(np.exp(shifted), axis=-1, keepdims=True)
    return cross_entropy_error(y, t)


def numerical_gradient(f, x, h=1e-4):
    """Central differences of ``f()`` (or ``f(x)``) with respect to every element of ``x``
    (changed in place and restored), any shape."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        idx = it.multi_index
        keep = x[idx]
        x[idx] = keep + h
        fxh1 = f(x)
        x[idx] = keep - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = keep
        it.iternext()
    return grad


class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Dropout:
    """``forward(x, train_flg=True)`` drops each unit with probability ``dropout_ratio``
    while training and scales by ``1 - dropout_ratio`` otherwise."""

    def __init__(self, dropout_ratio=0.5, rng=None):
        self.dropout_ratio = dropout_ratio
        self.mask = None
        self.rng = np.random.default_rng(rng)

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = self.rng.random(np.shape(x)) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask


class BatchNormalization:
    """Batch normalisation over the batch axis (an ``(N, C, H, W)`` input is normalised per
    ``C*H*W`` feature, as in the book), with running statistics for ``train_flg=False``."""

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.input_shape = None
        self.running_mean, self.running_var = running_mean, running_var
        self.batch_size = self.xc = self.std = self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        out = self._forward(x.reshape(x.shape[0], -1), train_flg)
        return out.reshape(*self.input_shape)

    def _forward(self, x, train_flg):
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1])
            self.running_var = np.zeros(x.shape[1])
        if train_flg:
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc ** 2, axis=0)
            std = np.sqrt(var + 10e-7)
            self.batch_size, self.xc, self.xn, self.std = x.shape[0], xc, xc / std, std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
            xn = self.xn
        else:
            xn = (x - self.running_mean) / np.sqrt(self.running_var + 10e-7)
        return self.gamma * xn + self.beta

    def backward(self, dout):
        dout = dout.reshape(dout.shape[0], -1)
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return (dxc - dmu / self.batch_size).reshape(*self.input_shape)


class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr, self.h = lr, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr, self.decay_rate, self.h = lr, decay_rate, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)


def smooth_curve(x):
    """The book's smoothing of a loss curve (a Kaiser window of 11)."""
    window_len = 11
    x = np.asarray(x, dtype=float)
    s = np.r_[x[window_len - 1:0:-1], x, x[-1:-window_len:-1]]
    w = np.kaiser(window_len, 2)
    y = np.convolve(w / w.sum(), s, mode="valid")
    return y[5:len(y) - 5]


def shuffle_dataset(x, t, rng=None):
    permutation = np.random.default_rng(rng).permutation(x.shape[0])
    x = x[permutation, :] if x.ndim == 2 else x[permutation, :, :, :]
    return x, t[permutation]


def _optimizer(name, param):
    from reference import SGD, Adam, Momentum

    classes = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "rmsprop": RMSprop, "adam": Adam}
    if name.lower() not in classes:
        raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(classes)}")
    return classes[name.lower()](**param)


class Trainer:
    """The book's ``Trainer(network, x_train, t_train, x_test, t_test, epochs=20,
    mini_batch_size=100, optimizer='SGD', optimizer_param={'lr': 0.01},
    evaluate_sample_num_per_epoch=None, verbose=True)``; ``train()`` runs every iteration."""

    def __init__(self, network, x_train, t_train, x_test, t_test, epochs=20, mini_batch_size=100,
                 optimizer="SGD", optimizer_param=None, evaluate_sample_num_per_epoch=None, verbose=True,
                 rng=None):
        self.network, self.verbose = network, verbose
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.epochs, self.batch_size = epochs, mini_batch_size
        self.evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
        self.optimizer = _optimizer(optimizer, dict(optimizer_param or {"lr": 0.01}))
        self.train_size = x_train.shape[0]
        self.iter_per_epoch = max(self.train_size / mini_batch_size, 1)
        self.max_iter = int(epochs * self.iter_per_epoch)
        self.current_iter = self.current_epoch = 0
        self.rng = np.random.default_rng(rng)
        self.train_loss_list, self.train_acc_list, self.test_acc_list = [], [], []

    def train_step(self):
        batch_mask = self.rng.choice(self.train_size, self.batch_size)
        x_batch, t_batch = self.x_train[batch_mask], self.t_train[batch_mask]
        grads = self.network.gradient(x_batch, t_batch)
        self.optimizer.update(self.network.params, grads)
        loss = self.network.loss(x_batch, t_batch)
        self.train_loss_list.append(loss)
        if self.verbose:
            print("train loss:" + str(loss))
        if self.current_iter % self.iter_per_epoch == 0:
            self.current_epoch += 1
            n = self.evaluate_sample_num_per_epoch
            x_train, t_train = (self.x_train, self.t_train) if n is None else (self.x_train[:n], self.t_train[:n])
            x_test, t_test = (self.x_test, self.t_test) if n is None else (self.x_test[:n], self.t_test[:n])
            self.train_acc_list.append(self.network.accuracy(x_train, t_train))
            self.test_acc_list.append(self.network.accuracy(x_test, t_test))
            if self.verbose:
                print(f"=== epoch:{self.current_epoch}, train acc:{self.train_acc_list[-1]}, "
                      f"test acc:{self.test_acc_list[-1]} ===")
        self.current_iter += 1

    def train(self):
        for _ in range(self.max_iter):
            self.train_step()
        test_acc = self.network.accuracy(self.x_test, self.t_test)
        if self.verbose:
            print("=============== Final Test Accuracy ===============")
            print("test acc:" + str(test_acc))
        return test_acc

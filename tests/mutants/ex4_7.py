"""Mutants of exercise 4_7 (SimpleConvNet): a trainee's network on the course's layers, changed."""

NET = '''
from collections import OrderedDict
from reference import Convolution, MaxPooling, Relu, Affine, SoftmaxWithLoss


class SimpleConvNet:
    def __init__(self, input_dim=(1, 28, 28), conv_param={'filter_num': 30, 'filter_size': 5, 'pad': 0, 'stride': 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        fn, fs = conv_param['filter_num'], conv_param['filter_size']
        pad, stride = conv_param['pad'], conv_param['stride']
        C, H, W = input_dim
        conv_h = (H + 2 * pad - fs) // stride + 1
        conv_w = (W + 2 * pad - fs) // stride + 1
        pool_size = fn * (conv_h // 2) * (conv_w // 2)
        self.params = {
            'W1': weight_init_std * np.random.randn(fn, C, fs, fs), 'b1': np.zeros(fn),
            'W2': weight_init_std * np.random.randn(pool_size, hidden_size), 'b2': np.zeros(hidden_size),
            'W3': weight_init_std * np.random.randn(hidden_size, output_size), 'b3': np.zeros(output_size),
        }
        self.layers = OrderedDict()
        self.layers['Conv1'] = Convolution(self.params['W1'], self.params['b1'], stride, pad)
        self.layers['Relu1'] = Relu()
        self.layers['Pool1'] = MaxPooling(2, 2, stride=2)
        self.layers['Affine1'] = Affine(self.params['W2'], self.params['b2'])
        self.layers['Relu2'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W3'], self.params['b3'])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        acc = 0.0
        for i in range(int(np.ceil(x.shape[0] / batch_size))):
            tx, tt = x[i * batch_size:(i + 1) * batch_size], t[i * batch_size:(i + 1) * batch_size]
            acc += np.sum(np.argmax(self.predict(tx), axis=1) == tt)
        return acc / x.shape[0]

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {'W1': self.layers['Conv1'].dW, 'b1': self.layers['Conv1'].db,
                'W2': self.layers['Affine1'].dW, 'b2': self.layers['Affine1'].db,
                'W3': self.layers['Affine2'].dW, 'b3': self.layers['Affine2'].db}
'''

OWN_LOSS = '''
class MySoftmaxLoss:
    def forward(self, x, t):
        x = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
        self.t = t if t.ndim == 2 else np.eye(x.shape[1])[t]
        return -np.sum(self.t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        return (self.y - self.t) / batch_size
'''

BASE = {"own_loss": OWN_LOSS, "SimpleConvNet": NET}


def _net(*pairs, source=NET) -> str:
    for old, new in pairs:
        assert old in source, old
        source = source.replace(old, new)
    return source


_OWN_LAST = ("self.last_layer = SoftmaxWithLoss()", "self.last_layer = MySoftmaxLoss()")

MUTANTS = {
    "net_sums_cross_entropy": ("loss_summed", {"own_loss": OWN_LOSS.replace(
        "return -np.sum(self.t * np.log(self.y + 1e-7)) / x.shape[0]", "return -np.sum(self.t * np.log(self.y + 1e-7))"),
        "SimpleConvNet": _net(_OWN_LAST)}),
    "net_conv_straight_to_pool": ("missing_relu_conv", {"SimpleConvNet": _net(
        ("        self.layers['Relu1'] = Relu()\n", ""))}),
    "net_affine_straight_to_affine": ("missing_relu_affine", {"SimpleConvNet": _net(
        ("        self.layers['Relu2'] = Relu()\n", ""))}),
    "net_softmax_backward_y_minus_t": ("softmax_grad_not_divided", {"own_loss": OWN_LOSS.replace(
        "return (self.y - self.t) / batch_size", "return self.y - self.t"), "SimpleConvNet": _net(_OWN_LAST)}),
    "net_casts_params_after_layers": ("params_replaced", {"SimpleConvNet": _net(
        ("        self.last_layer = SoftmaxWithLoss()\n",
         "        self.last_layer = SoftmaxWithLoss()\n"
         "        self.params = {k: v.astype(np.float64) for k, v in self.params.items()}\n"))}),
    # generic findings
    "net_gradient_divided_twice": ("generic.factor_inv_n", {"own_loss": OWN_LOSS.replace(
        "return (self.y - self.t) / batch_size", "return (self.y - self.t) / batch_size / batch_size"),
        "SimpleConvNet": _net(_OWN_LAST)}),
    # unrelated wrong answers (a constant factor on a single number is no evidence of anything)
    "net_loss_in_bits": (None, {"own_loss": OWN_LOSS.replace("np.log(self.y", "np.log2(self.y"),
                                            "SimpleConvNet": _net(_OWN_LAST)}),
    "net_sigmoid_instead_of_relu": (None, {"own_loss": OWN_LOSS + '''
class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)
''', "SimpleConvNet": _net(("self.layers['Relu2'] = Relu()", "self.layers['Relu2'] = Sigmoid()"))}),
    # defects that only some shapes or call styles show (the plans' fixed boundary cases)
    "net_w2_true_division": (None, {"SimpleConvNet": _net(
        ("pool_size = fn * (conv_h // 2) * (conv_w // 2)", "pool_size = int(fn * (conv_h / 2) * (conv_w / 2))"))}),
    "net_w2_rounded_half": (None, {"SimpleConvNet": _net(
        ("pool_size = fn * (conv_h // 2) * (conv_w // 2)", "pool_size = fn * round(conv_h / 2) * round(conv_w / 2)"))}),
    "net_textbook_sizes_from_height": (None, {"SimpleConvNet": _net(
        ("        conv_h = (H + 2 * pad - fs) // stride + 1\n        conv_w = (W + 2 * pad - fs) // stride + 1\n"
         "        pool_size = fn * (conv_h // 2) * (conv_w // 2)\n",
         "        conv_output_size = (H - fs + 2 * pad) / stride + 1\n"
         "        pool_size = int(fn * (conv_output_size / 2) * (conv_output_size / 2))\n"))}),
    "net_accuracy_drops_last_batch": (None, {"SimpleConvNet": _net(
        ("range(int(np.ceil(x.shape[0] / batch_size)))", "range(x.shape[0] // batch_size)"))}),
    "net_positional_hidden_before_conv_param": (None, {"SimpleConvNet": _net(
        ("def __init__(self, input_dim=(1, 28, 28), conv_param=", "def __init__(self, input_dim=(1, 28, 28), hidden_size=100, conv_param="),
        ("                 hidden_size=100, output_size=10, weight_init_std=0.01):",
         "                 output_size=10, weight_init_std=0.01):"))}),
}

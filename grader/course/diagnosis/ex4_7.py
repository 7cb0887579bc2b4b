"""Typical mistakes of exercise 4_7: SimpleConvNet. The variants derive from the reference
network (the probe builds them with the same arguments as the trainee's)."""
from __future__ import annotations

import json

import reference
from reference.layers import SoftmaxWithLoss

from grader.course.diagnosis.base import Mistake
from grader.course.diagnosis.match import step_arrays

__all__ = ["MISTAKES"]


class _LossSummed(reference.SimpleConvNet):
    def loss(self, x, t):
        return super().loss(x, t) * len(x)


class _NoReluAfterConv(reference.SimpleConvNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.layers["Relu1"]


class _NoReluAfterAffine(reference.SimpleConvNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.layers["Relu2"]


class _SoftmaxNotDivided(SoftmaxWithLoss):
    def backward(self, dout=1.0):
        return (self.y - self.t) * dout


class _GradientNotDivided(reference.SimpleConvNet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.last_layer = _SoftmaxNotDivided()


_LAYER_PARAMS = (("Conv1", "W1", "b1"), ("Affine1", "W2", "b2"), ("Affine2", "W3", "b3"))


def _signature(kwargs: dict) -> str:
    return json.dumps(kwargs, sort_keys=True, default=str)


def _layers_hold_copies(ctx):
    """A network whose layers keep copies of the *trainee's* initial parameters (read by the
    probe right after construction), so that setting ``params[k][...]`` never reaches them."""
    initial = {}
    for step in ctx.plan.steps:
        if step["op"] == "attr" and step["name"] == "params":
            owner = ctx.plan.step(step["obj"])
            arrays = step_arrays(ctx.got, step["key"])
            if owner["op"] == "new" and owner.get("name") == "SimpleConvNet" and arrays:
                initial[_signature(owner.get("kwargs", {}))] = arrays

    class LayersHoldCopies(reference.SimpleConvNet):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            found = initial.get(_signature(kwargs), {})
            for layer, w, b in _LAYER_PARAMS:
                for attr, key in (("W", w), ("b", b)):
                    value = found.get(key)
                    if value is not None and value.shape == self.params[key].shape:
                        self.params[key][...] = value
                    setattr(self.layers[layer], attr, self.params[key].copy())

    return LayersHoldCopies


MISTAKES = (
    Mistake("loss_summed", "SimpleConvNet", (_LossSummed,),
            {"ja": "損失をバッチで合計している (平均していない)", "en": "loss summed over the batch, not averaged"},
            {"ja": "交差エントロピーはバッチの平均です: 合計を N で割ります (SoftmaxWithLoss.forward は平均を返します)。",
             "en": "The cross-entropy is the batch mean: divide the sum by N (SoftmaxWithLoss.forward returns the mean)."}),
    Mistake("missing_relu_conv", "SimpleConvNet", (_NoReluAfterConv,),
            {"ja": "Convolution の後の ReLU がない", "en": "the ReLU after Convolution is missing"},
            {"ja": "構成は Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine です。self.layers に Relu1 を入れましょう "
                   "(順伝播と逆伝播の両方で使われます)。",
             "en": "The architecture is Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine: add Relu1 to self.layers "
                   "(forward and backward both use it)."}),
    Mistake("missing_relu_affine", "SimpleConvNet", (_NoReluAfterAffine,),
            {"ja": "1 つ目の Affine の後の ReLU がない", "en": "the ReLU after the first Affine is missing"},
            {"ja": "構成は Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine です。Affine1 と Affine2 の間に Relu2 を入れましょう。",
             "en": "The architecture is Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine: put Relu2 between Affine1 and "
                   "Affine2."}),
    Mistake("softmax_grad_not_divided", "SimpleConvNet", (_GradientNotDivided,),
            {"ja": "Softmax-with-Loss の勾配をバッチサイズで割っていない", "en": "softmax gradient not divided by the batch size"},
            {"ja": "損失が平均なので、逆伝播の最初の勾配は (y - t) / N です。N で割らないと勾配がすべて N 倍になります。",
             "en": "The loss is a mean, so the first gradient of backpropagation is (y - t) / N; without / N every "
                   "gradient is N times too large."}),
    Mistake("params_replaced", "SimpleConvNet", (_layers_hold_copies,),
            {"ja": "層がパラメーターのコピーを持っている (その場で更新されない)", "en": "layers hold copies of the parameters (no in-place update)"},
            {"ja": "採点では params[k][...] = 値 で重みを書き換えますが、あなたの層は作成時の値のままでした。層には self.params の配列"
                   "そのものを渡し、.copy() や params[k] = 新しい配列 (astype など) で置き換えないようにしましょう。"
                   "学習でも params[k] -= lr * grad のようにその場で更新します。",
             "en": "The grader sets the weights with params[k][...] = value, but your layers kept their initial values. Give "
                   "the layers the very arrays of self.params and never replace them (.copy(), params[k] = a new array, "
                   "astype); in training too, update in place: params[k] -= lr * grad."},
            factory=True),
)

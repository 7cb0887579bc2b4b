"""The checks of exercise 5_1: a plan of calls on inputs drawn from ``rng`` (plus fixed
boundary cases whatever the seed), and one :class:`Spec` per thing worth a point."""
import numpy as np

from grader.course.checks.base import Spec
from grader.grading.probe import PlanBuilder

GRADED = ("relu", "Relu")  # the names the trainee's notebook defines, in report order

_HINT_RELU = {"ja": "relu(x) は x の各要素について max(x, 0) を返します (np.maximum(x, 0))。",
              "en": "relu(x) returns max(x, 0) for each element of x (np.maximum(x, 0))."}
_HINT_ZERO = {"ja": "backward では forward で覚えた mask (x <= 0 の位置) の勾配を 0 にします。x がちょうど 0 のところも 0 です。",
              "en": "backward sets the gradient to 0 where the mask remembered by forward (x <= 0) is True, x == 0 included."}
_HINT_UNMODIFIED = {"ja": "入力配列を書き換えないでください (x[x < 0] = 0 ではなく、コピーに対して行います)。",
                    "en": "Do not change the input array (not x[x < 0] = 0 on x itself; work on a copy)."}


def build(rng: np.random.Generator):
    """``(plan, specs)``: the calls the probe makes in the kernel and the checks on their outputs."""
    plan = PlanBuilder()
    w_relu = ("relu",)
    shapes = [(int(rng.integers(2, 6)),), (int(rng.integers(2, 5)), int(rng.integers(2, 5))), (2, 3, 4)]
    randoms = [plan.call(f"relu_{i}", "relu", plan.array(f"x_{i}", rng.standard_normal(shape)), track=(0,), watch=w_relu)
               for i, shape in enumerate(shapes)]
    fixed = plan.call("relu_fixed", "relu", plan.array("x_fixed", np.array([-1.0, 0.0, 2.0])), watch=w_relu)
    layer = plan.new("layer", "Relu", watch=("Relu.__init__", "Relu.forward", "Relu.backward"))
    x = plan.array("x_layer", np.array([[-2.0, 0.0, 3.0], [1.5, -0.5, 0.0]]))  # fixed: zeros included
    fwd = plan.method("forward", layer, "forward", x, track=(0,), watch=("Relu.forward",))
    dout = plan.array("dout", rng.standard_normal((2, 3)))
    bwd = plan.method("backward", layer, "backward", dout, after=(fwd,), watch=("Relu.backward",))
    return plan.build(), [
        Spec("relu.values", 1, tuple(randoms), hint=_HINT_RELU),
        Spec("relu.boundary", 1, (fixed,), hint=_HINT_RELU),
        Spec("relu.unmodified", 1, unmodified=tuple(randoms), hint=_HINT_UNMODIFIED),
        Spec("Relu.forward", 1, (fwd,), hint=_HINT_RELU),
        Spec("Relu.backward", 1, (bwd,), hint=_HINT_ZERO),
    ]

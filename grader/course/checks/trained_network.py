"""What the exercises that grade a trained ``network`` share (4_7 on MNIST, 4_10 on Katakana):
read ``network.params`` back from the probe, infer the SimpleConvNet's architecture from their
shapes, measure the accuracy with the reference's own forward pass in the grader process on
images the kernel never saw, and the training curves the notebook kept.

The probe steps these helpers read are ``network`` (``plan.global_``), ``network_params``
(``plan.attr(..., "params")``) and ``curve_<name>`` (``plan.global_array``): add them with
:func:`add_network_steps`."""
from __future__ import annotations

import numpy as np

import reference

from grader.reports.messages import in_lang, text
from grader.grading.results import CheckResult, Status
from grader.course.checks.base import Context, Spec, step_problem

__all__ = ["KEYS", "CURVE_NAMES", "MAX_CURVE_POINTS", "add_network_steps", "infer_architecture", "accuracy_of",
           "curves", "trained_params", "linear_points"]

KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
CURVE_NAMES = ("train_loss_list", "train_acc_list", "test_acc_list")
MAX_CURVE_POINTS = 1000

_TEXTS = {
    "no_params": {"ja": "network に属性 params (パラメーターの辞書) がありません。",
                  "en": "network has no attribute params (the dictionary of parameters)."},
    "not_dict": {"ja": "network.params が辞書ではありません ({type})。",
                 "en": "network.params is not a dictionary ({type})."},
}


def say(texts: dict, key: str, lang: str, **fields) -> str:
    return in_lang(texts[key], lang).format(**fields)


def add_network_steps(plan) -> None:
    """The steps that read ``network.params`` and the training curves (when the probe has
    ``global_array``)."""
    plan.global_("network", "network")
    plan.attr("network_params", "network", "params")
    add_curve = getattr(plan, "global_array", None)
    for name in CURVE_NAMES if add_curve else ():
        add_curve(f"curve_{name}", name)


STRIDES = (1, 2, 3)  # the conv strides a trainee's SimpleConvNet may use (conv_param["stride"])


def architectures(shapes: dict, output_size: int = 10) -> list[dict]:
    """Every ``{"filter_num", "filter_size", "pad", "stride", "hidden_size"}`` of a SimpleConvNet for
    ``(1, 28, 28)`` images and ``output_size`` classes whose parameters have ``shapes``: stride 1
    with pad 0 .. FS-1 first, then strides 2 and 3 with pad 0 .. FS//2 (a larger pad with a
    larger stride would fit networks built for other image sizes). With stride 1 at most one pad
    fits; a larger stride can fit two pads (the same W2). Raises ``ValueError`` saying what does
    not fit."""
    k = output_size
    if sorted(shapes) != sorted(KEYS):
        raise ValueError(f"keys {sorted(shapes)}, expected {list(KEYS)}")
    w1, w2, w3 = shapes["W1"], shapes["W2"], shapes["W3"]
    if len(w1) != 4 or w1[1] != 1 or w1[2] != w1[3] or not 1 <= w1[2] <= 28:
        raise ValueError(f"W1 {w1} is not (FN, 1, FS, FS) with 1 <= FS <= 28")
    fn, fs = w1[0], w1[2]
    if len(w2) != 2 or len(w3) != 2 or w3 != (w2[1], k):
        raise ValueError(f"W2 {w2} and W3 {w3} are not (D, hidden_size) and (hidden_size, {k})")
    if (shapes["b1"], shapes["b2"], shapes["b3"]) != ((fn,), (w2[1],), (k,)):
        raise ValueError(f"b1 {shapes['b1']}, b2 {shapes['b2']}, b3 {shapes['b3']} are not ({fn},), ({w2[1]},), ({k},)")
    found = [{"filter_num": fn, "filter_size": fs, "pad": pad, "stride": stride, "hidden_size": w2[1]}
             for stride in STRIDES for pad in range(fs if stride == 1 else fs // 2 + 1)
             if fn * (((28 + 2 * pad - fs) // stride + 1) // 2) ** 2 == w2[0]]
    if not found:
        ph = (28 - fs + 1) // 2
        raise ValueError(f"W2 has {w2[0]} rows; with pad 0 and stride 1, FN * PH * PW = {fn} * {ph} * {ph} = "
                         f"{fn * ph * ph} (nor does stride 2 or 3)")
    return found


def infer_architecture(shapes: dict, output_size: int = 10) -> dict:
    """The first of :func:`architectures` (stride 1 when it fits)."""
    return architectures(shapes, output_size)[0]


def accuracy_of(params: dict, arch: dict, x: np.ndarray, t: np.ndarray, output_size: int = 10) -> float:
    """The accuracy of ``params`` on ``(x, t)`` by the reference's forward pass (float32)."""
    conv = {k: arch[k] for k in ("filter_num", "filter_size", "pad", "stride")}
    net = reference.SimpleConvNet((1, 28, 28), conv, arch["hidden_size"], output_size, dtype=np.float32)
    for k in KEYS:
        net.params[k][...] = params[k]
    with np.errstate(all="ignore"):  # NaN or huge weights are the trainee's; they just score low
        return net.accuracy(x, t, batch_size=1000)


def best_accuracy(params: dict, candidates: list, x: np.ndarray, t: np.ndarray, output_size: int = 10):
    """``(architecture, accuracy)``: the one of ``candidates`` (:func:`architectures`) under which
    ``params`` score best (nearly always the only one; two pads can fit one stride above 1, and
    the shapes cannot tell which the trainee used)."""
    scored = [(accuracy_of(params, arch, x, t, output_size), i, arch) for i, arch in enumerate(candidates)]
    accuracy, _, arch = max(scored, key=lambda s: (s[0], -s[1]))
    return arch, accuracy


def linear_points(accuracy: float, full: float, zero: float, points: float) -> float:
    """All ``points`` at >= ``full``, none at <= ``zero``, linear in between (2 decimals)."""
    share = (accuracy - zero) / (full - zero)
    return round(points * min(1.0, max(0.0, share)), 2)


def curves(ctx: Context) -> dict:
    """The notebook's training curves that came back as 1-D arrays: ``{name: [float | None]}``, at most
    MAX_CURVE_POINTS each (evenly thinned); non-finite values become ``None`` (JSON)."""
    out = {}
    for name in CURVE_NAMES:
        values = ctx.got.arrays.get(f"curve_{name}")
        if values is None or values.ndim != 1 or values.size == 0:
            continue
        if values.size > MAX_CURVE_POINTS:
            values = values[np.linspace(0, values.size - 1, MAX_CURVE_POINTS).round().astype(int)]
        out[name] = [float(v) if np.isfinite(v) else None for v in values.astype(np.float64)]
    return out


def trained_params(spec: Spec, ctx: Context, fail, reject=None):
    """``network.params`` as arrays, or the CheckResult (made by ``fail(status, message)``) that says
    why not. ``reject()``: an exercise's own refusal (a CheckResult or None), asked once the steps ran."""
    for key in ("network", "network_params"):
        state = ctx.got.step_status(key).get("status")
        if state == "missing-attr":
            return fail(Status.FAILED, say(_TEXTS, "no_params", ctx.lang))
        if state == "badtype":
            return fail(Status.FAILED, say(_TEXTS, "not_dict", ctx.lang, type=ctx.got.step_status(key).get("type", "?")))
        problem = step_problem(spec, ctx, key)
        if problem is not None:
            return fail(*problem)
    refused = reject() if reject is not None else None
    if isinstance(refused, CheckResult):
        return refused
    info = ctx.got.step_status("network_params")
    for k, problem in info.get("bad_items", {}).items():
        return fail(Status.FAILED, text("badtype", ctx.lang, call=f"network.params[{k!r}]", type=problem))
    names = info.get("keys", ())
    return {k: ctx.got.arrays[f"network_params/{k}"] for k in names if f"network_params/{k}" in ctx.got.arrays}

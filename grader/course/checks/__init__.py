"""The built-in DAY4 exercises, one :class:`~grader.course.registry.Exercise` each. They are registered
through the entry-point group ``day4_grader.exercises`` in ``pyproject.toml`` (``"4_1" =
"grader.course.checks:EX4_1"``), exactly as a course's own package registers its exercises; nothing
here lists them for the rest of the grader (ask :mod:`grader.course.registry`).

``REGISTRY`` (id -> checks module path) and :func:`load` stay for compatibility; both are
derived from the registry."""
from __future__ import annotations

from grader.course.registry import Exercise

__all__ = ["EX4_1", "EX4_2", "EX4_3", "EX4_4", "EX4_5", "EX4_6", "EX4_7", "EX4_8", "EX4_9", "EX4_10", "REGISTRY", "load", "reference_namespace"]


def _day4(number: int, notebook: str, ja: str, en: str, catalogue: bool = True) -> Exercise:
    """A DAY4 exercise: checks in ``grader.course.checks.ex4_N``, typical mistakes (when ``catalogue``)
    in ``grader.course.diagnosis.ex4_N``. A new one also needs its line in ``pyproject.toml``
    (``"4_N" = "grader.course.checks:EX4_N"``) and ``pip install -e . --no-deps``."""
    exercise = f"4_{number}"
    return Exercise(id=exercise, title_ja=ja, title_en=en, notebook=notebook, checks=f"grader.course.checks.ex{exercise}",
                    diagnosis=f"grader.course.diagnosis.ex{exercise}" if catalogue else None,
                    course="DAY4")


EX4_1 = _day4(1, "4_1_convolution.ipynb", "畳み込み演算", "Convolution")
EX4_2 = _day4(2, "4_2_maxpooling.ipynb", "マックスプーリング", "Max pooling")
EX4_3 = _day4(3, "4_3_padding_reshape_transpose.ipynb", "パディング・reshape・transpose",
              "Padding, reshape, transpose")
EX4_4 = _day4(4, "4_4_im2col_col2im_trainee.ipynb", "im2col と col2im", "im2col and col2im")
EX4_5 = _day4(5, "4_5_convolution_layer_trainee.ipynb", "畳み込み層", "Convolution layer")
EX4_6 = _day4(6, "4_6_maxpooling_layer_trainee.ipynb", "マックスプーリング層", "Max pooling layer")
EX4_7 = _day4(7, "4_7_simpleconvnet_trainee.ipynb", "SimpleConvNet: CNN で MNIST を学習する",
              "SimpleConvNet: a CNN trained on MNIST")
EX4_8 = Exercise(id="4_8", title_ja="Augmentor によるデータ拡張 (NumPy で実装)",
                 title_en="Data augmentation the Augmentor way (in NumPy)", notebook="4_8_Augmentor.ipynb",
                 checks="grader.course.checks.ex4_8", diagnosis="grader.course.diagnosis.ex4_8",
                 reference="reference.augment", course="DAY4")
EX4_9 = Exercise(id="4_9", title_ja="ImageDataGenerator の変換 (NumPy で実装)",
                 title_en="ImageDataGenerator's transforms (in NumPy)", notebook="4_9_ImageDataGenerator_sample.ipynb",
                 checks="grader.course.checks.ex4_9", diagnosis="grader.course.diagnosis.ex4_9",
                 reference="reference.augment", course="DAY4")
EX4_10 = _day4(10, "4_10_katakana_groupwork.ipynb", "グループワーク: カタカナ15文字のデータ拡張と分類",
               "Group work: augmenting and classifying 15 katakana")


def __getattr__(name: str):
    if name == "REGISTRY":  # derived, never a second list: {id: checks module path}
        from grader.course import registry

        return {e.id: e.checks for e in registry.exercises()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(exercise: str):
    """The checks module of ``exercise`` (``GRADED``, ``build(rng)``, and optionally ``LIMITS``
    and ``extra_checks(ctx)``); :class:`~grader.errors.UsageError` for an unknown id."""
    from grader.course import registry

    return registry.get(exercise).module


def reference_namespace(exercise: str) -> dict | None:
    """The namespace the expected outputs of ``exercise`` come from (``None``: ``reference``)."""
    from grader.course import registry

    return registry.get(exercise).reference_namespace()

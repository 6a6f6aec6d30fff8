"""What a named weight source asks of a model: the options it was trained with, and its file ported
in with every tensor checked. `models.named` builds the model between the two."""

from __future__ import annotations

import os

import keras
import numpy as np

from keras_resnet.errors import ArchitectureMismatchError
from keras_resnet.models.pretrained.files import keras_applications_model, read_torch_state
from keras_resnet.models.pretrained.porting import port_torch_state
from keras_resnet.models.pretrained.registry import CAFFE_MEAN_RGB_STD, WeightSource


def pretrained_options(entry: WeightSource, kwargs: dict) -> dict:
    """`kwargs` with the options `entry` was trained with, or an error naming those it needs.

    Args:
        entry: the weights' table entry.
        kwargs: the arguments the user gave the named model.
    """
    needed = {**entry.options, "normalization": entry.normalization}
    conflicts = [
        f"{key}={kwargs[key]!r}"
        for key, value in needed.items()
        if key in kwargs and kwargs[key] is not None and _differs(kwargs[key], value)
    ]
    if kwargs.get("include_top", True) and kwargs.get("classes", 1000) != 1000:
        conflicts.append(f"classes={kwargs['classes']!r}")
    if conflicts:
        wanted = ", ".join(f"{key}={value!r}" for key, value in entry.options.items())
        raise ArchitectureMismatchError(
            f"{entry.source} weights for {entry.model} need {wanted} and 1000 classes (or "
            f"include_top=False); got {', '.join(conflicts)}"
        )
    return {**kwargs, **needed, "weights": None}


def _differs(given, needed) -> bool:
    if isinstance(needed, tuple):
        return not np.allclose(np.asarray(given, dtype=float), np.asarray(needed, dtype=float))
    return given != needed


def load_entry(entry: WeightSource, model: keras.Model, path: str | os.PathLike) -> None:
    """Port `entry`'s file at `path` into `model` (built with `pretrained_options`).

    Args:
        entry: the weights' table entry.
        model: the model built with `pretrained_options`.
        path: the fetched weights file.
    """
    include_top = any(layer.name == "predictions" for layer in model.layers)
    if entry.layout == "torch":
        port_torch_state(read_torch_state(path), model, skip_head=not include_top)
        return
    from keras_resnet.models.weights import from_keras_applications

    source = keras_applications_model(entry.model, path, include_top=include_top)
    from_keras_applications(source, model)
    if entry.normalization == CAFFE_MEAN_RGB_STD:
        reverse_input_channels(model)


def reverse_input_channels(model: keras.Model) -> None:
    """Make a model trained on BGR input take RGB: reverse conv1's input-channel axis.

    Args:
        model: a model whose `conv1_conv` reads BGR.
    """
    conv = model.get_layer("conv1_conv")
    kernel, *rest = conv.get_weights()
    conv.set_weights([kernel[:, :, ::-1, :], *rest])

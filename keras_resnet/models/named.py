"""The named models: `build(name)` over the spec table, and the weight sources a named model takes.

This module sits above both the builder (`models.resnet`) and the weight registry
(`models.pretrained`): a name picks a row of `MODEL_SPECS`, `weights="imagenet"` (or "torchvision",
"timm", "keras.applications") picks a published file and the options it was trained with, and the
builder never needs to know either exists.
"""

from __future__ import annotations

import difflib
import os
from typing import Any

import keras

from keras_resnet.errors import InvalidInputError
from keras_resnet.models.pretrained.registry import is_source_name, looks_like_source_name, resolve
from keras_resnet.models.resnet import ResNet
from keras_resnet.models.specs import MODEL_SPECS, ModelSpec, cifar_spec, imagenet_spec

__all__ = ["build", "cifar_resnet", "imagenet_resnet", "list_models"]


def list_models() -> list[str]:
    """Every name `build` accepts."""
    return list(MODEL_SPECS)


def build(name: str, /, **kwargs: Any) -> keras.Model:
    """Build the model called `name` in the spec table (see `list_models`).

    Args:
        name: a model name such as "resnet50" or "resnet20".
        **kwargs: any `ResNet` argument (`weights=` a source or file, `name=` too); they override
            the table's row.

    Returns:
        A functional `keras.Model`.
    """
    if not isinstance(name, str):
        raise InvalidInputError(f"model name must be a string such as 'resnet20'; got {name!r}")
    spec = MODEL_SPECS.get(name)
    if spec is None:
        close = difflib.get_close_matches(name, MODEL_SPECS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InvalidInputError(f"unknown model {name!r}.{hint} Valid names: {', '.join(MODEL_SPECS)}")
    return _from_spec(spec, name, kwargs)


def imagenet_resnet(depth: int, **kwargs: Any) -> keras.Model:
    """The ImageNet ResNet of any depth in the table.

    Args:
        depth: 18, 34, 50, 101, 152 or 200.
        **kwargs: `ResNet` arguments that override the table's.

    Returns:
        A functional `keras.Model`.
    """
    return _from_spec(imagenet_spec(depth), f"resnet{depth}", kwargs)


def cifar_resnet(depth: int, *, block: str = "basic", **kwargs: Any) -> keras.Model:
    """The CIFAR ResNet of any depth of the paper's formula.

    Args:
        depth: 6n+2 for `block` "basic" (20, 32, 44, 56, 110, ...), 9n+2 for "bottleneck".
        block: "basic" or "bottleneck".
        **kwargs: `ResNet` arguments that override the table's.

    Returns:
        A functional `keras.Model`.
    """
    return _from_spec(cifar_spec(depth, block=block), f"resnet{depth}", kwargs)


def _from_spec(spec: ModelSpec, name: str, overrides: dict) -> keras.Model:
    weights = overrides.get("weights")
    if is_source_name(weights):  # "torchvision", "timm", "imagenet", ...
        return _pretrained(spec, name, overrides)
    if looks_like_source_name(weights) and not os.path.exists(weights):
        resolve(name, weights)  # an unknown source: refused before anything is built
    kwargs = {**spec.builder_kwargs(), "name": name, **overrides}
    data_format = kwargs.get("data_format") or keras.config.image_data_format()
    if "input_shape" not in overrides and data_format == "channels_first":
        height, width, channels = spec.input_shape
        kwargs["input_shape"] = (channels, height, width)
    return ResNet(**kwargs)


def _pretrained(spec: ModelSpec, name: str, overrides: dict) -> keras.Model:
    """`name` with the weights of the source `overrides["weights"]`: the source's options, its
    preprocessing inside the model (raw RGB 0-255 in), its file fetched once and ported."""
    from keras_resnet.models.pretrained.build import load_entry, pretrained_options
    from keras_resnet.models.pretrained.fetch import fetch
    from keras_resnet.models.pretrained.imagenet import imagenet_class_names

    entry = resolve(name, overrides["weights"])
    options = pretrained_options(entry, overrides)
    path = fetch(entry)  # before building, so an offline error comes at once
    model = _from_spec(spec, name, options)
    load_entry(entry, model, path)
    if options.get("include_top", True):
        model.class_names = imagenet_class_names()  # read by export (labels.txt) and predict
    return model

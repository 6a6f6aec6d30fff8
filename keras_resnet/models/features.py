"""`feature_pyramid(model)`: a ResNet's stage features, for detection and segmentation heads.

Feature Pyramid Networks (Lin et al. 2017) and keras-hub's `pyramid_outputs` name a feature by its
level l, the feature map at stride 2**l of the input: "P2" ... "P5" are the ends of conv2 ... conv5
of an ImageNet ResNet (strides 4, 8, 16, 32). We keep that rule everywhere, so a head written
against "P3" always sees stride 8: the CIFAR family's three stages (strides 1, 2, 4) are "P0",
"P1", "P2". The feature of a level is the activated output of the last residual unit at that
stride: its `..._out` ReLU in post-activation nets (v1, v1.5); in pre-activation nets (v2), whose
units end on the sum, the BN-ReLU that follows that sum (the next unit's `..._preact_relu`, or the
final `post_relu` after the last unit), as He et al. 2016 place it. Units, their strides and the
stem's stride are read from the model's layers by the stable keras.applications names
(`conv{stage}_block{i}_1_conv`, `..._out`, `pool1_pool`, `post_relu`) and the layers' own strides,
so the pyramid follows `downsample="last"` and keras.applications ResNets too. The pyramid model
shares the model's layers (no copy): training it trains the model, and a pretrained model's
Normalization layer stays in front, so the features take raw RGB 0-255 as the model does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import keras

from keras_resnet.errors import InvalidInputError

__all__ = ["feature_pyramid", "pyramid_layers"]

_STEM_LAYER = re.compile(r"^conv1(_\d+)?_conv$|^pool1_pool$")


def feature_pyramid(model: keras.Model, *, levels: Sequence[str] | None = None) -> keras.Model:
    """A Keras model of `model`'s own layers whose outputs are its stage features, keyed by level.

    Args:
        model: A ResNet from this library (any version, depth, `include_top`, `pooling` or
            `weights`), or a keras.applications ResNet, whose layer names we share.
        levels: The keys to keep, e.g. `("P3", "P4", "P5")` for a RetinaNet head; default all.

    Returns:
        A `keras.Model` with `model`'s inputs and a dict of outputs {"P2": ..., "P5": ...} (ImageNet
        family, strides 4-32) or {"P0": ..., "P2": ...} (CIFAR family, strides 1-4); "P{l}" is at
        stride 2**l. Its layers are `model`'s: no weight is copied.

    Raises:
        InvalidInputError: `model` is not a ResNet built by this library or keras.applications, or
            `levels` names a level the model does not have.
    """
    names = pyramid_layers(model)
    if levels is not None:
        unknown = [level for level in levels if level not in names]
        if unknown or not levels:
            raise InvalidInputError(
                f"levels {list(levels)} are not all among {model.name}'s levels {list(names)}; "
                'pick from those ("P{l}" is the feature at stride 2**l)'
            )
        names = {level: names[level] for level in levels}
    outputs = {level: model.get_layer(name).output for level, name in names.items()}
    return keras.Model(model.inputs, outputs, name=f"{model.name}_pyramid")


def pyramid_layers(model: keras.Model) -> dict[str, str]:
    """The name of the layer whose output is each level's feature, e.g. {"P2": "conv2_block3_out"}.

    Args:
        model: A ResNet from this library or keras.applications (see `feature_pyramid`).
    """
    if not isinstance(model, keras.Model):
        raise InvalidInputError(
            f"feature_pyramid needs a Keras model built by keras-resnet, got {type(model).__name__}"
        )
    layer_names = {layer.name for layer in model.layers}
    units = _units(layer_names)
    if not units:
        raise InvalidInputError(
            f"model {model.name!r} has no layer named conv2_block1_1_conv, so it is not a ResNet "
            "built by keras-resnet (or keras.applications); build it with kr.build(...) or "
            "kr.resnet50(...), with or without include_top"
        )
    stride = math.prod(_strides(model.get_layer(name)) for name in layer_names if _STEM_LAYER.match(name))
    features: dict[str, str] = {}
    for k, unit in enumerate(units):
        stride *= max(_strides(model.get_layer(conv)) for conv in _branch_convs(unit, layer_names))
        following = f"{units[k + 1]}_preact_relu" if k + 1 < len(units) else "post_relu"
        if following in layer_names:  # pre-activation: the BN-ReLU that reads this unit's sum
            feature = following
        elif f"{unit}_out" in layer_names:
            feature = f"{unit}_out"
        else:
            raise InvalidInputError(
                f"unit {unit} of model {model.name!r} has no {unit}_out layer and no activation "
                f"after it ({following}); feature_pyramid reads ResNets built by keras-resnet"
            )
        features[f"P{int(math.log2(stride))}"] = feature  # a later unit at the same stride wins
    return features


def _units(layer_names: set[str]) -> list[str]:
    """Residual units in order, conv2_block1 onwards: every unit has a first conv `{unit}_1_conv`."""
    units = []
    stage = 2
    while f"conv{stage}_block1_1_conv" in layer_names:
        block = 1
        while f"conv{stage}_block{block}_1_conv" in layer_names:
            units.append(f"conv{stage}_block{block}")
            block += 1
        stage += 1
    return units


def _branch_convs(unit: str, layer_names: set[str]) -> list[str]:
    convs: list[str] = []
    while f"{unit}_{len(convs) + 1}_conv" in layer_names:
        convs.append(f"{unit}_{len(convs) + 1}_conv")
    return convs


def _strides(layer) -> int:
    strides = layer.strides
    return int(strides[0] if isinstance(strides, (tuple, list)) else strides)

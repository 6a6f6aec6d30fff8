"""`ResNet(...)`, the one builder behind every named model, and `build(name)` over the spec table.

A network is a stem, stages of residual units (He et al. 2015, Table 1; section 4.2 for CIFAR) and
a classifier head, with the keras.applications arguments (`include_top`, `weights`, `input_tensor`,
`input_shape`, `pooling`, `classes`, `classifier_activation`, `name`) on top.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import math
import os
from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from keras_resnet._utils.validation import check_choice, check_fraction
from keras_resnet.errors import InvalidInputError
from keras_resnet.models.blocks import BLOCK_BUILDERS, SHORTCUTS, VERSIONS, BlockOptions
from keras_resnet.models.specs import MODEL_SPECS, cifar_spec, imagenet_spec

STEMS = {"imagenet": 4, "cifar": 1, "deep": 4}  # stem -> its total stride
DOWNSAMPLE = ("first", "last")
POOLING = (None, "avg", "max")
DATA_FORMATS = ("channels_last", "channels_first")


def ResNet(
    *,
    block: str = "basic",
    stage_blocks: Sequence[int] = (2, 2, 2, 2),
    stage_widths: Sequence[int] = (64, 128, 256, 512),
    stage_strides: Sequence[int] | None = None,
    stem: str = "imagenet",
    stem_width: int | None = None,
    version: str = "v1.5",
    shortcut: str = "B",
    residual: bool = True,
    downsample: str = "first",
    zero_init_residual: bool = False,
    stochastic_depth_rate: float = 0.0,
    se_ratio: float | None = None,
    width_multiplier: float = 1.0,
    conv_bias: bool = False,
    bn_momentum: float = 0.9,
    bn_epsilon: float = 1e-5,
    kernel_initializer: Any = "he_normal",
    kernel_regularizer: Any = None,
    data_format: str | None = None,
    normalization: tuple[Sequence[float], Sequence[float]] | None = None,
    shortcut_variant: str = "identity",
    unit_order: str | None = None,
    gate_bias: float = -6.0,
    include_top: bool = True,
    weights: str | os.PathLike | None = None,
    input_tensor: keras.KerasTensor | None = None,
    input_shape: Sequence[int | None] | None = None,
    pooling: str | None = None,
    classes: int = 1000,
    classifier_activation: Any = "softmax",
    name: str = "resnet",
) -> keras.Model:
    """Build a residual (or, with `residual=False`, plain) network as a Keras functional model.

    Architecture: `block` "basic"/"bottleneck"; `stage_blocks`, `stage_widths`, `stage_strides`
    (default 1 then 2s) per stage; `stem` "imagenet" (7x7/2 + max-pool), "cifar" (3x3) or "deep"
    (three 3x3, ResNet-C), `stem_width` wide (default 64; cifar: the first stage's width); `version`
    "v1" (stride on the bottleneck's first 1x1), "v1.5" (on the 3x3) or "v2" (pre-activation units,
    final BN-ReLU); `shortcut` "A"-"D" (see `blocks.shortcut_path`); `downsample` "first" (the
    paper) or "last" (the stride moves to the previous stage's last unit, with a parameter-free
    shortcut, as keras.applications' ResNetV2). Layers: `conv_bias`, `bn_momentum`, `bn_epsilon`,
    `kernel_initializer`, `kernel_regularizer`. Training aids: `zero_init_residual` (last BN gamma
    of each branch at 0: every unit starts as the identity), `stochastic_depth_rate` (unit k of N
    drops its branch with rate k/N of it), `se_ratio`, `width_multiplier` (scales stage widths).
    `normalization=(mean, std)` per channel puts a Normalization layer after the input, so the
    model takes raw pixels. He et al. 2016 ablations (`models.variants`): `shortcut_variant` on
    identity shortcuts (Fig. 2: "identity", "scaled", "scaled_shortcut", "gated", "gated_shortcut"
    with gate bias `gate_bias`, "conv", "dropout"); `unit_order` (Fig. 4: "original",
    "bn_after_add", "relu_before_add", "relu_preact", "full_preact"; default "full_preact" for
    "v2", else "original"). As keras.applications: `include_top`, `weights` (None or a weights
    file; sources such as "imagenet" need a named model), `input_tensor`, `input_shape` (in
    `data_format` order), `pooling` (None, "avg", "max"), `classes`, `classifier_activation`, `name`.
    """
    arguments = dict(locals())  # every option by name, for the checks and the block options
    data_format = arguments["data_format"] = data_format or keras.config.image_data_format()
    stage_strides = tuple(stage_strides or (1,) + (2,) * (len(stage_blocks) - 1))
    arguments["stage_strides"] = stage_strides
    _check_options(**{key: arguments[key] for key in inspect.signature(_check_options).parameters})
    options = BlockOptions(
        **{field.name: arguments[field.name] for field in dataclasses.fields(BlockOptions)}
    )
    img_input = _model_input(
        input_tensor, input_shape, data_format, min_size=STEMS[stem] * math.prod(stage_strides)
    )
    x = img_input
    if normalization is not None:
        x = _normalization(normalization, options, channels=img_input.shape[options.channel_axis])(x)
    x = _stem(x, stem=stem, width=stem_width or (stage_widths[0] if stem == "cifar" else 64), options=options)
    x = _stages_and_head(x, arguments, options)
    inputs = keras.utils.get_source_inputs(input_tensor) if input_tensor is not None else img_input
    model = keras.Model(inputs, x, name=name)
    if weights is not None:
        from keras_resnet.models.weights import load_weights_file

        load_weights_file(model, weights)
    return model


def _stages_and_head(x, arguments: dict, options: BlockOptions):
    """The residual stages, then the head, as `ResNet`'s `arguments` ask."""
    x = _stages(
        x,
        block=arguments["block"],
        stage_blocks=arguments["stage_blocks"],
        widths=[max(1, int(round(w * arguments["width_multiplier"]))) for w in arguments["stage_widths"]],
        strides=_unit_strides(arguments["stage_blocks"], arguments["stage_strides"], arguments["downsample"]),
        stochastic_depth_rate=arguments["stochastic_depth_rate"],
        options=options,
    )
    return _head(
        x,
        include_top=arguments["include_top"],
        pooling=arguments["pooling"],
        classes=arguments["classes"],
        classifier_activation=arguments["classifier_activation"],
        options=options,
    )


def _check_options(
    *,
    block,
    stem,
    version,
    shortcut,
    downsample,
    pooling,
    data_format,
    stage_blocks,
    stage_widths,
    stage_strides,
    classes,
    include_top,
    residual,
    stochastic_depth_rate,
    se_ratio,
    width_multiplier,
    bn_momentum,
) -> None:
    """Refuse an invalid combination before any layer is built, naming the valid choices."""
    check_choice("block", block, BLOCK_BUILDERS)
    check_choice("stem", stem, STEMS)
    check_choice("version", version, VERSIONS)
    check_choice("shortcut", shortcut, SHORTCUTS)
    check_choice("downsample", downsample, DOWNSAMPLE)
    check_choice("pooling", pooling, POOLING)
    check_choice("data_format", data_format, DATA_FORMATS)
    if not (len(stage_blocks) == len(stage_widths) == len(stage_strides) >= 1):
        raise ValueError(
            "stage_blocks, stage_widths and stage_strides need one entry per stage, "
            f"got {list(stage_blocks)}, {list(stage_widths)}, {list(stage_strides)}"
        )
    if min(stage_blocks) < 1 or min(stage_widths) < 1 or min(stage_strides) < 1:
        raise ValueError("every stage needs at least one block, a width and a stride >= 1")
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        raise ValueError(f"classes must be a positive integer, got {classes!r}")
    if include_top and pooling is not None:
        raise ValueError(
            f"pooling={pooling!r} only applies with include_top=False; the "
            "classifier head always average-pools"
        )
    check_fraction("stochastic_depth_rate", stochastic_depth_rate)
    if stochastic_depth_rate and not residual:
        raise ValueError("stochastic depth drops residual branches; a plain net has none")
    if se_ratio is not None:
        check_fraction("se_ratio", se_ratio, include_low=False, include_high=True)
    if width_multiplier <= 0:
        raise ValueError(f"width_multiplier must be positive, got {width_multiplier}")
    check_fraction("bn_momentum", bn_momentum, include_high=True)


def _stages(
    x, *, block: str, stage_blocks, widths, strides, stochastic_depth_rate: float, options: BlockOptions
):
    """Stages conv2, conv3, ... (unit k of N drops its branch at k/N of the rate); nets whose units
    end on the sum (pre-activation) end with their pre-activation, BN-ReLU for v2."""
    total_units = sum(stage_blocks)
    unit = 0
    for stage, (blocks, width) in enumerate(zip(stage_blocks, widths), start=2):
        for i in range(1, blocks + 1):
            unit += 1
            x = BLOCK_BUILDERS[block](
                x,
                width=width,
                stride=strides[unit - 1],
                options=options,
                name=f"conv{stage}_block{i}",
                drop_rate=stochastic_depth_rate * unit / total_units,
            )
    return options.activate(x, options.order.final, name="post")


def _unit_strides(stage_blocks, stage_strides, downsample: str) -> list[int]:
    """Stride of every unit in order: a stage's first unit, or the previous stage's last one."""
    strides: list[int] = []
    for blocks, stride in zip(stage_blocks, stage_strides):
        stage = [1] * blocks
        if downsample == "first" or not strides:
            stage[0] = stride
        else:
            strides[-1] = stride
        strides.extend(stage)
    return strides


def _model_input(input_tensor, input_shape, data_format: str, *, min_size: int):
    shape: tuple | None
    if input_tensor is not None and keras.backend.is_keras_tensor(input_tensor):
        shape = tuple(input_tensor.shape[1:])
    else:
        shape = tuple(input_shape) if input_shape is not None else None
        if shape is None and input_tensor is not None:
            shape = tuple(input_tensor.shape[1:])
    if shape is None or len(shape) != 3:
        raise ValueError(
            f"input_shape must be (height, width, channels) in {data_format} order, got {shape!r}"
        )
    channels = shape[-1] if data_format == "channels_last" else shape[0]
    spatial = shape[:2] if data_format == "channels_last" else shape[1:]
    if channels is None or channels < 1:
        raise ValueError(f"the number of input channels must be known and >= 1, got {shape}")
    small = [s for s in spatial if s is not None and s < min_size]
    if small:
        raise ValueError(
            f"input {shape} is smaller than the network's total stride {min_size}; "
            f"use inputs of at least {min_size}x{min_size}"
        )
    if input_tensor is not None and not keras.backend.is_keras_tensor(input_tensor):
        return layers.Input(tensor=input_tensor, shape=shape, name="input")
    if input_tensor is not None:
        return input_tensor
    return layers.Input(shape=shape, name="input")


def _normalization(statistics, options: BlockOptions, *, channels: int):
    try:
        mean, std = statistics
        mean = [float(m) for m in mean]
        variance = [float(s) ** 2 for s in std]
    except (TypeError, ValueError) as err:
        raise ValueError("normalization must be (mean, std) with one value per channel") from err
    if len(mean) != channels or len(variance) != channels:
        raise InvalidInputError(
            f"normalization needs {channels} means and {channels} positive stds, "
            f"got {len(mean)} and {len(variance)}"
        )
    if min(variance) <= 0:
        raise InvalidInputError(
            f"normalization stds must be positive (an image is divided by them); got std "
            f"{[float(s) for s in std]}: a channel with std 0 is constant, use std 1 for it"
        )
    return layers.Normalization(axis=options.channel_axis, mean=mean, variance=variance, name="normalization")


def _stem(x, *, stem: str, width: int, options: BlockOptions):
    """conv1: the layers before the first stage. Pre-activation stems end on the conv."""
    if stem == "cifar":
        x = options.conv(x, width, 3, name="conv1", followed_by_bn=not options.preact)
    elif stem == "imagenet":
        x = options.conv(x, width, 7, strides=2, name="conv1", followed_by_bn=False)
    else:  # "deep": three 3x3 convs, the first strided (Bag of Tricks' ResNet-C)
        x = options.conv(x, width // 2, 3, strides=2, name="conv1_1")
        x = options.relu(options.bn(x, name="conv1_1_bn"), name="conv1_1_relu")
        x = options.conv(x, width // 2, 3, name="conv1_2")
        x = options.relu(options.bn(x, name="conv1_2_bn"), name="conv1_2_relu")
        x = options.conv(x, width, 3, name="conv1_3", followed_by_bn=False)
    if not options.preact:
        bn_name = "conv1_3_bn" if stem == "deep" else "conv1_bn"
        x = options.relu(options.bn(x, name=bn_name), name=bn_name.replace("_bn", "_relu"))
    if stem != "cifar":
        x = layers.ZeroPadding2D(1, data_format=options.data_format, name="pool1_pad")(x)
        x = layers.MaxPooling2D(3, strides=2, data_format=options.data_format, name="pool1_pool")(x)
    return x


def _head(x, *, include_top: bool, pooling, classes: int, classifier_activation, options):
    """Global pooling and the classifier: `predictions` gives logits, then a float32 activation."""
    fmt = options.data_format
    if include_top:
        x = layers.GlobalAveragePooling2D(data_format=fmt, name="avg_pool")(x)
        x = layers.Dense(classes, kernel_regularizer=options.kernel_regularizer, name="predictions")(x)
        return layers.Activation(
            classifier_activation or "linear", dtype="float32", name="predictions_activation"
        )(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(data_format=fmt, name="avg_pool")(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(data_format=fmt, name="max_pool")(x)
    return x


def list_models() -> list[str]:
    """Every name `build` accepts."""
    return list(MODEL_SPECS)


def build(name: str, /, **kwargs: Any) -> keras.Model:
    """Build the model called `name` in the spec table (see `list_models`); `kwargs`, any `ResNet`
    argument (`name=` too), override the table's."""
    if not isinstance(name, str):
        raise InvalidInputError(f"model name must be a string such as 'resnet20'; got {name!r}")
    spec = MODEL_SPECS.get(name)
    if spec is None:
        close = difflib.get_close_matches(name, MODEL_SPECS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown model {name!r}.{hint} Valid names: {', '.join(MODEL_SPECS)}")
    return _from_spec(spec, name, kwargs)


def imagenet_resnet(depth: int, **kwargs: Any) -> keras.Model:
    """The ImageNet ResNet of any `depth` in the table (18, 34, 50, 101, 152, 200); `kwargs` are
    `ResNet` arguments that override the table's."""
    return _from_spec(imagenet_spec(depth), f"resnet{depth}", kwargs)


def cifar_resnet(depth: int, *, block: str = "basic", **kwargs: Any) -> keras.Model:
    """The CIFAR ResNet of any `depth` 6n+2 (`block` "basic") or 9n+2 ("bottleneck"); `kwargs` are
    `ResNet` arguments that override the table's."""
    return _from_spec(cifar_spec(depth, block=block), f"resnet{depth}", kwargs)


def _from_spec(spec, name: str, overrides: dict) -> keras.Model:
    from keras_resnet.models.pretrained.registry import is_source_name, looks_like_source_name, resolve

    weights = overrides.get("weights")
    if is_source_name(weights):  # "torchvision", "timm", "imagenet", ...
        from keras_resnet.models.pretrained.build import build_pretrained

        return build_pretrained(name, overrides)
    if looks_like_source_name(weights) and not os.path.exists(weights):
        resolve(name, weights)  # an unknown source: refused before anything is built
    kwargs = {**spec.builder_kwargs(), "name": name, **overrides}
    data_format = kwargs.get("data_format") or keras.config.image_data_format()
    if "input_shape" not in overrides and data_format == "channels_first":
        height, width, channels = spec.input_shape
        kwargs["input_shape"] = (channels, height, width)
    return ResNet(**kwargs)

"""`ResNet(...)`, the one builder behind every named model: a network from its `ResNetOptions`.

A network is a stem, stages of residual units (He et al. 2015, Table 1; section 4.2 for CIFAR) and
a classifier head, with the keras.applications arguments (`include_top`, `weights`, `input_tensor`,
`input_shape`, `pooling`, `classes`, `classifier_activation`, `name`) on top. The options are one
`ResNetOptions` (models/options.py), checked once; the stem, stages and head read it. Named models
and weight sources live above this module, in `models.named`.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Sequence
from typing import Any

import keras
from keras import layers

from keras_resnet.errors import InvalidInputError
from keras_resnet.models.blocks import BLOCK_BUILDERS, BlockOptions
from keras_resnet.models.options import ResNetOptions, builder_signature


def ResNet(
    options: ResNetOptions | None = None,
    *,
    weights: str | os.PathLike | None = None,
    input_tensor: keras.KerasTensor | None = None,
    input_shape: Sequence[int | None] | None = None,
    name: str = "resnet",
    **architecture: Any,
) -> keras.Model:
    """Build a residual (or, with `residual=False`, plain) network as a Keras functional model.

    `ResNet(block="bottleneck", stage_blocks=(3, 4, 6, 3))` is a ResNet-50;
    `ResNet(ResNetOptions.for_model("resnet50"), classes=10)` the same with another head.

    Args:
        options: the architecture as a `ResNetOptions`; keyword options given beside it replace
            its fields. None: `ResNetOptions`' defaults.
        weights: None (random initialisation) or a `.weights.h5`, `.keras`, `.safetensors` or
            `.pth` file to load; sources such as "imagenet" need a named model
            (`kr.build("resnet50", weights="imagenet")`).
        input_tensor: a Keras tensor or array to use as the model's input.
        input_shape: (height, width, channels) in `data_format` order.
        name: the model's name.
        **architecture: any field of `ResNetOptions`, each described there: include_top,
            pooling, classes, classifier_activation, block, stage_blocks, stage_widths,
            stage_strides, stem, stem_width, version, shortcut, residual, downsample,
            zero_init_residual, stochastic_depth_rate, se_ratio, width_multiplier, conv_bias,
            bn_momentum, bn_epsilon, kernel_initializer, kernel_regularizer, data_format,
            normalization, shortcut_variant, unit_order, gate_bias.

    Returns:
        A functional `keras.Model`.
    """
    options = options.replace(**architecture) if options else ResNetOptions.from_kwargs(**architecture)
    data_format = options.data_format or keras.config.image_data_format()
    units = BlockOptions(
        **{field.name: getattr(options, field.name) for field in dataclasses.fields(BlockOptions)}
        | {"data_format": data_format}
    )
    img_input = _model_input(input_tensor, input_shape, data_format, min_size=options.total_stride)
    x = img_input
    if options.normalization is not None:
        x = _normalization(options.normalization, units, channels=img_input.shape[units.channel_axis])(x)
    x = _stem(x, stem=options.stem, width=options.stem_channels, options=units)
    x = _stages(x, options, units)
    x = _head(x, options, units)
    inputs = keras.utils.get_source_inputs(input_tensor) if input_tensor is not None else img_input
    model = keras.Model(inputs, x, name=name)
    if weights is not None:
        from keras_resnet.models.weights import load_weights_file

        load_weights_file(model, weights)
    return model


# `help(ResNet)`, IDEs and `--model-arg` checks see every option as a keyword argument.
ResNet.__signature__ = builder_signature(  # type: ignore[attr-defined]
    {},
    leading=[
        inspect.Parameter(
            "options", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=ResNetOptions | None
        )
    ],
)


def _stages(x, options: ResNetOptions, units: BlockOptions):
    """Stages conv2, conv3, ... (unit k of N drops its branch at k/N of the rate); nets whose units
    end on the sum (pre-activation) end with their pre-activation, BN-ReLU for v2."""
    strides, total_units = options.unit_strides, sum(options.stage_blocks)
    unit = 0
    for stage, (blocks, width) in enumerate(zip(options.stage_blocks, options.widths), start=2):
        for i in range(1, blocks + 1):
            unit += 1
            x = BLOCK_BUILDERS[options.block](
                x,
                width=width,
                stride=strides[unit - 1],
                options=units,
                name=f"conv{stage}_block{i}",
                drop_rate=options.stochastic_depth_rate * unit / total_units,
            )
    return units.activate(x, units.order.final, name="post")


def _model_input(input_tensor, input_shape, data_format: str, *, min_size: int):
    shape: tuple | None
    if input_tensor is not None and keras.backend.is_keras_tensor(input_tensor):
        shape = tuple(input_tensor.shape[1:])
    else:
        shape = tuple(input_shape) if input_shape is not None else None
        if shape is None and input_tensor is not None:
            shape = tuple(input_tensor.shape[1:])
    if shape is None or len(shape) != 3:
        raise InvalidInputError(
            f"input_shape must be (height, width, channels) in {data_format} order, got {shape!r}"
        )
    channels = shape[-1] if data_format == "channels_last" else shape[0]
    spatial = shape[:2] if data_format == "channels_last" else shape[1:]
    if channels is None or channels < 1:
        raise InvalidInputError(f"the number of input channels must be known and >= 1, got {shape}")
    small = [s for s in spatial if s is not None and s < min_size]
    if small:
        raise InvalidInputError(
            f"input {shape} is smaller than the network's total stride {min_size}; "
            f"use inputs of at least {min_size}x{min_size}"
        )
    if input_tensor is not None and not keras.backend.is_keras_tensor(input_tensor):
        return layers.Input(tensor=input_tensor, shape=shape, name="input")
    if input_tensor is not None:
        return input_tensor
    return layers.Input(shape=shape, name="input")


def _normalization(statistics, options: BlockOptions, *, channels: int):
    """A Normalization layer from (mean, std), already checked by `ResNetOptions`, per channel."""
    mean, std = statistics
    if len(mean) != channels or len(std) != channels:
        raise InvalidInputError(
            f"normalization needs {channels} means and {channels} positive stds, "
            f"got {len(mean)} and {len(std)}"
        )
    variance = [s**2 for s in std]
    return layers.Normalization(
        axis=options.channel_axis, mean=list(mean), variance=variance, name="normalization"
    )


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


def _head(x, options: ResNetOptions, units: BlockOptions):
    """Global pooling and the classifier: `predictions` gives logits, then a float32 activation."""
    fmt = units.data_format
    if options.include_top:
        x = layers.GlobalAveragePooling2D(data_format=fmt, name="avg_pool")(x)
        x = layers.Dense(options.classes, kernel_regularizer=units.kernel_regularizer, name="predictions")(x)
        return layers.Activation(
            options.classifier_activation or "linear", dtype="float32", name="predictions_activation"
        )(x)
    if options.pooling == "avg":
        return layers.GlobalAveragePooling2D(data_format=fmt, name="avg_pool")(x)
    if options.pooling == "max":
        return layers.GlobalMaxPooling2D(data_format=fmt, name="max_pool")(x)
    return x

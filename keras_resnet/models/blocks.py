"""Residual units: basic and bottleneck, in any of the activation orders and shortcut variants of
He et al. 2015 and 2016.

One builder per block kind says which convolutions its branch holds; `residual_unit` wires any
branch in any order of `variants.UNIT_ORDERS` (post-activation, full pre-activation and the
placements between, the 2016 paper's Fig. 4), `shortcut_path` is the single place where the 2015
paper's shortcut options A-D are decided, and `join_paths` the one place where the 2016 paper's
shortcut variants (Fig. 2) join shortcut and branch. Layer names follow keras.applications
(`conv{stage}_block{i}_{j}_conv`, `..._bn`, `..._add`, `..._out`) so weights map by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from keras import initializers, layers

from keras_resnet.errors import InvalidInputError
from keras_resnet.models.layers import StochasticDepth, ZeroPadShortcut
from keras_resnet.models.variants import (
    SHORTCUTS,
    UNIT_ORDERS,
    VERSIONS,
    UnitOrder,
    check_unit_options,
)

__all__ = ["SHORTCUTS", "VERSIONS", "BLOCK_BUILDERS", "BlockOptions", "residual_unit", "shortcut_path"]

BOTTLENECK_EXPANSION = 4
SHORTCUT_SCALE = 0.5  # the paper's lambda for constant scaling and the dropout shortcut's keep rate


@dataclasses.dataclass(frozen=True)
class BlockOptions:
    """Everything a unit needs besides its width and stride; builds its conv / BN / ReLU layers."""

    version: str = "v1.5"
    shortcut: str = "B"
    residual: bool = True
    conv_bias: bool = False
    zero_init_residual: bool = False
    se_ratio: float | None = None
    bn_momentum: float = 0.9
    bn_epsilon: float = 1e-5
    kernel_initializer: Any = "he_normal"
    kernel_regularizer: Any = None
    data_format: str = "channels_last"
    shortcut_variant: str = "identity"
    unit_order: str | None = None
    gate_bias: float = -6.0

    def __post_init__(self):
        resolved = check_unit_options(
            shortcut_variant=self.shortcut_variant,
            unit_order=self.unit_order,
            version=self.version,
            shortcut=self.shortcut,
            residual=self.residual,
        )
        object.__setattr__(self, "unit_order", resolved)

    @property
    def order(self) -> UnitOrder:
        assert self.unit_order is not None  # __post_init__ resolves it from the version
        return UNIT_ORDERS[self.unit_order]

    @property
    def preact(self) -> bool:
        """Full pre-activation (version "v2"): the stem ends on its conv, projections read BN-ReLU(x)."""
        return self.unit_order == "full_preact"

    @property
    def channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def conv(
        self,
        x,
        filters: int,
        kernel_size: int,
        *,
        name: str,
        strides: int = 1,
        followed_by_bn: bool = True,
        zero_init: bool = False,
    ):
        """Conv named `{name}_conv`; strided convs pad symmetrically (`{name}_pad`) like torchvision.

        `conv_bias=True` follows keras.applications: every conv in post-activation nets, and in
        pre-activation nets only the convs whose bias a following BatchNorm would not cancel.

        Args:
            x: the input tensor.
            filters: output channels.
            kernel_size: square kernel side.
            name: prefix of the layer names.
            strides: the convolution's stride.
            followed_by_bn: whether a BatchNorm follows (which cancels a bias in pre-activation
                nets).
            zero_init: start the kernel at zero.
        """
        if strides > 1 and kernel_size > 1:
            x = layers.ZeroPadding2D(kernel_size // 2, data_format=self.data_format, name=f"{name}_pad")(x)
            padding = "valid"
        else:
            padding = "same"
        return layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            use_bias=self.conv_bias and not (self.preact and followed_by_bn),
            kernel_initializer="zeros" if zero_init else self.kernel_initializer,
            kernel_regularizer=self.kernel_regularizer,
            data_format=self.data_format,
            name=f"{name}_conv",
        )(x)

    def bn(self, x, *, name: str, zero_init: bool = False):
        """BatchNormalization with the net's momentum and epsilon.

        Args:
            x: the input tensor.
            name: the layer's name.
            zero_init: start gamma at zero (`zero_init_residual`).
        """
        return layers.BatchNormalization(
            axis=self.channel_axis,
            momentum=self.bn_momentum,
            epsilon=self.bn_epsilon,
            gamma_initializer="zeros" if zero_init else "ones",
            name=name,
        )(x)

    @staticmethod
    def relu(x, *, name: str):
        return layers.Activation("relu", name=name)(x)

    def activate(self, x, steps: tuple[str, ...], *, name: str):
        """`steps` ("bn", "relu") in order, named `{name}_bn` and `{name}_relu`.

        Args:
            x: the input tensor.
            steps: "bn" and/or "relu", in order.
            name: prefix of the layer names.
        """
        for step in steps:
            x = self.bn(x, name=f"{name}_bn") if step == "bn" else self.relu(x, name=f"{name}_relu")
        return x


def basic_block(x, *, width: int, stride: int, options: BlockOptions, name: str, drop_rate: float = 0.0):
    """Two 3x3 convolutions (the paper's Fig. 5 left); outputs `width` channels.

    Args:
        x: the unit's input.
        width: channels of both convolutions.
        stride: the unit's stride (on its first 3x3).
        options: the net's `BlockOptions`.
        name: prefix of the unit's layer names (`conv{stage}_block{i}`).
        drop_rate: stochastic-depth rate of this unit's branch.
    """
    branch = [(width, 3, stride), (width, 3, 1)]
    return residual_unit(x, branch=branch, options=options, name=name, drop_rate=drop_rate)


def bottleneck_block(x, *, width: int, stride: int, options: BlockOptions, name: str, drop_rate: float = 0.0):
    """1x1 reduce, 3x3, 1x1 expand (Fig. 5 right); outputs 4 x `width` channels.

    "v1" strides the first 1x1 (the paper, keras.applications); "v1.5" and "v2" stride the 3x3.

    Args:
        x: the unit's input.
        width: channels of the 1x1 reduce and the 3x3 (the unit outputs 4x).
        stride: the unit's stride (on the first 1x1 for "v1", else the 3x3).
        options: the net's `BlockOptions`.
        name: prefix of the unit's layer names (`conv{stage}_block{i}`).
        drop_rate: stochastic-depth rate of this unit's branch.
    """
    first, middle = (stride, 1) if options.version == "v1" else (1, stride)
    branch = [(width, 1, first), (width, 3, middle), (width * BOTTLENECK_EXPANSION, 1, 1)]
    return residual_unit(x, branch=branch, options=options, name=name, drop_rate=drop_rate)


BLOCK_BUILDERS = {"basic": basic_block, "bottleneck": bottleneck_block}


def residual_unit(x, *, branch, options: BlockOptions, name: str, drop_rate: float = 0.0):
    """x_{l+1} = f(h(x_l) + F(x_l)), with F the convs in `branch` as (filters, kernel, stride).

    `options.order` places BN and ReLU (He et al. 2016, Fig. 4): original conv-BN-ReLU-conv-BN, add,
    ReLU; full pre-activation BN-ReLU first and the addition as the unit's output, so the identity
    path is never touched (Fig. 1b). With `residual=False` there is no shortcut: the plain network
    of the 2015 paper's section 4.1.

    Args:
        x: the unit's input.
        branch: the branch's convolutions as (filters, kernel, stride) tuples.
        options: the net's `BlockOptions`.
        name: prefix of the unit's layer names.
        drop_rate: stochastic-depth rate of the branch.
    """
    order = options.order
    channels = branch[-1][0]
    stride = max(s for _, _, s in branch)
    inputs = x
    x = preactivated = options.activate(x, order.pre, name=f"{name}_preact")
    for j, (filters, kernel, strides) in enumerate(branch, start=1):
        last = j == len(branch)
        bn_follows = order.last_bn or not last
        zero_init = options.zero_init_residual and options.residual and last
        x = options.conv(
            x,
            filters,
            kernel,
            strides=strides,
            name=f"{name}_{j}",
            followed_by_bn=bn_follows,
            zero_init=zero_init and not bn_follows,
        )
        if bn_follows:
            x = options.bn(x, name=f"{name}_{j}_bn", zero_init=zero_init)
        if order.last_relu or not last:
            x = options.relu(x, name=f"{name}_{j}_relu")
    if options.se_ratio:
        x = squeeze_excite(x, ratio=options.se_ratio, options=options, name=name)
    if options.residual:
        shortcut = shortcut_path(
            inputs,
            channels=channels,
            stride=stride,
            options=options,
            name=name,
            preactivated=preactivated if options.preact else None,
        )
        if drop_rate > 0.0:
            x = StochasticDepth(drop_rate, name=f"{name}_drop")(x)
        x = join_paths(inputs, shortcut, x, options=options, name=name)
    if "bn" in order.post:
        x = options.bn(x, name=f"{name}_add_bn")
    if "relu" in order.post:
        x = options.relu(x, name=f"{name}_out")
    return x


def join_paths(inputs, shortcut, branch, *, options: BlockOptions, name: str):
    """h(x) + F(x), with h by `options.shortcut_variant` (He et al. 2016, Fig. 2 and Table 1).

    The variants change identity shortcuts only: a unit that changes shape keeps the shortcut its
    `shortcut` option (A-D) gives, as the paper keeps them. g(x) = sigmoid(1x1 conv(x) + b_g) is
    per channel and position, with b_g = `gate_bias`. The dropout shortcut keeps each element with
    probability 0.5 unscaled in training and passes 0.5 x at inference: the paper's "scale with
    an expectation of 0.5" (Keras' Dropout rescales by 2; a Rescaling(0.5) undoes it).

    Args:
        inputs: the unit's input (the gates read it).
        shortcut: the shortcut path's output.
        branch: the residual branch's output.
        options: the net's `BlockOptions` (its `shortcut_variant`).
        name: prefix of the layer names.
    """
    variant = options.shortcut_variant
    add_name = f"{name}_add" if options.order.post else f"{name}_out"
    if variant in ("identity", "conv") or shortcut is not inputs:
        return layers.Add(name=add_name)([shortcut, branch])
    if variant == "dropout":
        shortcut = layers.Dropout(1.0 - SHORTCUT_SCALE, name=f"{name}_shortcut_dropout")(shortcut)
    if variant in ("scaled", "scaled_shortcut", "dropout"):
        shortcut = layers.Rescaling(SHORTCUT_SCALE, name=f"{name}_shortcut_scale")(shortcut)
    if variant == "scaled":
        branch = layers.Rescaling(SHORTCUT_SCALE, name=f"{name}_branch_scale")(branch)
    if variant in ("gated", "gated_shortcut"):
        gate = layers.Conv2D(
            inputs.shape[options.channel_axis],
            1,
            activation="sigmoid",
            kernel_initializer=options.kernel_initializer,
            kernel_regularizer=options.kernel_regularizer,
            bias_initializer=initializers.Constant(options.gate_bias),
            data_format=options.data_format,
            name=f"{name}_gate",
        )(inputs)
        keep = layers.Rescaling(-1.0, offset=1.0, name=f"{name}_gate_complement")(gate)
        shortcut = layers.Multiply(name=f"{name}_gate_shortcut")([keep, shortcut])
        if variant == "gated":
            branch = layers.Multiply(name=f"{name}_gate_branch")([gate, branch])
    return layers.Add(name=add_name)([shortcut, branch])


def shortcut_path(x, *, channels: int, stride: int, options: BlockOptions, name: str, preactivated=None):
    """The shortcut of one unit, by the paper's options (He et al. 2015, section 4.1).

    A: parameter-free: subsample by the stride and zero-pad new channels.
    B: 1x1 projection (+ BN) where the channel count grows, else the (subsampled) identity.
    C: projection in every unit.  D: as B, but a 2x2 average pool does the striding (ResNet-D).
    Pre-activation projections read the pre-activated input, as in He et al. 2016.

    Args:
        x: the unit's input.
        channels: the unit's output channels.
        stride: the unit's stride.
        options: the net's `BlockOptions` (its `shortcut`).
        name: prefix of the layer names.
        preactivated: BN-ReLU(x) in pre-activation units, which projections read.
    """
    in_channels = x.shape[options.channel_axis]
    kind = options.shortcut
    if kind == "C" or (kind in ("B", "D") and in_channels != channels):
        source = x if preactivated is None else preactivated
        if kind == "D" and stride > 1:
            source = layers.AveragePooling2D(
                stride, strides=stride, padding="same", data_format=options.data_format, name=f"{name}_0_pool"
            )(source)
            stride = 1
        y = options.conv(
            source, channels, 1, strides=stride, name=f"{name}_0", followed_by_bn=not options.preact
        )
        return y if options.preact else options.bn(y, name=f"{name}_0_bn")
    if stride == 1 and in_channels == channels:
        if options.shortcut_variant == "conv":  # He et al. 2016, Fig. 2(e): a 1x1 conv, no BN
            source = x if preactivated is None else preactivated
            return options.conv(source, channels, 1, name=f"{name}_0", followed_by_bn=False)
        return x
    if in_channels > channels:
        raise InvalidInputError(
            f"shortcut 'A' can only add channels, but unit {name} goes from "
            f"{in_channels} to {channels}; use shortcut 'B', or a stem_width no "
            "larger than the first stage's width"
        )
    return ZeroPadShortcut(stride, channels, data_format=options.data_format, name=f"{name}_0_shortcut")(x)


def squeeze_excite(x, *, ratio: float, options: BlockOptions, name: str):
    """Squeeze-and-excitation (Hu et al. 2018): rescale channels by a gate from their means.

    Args:
        x: the branch's output.
        ratio: the reduction ratio of the bottleneck.
        options: the net's `BlockOptions`.
        name: prefix of the layer names.
    """
    channels = x.shape[options.channel_axis]
    hidden = max(1, int(round(channels * ratio)))
    fmt = options.data_format
    s = layers.GlobalAveragePooling2D(data_format=fmt, keepdims=True, name=f"{name}_se_squeeze")(x)
    s = layers.Conv2D(hidden, 1, activation="relu", data_format=fmt, name=f"{name}_se_reduce")(s)
    s = layers.Conv2D(channels, 1, activation="sigmoid", data_format=fmt, name=f"{name}_se_expand")(s)
    return layers.Multiply(name=f"{name}_se_excite")([x, s])

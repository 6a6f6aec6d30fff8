"""Residual units: basic and bottleneck, post-activation (He et al. 2015) or pre-activation (2016).

One builder per block kind says which convolutions its branch holds; `residual_unit` wires any
branch in either activation order, and `shortcut_path` is the single place where the paper's
shortcut options A-D are decided. Layer names follow keras.applications
(`conv{stage}_block{i}_{j}_conv`, `..._bn`, `..._add`, `..._out`) so weights map by name.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from keras import layers

from keras_resnet.models.layers import StochasticDepth, ZeroPadShortcut

VERSIONS = ("v1", "v1.5", "v2")
SHORTCUTS = ("A", "B", "C", "D")
BOTTLENECK_EXPANSION = 4


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

    @property
    def preact(self) -> bool:
        return self.version == "v2"

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


def basic_block(x, *, width: int, stride: int, options: BlockOptions, name: str, drop_rate: float = 0.0):
    """Two 3x3 convolutions (the paper's Fig. 5 left); outputs `width` channels."""
    branch = [(width, 3, stride), (width, 3, 1)]
    return residual_unit(x, branch=branch, options=options, name=name, drop_rate=drop_rate)


def bottleneck_block(x, *, width: int, stride: int, options: BlockOptions, name: str, drop_rate: float = 0.0):
    """1x1 reduce, 3x3, 1x1 expand (Fig. 5 right); outputs 4 x `width` channels.

    "v1" strides the first 1x1 (the paper, keras.applications); "v1.5" and "v2" stride the 3x3.
    """
    first, middle = (stride, 1) if options.version == "v1" else (1, stride)
    branch = [(width, 1, first), (width, 3, middle), (width * BOTTLENECK_EXPANSION, 1, 1)]
    return residual_unit(x, branch=branch, options=options, name=name, drop_rate=drop_rate)


BLOCK_BUILDERS = {"basic": basic_block, "bottleneck": bottleneck_block}


def residual_unit(x, *, branch, options: BlockOptions, name: str, drop_rate: float = 0.0):
    """H(x) = F(x) + shortcut(x), with F the convs in `branch` as (filters, kernel, stride).

    Post-activation: conv-BN-ReLU ..., conv-BN, add, ReLU. Pre-activation: BN-ReLU first, and the
    add is the unit's output, so the identity path is never touched (He et al. 2016, Fig. 1b).
    With `residual=False` there is no shortcut: the plain network of the paper's section 4.1.
    """
    channels = branch[-1][0]
    stride = max(s for _, _, s in branch)
    inputs = x
    if options.preact:
        x = options.bn(x, name=f"{name}_preact_bn")
        x = options.relu(x, name=f"{name}_preact_relu")
    preactivated = x
    last = len(branch)
    for j, (filters, kernel, strides) in enumerate(branch, start=1):
        zero_last = options.zero_init_residual and options.residual and j == last
        if options.preact:
            x = options.conv(
                x,
                filters,
                kernel,
                strides=strides,
                name=f"{name}_{j}",
                followed_by_bn=j < last,
                zero_init=zero_last,
            )
            if j < last:
                x = options.bn(x, name=f"{name}_{j}_bn")
                x = options.relu(x, name=f"{name}_{j}_relu")
        else:
            x = options.conv(x, filters, kernel, strides=strides, name=f"{name}_{j}")
            x = options.bn(x, name=f"{name}_{j}_bn", zero_init=zero_last)
            if j < last:
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
        add_name = f"{name}_out" if options.preact else f"{name}_add"
        x = layers.Add(name=add_name)([shortcut, x])
    if not options.preact:
        x = options.relu(x, name=f"{name}_out")
    return x


def shortcut_path(x, *, channels: int, stride: int, options: BlockOptions, name: str, preactivated=None):
    """The shortcut of one unit, by the paper's options (He et al. 2015, section 4.1).

    A: parameter-free: subsample by the stride and zero-pad new channels.
    B: 1x1 projection (+ BN) where the channel count grows, else the (subsampled) identity.
    C: projection in every unit.  D: as B, but a 2x2 average pool does the striding (ResNet-D).
    Pre-activation projections read the pre-activated input, as in He et al. 2016.
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
        return x
    if in_channels > channels:
        raise ValueError(
            f"shortcut 'A' can only add channels, but unit {name} goes from "
            f"{in_channels} to {channels}; use shortcut 'B', or a stem_width no "
            "larger than the first stage's width"
        )
    return ZeroPadShortcut(stride, channels, data_format=options.data_format, name=f"{name}_0_shortcut")(x)


def squeeze_excite(x, *, ratio: float, options: BlockOptions, name: str):
    """Squeeze-and-excitation (Hu et al. 2018): rescale channels by a gate from their means."""
    channels = x.shape[options.channel_axis]
    hidden = max(1, int(round(channels * ratio)))
    fmt = options.data_format
    s = layers.GlobalAveragePooling2D(data_format=fmt, keepdims=True, name=f"{name}_se_squeeze")(x)
    s = layers.Conv2D(hidden, 1, activation="relu", data_format=fmt, name=f"{name}_se_reduce")(s)
    s = layers.Conv2D(channels, 1, activation="sigmoid", data_format=fmt, name=f"{name}_se_expand")(s)
    return layers.Multiply(name=f"{name}_se_excite")([x, s])

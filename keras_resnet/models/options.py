"""Every architecture option of `ResNet(...)` as data: one frozen dataclass, checked in one place.

`ResNetOptions` holds what makes a network that network (block kind, stages, stem, the paper's
version and shortcut options, the 2016 ablations, the head), each field with its type, default and
one line on what it means, the way TF Model Garden writes a backbone's config. `ResNet(...)`,
`kr.build(name, ...)`, the named constructors and the `name:key=value` model labels of `compare`
(`models.option_text`) all end in one `ResNetOptions`, so an invalid option fails the same way,
in one line, before any layer is built. This module imports no Keras.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import math
import typing
from collections.abc import Sequence
from typing import Any

from keras_resnet.errors import InvalidInputError
from keras_resnet.models.specs import LAYERS_PER_UNIT, MODEL_SPECS
from keras_resnet.models.variants import SHORTCUTS, VERSIONS, check_option, check_unit_options

__all__ = ["ResNetOptions", "KERAS_APPLICATIONS_ARGUMENTS", "builder_signature", "field_docs"]

STEMS = {"imagenet": 4, "cifar": 1, "deep": 4}  # stem -> its total stride
DOWNSAMPLE = ("first", "last")
POOLING = (None, "avg", "max")
DATA_FORMATS = ("channels_last", "channels_first")

# The arguments every keras.applications model takes; shown first, as users know them.
KERAS_APPLICATIONS_ARGUMENTS = (
    "include_top",
    "weights",
    "input_tensor",
    "input_shape",
    "pooling",
    "classes",
    "classifier_activation",
    "name",
)


@dataclasses.dataclass(frozen=True)
class ResNetOptions:
    """The architecture of a residual (or plain) network: stem, stages of units, and head.

    Build one with keywords (`ResNetOptions(block="bottleneck", stage_blocks=(3, 4, 6, 3))`) or
    from a named model (`ResNetOptions.for_model("resnet50", se_ratio=0.25)`); it is checked
    when made and raises `InvalidInputError` naming the valid choices.
    """

    block: str = "basic"
    """Unit kind: "basic" (3x3, 3x3) or "bottleneck" (1x1 reduce, 3x3, 1x1 expand x4)."""
    stage_blocks: Sequence[int] = (2, 2, 2, 2)
    """Residual units per stage (a row of the 2015 paper's table of depths)."""
    stage_widths: Sequence[int] = (64, 128, 256, 512)
    """Width of each stage (a bottleneck stage outputs 4x this)."""
    stage_strides: Sequence[int] | None = None
    """Stride of each stage; None is 1 for the first stage, 2 for the others."""
    stem: str = "imagenet"
    """ "imagenet" (7x7/2 conv + 3x3/2 max-pool), "cifar" (3x3 conv) or "deep" (three 3x3, ResNet-C)."""
    stem_width: int | None = None
    """Channels of the stem; None is 64, or the first stage's width for the "cifar" stem."""
    version: str = "v1.5"
    """ "v1" (stride on the bottleneck's first 1x1), "v1.5" (on its 3x3) or "v2" (pre-activation)."""
    shortcut: str = "B"
    """Where shape changes: "A" zero-pad, "B" projection, "C" projection everywhere, "D" avg-pool + 1x1."""
    residual: bool = True
    """False builds the plain net of the paper's section 4.1: the same layers, no shortcuts."""
    downsample: str = "first"
    """ "first" (a stage's first unit strides, the paper) or "last" (the previous stage's last unit)."""
    zero_init_residual: bool = False
    """Start each branch's last BN gamma at 0, so every unit starts as the identity."""
    stochastic_depth_rate: float = 0.0
    """Unit k of N drops its branch with probability k/N of this rate during training."""
    se_ratio: float | None = None
    """Squeeze-and-excitation reduction ratio in every unit; None for none."""
    width_multiplier: float = 1.0
    """Scales every stage width."""
    conv_bias: bool = False
    """Biases in convolutions (keras.applications' models have them)."""
    bn_momentum: float = 0.9
    """Momentum of BatchNormalization's moving statistics."""
    bn_epsilon: float = 1e-5
    """BatchNormalization's epsilon (keras.applications: 1.001e-5)."""
    kernel_initializer: Any = "he_normal"
    """Initializer of every convolution kernel."""
    kernel_regularizer: Any = None
    """Regularizer of every convolution and dense kernel."""
    data_format: str | None = None
    """ "channels_last" or "channels_first"; None is `keras.config.image_data_format()`."""
    normalization: tuple[Sequence[float], Sequence[float]] | None = None
    """(mean, std) per channel: a Normalization layer after the input, so the model takes raw pixels."""
    shortcut_variant: str = "identity"
    """2016 Fig. 2: "identity", "scaled", "scaled_shortcut", "gated", "gated_shortcut", "conv", "dropout"."""
    unit_order: str | None = None
    """He et al. 2016 Fig. 4 placement of BN and ReLU; None is "full_preact" for "v2", else "original"."""
    gate_bias: float = -6.0
    """Initial bias of the gates of the "gated" shortcut variants (the paper's best: -6)."""
    include_top: bool = True
    """The classifier head: global average pool, dense `classes`, `classifier_activation`."""
    pooling: str | None = None
    """With include_top=False: None (feature maps), "avg" or "max"."""
    classes: int = 1000
    """Outputs of the classifier."""
    classifier_activation: Any = "softmax"
    """Activation of the outputs; None (or "linear") for logits."""

    def __post_init__(self):
        for field in ("stage_blocks", "stage_widths", "stage_strides"):
            value = getattr(self, field)
            object.__setattr__(self, field, None if value is None else tuple(value))
        _check(self)
        object.__setattr__(self, "normalization", _normalization(self.normalization))
        check_unit_options(
            shortcut_variant=self.shortcut_variant,
            unit_order=self.unit_order,
            version=self.version,
            shortcut=self.shortcut,
            residual=self.residual,
        )

    @classmethod
    def for_model(cls, name: str, /, **overrides: Any) -> ResNetOptions:
        """The options of the named model `name` (a row of `MODEL_SPECS`) with `overrides` on top.

        Args:
            name: a model name, such as "resnet50" (`kr.list_models()` lists them).
            **overrides: `ResNetOptions` fields that replace the row's.
        """
        spec = MODEL_SPECS[name]
        row = {key: value for key, value in spec.builder_kwargs().items() if key in FIELDS}
        return cls.from_kwargs(**{**row, **overrides})

    def replace(self, **changes: Any) -> ResNetOptions:
        """These options with `changes` (fields by name), checked again.

        Args:
            **changes: `ResNetOptions` fields and their new values.
        """
        return self.from_kwargs(**{**{name: getattr(self, name) for name in FIELDS}, **changes})

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> ResNetOptions:
        """`ResNetOptions(**kwargs)`, with an unknown option named beside the closest field.

        Args:
            **kwargs: `ResNetOptions` fields.
        """
        unknown = sorted(set(kwargs) - set(FIELDS))
        if unknown:
            raise TypeError(
                f"unknown architecture option {unknown[0]!r}; the options are {', '.join(FIELDS)}"
            )
        return cls(**kwargs)

    @property
    def strides(self) -> tuple[int, ...]:
        """Every stage's stride: `stage_strides`, or 1 for the first stage and 2 for the others."""
        return tuple(self.stage_strides or (1,) + (2,) * (len(self.stage_blocks) - 1))

    @property
    def total_stride(self) -> int:
        """How much the stem and stages shrink the input: the smallest input side the net takes."""
        return STEMS[self.stem] * math.prod(self.strides)

    @property
    def widths(self) -> list[int]:
        """Every stage's width after `width_multiplier`."""
        return [max(1, int(round(width * self.width_multiplier))) for width in self.stage_widths]

    @property
    def unit_strides(self) -> list[int]:
        """Stride of every unit in order: a stage's first unit, or the previous stage's last one."""
        strides: list[int] = []
        for blocks, stride in zip(self.stage_blocks, self.strides):
            stage = [1] * blocks
            if self.downsample == "first" or not strides:
                stage[0] = stride
            else:
                strides[-1] = stride
            strides.extend(stage)
        return strides

    @property
    def stem_channels(self) -> int:
        """The stem's channels: `stem_width`, else the first stage's width ("cifar") or 64."""
        return self.stem_width or (self.stage_widths[0] if self.stem == "cifar" else 64)


FIELDS = {field.name: field for field in dataclasses.fields(ResNetOptions)}


def _fraction(option: str, value: Any, *, high_included: bool = False, low_included: bool = True) -> None:
    low_ok = value >= 0 if low_included else value > 0
    high_ok = value <= 1 if high_included else value < 1
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low_ok and high_ok):
        interval = f"{'[' if low_included else '('}0, 1{']' if high_included else ')'}"
        raise InvalidInputError(f"{option} must be in {interval}; got {value!r}")


def _check(options: ResNetOptions) -> None:
    """Refuse an invalid combination before any layer is built, naming the valid choices."""
    check_option("block", options.block, tuple(LAYERS_PER_UNIT))
    check_option("stem", options.stem, tuple(STEMS))
    check_option("version", options.version, VERSIONS)
    check_option("shortcut", options.shortcut, SHORTCUTS)
    check_option("downsample", options.downsample, DOWNSAMPLE)
    check_option("pooling", options.pooling, POOLING)
    if options.data_format is not None:
        check_option("data_format", options.data_format, DATA_FORMATS)
    blocks, widths, strides = options.stage_blocks, options.stage_widths, options.strides
    if not (len(blocks) == len(widths) == len(strides) >= 1):
        raise InvalidInputError(
            "stage_blocks, stage_widths and stage_strides need one entry per stage, "
            f"got {list(blocks)}, {list(widths)}, {list(strides)}"
        )
    if min(blocks) < 1 or min(widths) < 1 or min(strides) < 1:
        raise InvalidInputError("every stage needs at least one block, a width and a stride >= 1")
    classes = options.classes
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        raise InvalidInputError(f"classes must be a positive integer, got {classes!r}")
    if options.include_top and options.pooling is not None:
        raise InvalidInputError(
            f"pooling={options.pooling!r} only applies with include_top=False; the classifier head "
            "always average-pools"
        )
    _fraction("stochastic_depth_rate", options.stochastic_depth_rate)
    if options.stochastic_depth_rate and not options.residual:
        raise InvalidInputError("stochastic depth drops residual branches; a plain net has none")
    if options.se_ratio is not None:
        _fraction("se_ratio", options.se_ratio, low_included=False, high_included=True)
    if options.width_multiplier <= 0:
        raise InvalidInputError(f"width_multiplier must be positive, got {options.width_multiplier}")
    _fraction("bn_momentum", options.bn_momentum, high_included=True)


def _normalization(statistics) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """(mean, std) as tuples of floats with every std positive (the channel count is the input's)."""
    if statistics is None:
        return None
    try:
        mean, std = statistics
        mean, std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
    except (TypeError, ValueError) as err:
        raise InvalidInputError("normalization must be (mean, std) with one value per channel") from err
    if min(std, default=1.0) <= 0:
        raise InvalidInputError(
            f"normalization stds must be positive (an image is divided by them); got std {list(std)}: "
            "a channel with std 0 is constant, use std 1 for it"
        )
    return mean, std


def builder_signature(
    defaults: dict[str, Any], *, leading: Sequence[inspect.Parameter] = ()
) -> inspect.Signature:
    """The keyword-only signature of a builder that takes every `ResNetOptions` field and the
    keras.applications arguments (shown first): `defaults` override the fields' own.

    Args:
        defaults: parameter -> default, replacing the fields' own (a spec row's).
        leading: parameters put before the keyword-only ones (`ResNet`'s `options`).
    """
    import os

    import keras

    hints = {
        **typing.get_type_hints(ResNetOptions),
        "weights": str | os.PathLike | None,
        "input_tensor": keras.KerasTensor | None,
        "input_shape": Sequence[int | None] | None,
        "name": str,
    }
    own: dict[str, Any] = {"weights": None, "input_tensor": None, "input_shape": None, "name": "resnet"}
    own.update({name: field.default for name, field in FIELDS.items()})
    order = [
        *KERAS_APPLICATIONS_ARGUMENTS,
        *(name for name in own if name not in KERAS_APPLICATIONS_ARGUMENTS),
    ]
    parameters = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=defaults.get(name, own[name]),
            annotation=hints[name],
        )
        for name in order
    ]
    return inspect.Signature([*leading, *parameters], return_annotation=keras.Model)


@functools.cache
def field_docs() -> dict[str, str]:
    """Each `ResNetOptions` field's docstring line, read from this module's source (the one place
    they are written), for the constructors' `Args:` sections."""
    tree = ast.parse(inspect.getsource(ResNetOptions))
    body = tree.body[0].body  # type: ignore[attr-defined]
    return {
        statement.target.id: str(following.value.value).strip()
        for statement, following in zip(body, body[1:])
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
        if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
    }


def args_section(names: Sequence[str] | None = None, indent: str = "    ") -> str:
    """Google-style `Args:` lines for the fields `names` (all by default), from `field_docs`.

    Args:
        names: the fields to describe; None for all.
        indent: the indentation of each line.
    """
    import textwrap

    docs = field_docs()
    return "\n".join(
        textwrap.fill(
            f"{name}: {docs[name]}",
            96,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
            break_on_hyphens=False,
        )
        for name in (names or docs)
    )


ResNetOptions.__doc__ = f"{ResNetOptions.__doc__}\n    Args:\n{args_section(indent='        ')}\n"

"""The named networks, one per row of `MODEL_SPECS`, made from that row so they cannot drift from it.

`Constructor` states once the keyword-only signature every named network takes: the
keras.applications arguments and every option of `ResNet`. Each runtime constructor is
`build(name, **options)` with a signature whose defaults are its row of the table and a docstring
written from that row, so `help(kr.resnet50)`, `inspect.signature` and IDEs show the real arguments
(torchvision's one-line constructors, Model Garden's single spec table).

keras.applications users type `ResNet50(...)`: `ResNet18`, `ResNet34`, `ResNet50`, `ResNet101`,
`ResNet152`, `ResNet50V2`, `ResNet101V2` and `ResNet152V2` are the very same functions as
`resnet18` ... `resnet152_v2` (`kr.ResNet50 is kr.resnet50`). The defaults that differ from
keras.applications are listed in `KERAS_APPLICATIONS_DIFFERENCES`.
"""

from __future__ import annotations

import inspect
import os
import textwrap
from collections.abc import Sequence
from typing import Any, Protocol

import keras

from keras_resnet.models.named import build
from keras_resnet.models.options import args_section, builder_signature
from keras_resnet.models.specs import MODEL_SPECS, ModelSpec

# keras.applications' names -> ours; each is the same constructor object.
KERAS_APPLICATIONS_NAMES = {
    "ResNet18": "resnet18",
    "ResNet34": "resnet34",
    "ResNet50": "resnet50",
    "ResNet101": "resnet101",
    "ResNet152": "resnet152",
    "ResNet50V2": "resnet50_v2",
    "ResNet101V2": "resnet101_v2",
    "ResNet152V2": "resnet152_v2",
}

__all__ = ["Constructor", "KERAS_APPLICATIONS_DIFFERENCES", *MODEL_SPECS, *KERAS_APPLICATIONS_NAMES]


class Constructor(Protocol):
    """A named network: every argument keyword-only, every default taken from its spec row."""

    __name__: str

    def __call__(
        self,
        *,
        include_top: bool = ...,
        weights: str | os.PathLike | None = ...,
        input_tensor: keras.KerasTensor | None = ...,
        input_shape: Sequence[int | None] | None = ...,
        pooling: str | None = ...,
        classes: int = ...,
        classifier_activation: Any = ...,
        name: str = ...,
        block: str = ...,
        stage_blocks: Sequence[int] = ...,
        stage_widths: Sequence[int] = ...,
        stage_strides: Sequence[int] | None = ...,
        stem: str = ...,
        stem_width: int | None = ...,
        version: str = ...,
        shortcut: str = ...,
        residual: bool = ...,
        downsample: str = ...,
        zero_init_residual: bool = ...,
        stochastic_depth_rate: float = ...,
        se_ratio: float | None = ...,
        width_multiplier: float = ...,
        conv_bias: bool = ...,
        bn_momentum: float = ...,
        bn_epsilon: float = ...,
        kernel_initializer: Any = ...,
        kernel_regularizer: Any = ...,
        data_format: str | None = ...,
        normalization: tuple[Sequence[float], Sequence[float]] | None = ...,
        shortcut_variant: str = ...,
        unit_order: str | None = ...,
        gate_bias: float = ...,
    ) -> keras.Model: ...


_ARGUMENTS = """
Every argument is keyword-only; its default (see the signature) is this network's row of
`keras_resnet.MODEL_SPECS`, or `ResNetOptions`' default where the row says nothing.

Args:
    weights: None (random initialisation); a source: "torchvision", "timm",
        "keras.applications" or "imagenet" (the best published top-1; see
        `keras_resnet.models.pretrained.registry`), which picks the options the weights were
        trained with and puts the source's preprocessing in the model (it takes RGB 0-255);
        or a `.weights.h5` / `.keras` file, or a torch state dict (`.safetensors`, `.pth`).
    input_tensor: a Keras tensor or array to use as the model's input.
    input_shape: (height, width, channels) in `data_format` order; the default is given
        channels-last and is transposed for channels_first.
    name: the model's name.
{fields}
Returns:
    A functional `keras.Model`.

Defaults that differ from keras.applications' model of the same name (`KERAS_APPLICATIONS_DIFFERENCES`):
weights=None (theirs "imagenet"); version "v1.5" and conv_bias=False, bn_epsilon=1e-5 (theirs v1,
biased convs, 1.001e-5; `**keras_resnet.KERAS_APPLICATIONS_OPTIONS["v1"]` gives theirs); V2 nets
downsample="first" (theirs "last"); input_shape (224, 224, 3) (theirs None); with weights, the
source's preprocessing is inside the model (raw RGB 0-255 in; theirs needs `preprocess_input`).
"""


KERAS_APPLICATIONS_DIFFERENCES = {
    "weights": ("None: random initialisation", '"imagenet"'),
    "version": ('"v1.5": stride on the bottleneck\'s 3x3 (torchvision)', '"v1": stride on the first 1x1'),
    "conv_bias": ("False", "True"),
    "bn_epsilon": ("1e-5", "1.001e-5"),
    "downsample (V2 nets)": ('"first": the paper\'s', '"last"'),
    "input_shape": ("(224, 224, 3)", "None"),
    "preprocessing": ("inside the model with weights: raw RGB 0-255 in", "`preprocess_input` outside"),
}
"""Option -> (our default, keras.applications' default), where the two differ."""


_FIELD_ARGS = args_section()


def _summary(spec: ModelSpec) -> str:
    """One sentence on a spec row: depth, family, blocks, widths and the paper it comes from."""
    family = "CIFAR" if spec.stem == "cifar" else "ImageNet"
    if not spec.residual:
        kind = "plain (no shortcuts) "
    elif spec.options.get("version") == "v2":
        kind = "pre-activation "
    else:
        kind = ""
    blocks = "-".join(map(str, spec.stage_blocks))
    widths = "-".join(map(str, spec.stage_widths))
    return (
        f"{spec.depth}-layer {kind}{family} network, {spec.block} blocks {blocks}, "
        f"widths {widths} ({spec.paper})."
    )


def _signature(name: str) -> inspect.Signature:
    """`ResNet`'s keyword-only parameters, keras.applications' first, defaults from `name`'s row."""
    return builder_signature({**MODEL_SPECS[name].builder_kwargs(), "name": name})


def _constructor(name: str) -> Constructor:
    """`build(name, **options)` as a function that introspects like a hand-written one."""
    spec = MODEL_SPECS[name]
    bound_signature = _signature(name)

    def constructor(**options: Any) -> keras.Model:
        try:
            bound_signature.bind(**options)
        except TypeError as err:  # an unknown argument, reported before anything is built
            raise TypeError(f"{name}() {err}") from None
        return build(name, **options)

    constructor.__name__ = constructor.__qualname__ = name
    constructor.__module__ = __name__
    constructor.__signature__ = bound_signature  # type: ignore[attr-defined]  # read by inspect
    constructor.__doc__ = textwrap.fill(_summary(spec), 100) + "\n" + _ARGUMENTS.format(fields=_FIELD_ARGS)
    return constructor


resnet18: Constructor = _constructor("resnet18")
resnet34: Constructor = _constructor("resnet34")
resnet50: Constructor = _constructor("resnet50")
resnet101: Constructor = _constructor("resnet101")
resnet152: Constructor = _constructor("resnet152")
resnet200: Constructor = _constructor("resnet200")
resnet20: Constructor = _constructor("resnet20")
resnet32: Constructor = _constructor("resnet32")
resnet44: Constructor = _constructor("resnet44")
resnet56: Constructor = _constructor("resnet56")
resnet110: Constructor = _constructor("resnet110")
resnet1202: Constructor = _constructor("resnet1202")
plain20: Constructor = _constructor("plain20")
plain32: Constructor = _constructor("plain32")
plain44: Constructor = _constructor("plain44")
plain56: Constructor = _constructor("plain56")
plain110: Constructor = _constructor("plain110")
plain18: Constructor = _constructor("plain18")
plain34: Constructor = _constructor("plain34")
resnet50_v2: Constructor = _constructor("resnet50_v2")
resnet101_v2: Constructor = _constructor("resnet101_v2")
resnet152_v2: Constructor = _constructor("resnet152_v2")
preact_resnet110: Constructor = _constructor("preact_resnet110")
preact_resnet164: Constructor = _constructor("preact_resnet164")
preact_resnet1001: Constructor = _constructor("preact_resnet1001")

ResNet18 = resnet18
ResNet34 = resnet34
ResNet50 = resnet50
ResNet101 = resnet101
ResNet152 = resnet152
ResNet50V2 = resnet50_v2
ResNet101V2 = resnet101_v2
ResNet152V2 = resnet152_v2

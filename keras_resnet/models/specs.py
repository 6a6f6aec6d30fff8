"""The one table every named model comes from: depth -> block kind, blocks per stage, widths.

ImageNet depths follow He et al. 2015, Table 1 (and 2016 for ResNet-200); the CIFAR family follows
section 4.2: a 3x3 stem, three stages of widths 16-32-64 with n units each, depth 6n+2 for basic
units (9n+2 for the bottleneck units of the pre-activation paper). Every pre-activation ("v2") net
is credited to the 2016 paper, whose units it uses, whatever table its depths come from.
This module imports no Keras: `import keras_resnet` reads the table.
"""

from __future__ import annotations

import dataclasses
import types
from typing import Any

from keras_resnet.errors import InvalidInputError
from keras_resnet.models.variants import check_option

IMAGENET_DEPTHS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
    200: ("bottleneck", (3, 24, 36, 3)),
}
IMAGENET_WIDTHS = (64, 128, 256, 512)
CIFAR_WIDTHS = (16, 32, 64)
LAYERS_PER_UNIT = {"basic": 2, "bottleneck": 3}
HE_2015 = "He et al. 2015, Deep Residual Learning for Image Recognition"
HE_2016 = "He et al. 2016, Identity Mappings in Deep Residual Networks"


def _paper(options: dict[str, Any], *, depth_from_2015: str | None) -> str:
    """Pre-activation nets are the 2016 paper's; others cite the 2015 table their depth is from."""
    if options.get("version") == "v2" or depth_from_2015 is None:
        return HE_2016
    return f"{HE_2015}, {depth_from_2015}"


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A named network: its row of the paper's table plus the options that make it that net."""

    block: str
    stage_blocks: tuple[int, ...]
    stage_widths: tuple[int, ...]
    stem: str
    input_shape: tuple[int, int, int]
    classes: int
    paper: str
    options: types.MappingProxyType = dataclasses.field(default_factory=lambda: types.MappingProxyType({}))

    @property
    def depth(self) -> int:
        """Weighted layers: stem conv + convs in the units + classifier (the paper's count)."""
        return LAYERS_PER_UNIT[self.block] * sum(self.stage_blocks) + 2

    @property
    def residual(self) -> bool:
        """False for the plain nets of the paper's section 4.1 (no shortcuts)."""
        return bool(self.options.get("residual", True))

    def builder_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `ResNet(...)` that reproduce this network."""
        return {
            "block": self.block,
            "stage_blocks": self.stage_blocks,
            "stage_widths": self.stage_widths,
            "stem": self.stem,
            "input_shape": self.input_shape,
            "classes": self.classes,
            **self.options,
        }

    def describe(self) -> dict[str, Any]:
        return {"depth": self.depth, **self.builder_kwargs(), "paper": self.paper}

    def summary_line(self) -> str:
        options = ", ".join(f"{k}={v}" for k, v in self.options.items())
        blocks = "-".join(map(str, self.stage_blocks))
        return (
            f"{self.block:<10} blocks {blocks:<12} stem {self.stem:<8} "
            f"input {'x'.join(map(str, self.input_shape)):<9} {options}"
        )


def imagenet_spec(depth: int, **options: Any) -> ModelSpec:
    """The ImageNet network of `depth` (18, 34, 50, 101, 152, 200): v1.5, option B by default.

    Args:
        depth: 18, 34, 50, 101, 152 or 200.
        **options: `ResNetOptions` fields that make this row (version, residual, ...).
    """
    check_option("ImageNet ResNet depth", depth, sorted(IMAGENET_DEPTHS))
    block, blocks = IMAGENET_DEPTHS[depth]
    return ModelSpec(
        block=block,
        stage_blocks=blocks,
        stage_widths=IMAGENET_WIDTHS,
        stem="imagenet",
        input_shape=(224, 224, 3),
        classes=1000,
        paper=_paper(options, depth_from_2015="Table 1" if depth < 200 else None),
        options=types.MappingProxyType(options),
    )


def cifar_spec(depth: int, *, block: str = "basic", **options: Any) -> ModelSpec:
    """The CIFAR network of `depth` (6n+2 basic, 9n+2 bottleneck): option A, 16-32-64.

    Args:
        depth: 6n+2 for basic blocks, 9n+2 for bottleneck blocks.
        block: "basic" or "bottleneck".
        **options: `ResNetOptions` fields that make this row (version, residual, ...).
    """
    per_unit = LAYERS_PER_UNIT[check_option("block", block, LAYERS_PER_UNIT)]
    n, remainder = divmod(depth - 2, 3 * per_unit)
    if remainder or n < 1:
        formula = "6n+2 (20, 32, 44, 56, 110, ...)" if block == "basic" else "9n+2 (29, 164, ...)"
        raise InvalidInputError(f"a CIFAR ResNet with {block} blocks has depth {formula}, got {depth}")
    options = {"shortcut": "A", **options}
    return ModelSpec(
        block=block,
        stage_blocks=(n, n, n),
        stage_widths=CIFAR_WIDTHS,
        stem="cifar",
        input_shape=(32, 32, 3),
        classes=10,
        paper=_paper(options, depth_from_2015="section 4.2"),
        options=types.MappingProxyType(options),
    )


MODEL_SPECS: dict[str, ModelSpec] = {
    **{f"resnet{d}": imagenet_spec(d) for d in (18, 34, 50, 101, 152, 200)},
    **{f"resnet{d}": cifar_spec(d) for d in (20, 32, 44, 56, 110, 1202)},
    **{f"plain{d}": cifar_spec(d, residual=False) for d in (20, 32, 44, 56, 110)},
    **{f"plain{d}": imagenet_spec(d, residual=False) for d in (18, 34)},
    **{f"resnet{d}_v2": imagenet_spec(d, version="v2") for d in (50, 101, 152)},
    "preact_resnet110": cifar_spec(110, version="v2", shortcut="B"),
    "preact_resnet164": cifar_spec(164, block="bottleneck", version="v2", shortcut="B"),
    "preact_resnet1001": cifar_spec(1001, block="bottleneck", version="v2", shortcut="B"),
}
"""Every named model: name -> its `ModelSpec` row. `kr.build(name)` and `kr.<name>()` read it."""

KERAS_APPLICATIONS_OPTIONS = {
    "v1": {"version": "v1", "conv_bias": True, "bn_epsilon": 1.001e-5},
    "v2": {"version": "v2", "conv_bias": True, "bn_epsilon": 1.001e-5, "downsample": "last"},
}
"""Options under which our models hold exactly keras.applications' weights and outputs:
`kr.resnet50(**KERAS_APPLICATIONS_OPTIONS["v1"])` is `keras.applications.ResNet50`'s graph."""

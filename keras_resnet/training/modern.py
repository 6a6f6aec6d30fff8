"""The `modern` recipe's switches: torchvision's reference ImageNet recipe, from what Keras ships.

torchvision's `references/classification` recipe (behind its ResNet-50 "IMAGENET1K_V2" weights,
76.1 % -> 80.9 % top-1) adds to the ImageNet recipe: label smoothing, an exponential moving
average (EMA) of the weights, MixUp, CutMix, an automatic augmentation policy, and no weight decay
on normalisation layers and biases. Here each is Keras' own piece, and each is a switch that any
recipe takes (`Switches`; 0 or False turns one off) and that config.json records:

- cosine decay after a linear warm-up: the recipe's schedule (`training.compiling.make_schedule`);
- label smoothing: `keras.losses.CategoricalCrossentropy(label_smoothing=...)`;
- EMA: the optimizer's `use_ema` / `ema_momentum`; `callbacks.EmaWeightsSwap` (Keras'
  `SwapEMAWeights`, safe to resume) puts the average in the model for validation and the
  checkpoints at every epoch end, and `fit` ends with it. BatchNorm's moving statistics are the live
  weights' (Keras averages trainable variables only);
- MixUp, CutMix, RandAugment: `keras.layers.MixUp` / `CutMix` / `RandAugment` in the tf.data
  training pipeline (`keras_resnet.data.augmentations`), which then yields one-hot labels;
- no decay on BatchNorm and biases: every recipe's L2 is on conv and dense kernels only.

`MODERN_DEFAULTS` says where each default of the `modern` recipe comes from.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from keras_resnet.errors import InvalidInputError

if TYPE_CHECKING:
    import keras

MODERN_DEFAULTS = {
    "lr": "0.5 per 1024 images (torchvision's --lr 0.5 at 8 GPUs x 128), scaled with the batch",
    "schedule": "cosine decay to 0 after a linear warm-up from 0 (torchvision: cosineannealinglr)",
    "warmup_epochs": "5 (torchvision's --lr-warmup-epochs 5)",
    "label_smoothing": "0.1 (torchvision's --label-smoothing 0.1)",
    "weight_decay": "1e-4 as L2 on kernels only (torchvision: 2e-5 for 600 epochs, 0 on norms "
    "and biases; a short run on a small dataset needs the stronger 1e-4 of the other recipes)",
    "ema": "on (torchvision's --model-ema)",
    "ema_momentum": "a horizon of one epoch, 1 - 1/steps_per_epoch (timm's 0.9998 is that on "
    "ImageNet at batch 256; torchvision's 0.99998 every 32 steps spans ~23 of 600 ImageNet epochs, "
    "longer than a whole short run)",
    "mixup_alpha": "0.2 (torchvision's --mixup-alpha 0.2)",
    "cutmix_alpha": "1.0 (torchvision's --cutmix-alpha 1.0); with MixUp on, each batch gets one "
    "of the two at random, as torchvision's RandomChoice",
    "rand_augment": "factor 0.1, 2 ops per image (RandAugment's N=2). Keras maps one factor to "
    "every op (rotation up to factor x 360 degrees), so torchvision's magnitude 9/30 = 0.3 would "
    "turn a 6 into a 9; torchvision's recipe itself uses TrivialAugmentWide, not in Keras",
}
"""Where each default of the `modern` recipe comes from (torchvision's references/classification)."""


@dataclasses.dataclass(frozen=True)
class Switches:
    """The modern recipe's parts beyond schedule and label smoothing; 0 / False turns one off."""

    ema: bool = False
    ema_momentum: float | None = None  # None: a horizon of one epoch (`ema_momentum_for`)
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    rand_augment: float = 0.0  # keras.layers.RandAugment's factor

    @property
    def mixes(self) -> bool:
        """MixUp or CutMix is on (labels become one-hot mixtures)."""
        return self.mixup_alpha > 0 or self.cutmix_alpha > 0

    def resolve(self, **given: Any) -> Switches:
        """These switches with `given` ones (None: keep) over them, checked.

        Args:
            **given: any of the fields (`ema`, `ema_momentum`, `mixup_alpha`, `cutmix_alpha`,
                `rand_augment`); None keeps this recipe's value.
        """
        names = {field.name for field in dataclasses.fields(self)}
        unknown = sorted(set(given) - names)
        if unknown:
            raise InvalidInputError(f"unknown recipe options: {', '.join(unknown)}")
        values = {**dataclasses.asdict(self), **{k: v for k, v in given.items() if v is not None}}
        switches = Switches(
            ema=bool(values["ema"]),
            ema_momentum=None if values["ema_momentum"] is None else float(values["ema_momentum"]),
            **{name: float(values[name]) for name in ("mixup_alpha", "cutmix_alpha", "rand_augment")},
        )
        momentum = switches.ema_momentum
        for what, value, ok, allowed in (
            ("EMA momentum", momentum, momentum is None or 0 <= momentum < 1, "in [0, 1)"),
            ("MixUp alpha", switches.mixup_alpha, switches.mixup_alpha >= 0, ">= 0 (0: off)"),
            ("CutMix alpha", switches.cutmix_alpha, switches.cutmix_alpha >= 0, ">= 0 (0: off)"),
            (
                "RandAugment factor",
                switches.rand_augment,
                0 <= switches.rand_augment <= 1,
                "in [0, 1] (0: off)",
            ),
        ):
            if not ok:
                raise InvalidInputError(f"{what} must be {allowed}, got {value}")
        return switches


MODERN = Switches(ema=True, mixup_alpha=0.2, cutmix_alpha=1.0, rand_augment=0.1)
"""The `modern` recipe's switches (see `MODERN_DEFAULTS`)."""

SWITCH_NAMES = tuple(field.name for field in dataclasses.fields(Switches))
"""The switches' names: `TrainConfig` fields, `resolve_recipe` options and CLI flags alike."""


def ema_momentum_for(switches: Switches, *, steps_per_epoch: int) -> float:
    """The EMA momentum: as given, or one whose horizon (1 / (1 - momentum) steps) is one epoch."""
    if switches.ema_momentum is not None:
        return switches.ema_momentum
    return 1.0 - 1.0 / max(steps_per_epoch, 1)


def optimizer_options(switches: Switches, *, steps_per_epoch: int) -> dict[str, Any]:
    """Keyword arguments of a Keras optimizer for the switches (`use_ema`, `ema_momentum`)."""
    if not switches.ema:
        return {}
    return {"use_ema": True, "ema_momentum": ema_momentum_for(switches, steps_per_epoch=steps_per_epoch)}


def ema_callbacks(switches: Switches) -> list[keras.callbacks.Callback]:
    """With EMA on, the callback that validates, checkpoints and ends `fit` with the average."""
    if not switches.ema:
        return []
    from keras_resnet.training.callbacks import EmaWeightsSwap

    return [EmaWeightsSwap(swap_on_epoch=True)]


def settled(switches: Switches, optimizer: keras.optimizers.Optimizer) -> Switches:
    """The switches with the EMA momentum the optimizer uses (for config.json)."""
    if not switches.ema:
        return switches
    return dataclasses.replace(switches, ema_momentum=float(optimizer.ema_momentum))

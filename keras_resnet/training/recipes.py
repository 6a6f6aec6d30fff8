"""Training recipes: the table of named recipes and their resolution to the numbers one run uses.

`paper-cifar` is He et al. 2015, section 4.2: SGD with momentum 0.9, lr 0.1 for batch 128 (scaled
linearly with the batch), divided by 10 at 50 % and 75 % of training (the paper's 32k/48k of 64k
iterations), weight decay 1e-4, and for very deep or plain nets the paper's warm-up: lr/10 until the
training error is below 80 % (`keras_resnet.training.warmup`; ~400 iterations for ResNet-110 on CIFAR), or
for a fixed number of epochs when `warmup_epochs` is given. `imagenet` is the now-standard
recipe of Goyal et al. 2017 and "Bag of Tricks" (He et al. 2019): lr 0.1 per 256 images, 5 linear
warm-up epochs, cosine decay, label smoothing 0.1, weight decay 1e-4. `fine-tune` (`fine_tune`):
BatchNorm frozen, 1 head-only epoch at lr 0.1 per 256 images, then every layer at 0.01 per 256 (a
tenth of from-scratch) with cosine decay, label smoothing 0.1, no weight decay (it would only pull
away from the pretrained weights). `modern` is torchvision's reference recipe from Keras' own
pieces, each a switch (`keras_resnet.training.modern`).

The numbers only: `keras_resnet.training.compiling` turns a resolved recipe into an optimizer,
schedule, loss and weight decay on a model.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from keras_resnet._utils.validation import check_choice
from keras_resnet.errors import InvalidInputError
from keras_resnet.models.specs import MODEL_SPECS
from keras_resnet.training import modern

if TYPE_CHECKING:  # Keras is imported where it is used, so the CLI's --help stays instant
    pass

WARMUP_AUTO_DEPTH = 110
"""paper-cifar warms up nets at least this deep (and every plain net) unless told otherwise."""
PAPER_WARMUP_ERROR = 0.8
"""paper-cifar's warm-up lasts until the training error is below this (He et al. 2015, 4.2)."""


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A recipe's defaults; `resolve_recipe` turns them into the numbers one run uses."""

    name: str
    lr_per_reference_batch: float
    reference_batch: int
    momentum: float
    weight_decay: float
    schedule: str  # "step" or "cosine"
    warmup: str  # "constant" (lr/10, as the paper) or "linear" (0 -> lr)
    warmup_epochs: float | None  # None: paper-cifar's rule (error-gated, for some models)
    label_smoothing: float
    step_fractions: tuple[float, ...] = (0.5, 0.75)
    step_factor: float = 0.1
    top5: bool = False
    freeze_epochs: int = 0  # epochs with the backbone frozen (fine-tune's head-only warm-up)
    head_lr_per_reference_batch: float | None = None  # the head phase's lr (None: the recipe's lr)
    batchnorm: str = "train"  # "train", or "frozen": BN layers never train, in inference mode
    switches: modern.Switches = modern.Switches()  # EMA, MixUp, CutMix, RandAugment: all off


FINE_TUNE = "fine-tune"

RECIPES = {
    "paper-cifar": Recipe(
        name="paper-cifar",
        lr_per_reference_batch=0.1,
        reference_batch=128,
        momentum=0.9,
        weight_decay=1e-4,
        schedule="step",
        warmup="constant",
        warmup_epochs=None,
        label_smoothing=0.0,
    ),
    "imagenet": Recipe(
        name="imagenet",
        lr_per_reference_batch=0.1,
        reference_batch=256,
        momentum=0.9,
        weight_decay=1e-4,
        schedule="cosine",
        warmup="linear",
        warmup_epochs=5.0,
        label_smoothing=0.1,
        top5=True,
    ),
    "modern": Recipe(
        name="modern",
        lr_per_reference_batch=0.5,
        reference_batch=1024,
        momentum=0.9,
        weight_decay=1e-4,
        schedule="cosine",
        warmup="linear",
        warmup_epochs=5.0,
        label_smoothing=0.1,
        switches=modern.MODERN,
    ),
}
RECIPES[FINE_TUNE] = dataclasses.replace(
    RECIPES["imagenet"],
    name=FINE_TUNE,
    lr_per_reference_batch=0.01,
    weight_decay=0.0,
    warmup_epochs=0.0,
    top5=False,
    freeze_epochs=1,
    head_lr_per_reference_batch=0.1,
    batchnorm="frozen",
)


@dataclasses.dataclass(frozen=True)
class ResolvedRecipe:
    """Every number a run trains with; written into the run's config.json."""

    name: str
    learning_rate: float
    momentum: float
    weight_decay: float
    schedule: str
    warmup: str
    warmup_epochs: float
    warmup_until_error: float | None  # set: lr/10 until the training error is below it
    label_smoothing: float
    step_fractions: tuple[float, ...]
    step_factor: float
    top5: bool
    freeze_epochs: int = 0
    head_learning_rate: float | None = None
    batchnorm: str = "train"
    optimizer: str = "sgd"
    switches: modern.Switches = modern.Switches()

    @property
    def one_hot(self) -> bool:
        """Label smoothing, MixUp and CutMix need one-hot labels."""
        return self.label_smoothing > 0 or self.switches.mixes

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def resolve_recipe(
    name: str,
    *,
    model: str,
    batch_size: int,
    lr: float | None = None,
    weight_decay: float | None = None,
    momentum: float | None = None,
    warmup_epochs: float | None = None,
    warmup_until_error: float | None = None,
    label_smoothing: float | None = None,
    freeze_epochs: int | None = None,
    head_lr: float | None = None,
    batchnorm: str | None = None,
    **switches: Any,
) -> ResolvedRecipe:
    """Apply overrides to a named recipe; `lr` and `head_lr` (if given) are used as they are, not
    batch-scaled.

    The warm-up is `warmup_epochs` (fixed), or `warmup_until_error` (lr/10 until the training
    error is below it; constant-warm-up recipes only), or the recipe's default: paper-cifar gates
    plain and >=110-layer nets on 80 % training error and warms no other net up. `switches`
    (`modern.Switches`' fields; None keeps the recipe's) go with any recipe.
    """
    recipe = RECIPES[check_choice("recipe", name, RECIPES)]
    learning_rate = (
        lr if lr is not None else recipe.lr_per_reference_batch * batch_size / recipe.reference_batch
    )
    head_per_batch = (
        recipe.head_lr_per_reference_batch or recipe.lr_per_reference_batch
    ) / recipe.reference_batch
    if warmup_epochs is not None and warmup_until_error is not None:
        raise InvalidInputError("give a warm-up in epochs or until a training error, not both")
    if warmup_until_error is not None:
        if recipe.warmup != "constant":
            raise InvalidInputError(
                f"recipe {name!r} warms up linearly over epochs; a warm-up until a "
                "training error needs a constant (lr/10) warm-up such as paper-cifar's"
            )
        if not 0 < warmup_until_error < 1:
            raise InvalidInputError(f"warm-up training error must be in (0, 1), got {warmup_until_error}")
        warmup_epochs = 0.0
    elif warmup_epochs is None:
        if recipe.warmup_epochs is not None:
            warmup_epochs = recipe.warmup_epochs
        else:
            warmup_epochs = 0.0
            warmup_until_error = PAPER_WARMUP_ERROR if _paper_warms_up(model) else None
    resolved = ResolvedRecipe(
        name=name,
        learning_rate=float(learning_rate),
        momentum=float(recipe.momentum if momentum is None else momentum),
        weight_decay=float(recipe.weight_decay if weight_decay is None else weight_decay),
        schedule=recipe.schedule,
        warmup=recipe.warmup,
        warmup_epochs=float(warmup_epochs),
        warmup_until_error=None if warmup_until_error is None else float(warmup_until_error),
        label_smoothing=float(recipe.label_smoothing if label_smoothing is None else label_smoothing),
        step_fractions=recipe.step_fractions,
        step_factor=recipe.step_factor,
        top5=recipe.top5,
        freeze_epochs=int(recipe.freeze_epochs if freeze_epochs is None else freeze_epochs),
        head_learning_rate=float(head_lr if head_lr is not None else head_per_batch * batch_size),
        batchnorm=check_choice("batchnorm", batchnorm or recipe.batchnorm, ("train", "frozen")),
        switches=recipe.switches.resolve(**switches),
    )
    checks = (
        ("learning rate", resolved.learning_rate, resolved.learning_rate > 0, "> 0"),
        ("momentum", resolved.momentum, 0 <= resolved.momentum < 1, "in [0, 1)"),
        ("weight decay", resolved.weight_decay, resolved.weight_decay >= 0, ">= 0"),
        ("warm-up epochs", resolved.warmup_epochs, resolved.warmup_epochs >= 0, ">= 0"),
        ("label smoothing", resolved.label_smoothing, 0 <= resolved.label_smoothing < 1, "in [0, 1)"),
        ("freeze epochs", resolved.freeze_epochs, resolved.freeze_epochs >= 0, ">= 0"),
        ("head learning rate", resolved.head_learning_rate, (resolved.head_learning_rate or 1) > 0, "> 0"),
    )
    for what, value, ok, allowed in checks:
        if not ok:
            raise InvalidInputError(f"{what} must be {allowed}, got {value}")
    return resolved


def _paper_warms_up(model: str | None) -> bool:
    """The paper warms up ResNet-110 (and deeper); plain nets too, as they are harder to start.
    Depth and shortcuts come from the spec table; a model outside it is not warmed up."""
    spec = MODEL_SPECS.get(model or "")
    return spec is not None and (spec.depth >= WARMUP_AUTO_DEPTH or not spec.residual)

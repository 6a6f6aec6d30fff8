"""Training recipes: optimizer, learning-rate schedule, weight decay and loss, resolved to numbers.

`paper-cifar` is He et al. 2015, section 4.2: SGD with momentum 0.9, lr 0.1 for batch 128 (scaled
linearly with the batch), divided by 10 at 50 % and 75 % of training (the paper's 32k/48k of 64k
iterations), weight decay 1e-4, and for very deep or plain nets the paper's warm-up: lr/10 until the
training error is below 80 % (`keras_resnet.training.warmup`; ~400 iterations for ResNet-110 on CIFAR), or
for a fixed number of epochs when `warmup_epochs` is given. `imagenet` is the now-standard
recipe of Goyal et al. 2017 and "Bag of Tricks" (He et al. 2019): lr 0.1 per 256 images, 5 linear
warm-up epochs, cosine decay, label smoothing 0.1, weight decay 1e-4. `fine-tune` (`fine_tune`):
BatchNorm frozen, 1 head-only epoch at lr 0.1 per 256 images, then every layer at 0.01 per 256 (a
tenth of from-scratch) with cosine decay, label smoothing 0.1, no weight decay (it would only pull
away from the pretrained weights).

Weight decay is the paper's (Caffe/Torch) kind: coupled L2 whose gradient `wd * w` goes through
momentum. It is applied as `keras.regularizers.L2(wd / 2)` on conv and dense *kernels only* (the
model builder's `kernel_regularizer`), so BatchNorm gammas/betas and biases are never decayed.
Keras' optimizer `weight_decay` is decoupled (AdamW-style, not scaled by momentum), which with
momentum 0.9 would decay ten times less than the paper; it is not used.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from keras_resnet._utils.validation import check_choice
from keras_resnet.errors import InvalidInputError
from keras_resnet.models.specs import MODEL_SPECS

if TYPE_CHECKING:  # Keras is imported where it is used, so the CLI's --help stays instant
    import keras

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
) -> ResolvedRecipe:
    """Apply overrides to a named recipe; `lr` and `head_lr` (if given) are used as they are, not
    batch-scaled.

    The warm-up is `warmup_epochs` (fixed), or `warmup_until_error` (lr/10 until the training
    error is below it; constant-warm-up recipes only), or the recipe's default: paper-cifar gates
    plain and >=110-layer nets on 80 % training error and warms no other net up.
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


def make_schedule(
    recipe: ResolvedRecipe, *, steps_per_epoch: int, epochs: int
) -> keras.optimizers.schedules.LearningRateSchedule:
    """The recipe's learning rate per optimizer step, as a `keras.optimizers.schedules` object;
    an error-gated warm-up is a `warmup.ErrorGatedWarmup` (give it to `make_optimizer`)."""
    import keras

    total = steps_per_epoch * epochs
    warmup = int(round(recipe.warmup_epochs * steps_per_epoch))
    lr = recipe.learning_rate
    if recipe.schedule == "step":
        # PiecewiseConstantDecay keeps values[i] while step <= boundaries[i]; the optimizer's first
        # update is step 0, so boundary b - 1 gives exactly b updates before the drop.
        boundaries = _increasing([int(round(f * total)) - 1 for f in recipe.step_fractions])
        values = [lr * recipe.step_factor**i for i in range(len(boundaries) + 1)]
        if warmup > 0:
            if warmup - 1 >= boundaries[0]:
                raise InvalidInputError(
                    f"a warm-up of {recipe.warmup_epochs:g} epochs reaches the first lr drop "
                    f"(epoch {recipe.step_fractions[0] * epochs:g}); use fewer --warmup-epochs"
                )
            boundaries, values = [warmup - 1, *boundaries], [lr * recipe.step_factor, *values]
        schedule = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
        if recipe.warmup_until_error is not None:
            from keras_resnet.training.warmup import ErrorGatedWarmup

            return ErrorGatedWarmup(schedule, factor=recipe.step_factor, last_step=boundaries[0])
        return schedule
    if warmup >= total:
        raise InvalidInputError(
            f"warm-up of {recipe.warmup_epochs} epochs is not shorter than training ({epochs} epochs)"
        )
    if warmup == 0:
        return keras.optimizers.schedules.CosineDecay(lr, decay_steps=total)
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=total - warmup, warmup_target=lr, warmup_steps=warmup
    )


def _increasing(boundaries: list[int]) -> list[int]:
    """Strictly increasing non-negative step boundaries, even for runs of a handful of steps."""
    result: list[int] = []
    for boundary in boundaries:
        result.append(max(boundary, result[-1] + 1 if result else 0))
    return result


def make_optimizer(
    recipe: ResolvedRecipe, schedule: keras.optimizers.schedules.LearningRateSchedule
) -> keras.optimizers.SGD:
    """SGD with momentum; weight decay is not here but in the kernels' L2 regularizer. An
    error-gated warm-up's flag becomes one of its variables (see `warmup_callbacks`)."""
    import keras

    optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=recipe.momentum)
    if hasattr(schedule, "attach"):
        schedule.attach(optimizer)
    return optimizer


def warmup_callbacks(
    recipe: ResolvedRecipe, schedule: keras.optimizers.schedules.LearningRateSchedule, *, verbose: bool = True
) -> list[keras.callbacks.Callback]:
    """The callback that ends an error-gated warm-up (an empty list for any other schedule)."""
    if recipe.warmup_until_error is None or not hasattr(schedule, "attach"):
        return []
    from keras_resnet.training.warmup import EndWarmupBelowError

    return [EndWarmupBelowError(schedule, max_error=recipe.warmup_until_error, verbose=verbose)]


def kernel_regularizer(recipe: ResolvedRecipe) -> keras.regularizers.Regularizer | None:
    """L2(wd / 2): its gradient is exactly `wd * w`, the paper's weight decay; None when wd is 0."""
    import keras

    if recipe.weight_decay == 0:
        return None
    return keras.regularizers.L2(recipe.weight_decay / 2)


def make_loss_and_metrics(
    recipe: ResolvedRecipe, *, classes: int
) -> tuple[keras.losses.Loss, list[keras.metrics.Metric], bool]:
    """(loss, metrics, one_hot): label smoothing needs one-hot labels, which the caller must feed."""
    import keras

    one_hot = recipe.label_smoothing > 0
    top5 = recipe.top5 and classes > 5
    if one_hot:
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
        metrics = [keras.metrics.CategoricalAccuracy(name="accuracy")]
        if top5:
            metrics.append(keras.metrics.TopKCategoricalAccuracy(k=5, name="top5_accuracy"))
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        if top5:
            metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5_accuracy"))
    return loss, metrics, one_hot


@dataclasses.dataclass(frozen=True)
class CompiledRecipe:
    """What `compile_with_recipe` set up: the recipe's numbers, the callbacks `fit` must get, and
    whether labels must be one-hot (label smoothing needs them)."""

    recipe: ResolvedRecipe
    callbacks: list[keras.callbacks.Callback]
    one_hot: bool


def compile_with_recipe(
    model: keras.Model,
    recipe: str = "paper-cifar",
    *,
    batch_size: int,
    steps_per_epoch: int,
    epochs: int,
    jit_compile: bool | str = "auto",
    verbose: bool = True,
    **overrides: Any,
) -> CompiledRecipe:
    """Compile `model` for `model.fit` with a training recipe, in one call.

    Sets SGD with the recipe's learning-rate schedule and warm-up, its loss and metrics, and the
    paper's weight decay as L2 on every conv and dense kernel that has no regularizer yet (never on
    BatchNorm or biases). Pass the returned `.callbacks` to `fit`: they end an error-gated warm-up.

    Args:
        model: the Keras model to compile; the warm-up rule looks `model.name` up in the spec table.
        recipe: "paper-cifar" or "imagenet" (fine-tune: `fine_tune.FreezeSchedule`).
        batch_size: the batch size `fit` will use (the learning rate scales with it).
        steps_per_epoch: batches per epoch, for the schedule's step counts.
        epochs: the length of the run the schedule spans.
        jit_compile: passed to `model.compile` ("auto", True or False).
        verbose: print a line when the warm-up ends.
        **overrides: `resolve_recipe`'s options (`lr`, `weight_decay`, `momentum`, `warmup_epochs`,
            `warmup_until_error`, `label_smoothing`); `overrides` win over the recipe's numbers.

    Returns:
        The resolved recipe, the callbacks to pass to `fit`, and whether labels must be one-hot.
    """
    resolved = resolve_recipe(recipe, model=model.name, batch_size=batch_size, **overrides)
    return compile_resolved(
        model,
        resolved,
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        jit_compile=jit_compile,
        verbose=verbose,
    )


def compile_resolved(
    model: keras.Model,
    recipe: ResolvedRecipe,
    *,
    steps_per_epoch: int,
    epochs: int,
    jit_compile: bool | str = "auto",
    verbose: bool = True,
) -> CompiledRecipe:
    """`compile_with_recipe` for a recipe already resolved (as `keras-resnet train` does)."""
    schedule = make_schedule(recipe, steps_per_epoch=steps_per_epoch, epochs=epochs)
    loss, metrics, one_hot = make_loss_and_metrics(recipe, classes=int(model.outputs[0].shape[-1]))
    apply_weight_decay(model, recipe)
    model.compile(
        optimizer=make_optimizer(recipe, schedule), loss=loss, metrics=metrics, jit_compile=jit_compile
    )
    return CompiledRecipe(recipe, warmup_callbacks(recipe, schedule, verbose=verbose), one_hot)


def apply_weight_decay(model: keras.Model, recipe: ResolvedRecipe) -> None:
    """Put the recipe's L2 on conv and dense kernels that have no regularizer (see the module doc)."""
    import keras

    regularizer = kernel_regularizer(recipe)
    if regularizer is None:
        return
    pending = list(model.layers)
    while pending:
        layer = pending.pop()
        pending.extend(getattr(layer, "layers", ()))  # nested models
        kernel = getattr(layer, "kernel", None)
        if (
            isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
            and kernel is not None
            and kernel.regularizer is None
        ):
            layer.kernel_regularizer = regularizer
            kernel.regularizer = regularizer

"""A resolved training recipe applied to a model: learning-rate schedule and warm-up, SGD (with the
switches' weight EMA), loss and metrics, and the paper's weight decay.

Weight decay is the paper's (Caffe/Torch) kind: coupled L2 whose gradient `wd * w` goes through
momentum. It is applied as `keras.regularizers.L2(wd / 2)` on conv and dense *kernels only* (the
model builder's `kernel_regularizer`), so BatchNorm gammas/betas and biases are never decayed.
Keras' optimizer `weight_decay` is decoupled (AdamW-style, not scaled by momentum), which with
momentum 0.9 would decay ten times less than the paper; it is not used.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from keras_resnet.errors import InvalidInputError
from keras_resnet.training import modern
from keras_resnet.training.recipes import ResolvedRecipe, resolve_recipe

if TYPE_CHECKING:  # Keras is imported where it is used, so the CLI's --help stays instant
    import keras


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
    recipe: ResolvedRecipe,
    schedule: keras.optimizers.schedules.LearningRateSchedule,
    *,
    steps_per_epoch: int = 1,
) -> keras.optimizers.SGD:
    """SGD with momentum (and the switches' EMA); weight decay is not here but in the kernels' L2
    regularizer. An error-gated warm-up's flag becomes one of its variables (`warmup_callbacks`)."""
    import keras

    ema = modern.optimizer_options(recipe.switches, steps_per_epoch=steps_per_epoch)
    optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=recipe.momentum, **ema)
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
    """(loss, metrics, one_hot): label smoothing, MixUp and CutMix need one-hot labels (fed by the caller)."""
    import keras

    one_hot = recipe.one_hot
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
        recipe: "paper-cifar", "imagenet" or "modern" (fine-tune: `fine_tune.FreezeSchedule`).
        batch_size: the batch size `fit` will use (the learning rate scales with it).
        steps_per_epoch: batches per epoch, for the schedule's step counts.
        epochs: the length of the run the schedule spans.
        jit_compile: passed to `model.compile` ("auto", True or False).
        verbose: print a line when the warm-up ends.
        **overrides: `resolve_recipe`'s options (`lr`, `weight_decay`, `momentum`, `warmup_epochs`,
            `warmup_until_error`, `label_smoothing`, and `modern.Switches`' fields, whose MixUp,
            CutMix and RandAugment act in the input pipeline); `overrides` win over the recipe's.

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
    optimizer = make_optimizer(recipe, schedule, steps_per_epoch=steps_per_epoch)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=jit_compile)
    callbacks = [*warmup_callbacks(recipe, schedule, verbose=verbose), *modern.ema_callbacks(recipe.switches)]
    recipe = dataclasses.replace(recipe, switches=modern.settled(recipe.switches, optimizer))
    return CompiledRecipe(recipe, callbacks, one_hot)


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

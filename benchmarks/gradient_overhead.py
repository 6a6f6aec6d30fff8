"""What recording gradient norms costs: epoch time with and without `GradientNormCallback`.

`gradient_norm_overhead` trains one model per configuration (no callback; probe mode at each
epoch end; train mode every N steps) with the paper's CIFAR recipe, warms each up for one epoch
(tracing and compiling, excluded), then times single epochs with the configurations interleaved
and repeated, so a slow spell on a shared machine hits them alike. It reports median epoch
seconds and each configuration's ratio to the baseline, and, because a few percent drown in the
epoch-to-epoch noise of a shared machine, also the time spent inside the callback itself (its
batch- and epoch-end hooks, where all its work happens) as a share of the baseline epoch. The
cost of one measurement in training steps is what carries over to other datasets.
"""

from __future__ import annotations

import statistics
import time

import keras

from keras_resnet._utils.validation import check_int

__all__ = ["gradient_norm_overhead", "CONFIGURATIONS"]

CONFIGURATIONS = ("baseline", "probe_each_epoch", "train_every_n")


def gradient_norm_overhead(
    model: str = "resnet20",
    dataset: str = "digits",
    *,
    epochs: int = 3,
    repeats: int = 3,
    batch_size: int = 128,
    every_n_batches: int = 10,
    seed: int = 0,
    quick: bool = False,
) -> dict:
    """Median epoch seconds per configuration and their ratios to the baseline (a JSON-able dict).

    Every configuration runs `repeats` rounds of `epochs` timed one-epoch fits, interleaved (the
    order rotates every round). `quick=True` is for tests: a tiny residual net, 3 steps per
    epoch, one epoch and one round; its times say nothing about overhead.
    """
    from keras_resnet.data.pipelines import load_datasets
    from keras_resnet.gradients.callback import GradientNormCallback
    from keras_resnet.training import recipes

    sizes = dict(epochs=epochs, repeats=repeats, batch_size=batch_size, every_n_batches=every_n_batches)
    for name, value in sizes.items():
        check_int(name, value)
    steps = 3 if quick else None
    if quick:
        epochs, repeats = 1, 1
    data = load_datasets(dataset, batch_size=batch_size, seed=seed)
    info = data.info
    recipe = recipes.resolve_recipe("paper-cifar", model=model, batch_size=batch_size)
    assert data.new_train is not None  # load_datasets always sets it
    probe = GradientNormCallback.from_dataset(data.new_train()).probe  # as `keras-resnet train`

    def build():
        return _compiled_model(model, info, recipe, seed=seed, quick=quick)

    Timed = _timed(GradientNormCallback)
    callbacks = {
        "baseline": lambda: [],
        "probe_each_epoch": lambda: [Timed(probe=probe)],
        "train_every_n": lambda: [Timed(mode="train", every_n_batches=every_n_batches)],
    }
    models = {name: build() for name in CONFIGURATIONS}
    measurements: dict[str, list[float]] = {name: [] for name in CONFIGURATIONS}
    in_callback: dict[str, list[float]] = {name: [] for name in CONFIGURATIONS[1:]}

    def epoch(name):
        timer, recorders = _EpochTimer(), callbacks[name]()
        models[name].fit(
            data.train,
            epochs=1,
            steps_per_epoch=steps,
            verbose=0,
            shuffle=False,
            callbacks=[*recorders, timer],
        )
        return timer.seconds, sum(c.seconds for c in recorders)

    for name in CONFIGURATIONS:  # warm-up: tracing and compiling, not timed
        epoch(name)
    for round_ in range(repeats):
        order = CONFIGURATIONS[round_ % 3 :] + CONFIGURATIONS[: round_ % 3]
        for _ in range(epochs):
            for name in order:
                seconds, callback_seconds = epoch(name)
                measurements[name].append(seconds)
                if name in in_callback:
                    in_callback[name].append(callback_seconds)
    return _summary(
        measurements,
        in_callback,
        model="tiny" if quick else model,
        dataset=dataset,
        batch_size=batch_size,
        every_n_batches=every_n_batches,
        steps_per_epoch=steps or -(-info.train_examples // batch_size),
        timed_epochs=epochs * repeats,
        quick=quick,
    )


def _compiled_model(model: str, info, recipe, *, seed: int, quick: bool):
    """The timed net, seeded and compiled with the paper's recipe at a constant learning rate."""
    from keras_resnet.models.resnet import ResNet
    from keras_resnet.training import recipes
    from keras_resnet.training.config import default_model_builder

    keras.utils.set_random_seed(seed)
    options = dict(
        classes=info.classes,
        input_shape=info.image_shape,
        normalization=(info.mean, info.std),
        kernel_regularizer=recipes.kernel_regularizer(recipe),
    )
    if quick:
        net = ResNet(stem="cifar", stage_blocks=(1, 1), stage_widths=(4, 8), **options)
    else:
        net = default_model_builder(model, **options)
    loss, metrics, _ = recipes.make_loss_and_metrics(recipe, classes=info.classes)
    net.compile(optimizer=recipes.make_optimizer(recipe, recipe.learning_rate), loss=loss, metrics=metrics)
    return net


def _summary(
    measurements: dict,
    in_callback: dict,
    *,
    model: str,
    dataset: str,
    batch_size: int,
    every_n_batches: int,
    steps_per_epoch: int,
    timed_epochs: int,
    quick: bool,
) -> dict:
    """Medians, ratios to the baseline and costs in training steps, as a JSON-able dict."""
    median = {name: statistics.median(times) for name, times in measurements.items()}
    callback_median = {name: statistics.median(times) for name, times in in_callback.items()}
    step_seconds = median["baseline"] / steps_per_epoch
    measures_per_epoch = {"probe_each_epoch": 1, "train_every_n": max(1, steps_per_epoch // every_n_batches)}
    return {
        "model": model,
        "dataset": dataset,
        "backend": keras.backend.backend(),
        "batch_size": batch_size,
        "steps_per_epoch": steps_per_epoch,
        "every_n_batches": every_n_batches,
        "timed_epochs_per_configuration": timed_epochs,
        "epoch_seconds": measurements,
        "median_epoch_seconds": median,
        "ratio_to_baseline": {name: median[name] / median["baseline"] for name in CONFIGURATIONS},
        "measurement_cost_in_steps": {
            name: (median[name] - median["baseline"]) / count / step_seconds
            for name, count in measures_per_epoch.items()
        },
        "callback_seconds": in_callback,
        "median_callback_seconds": callback_median,
        "callback_share_of_baseline_epoch": {
            name: seconds / median["baseline"] for name, seconds in callback_median.items()
        },
        "callback_cost_in_steps": {
            name: callback_median[name] / count / step_seconds for name, count in measures_per_epoch.items()
        },
        "quick": quick,
    }


def _timed(callback_class):
    """`callback_class` that adds the wall time of its batch- and epoch-end hooks to `seconds`."""

    class Timed(callback_class):
        seconds = 0.0

        def on_train_batch_end(self, batch, logs=None):
            start = time.perf_counter()
            super().on_train_batch_end(batch, logs)
            self.seconds += time.perf_counter() - start

        def on_epoch_end(self, epoch, logs=None):
            start = time.perf_counter()
            super().on_epoch_end(epoch, logs)
            self.seconds += time.perf_counter() - start

    return Timed


class _EpochTimer(keras.callbacks.Callback):
    """Wall time of one epoch, including every callback's work at its end (put it last)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start

"""Images/s of a training step and of inference, timed the same way for every model.

A timer wraps one model and one synthetic batch: `warm_up()` runs the steps that trace and
compile, `time_once()` times `steps` more and returns seconds. `interleave` alternates the repeats
of several timers (A B C, A B C, ...) so that a load spike on a shared machine hits every model
alike, and `summarise` gives the median rate with every sample. Training goes through `model.fit`
and inference through `model.predict`, the calls users make, on one NumPy batch repeated, so the
input pipeline costs next to nothing. Runs on whichever Keras backend the process has.
"""

from __future__ import annotations

import statistics
import time

from keras_resnet.errors import InvalidInputError


def synthetic_batch(shape, *, batch_size: int, classes: int, seed: int = 0):
    """Uniform 0..255 float32 images of `shape` (no batch axis) and int32 labels below `classes`."""
    import numpy as np

    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 255, (batch_size, *shape)).astype("float32")
    labels = rng.integers(0, classes, batch_size).astype("int32")
    return images, labels


def compile_for_training(model, optimizer=None, *, run_eagerly: bool = False):
    """SGD with momentum 0.9 and sparse cross-entropy, unless another optimizer is given.

    `run_eagerly=True` skips graph tracing (tens of seconds for a ResNet-50 on TensorFlow) for the
    --quick smoke test, whose figures say nothing about speed. It applies on TensorFlow only: JAX
    compiles a small net faster than it runs it op by op.
    """
    import keras

    model.compile(
        optimizer=optimizer or keras.optimizers.SGD(0.01, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        run_eagerly=run_eagerly and keras.backend.backend() == "tensorflow",
    )
    return model


class TrainingTimer:
    """`model.fit` over `steps` copies of one batch; the model must be compiled."""

    kind = "train"

    def __init__(self, model, *, batch_size: int, steps: int, classes: int, warmup: int = 1, seed: int = 0):
        import numpy as np

        if steps < 1 or warmup < 1 or batch_size < 1:
            raise InvalidInputError("steps, warmup and batch_size must be >= 1 (warm-up traces the step)")
        self.model, self.batch_size, self.steps, self.warmup = model, batch_size, steps, warmup
        images, labels = synthetic_batch(
            model.input_shape[1:], batch_size=batch_size, classes=classes, seed=seed
        )
        self.x = np.concatenate([images] * max(steps, warmup))
        self.y = np.concatenate([labels] * max(steps, warmup))
        self.warmup_seconds: float | None = None

    def _run(self, steps: int) -> float:
        n = steps * self.batch_size
        start = time.perf_counter()
        self.model.fit(self.x[:n], self.y[:n], batch_size=self.batch_size, epochs=1, shuffle=False, verbose=0)
        return time.perf_counter() - start

    def warm_up(self) -> None:
        self.warmup_seconds = self._run(self.warmup)

    def time_once(self) -> float:
        return self._run(self.steps)


class InferenceTimer(TrainingTimer):
    """`model.predict` over `steps` copies of one batch (inference mode: BN uses moving stats)."""

    kind = "inference"

    def _run(self, steps: int) -> float:
        n = steps * self.batch_size
        start = time.perf_counter()
        self.model.predict(self.x[:n], batch_size=self.batch_size, verbose=0)
        return time.perf_counter() - start


def interleave(timers: dict, *, repeats: int) -> dict:
    """Warm every timer up, then time `repeats` rounds of one run each; {name: summary}."""
    if repeats < 1:
        raise InvalidInputError(f"repeats must be >= 1, got {repeats}")
    for timer in timers.values():
        timer.warm_up()
    seconds: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(repeats):
        for name, timer in timers.items():
            seconds[name].append(timer.time_once())
    return {
        name: summarise(
            seconds[name], images=timer.steps * timer.batch_size, warmup_seconds=timer.warmup_seconds
        )
        for name, timer in timers.items()
    }


def summarise(seconds: list[float], *, images: int, warmup_seconds: float | None = None) -> dict:
    """Median images/s over the repeats, every sample, and the spread (max-min)/median."""
    rates = [images / s for s in seconds]
    median = statistics.median(rates)
    return {
        "images_per_second": median,
        "seconds_per_repeat": statistics.median(seconds),
        "images_per_repeat": images,
        "repeats": len(rates),
        "samples_images_per_second": rates,
        "spread": (max(rates) - min(rates)) / median,
        "warmup_seconds": warmup_seconds,
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return numerator / denominator

"""The paper's warm-up for very deep and plain nets: lr/10 until the training error is below 80 %.

He et al. 2015, section 4.2, on ResNet-110: "we use 0.01 to warm up the training until the
training error is below 80 % (about 400 iterations), and then go back to 0.1". A warm-up of a
fixed number of epochs only matches that on CIFAR (an epoch is about 400 iterations); on a small
dataset one epoch is a few iterations, too few to leave the unstable start. So the end is decided
during training: `ErrorGatedWarmup` multiplies the learning rate by 1/10 while an optimizer
variable says "warming up", and `EndWarmupBelowError` clears it after the
first batch whose running training error is below the threshold. The warm-up ends at the first
learning-rate drop at the latest. The flag is an optimizer variable, so it works inside traced
train steps on every backend and is saved and restored with the optimizer (a resumed run
neither warms up again nor forgets that it still is).
"""

from __future__ import annotations

from typing import Any

import keras

from keras_resnet._utils.types import Tensor
from keras_resnet.errors import InvalidInputError

__all__ = ["EndWarmupBelowError", "ErrorGatedWarmup"]


@keras.saving.register_keras_serializable(package="keras_resnet")
class ErrorGatedWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """`schedule(step) * factor` while warming up and `step <= last_step`, else `schedule(step)`.

    Call `attach(optimizer)` once to create the warming-up flag among the optimizer's variables;
    until then (e.g. a schedule deserialised from a saved model) there is no warm-up.
    """

    def __init__(
        self,
        schedule: keras.optimizers.schedules.LearningRateSchedule,
        factor: float = 0.1,
        last_step: int = 0,
    ) -> None:
        self.schedule = schedule
        self.factor = float(factor)
        self.last_step = int(last_step)
        self.warming_up: keras.Variable | None = None  # the optimizer's flag, made by `attach`

    def attach(self, optimizer: keras.optimizers.Optimizer) -> None:
        """Add the flag (1.0: warming up) to `optimizer`'s variables; returns the optimizer."""
        if self.warming_up is None:
            self.warming_up = optimizer.add_variable(
                shape=(), initializer="ones", dtype="float32", name="warming_up"
            )
        return optimizer

    def __call__(self, step: Tensor) -> Tensor:
        lr = self.schedule(step)
        if self.warming_up is None:
            return lr
        step = keras.ops.convert_to_tensor(step, dtype="int64")
        warm = keras.ops.logical_and(
            keras.ops.greater(self.warming_up, 0.5), keras.ops.less_equal(step, self.last_step)
        )
        return keras.ops.where(warm, lr * self.factor, lr)

    def get_config(self) -> dict[str, Any]:
        return {
            "schedule": keras.saving.serialize_keras_object(self.schedule),
            "factor": self.factor,
            "last_step": self.last_step,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ErrorGatedWarmup:
        config = dict(config)
        config["schedule"] = keras.saving.deserialize_keras_object(config["schedule"])
        return cls(**config)


class EndWarmupBelowError(keras.callbacks.Callback):
    """Ends an `ErrorGatedWarmup` after the first batch whose running training error (1 -
    `logs[metric]`) is below `max_error`; `end_step` is the optimizer step it ended at."""

    def __init__(
        self,
        schedule: ErrorGatedWarmup,
        max_error: float = 0.8,
        metric: str = "accuracy",
        verbose: bool = True,
    ) -> None:
        super().__init__()
        if schedule.warming_up is None:
            raise InvalidInputError("the schedule has no optimizer flag yet; call schedule.attach(optimizer)")
        if not 0 < max_error < 1:
            raise InvalidInputError(f"max_error must be in (0, 1), got {max_error!r}")
        self.schedule: ErrorGatedWarmup = schedule
        self._flag: keras.Variable = schedule.warming_up
        self.max_error: float = float(max_error)
        self.metric: str = metric
        self.verbose: bool = verbose
        self.end_step: int | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.model  # noqa: B018 -- on JAX, reading the model syncs its state into the variables
        self._warming = bool(keras.ops.convert_to_numpy(self.schedule.warming_up) > 0.5)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._warming:
            return
        if not logs or self.metric not in logs:
            raise InvalidInputError(
                f"the warm-up ends on the training error, but the logs have no "
                f"{self.metric!r} metric; compile the model with it"
            )
        error = 1.0 - float(keras.ops.convert_to_numpy(logs[self.metric]))
        if error >= self.max_error:
            return
        model = self.model  # syncs JAX state, so the next step reads the cleared flag
        self._flag.assign(0.0)
        self._warming = False
        self.end_step = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        if self.verbose:
            print(
                f"\nwarm-up ended after step {self.end_step}: training error "
                f"{error:.2%} < {self.max_error:.0%}"
            )

"""Where a gradient record's numbers come from: a probe batch, or the optimizer's applied step.

Both sources answer `measure()` with one `Measurement`, so whatever records, logs or plots the
norms never asks which source it has. `ProbeSource` measures the loss gradient on one fixed batch
with the stateless `loss_and_gradients` (training is not disturbed) and has the whole gradients;
`AppliedSource` reads the norms `AppliedGradientTap` stored inside the train step, which are the
gradients the optimizer really applied, but has neither whole gradients nor the loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import keras
import numpy as np

from keras_resnet._utils.types import Tensor
from keras_resnet.errors import InvalidInputError
from keras_resnet.gradients.measure import count_nonfinite, default_loss, loss_and_gradients
from keras_resnet.gradients.tap import AppliedGradientTap

__all__ = ["Measurement", "ProbeSource", "AppliedSource", "check_batch", "global_step"]


class Measurement(NamedTuple):
    """One measurement: squared gradient norms aligned with `model.trainable_variables`, the count
    of non-finite gradient entries, the loss and the whole gradients (None where the source has
    none), and source-specific numbers for the global record (`skipped_steps`)."""

    squared_norms: list
    nonfinite: int
    loss: float | None
    gradients: list | None
    extras: dict


class ProbeSource:
    """Gradients of the loss on the fixed batch `probe=(x, y)`, measured statelessly."""

    def __init__(
        self, model: keras.Model, probe: tuple[Tensor, Tensor], loss_fn: Callable | None = None
    ) -> None:
        check_input_shape(probe[0], model)
        self.model, self.probe = model, probe
        self.loss_fn = loss_fn or default_loss(model)

    def measure(self, step: int) -> Measurement:
        result = loss_and_gradients(self.model, *self.probe, self.loss_fn)
        squared = [float(np.sum(g.astype("float64") ** 2)) for g in result.gradients]
        return Measurement(squared, count_nonfinite(result.gradients), result.loss, result.gradients, {})


class AppliedSource:
    """The gradients the optimizer applied at its last step, read from the tap on `model`.

    The tap must be on the optimizer before `fit` traces its train step, so build this source in
    `Callback.set_model`.
    """

    def __init__(self, model: keras.Model) -> None:
        self.model = model
        self.tap = AppliedGradientTap.on(model)

    def measure(self, step: int) -> Measurement:
        squared, nonfinite = self.tap.read()
        # The optimizer counts applied steps only; the difference was skipped (non-finite
        # gradients under loss scaling).
        skipped = step - global_step(self.model)
        return Measurement(list(squared), nonfinite, None, None, {"skipped_steps": skipped})


def global_step(model: keras.Model) -> int:
    """The optimizer's step count (it survives a resume), or 0 without a built optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return 0
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def check_batch(batch: Any) -> tuple[Tensor, Tensor]:
    """`batch` as (x, y) if it is a non-empty pair whose batch sizes agree, else a ValueError."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise InvalidInputError("a probe batch must be a tuple (x, y)")
    x, y = batch[0], batch[1]
    x_shape, y_shape = np.shape(x), np.shape(y)
    if len(x_shape) == 0 or x_shape[0] == 0:
        raise InvalidInputError(f"the probe batch is empty (x has shape {tuple(x_shape)})")
    if len(y_shape) == 0 or y_shape[0] != x_shape[0]:
        raise InvalidInputError(
            f"probe x and y disagree on the batch size: x {tuple(x_shape)}, y {tuple(y_shape)}"
        )
    return x, y


def check_input_shape(x: Tensor, model: keras.Model) -> None:
    """A ValueError if the probe's per-sample shape is not the one `model` takes."""
    expected = tuple(model.inputs[0].shape[1:]) if model.inputs else None
    got = tuple(np.shape(x)[1:])
    if expected is None:
        return
    if len(got) != len(expected) or any(e is not None and e != g for e, g in zip(expected, got)):
        raise InvalidInputError(
            f"probe x has per-sample shape {got}, but model {model.name!r} takes {expected}"
        )

"""`GradientNormCallback`: per-layer gradient norms recorded while a model trains.

It watches the gradient flow that residual learning is about (He et al. 2015, section 4.1). The
callback only holds the Keras hooks; what it measures comes from a gradient source
(`gradients.sources`), which layers it covers and their depth from `gradients.depth`, and the CSV
and TensorBoard output from `gradients.log`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import keras
import numpy as np

from keras_resnet._utils.validation import check_choice, check_int
from keras_resnet.errors import InvalidInputError
from keras_resnet.gradients.depth import layer_patterns, select_layers
from keras_resnet.gradients.log import CsvLog, TensorBoardLog, read_csv, write_csv
from keras_resnet.gradients.records import LOG_KEYS, layer_gradients, log_scalars, measurement_rows
from keras_resnet.gradients.sources import AppliedSource, ProbeSource, check_batch, global_step

__all__ = ["GradientNormCallback", "LOG_KEYS", "read_csv", "write_csv"]

MODES = ("probe", "train")
# A probe costs about a training step of its own size: a small one keeps measuring cheap.
DEFAULT_PROBE_SIZE = 32


class GradientNormCallback(keras.callbacks.Callback):
    """Per-layer and per-weight gradient norms of the loss, recorded while a model trains.

    `mode="probe"` measures on the fixed batch `probe=(x, y)` (or the first `probe_size` examples
    of a dataset, `from_dataset`) at every epoch end and, with `every_n_batches=N`, every N-th
    step; measuring is stateless, so it never changes training. `mode="train"` records the
    gradients the optimizer applied, every `every_n_batches` steps (default 1) and at epoch ends;
    its tap makes the first `fit` trace its train step again, it cannot run under a multi-replica
    tf.distribute strategy, and steps a loss-scale optimizer skipped are counted
    (`skipped_steps` in `global_records`).

    `layers`: regular expressions (`re.search`) selecting layers by name. `output_dir` keeps
    `gradient_norms.csv` (appended each epoch, continued on resume); `tensorboard_dir` gets
    per-layer summaries (`gradients.log.TensorBoardLog`). `loss_fn` defaults to the compiled loss.

    Results: `records` (step, epoch, layer, depth, grad_norm, weight_norm, ratio; depth as in
    `gradients.depth`), `weight_records` (the same per weight, with `weight`) and
    `global_records` (step, epoch, loss, global_norm, nonfinite). The `LOG_KEYS` scalars go into
    `logs` at every epoch end, so History, CSVLogger and TensorBoard see them from the first epoch.
    """

    def __init__(
        self,
        probe: tuple[Any, Any] | None = None,
        mode: str = "probe",
        every_n_batches: int | None = None,
        layers: Iterable[str] | None = None,
        output_dir: str | os.PathLike | None = None,
        *,
        loss_fn: Callable[..., Any] | None = None,
        tensorboard_dir: str | os.PathLike | None = None,
    ):
        super().__init__()
        self.mode = check_choice("mode", mode, MODES)
        check_int("every_n_batches", every_n_batches, allow_none=True)
        if mode == "probe" and probe is None:
            raise InvalidInputError(
                "mode='probe' needs a probe batch (x, y): pass probe=..., or use "
                "GradientNormCallback.from_dataset(dataset) to take its first batch"
            )
        self.probe = check_batch(probe) if probe is not None else None
        self.every_n_batches = every_n_batches if mode == "probe" else (every_n_batches or 1)
        self.layer_patterns = _compiled_patterns(layers)
        if output_dir is not None and os.path.exists(output_dir) and not os.path.isdir(output_dir):
            raise InvalidInputError(
                f"output_dir {os.fspath(output_dir)!r} is a file; gradient_norms.csv needs a folder there"
            )
        self.output_dir = None if output_dir is None else os.fspath(output_dir)
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        self.loss_fn = loss_fn
        self.source: ProbeSource | AppliedSource | None = None  # made when the model is known
        self.records: list[dict] = []
        self.weight_records: list[dict] = []
        self.global_records: list[dict] = []
        self._csv = None if output_dir is None else CsvLog(output_dir)
        self._csv_continued = False
        self._tensorboard: TensorBoardLog | None = None

    @classmethod
    def from_dataset(
        cls, dataset: Iterable[Any], *, probe_size: int | None = DEFAULT_PROBE_SIZE, **kwargs: Any
    ) -> GradientNormCallback:
        """A probe-mode callback whose probe is the first `probe_size` examples (None: all) of the
        first (x, y) batch of `dataset`; a fixed batch keeps its norms comparable over time.
        `kwargs` are the other `GradientNormCallback` arguments."""
        check_int("probe_size", probe_size, allow_none=True)
        for batch in dataset:
            x, y = tuple(batch)[:2]
            if probe_size is not None:
                x, y = x[:probe_size], y[:probe_size]
            return cls(probe=(x, y), **kwargs)
        raise InvalidInputError("the dataset is empty; a probe batch needs at least one (x, y) batch")

    @property
    def csv_path(self) -> str | None:
        """Where the per-layer rows go (None without `output_dir`)."""
        return None if self._csv is None else self._csv.path

    def set_model(self, model: keras.Model) -> None:
        """Train mode installs its tap here, before `fit` builds (and traces) its train function."""
        super().set_model(model)
        if self.mode == "train":
            self.source = AppliedSource(model)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        model = self.model
        self._slots = select_layers(model, self.layer_patterns)
        if self.mode == "probe":
            assert self.probe is not None  # __init__ refuses probe mode without one
            _check_probe_labels(self.probe[1], model)
            self.source = ProbeSource(model, self.probe, self.loss_fn)
        self._step, self._epoch = global_step(model), 0
        self._last_step_measured: int | None = None
        self._scalars: dict[str, float] = {}  # the last measurement's, set before any epoch ends
        if self.tensorboard_dir is not None and self._tensorboard is None:
            self._tensorboard = TensorBoardLog.open(self.tensorboard_dir)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch
        if self._csv is not None and not self._csv_continued:
            self._csv_continued = True
            self.records[:0] = self._csv.continue_run(first_epoch=epoch)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._step += 1
        if self.every_n_batches and self._step % self.every_n_batches == 0:
            self._measure()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self._last_step_measured != self._step:
            self._measure()
        if logs is not None:
            logs.update(self._scalars)
        if self._csv is not None:
            self._csv.append(self.records)
        if self._tensorboard is not None:
            self._tensorboard.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._csv is not None:
            self._csv.append(self.records)
        if self._tensorboard is not None:
            self._tensorboard.close()
            self._tensorboard = None

    def _measure(self):
        variables = self.model.trainable_variables  # on JAX, reading the model syncs its state
        measurement = self.source.measure(self._step)
        rows = measurement_rows(measurement, self._slots, variables, step=self._step, epoch=self._epoch)
        self.records.extend(rows.layers)
        self.weight_records.extend(rows.weights)
        self.global_records.append(rows.global_row)
        self._scalars = log_scalars(rows)
        self._last_step_measured = self._step
        if self._tensorboard is not None:
            gradients = measurement.gradients
            self._tensorboard.write(
                self._step,
                rows.layers,
                None if gradients is None else layer_gradients(gradients, self._slots),
            )


def _compiled_patterns(layers):
    """`layer_patterns(layers)`, with a bad regular expression named in one line."""
    try:
        return layer_patterns(layers)
    except re.error as err:
        raise InvalidInputError(
            f"layers: {err.pattern!r} is not a valid regular expression ({err})"
        ) from None


def _check_probe_labels(y, model) -> None:
    """Probe labels fit the model's classes: integer labels in [0, classes), or one-hot rows of
    width classes. Checked when training begins, before the first step, not at the first measure."""
    classes = model.outputs[0].shape[-1] if getattr(model, "outputs", None) else None
    if classes is None:
        return
    labels = np.asarray(keras.ops.convert_to_numpy(y))
    if labels.ndim >= 2 and labels.shape[-1] > 1:
        if labels.shape[-1] != classes:
            raise InvalidInputError(
                f"probe labels are one-hot rows of width {labels.shape[-1]}, but model "
                f"{model.name!r} has {classes} classes; give labels of width {classes}"
            )
        return
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise InvalidInputError(
            f"probe labels run from {labels.min()} to {labels.max()}, but model {model.name!r} has "
            f"{classes} classes (labels 0..{classes - 1}); give labels of the model's classes"
        )

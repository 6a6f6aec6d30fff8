"""`ExportCallback`: export SavedModel / LiteRT files from any `model.fit` run, as a Keras callback.

`when="train_end"` exports once when training ends; `when="best"` exports every time the monitored
metric improves (like `ModelCheckpoint(save_best_only=True)`), so an interrupted run still holds
the export of its best epoch. With `checkpoint=` a train-end export takes the weights saved in
that `.keras` file (e.g. `ModelCheckpoint(save_best_only=True)`'s) instead of the final ones, and the
report's `source` says which was exported. Each export is atomic, so the previous one stays intact
until the new one is complete. Options are checked when the callback is built, and the destination
when training begins, so a mistake costs no training time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from keras_resnet._utils.validation import check_choice
from keras_resnet.errors import InvalidInputError
from keras_resnet.export.api import export_model
from keras_resnet.export.destination import check_out_dir
from keras_resnet.export.options import FORMATS, check_options

WHEN = ("train_end", "best")
MODES = ("auto", "min", "max")


class ExportCallback(keras.callbacks.Callback):
    """Export the model being trained with `export_model` at the end of training or at its best.

    Args:
        out_dir: the export folder (see `export_model`).
        formats: "saved_model" and/or "tflite".
        quantize: TFLite variants among float32, float16, dynamic and int8.
        representative_data: raw training images for int8 calibration.
        validation_data: (x, y) or x of held-out images for the parity check.
        when: "train_end" (once) or "best" (each time `monitor` improves).
        monitor: the epoch-log metric that `when="best"` follows.
        mode: "auto", "min" or "max": whether a lower or higher `monitor` is better.
        include_preprocessing: as in `export_model`.
        overwrite: replace an existing `out_dir` at the first export (later ones always replace it).
        checkpoint: a `.keras` file whose weights a train-end export takes instead of the final ones.
        verbose: print progress and each export's report.
    """

    def __init__(
        self,
        out_dir: str | Path,
        *,
        formats: str | Sequence[str] = FORMATS,
        quantize: str | Sequence[str] = ("float32",),
        representative_data: np.ndarray | None = None,
        validation_data: tuple[np.ndarray, np.ndarray] | np.ndarray | None = None,
        when: str = "train_end",
        monitor: str = "val_loss",
        mode: str = "auto",
        include_preprocessing: bool = True,
        overwrite: bool = False,
        checkpoint: str | Path | None = None,
        verbose: bool = True,
    ) -> None:
        super().__init__()
        self.when = check_choice("when", when, WHEN)
        if checkpoint is not None and when != "train_end":
            raise InvalidInputError(
                "checkpoint= applies to when='train_end' only (when='best' exports the "
                "live model at its best epoch)"
            )
        check_choice("mode", mode, MODES)
        self.formats, self.quantize = check_options(
            formats=formats, quantize=quantize, representative_data=representative_data
        )
        self.out_dir = out_dir
        self.representative_data = representative_data
        self.validation_data = validation_data
        self.monitor = monitor
        self.mode = mode if mode != "auto" else ("max" if _higher_is_better(monitor) else "min")
        self.include_preprocessing = include_preprocessing
        self.overwrite = overwrite
        self.checkpoint = checkpoint
        self.verbose = verbose
        self.best: float | None = None
        self.report: dict[str, Any] | None = None
        self._exported = False

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        check_out_dir(self.out_dir, overwrite=self.overwrite or self._exported)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.when != "best":
            return
        logs = logs or {}
        if self.monitor not in logs:
            raise InvalidInputError(
                f"ExportCallback monitor={self.monitor!r} is not in the epoch logs "
                f"(available: {', '.join(sorted(logs)) or 'none'}); pick one of them, "
                f"or pass validation_data to fit() for val_* metrics"
            )
        value = float(logs[self.monitor])
        improved = self.best is None or (value > self.best if self.mode == "max" else value < self.best)
        if improved and np.isfinite(value):
            self.best = value
            self._export()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.when == "train_end":
            self._export()

    def _export(self) -> None:
        use_checkpoint = self.checkpoint is not None and Path(self.checkpoint).is_file()
        self.report = export_model(
            self.checkpoint if use_checkpoint else self.model,
            self.out_dir,
            formats=self.formats,
            quantize=self.quantize,
            representative_data=self.representative_data,
            validation_data=self.validation_data,
            include_preprocessing=self.include_preprocessing,
            overwrite=self.overwrite or self._exported,
            verbose=self.verbose,
        )
        self._exported = True


def _higher_is_better(monitor: str) -> bool:
    """Keras' 'auto' rule: accuracy-like metrics are maximised, everything else minimised."""
    return any(word in monitor for word in ("acc", "auc", "precision", "recall", "f1"))

"""`ExportCallback`: export SavedModel / LiteRT files from any `model.fit` run, as a Keras callback.

`when="train_end"` exports once when training ends; `when="best"` exports every time the monitored
metric improves (like `ModelCheckpoint(save_best_only=True)`), so an interrupted run still holds
the export of its best epoch. With `checkpoint=` a train-end export takes the weights saved in
that `.keras` file (e.g. `ModelCheckpoint(save_best_only=True)`'s) instead of the final ones, and the
report's `source` says which was exported. Each export is atomic, so the previous one stays intact
until the new one is complete. Options are checked when the callback is built, and the destination
when training begins, so a mistake costs no training time. `run_export_callback` is the export
`keras-resnet train` ends every run with.
"""

from __future__ import annotations

import keras
import numpy as np

from pathlib import Path

from keras_resnet.export.api import FORMATS, check_options, check_out_dir, export_model, supported_formats

WHEN = ("train_end", "best")
MODES = ("auto", "min", "max")


class ExportCallback(keras.callbacks.Callback):
    """Export the model being trained with `export_model` at the end of training or at its best."""

    def __init__(self, out_dir, *, formats=FORMATS, quantize=("float32",), representative_data=None,
                 validation_data=None, when: str = "train_end", monitor: str = "val_loss",
                 mode: str = "auto", include_preprocessing: bool = True, overwrite: bool = False,
                 checkpoint=None, verbose: bool = True):
        super().__init__()
        if when not in WHEN:
            raise ValueError(f"unknown when={when!r}; choose from {', '.join(WHEN)}")
        if checkpoint is not None and when != "train_end":
            raise ValueError("checkpoint= applies to when='train_end' only (when='best' exports the "
                             "live model at its best epoch)")
        if mode not in MODES:
            raise ValueError(f"unknown mode={mode!r}; choose from {', '.join(MODES)}")
        self.formats, self.quantize = check_options(formats=formats, quantize=quantize,
                                                    representative_data=representative_data)
        self.out_dir = out_dir
        self.representative_data = representative_data
        self.validation_data = validation_data
        self.when, self.monitor = when, monitor
        self.mode = mode if mode != "auto" else ("max" if _higher_is_better(monitor) else "min")
        self.include_preprocessing = include_preprocessing
        self.overwrite = overwrite
        self.checkpoint = checkpoint
        self.verbose = verbose
        self.best = None
        self.report = None
        self._exported = False

    def on_train_begin(self, logs=None):
        check_out_dir(self.out_dir, overwrite=self.overwrite or self._exported)

    def on_epoch_end(self, epoch, logs=None):
        if self.when != "best":
            return
        logs = logs or {}
        if self.monitor not in logs:
            raise ValueError(f"ExportCallback monitor={self.monitor!r} is not in the epoch logs "
                             f"(available: {', '.join(sorted(logs)) or 'none'}); pick one of them, "
                             f"or pass validation_data to fit() for val_* metrics")
        value = float(logs[self.monitor])
        improved = self.best is None or (value > self.best if self.mode == "max" else value < self.best)
        if improved and np.isfinite(value):
            self.best = value
            self._export()

    def on_train_end(self, logs=None):
        if self.when == "train_end":
            self._export()

    def _export(self):
        use_checkpoint = self.checkpoint is not None and Path(self.checkpoint).is_file()
        self.report = export_model(
            self.checkpoint if use_checkpoint else self.model, self.out_dir, formats=self.formats, quantize=self.quantize,
            representative_data=self.representative_data, validation_data=self.validation_data,
            include_preprocessing=self.include_preprocessing,
            overwrite=self.overwrite or self._exported, verbose=self.verbose)
        self._exported = True


def run_export_callback(run_dir, *, quantize=("float32", "int8"), spec: str, data_dir=None, image_size=None,
                        validation_fraction: float = 0.1, download: bool = False,
                        verbose: bool = True) -> ExportCallback | None:
    """The export a training run ends with: `<run_dir>/export/`, from the run's best checkpoint.

    SavedModel and the `quantize` TFLite files, int8 calibrated on real training images of the
    run's dataset and every file checked on its test split (`keras_resnet.export.calibration`). The
    best checkpoint (`checkpoints/best.keras`) is exported when the run has one, else the final
    weights; the run's own previous export is replaced, so a resumed run exports again. On a
    backend without TFLite support only the SavedModel is written; with neither, None (and a note).
    """
    from keras_resnet.export.calibration import export_images
    from keras_resnet.training.run_folder import RunFolder

    formats = supported_formats()
    if not formats:
        print("note: this Keras backend can export neither format; export the run later with "
              f"`KERAS_BACKEND=tensorflow keras-resnet export {run_dir}`")
        return None
    if "tflite" not in formats:
        print("note: no TFLite export on this backend (SavedModel only); for .tflite files run "
              f"`KERAS_BACKEND=tensorflow keras-resnet export {run_dir} --dataset {spec}`")
        quantize = ("float32",)
    images = export_images(spec, data_dir=data_dir, image_size=image_size,
                           validation_fraction=validation_fraction, download=download)
    return ExportCallback(RunFolder(run_dir).export, formats=formats, quantize=quantize,
                          representative_data=images.representative, validation_data=images.validation,
                          checkpoint=RunFolder(run_dir).best, overwrite=True,
                          verbose=verbose)


def _higher_is_better(monitor: str) -> bool:
    """Keras' 'auto' rule: accuracy-like metrics are maximised, everything else minimised."""
    return any(word in monitor for word in ("acc", "auc", "precision", "recall", "f1"))

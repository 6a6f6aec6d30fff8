"""The callbacks of a training run: epoch statistics, test-split scores, and the standard list
(`make_callbacks`) that writes the run folder: history, TensorBoard, checkpoints and the backup."""

from __future__ import annotations

import importlib.util
import time

import keras

from keras_resnet.training.checkpoints import AtomicModelCheckpoint, EpochBackup
from keras_resnet.training.progress import RunProgress
from keras_resnet.training.run_folder import RunFolder


def tensorboard_available() -> bool:
    """Keras' TensorBoard callback needs TensorFlow and TensorBoard (which TensorFlow no longer
    installs); without them a run has no logs/ folder."""
    return all(importlib.util.find_spec(name) is not None for name in ("tensorflow", "tensorboard"))


class EpochStats(keras.callbacks.Callback):
    """Adds `learning_rate` (of the epoch's first update) and `epoch_seconds` to the epoch logs.

    It comes before the loggers in the callback list, so CSVLogger and TensorBoard record both
    from epoch one.
    """

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        self._learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or not hasattr(self, "_start"):
            return
        logs["epoch_seconds"] = time.perf_counter() - self._start
        logs["learning_rate"] = self._learning_rate


class TestSplitScore(keras.callbacks.Callback):
    """Adds `test_loss` and `test_accuracy` (from `evaluation.score`) to the logs at each epoch end.

    The paper's Figure 6 plots test error per epoch; `fit` only scores the validation split.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, dataset):
        super().__init__()
        self.dataset = dataset

    def on_epoch_end(self, epoch, logs=None):
        from keras_resnet.training.evaluation import score

        result = score(self.model, self.dataset)
        if logs is not None:
            logs["test_loss"] = result["loss"]
            logs["test_accuracy"] = result["accuracy"]


def make_callbacks(
    run: RunFolder, *, best_threshold: float | None = None, loggers=(), extra=(), class_names=None
) -> list:
    """The standard callback list of a run, with `loggers` and `extra` placed before the loggers.

    `loggers` (callbacks that add values to the epoch logs, e.g. the gradient-norm probe) come
    first, so their time counts in epoch_seconds. Then EpochStats (it adds learning_rate and
    epoch_seconds to the logs), then `extra`, so the metrics they add are recorded too,
    TerminateOnNaN raising at the first bad batch (so nothing of that epoch is saved), CSVLogger
    appending to history.csv, TensorBoard (when installed), best and last `.keras` checkpoints,
    the backup last of the files (a history row without its backup is dropped and the epoch
    trained again on `--resume`, so history.csv never lacks an epoch the run continued from), and
    last the progress display (`progress.RunProgress`: the epoch bar without the gradient figures,
    which the loggers above record, and the run's ETA). `class_names` go inside both checkpoints.
    """
    tensorboard = []
    if tensorboard_available():
        tensorboard = [keras.callbacks.TensorBoard(log_dir=str(run.logs), write_graph=False)]
    return [
        *loggers,
        EpochStats(),
        *extra,
        keras.callbacks.TerminateOnNaN(raise_error=True),
        keras.callbacks.CSVLogger(str(run.history), append=True),
        *tensorboard,
        AtomicModelCheckpoint(
            str(run.best),
            class_names=class_names,
            monitor="val_accuracy",
            mode="max",
            save_best_only=True,
            initial_value_threshold=best_threshold,
        ),
        AtomicModelCheckpoint(str(run.last), class_names=class_names),
        EpochBackup(run.backup),
        RunProgress(),
    ]

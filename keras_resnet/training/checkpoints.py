"""Checkpoints that survive SIGKILL at any moment and never store a diverged (NaN) model.

`AtomicModelCheckpoint` is Keras' `ModelCheckpoint` writing through the package's atomic scheme.
`EpochBackup` replaces `keras.callbacks.BackupAndRestore`, which writes the weights file and then,
separately and non-atomically, the epoch number: a kill between the two restores epoch k+1's
weights and optimizer step with epoch k's counter (one epoch trained twice), and a kill inside the
HDF5 write leaves an unreadable file. Here each epoch's weights (model and optimizer state) go to a
new file, and one small `state.json`, replaced atomically, names the latest complete one.
`restore_backup` loads it and returns the epoch to pass to `fit(initial_epoch=)`.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import keras

from keras_resnet._utils.atomic import atomic_path, write_json
from keras_resnet.training.run_folder import read_json

STATE_FILE = "state.json"


def _finite_loss(logs) -> bool:
    loss = (logs or {}).get("loss")
    return loss is None or math.isfinite(float(loss))


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """ModelCheckpoint whose file is always complete; epochs with a non-finite loss are skipped."""

    def on_epoch_end(self, epoch, logs=None):
        if not _finite_loss(logs):
            return
        final = self.filepath
        with atomic_path(final) as temporary:
            self.filepath = str(temporary)
            try:
                super().on_epoch_end(epoch, logs)
            finally:
                self.filepath = final


class EpochBackup(keras.callbacks.Callback):
    """Back up model + optimizer state at each epoch end, atomically, in its own folder."""

    def __init__(self, backup_dir: str | os.PathLike):
        super().__init__()
        self.backup_dir = Path(backup_dir)

    def on_epoch_end(self, epoch, logs=None):
        if not _finite_loss(logs):
            return
        name = f"epoch-{epoch + 1:05d}.weights.h5"
        with atomic_path(self.backup_dir / name) as temporary:
            self.model.save_weights(temporary)
        write_json(self.backup_dir / STATE_FILE, {"epoch": epoch + 1, "weights": name})
        for old in self.backup_dir.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink(missing_ok=True)


def restore_backup(model, backup_dir: str | os.PathLike) -> int:
    """Load the latest backup into a compiled model; returns the number of epochs it completed."""
    state_path = Path(backup_dir) / STATE_FILE
    if not state_path.is_file():
        return 0
    state = read_json(state_path)
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(Path(backup_dir) / state["weights"])
    return int(state["epoch"])

"""Checkpoints that survive SIGKILL at any moment and never store a diverged (NaN) model.

`AtomicModelCheckpoint` is Keras' `ModelCheckpoint` writing through the package's atomic scheme.
`EpochBackup` replaces `keras.callbacks.BackupAndRestore`, which writes the weights file and then,
separately and non-atomically, the epoch number: a kill between the two restores epoch k+1's
weights and optimizer step with epoch k's counter (one epoch trained twice), and a kill inside the
HDF5 write leaves an unreadable file. Here each epoch's weights (model and optimizer state) go to a
new file, and one small `state.json`, replaced atomically, names the latest complete one.
`restore_backup` loads it and returns the epoch to pass to `fit(initial_epoch=)`; the two newest
backups are kept, so a backup found truncated or corrupt falls back to the one before, saying so.

HDF5 writes a file lazily and cannot recover from a full disk (a failed close leaves the library in
a state that crashes the interpreter at exit), so a backup is written in memory-backed scratch
space first and then copied into the run folder by plain file I/O, where ENOSPC is an ordinary
OSError that the run reports in one line.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import keras

from keras_resnet._utils.atomic import atomic_path, write_json
from keras_resnet.errors import ArchitectureMismatchError, CorruptFileError
from keras_resnet.models.labels import add_labels
from keras_resnet.models.saving import check_weights_file
from keras_resnet.training.run_folder import read_json

STATE_FILE = "state.json"
KEEP_BACKUPS = 2  # the newest and the one before, to fall back on
_EPOCH_FILE = re.compile(r"^epoch-(\d+)\.weights\.h5$")


def _finite_loss(logs) -> bool:
    loss = (logs or {}).get("loss")
    return loss is None or math.isfinite(float(loss))


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """ModelCheckpoint whose file is always complete and carries the class names (`labels.txt`
    inside, so a checkpoint copied out of its run still names its classes); epochs with a
    non-finite loss are skipped."""

    def __init__(self, filepath: str, *, class_names: Sequence[str] | None = None, **kwargs):
        super().__init__(filepath, **kwargs)
        self.class_names = tuple(class_names) if class_names else None

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
            if self.class_names and Path(temporary).is_file():
                add_labels(temporary, self.class_names)


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
            save_weights_safely(self.model, temporary)
        write_json(self.backup_dir / STATE_FILE, {"epoch": epoch + 1, "weights": name})
        for old in backups(self.backup_dir)[KEEP_BACKUPS:]:
            old.unlink(missing_ok=True)


def save_weights_safely(model, path: str | os.PathLike) -> None:
    """`model.save_weights(path)`, written in memory-backed scratch space and copied to `path`.

    h5py crashes the process (segfault) when the disk fills while it writes, so the file is made
    where space is not the user's disk, and a full disk fails in the plain copy, as an OSError.
    """
    scratch_root = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(dir=scratch_root, prefix="keras-resnet-") as scratch:
        staged = Path(scratch) / Path(path).name
        model.save_weights(staged)
        shutil.copyfile(staged, path)


def backups(backup_dir: str | os.PathLike) -> list[Path]:
    """The `epoch-*.weights.h5` files of a backup folder, newest first."""
    found = [p for p in Path(backup_dir).glob("epoch-*.weights.h5") if _EPOCH_FILE.match(p.name)]
    return sorted(found, key=_epoch_number, reverse=True)


def _epoch_number(path: Path) -> int:
    """The epoch a file that `backups` listed completed (its name matched `_EPOCH_FILE`)."""
    match = _EPOCH_FILE.match(path.name)
    assert match is not None
    return int(match.group(1))


def restore_backup(model, backup_dir: str | os.PathLike, *, prepare=None) -> int:
    """Load the newest loadable backup into a compiled model; returns the epochs it completed.

    `prepare(epochs_done)`, when given, is called before each backup is tried, to compile the model
    as it was when that backup was written (a fine-tune run's phase decides what trains and the
    optimizer's variables).

    The newest is the one `state.json` names (the files above it were never completed); a
    truncated or corrupt one falls back to the one before, with a note saying which is used.
    CorruptFileError when backups exist but none loads; ArchitectureMismatchError when one is
    readable but holds another model's weights.
    """
    backup_dir = Path(backup_dir)
    state_path = backup_dir / STATE_FILE
    candidates = backups(backup_dir)
    if not state_path.is_file() and not candidates:
        return 0
    try:
        newest = int(read_json(state_path)["epoch"]) if state_path.is_file() else None
    except (ValueError, KeyError, TypeError):
        newest = None  # a damaged state.json: trust the complete files' names instead
    if newest is not None:
        candidates = [p for p in candidates if _epoch_number(p) <= newest]
    problems = []
    for path in candidates:
        if prepare is not None:
            prepare(_epoch_number(path))
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        try:
            check_weights_file(path)
            model.load_weights(path)
        except CorruptFileError as err:
            problems.append(str(err))
            print(f"note: {err}; falling back to an older backup")
            continue
        except ArchitectureMismatchError:
            raise
        except (OSError, ValueError) as err:
            raise ArchitectureMismatchError(
                f"backup {path} does not fit the model being resumed ({_first_line(err)}); "
                f"resume with the options the run was trained with"
            ) from None
        epochs = _epoch_number(path)
        print(f"resuming from {path} ({epochs} epochs done)")
        return epochs
    raise CorruptFileError(
        f"no loadable backup in {backup_dir} ({'; '.join(problems) or 'no epoch-*.weights.h5 file'}); "
        f"start the run again with --overwrite"
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__

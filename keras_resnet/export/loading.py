"""Which model an export starts from: a `.keras` file, a training run folder, or a plain folder.

A run folder's checkpoint is chosen by the run folder itself (`RunFolder.checkpoint("auto")`: the
best, else the last); a plain folder may hold `best.keras` or `last.keras` directly. The file is
read by the package's one `.keras` loader, so every error about a bad file is worded once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from keras_resnet.errors import InvalidInputError, MissingFileError
from keras_resnet.models.saving import check_keras_file, load_keras_file
from keras_resnet.training.run_folder import RunFolder

if TYPE_CHECKING:
    import keras

FOLDER_MODELS = ("best.keras", "last.keras")
"""What a plain (non-run) folder is searched for, in order."""

__all__ = ["model_file", "load_model_for_export", "resolve_model"]


def model_file(path: str | Path) -> Path:
    """The `.keras` file `path` names: itself, a run folder's best (else last) checkpoint, or a plain
    folder's `best.keras` (else `last.keras`).

    FileNotFoundError for a missing path; ValueError for a folder without a model or a file that is
    not a `.keras` archive.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"no such file or folder: {str(path)!r}")
    if path.is_dir():
        run = RunFolder(path)
        if run.is_run():
            return check_keras_file(run.checkpoint("auto"))
        found = [path / name for name in FOLDER_MODELS if (path / name).is_file()]
        if not found:
            raise InvalidInputError(
                f"folder {str(path)!r} holds neither best.keras nor last.keras and is not "
                f"a training run folder; pass a run folder from training or a .keras file"
            )
        path = found[0]
    return check_keras_file(path)


def load_model_for_export(path: str | Path) -> keras.Model:
    """Load the model `model_file(path)` names, uncompiled; ValueError if it cannot be read."""
    return load_keras_file(model_file(path))


def resolve_model(model: keras.Model | str | Path) -> tuple[keras.Model, str]:
    """(keras.Model, where it came from) for a model or a path to one; the model must be an image
    classifier with one (batch, H, W, C) input and one output."""
    import keras

    source = "keras.Model in memory"
    if isinstance(model, (str, Path)):
        path = model_file(model)
        model, source = load_keras_file(path), str(path)
    if not isinstance(model, keras.Model):
        raise InvalidInputError(
            f"model must be a keras.Model, a .keras file or a run folder, got {type(model).__name__}"
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1 or len(model.input.shape) != 4:
        raise InvalidInputError(
            "export_model expects an image classifier: one (batch, H, W, C) input and one output"
        )
    return model, source

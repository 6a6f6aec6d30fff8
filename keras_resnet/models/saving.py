"""Reading `.keras` files: the one loader every command and API call uses, with errors that say
what is wrong with the file (missing, weights only, not a Keras archive, corrupt)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

__all__ = ["load_keras_file", "check_keras_file"]


def check_keras_file(path: str | os.PathLike) -> Path:
    """`path` as a Path if it names a readable `.keras` archive, else a clear error.

    FileNotFoundError for a missing file; ValueError for a weights-only file, another suffix or a
    file that is not a zip archive (truncated or corrupt).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {str(path)!r}")
    if path.name.endswith(".weights.h5"):
        raise ValueError(
            f"{str(path)!r} holds weights only; build the model (kr.build(...)), "
            "load_weights() and save it with model.save('model.keras'), or pass the "
            ".keras file"
        )
    if path.is_dir() or path.suffix != ".keras":
        raise ValueError(
            f"{str(path)!r} is not a Keras model file: expected a .keras file (model.save('model.keras'))"
        )
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{str(path)!r} is not a valid .keras file (not a zip archive): it is corrupt or "
            f"truncated; save it again with model.save()"
        )
    return path


def load_keras_file(path: str | os.PathLike, *, compile: bool = False):
    """Load a `.keras` file as a keras.Model (uncompiled by default), the package's layers known."""
    import keras

    import keras_resnet.models.layers  # noqa: F401 - registers the custom layers the file may name

    path = check_keras_file(path)
    try:
        model = keras.saving.load_model(path, compile=compile)
    except Exception as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(
            f"could not load {str(path)!r} as a Keras model ({reason}); the file may be "
            f"corrupt or truncated: save it again with model.save()"
        ) from err
    if not isinstance(model, keras.Model):
        raise ValueError(f"{str(path)!r} holds a {type(model).__name__}, not a keras.Model")
    return model

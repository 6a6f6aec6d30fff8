"""Reading `.keras` and `.weights.h5` files: the one loader every command and API call uses, with
errors that tell the three failures apart: a missing file (MissingFileError), a file that cannot be
read because it is truncated, corrupt or of another format (CorruptFileError), and a readable file
that holds another architecture's weights (ArchitectureMismatchError, raised by the weight loader)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from keras_resnet.errors import CorruptFileError, InvalidInputError, MissingFileError

__all__ = ["load_keras_file", "check_keras_file", "check_weights_file"]


def check_keras_file(path: str | os.PathLike) -> Path:
    """`path` as a Path if it names a readable `.keras` archive, else a clear error.

    MissingFileError for a missing file; InvalidInputError for a weights-only file or another
    suffix; CorruptFileError for a file that is not a zip archive or whose members fail their
    checksums (truncated or corrupt).

    Args:
        path: the file to check.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"no such file or folder: {str(path)!r}")
    if path.name.endswith(".weights.h5"):
        raise InvalidInputError(
            f"{str(path)!r} holds weights only; build the model (kr.build(...)), "
            "load_weights() and save it with model.save('model.keras'), or pass the "
            ".keras file"
        )
    if path.is_dir() or path.suffix != ".keras":
        raise InvalidInputError(
            f"{str(path)!r} is not a Keras model file: expected a .keras file (model.save('model.keras'))"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError):
        damaged = "the archive"
    if damaged is not None:
        raise CorruptFileError(
            f"{str(path)!r} is corrupt or truncated ({damaged} cannot be read; a .keras file is a "
            f"zip archive): save the model again with model.save(), or use another checkpoint"
        )
    return path


def check_weights_file(path: str | os.PathLike) -> Path:
    """`path` if it names a readable `.weights.h5` (or `.keras`) file: MissingFileError when it is
    absent, CorruptFileError when HDF5 cannot open it (truncated, corrupt, another format).

    Args:
        path: the file to check.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(
            f"weights file {str(path)!r} does not exist; pass the path of a .weights.h5 or .keras file"
        )
    if path.suffix == ".keras":
        return check_keras_file(path)
    import h5py

    try:
        with h5py.File(path, "r") as file:
            file.visit(lambda name: None)  # walks the whole tree: a cut file fails here
    except (OSError, RuntimeError, ValueError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CorruptFileError(
            f"weights file {str(path)!r} is truncated or corrupt ({reason}); use another copy or checkpoint"
        ) from None
    return path


def load_keras_file(path: str | os.PathLike, *, compile: bool = False):
    """Load a `.keras` file as a keras.Model (uncompiled by default), the package's layers known.

    Args:
        path: the `.keras` file.
        compile: restore the optimizer, loss and metrics it was saved with.
    """
    import keras

    import keras_resnet.models.layers  # noqa: F401 - registers the custom layers the file may name

    path = check_keras_file(path)
    try:
        model = keras.saving.load_model(path, compile=compile)
    except Exception as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CorruptFileError(
            f"could not load {str(path)!r} as a Keras model ({reason}); the file may be "
            f"corrupt or truncated: save it again with model.save()"
        ) from err
    if not isinstance(model, keras.Model):
        raise InvalidInputError(f"{str(path)!r} holds a {type(model).__name__}, not a keras.Model")
    return model

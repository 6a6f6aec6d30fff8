"""Class names that travel with a model: `labels.txt`, one name per line, index i naming output i.

A `.keras` file carries it inside its zip archive (Keras ignores members it does not know, so the
file still loads anywhere); an export folder holds it beside `saved_model/` and the `.tflite`
files; a run folder's names are the dataset's, in its config.json.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from keras_resnet._utils.atomic import atomic_path
from keras_resnet.errors import InvalidInputError

if TYPE_CHECKING:
    import keras

LABELS_FILE = "labels.txt"


def labels_text(class_names) -> str:
    names = [str(name) for name in class_names]
    if any("\n" in name for name in names):
        raise InvalidInputError("class names must not contain line breaks")
    return "".join(f"{name}\n" for name in names)


def parse_labels(text: str) -> tuple[str, ...]:
    return tuple(line.rstrip("\r") for line in text.splitlines() if line.strip())


def save_model(
    model: keras.Model, path: str | os.PathLike, *, class_names: Sequence[str] | None = None
) -> Path:
    """`model.save(path)` (a `.keras` file, written atomically) with `labels.txt` inside it.

    `class_names` default to `model.class_names` (set on models built with pretrained weights).
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise InvalidInputError(f"save_model writes a .keras file; got {str(path)!r}")
    names = class_names if class_names is not None else getattr(model, "class_names", None)
    with atomic_path(path) as partial:  # keeps the .keras suffix that model.save needs
        model.save(partial)
        if names is not None:
            add_labels(partial, names)
    return path


def add_labels(keras_file: str | os.PathLike, class_names: Sequence[str]) -> None:
    """Put `labels.txt` inside a `.keras` file that has none (Keras ignores members it does not know)."""
    with zipfile.ZipFile(keras_file, "a") as archive:
        if LABELS_FILE not in archive.namelist():
            archive.writestr(LABELS_FILE, labels_text(class_names))


def keras_file_labels(path) -> tuple[str, ...] | None:
    """The class names inside a `.keras` file, or beside it as labels.txt, or None."""
    with zipfile.ZipFile(path) as archive:
        if LABELS_FILE in archive.namelist():
            return parse_labels(archive.read(LABELS_FILE).decode("utf-8"))
    return folder_labels(Path(path).parent)


def folder_labels(folder) -> tuple[str, ...] | None:
    """labels.txt in `folder`, or None."""
    path = Path(folder) / LABELS_FILE
    return parse_labels(path.read_text(encoding="utf-8")) if path.is_file() else None


def model_class_names(model, source: str) -> tuple[str, ...] | None:
    """`model.class_names` if set, else the labels inside the `.keras` file `source` (if it is one)."""
    names = getattr(model, "class_names", None)
    if names is None and str(source).endswith(".keras") and Path(source).is_file():
        names = keras_file_labels(source)
    return tuple(names) if names is not None else None

"""Class names that travel with a model: `labels.txt`, one name per line, index i naming output i.

A `.keras` file carries it inside its zip archive (and, from `save_model`, the model's image
resize rule as `image_rule.json`, see `resizing`) (Keras ignores members it does not know, so the
file still loads anywhere); an export folder holds it beside `saved_model/` and the `.tflite`
files; a run folder's names are the dataset's, in its config.json.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from keras_resnet._utils.atomic import atomic_path
from keras_resnet.errors import InvalidInputError
from keras_resnet.models.resizing import KERAS_MEMBER, ImageRule

if TYPE_CHECKING:
    import keras

LABELS_FILE = "labels.txt"


def labels_text(class_names: Sequence[str]) -> str:
    """The text of `labels.txt`: one name per line, line i naming output i.

    Args:
        class_names: the names, in output order; none may contain a line break.
    """
    names = [str(name) for name in class_names]
    if any("\n" in name for name in names):
        raise InvalidInputError("class names must not contain line breaks")
    return "".join(f"{name}\n" for name in names)


def parse_labels(text: str) -> tuple[str, ...]:
    """The names in the text of a `labels.txt` (blank lines skipped, Windows line ends accepted).

    Args:
        text: the file's text.
    """
    return tuple(line.rstrip("\r") for line in text.splitlines() if line.strip())


def save_model(
    model: keras.Model,
    path: str | os.PathLike,
    *,
    class_names: Sequence[str] | None = None,
    image_rule: ImageRule | dict | None = None,
) -> Path:
    """`model.save(path)` (a `.keras` file, written atomically) with `labels.txt` inside it.

    Args:
        model: the model to save.
        path: the `.keras` file to write.
        class_names: default `model.class_names` (set on models built with pretrained weights).
        image_rule: how images are resized for the model (`resizing.ImageRule` or its record),
            kept inside the file as `image_rule.json`; default `model.image_rule` (set on models
            built with pretrained weights: the source's crop). None: no record (predict then uses
            its documented default).
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise InvalidInputError(f"save_model writes a .keras file; got {str(path)!r}")
    names = class_names if class_names is not None else getattr(model, "class_names", None)
    rule = image_rule if image_rule is not None else getattr(model, "image_rule", None)
    if isinstance(rule, dict):
        rule = ImageRule(rule.get("resize", ""), rule.get("crop_fraction"))
    with atomic_path(path) as partial:  # keeps the .keras suffix that model.save needs
        model.save(partial)
        if names is not None:
            add_labels(partial, names)
        if rule is not None:
            add_image_rule(partial, rule)
    return path


def add_image_rule(keras_file: str | os.PathLike, rule: ImageRule) -> None:
    """Put the resize rule (`image_rule.json`) inside a `.keras` file that has none.

    Args:
        keras_file: the `.keras` file (a zip archive), changed in place.
        rule: how images are resized for the model.
    """
    with zipfile.ZipFile(keras_file, "a") as archive:
        if KERAS_MEMBER not in archive.namelist():
            archive.writestr(KERAS_MEMBER, json.dumps(rule.to_dict()))


def add_labels(keras_file: str | os.PathLike, class_names: Sequence[str]) -> None:
    """Put `labels.txt` inside a `.keras` file that has none (Keras ignores members it does not know).

    Args:
        keras_file: the `.keras` file (a zip archive), changed in place.
        class_names: the names, in output order.
    """
    with zipfile.ZipFile(keras_file, "a") as archive:
        if LABELS_FILE not in archive.namelist():
            archive.writestr(LABELS_FILE, labels_text(class_names))


def keras_file_labels(path: str | os.PathLike) -> tuple[str, ...] | None:
    """The class names inside a `.keras` file, or beside it as labels.txt, or None.

    Args:
        path: the `.keras` file.
    """
    with zipfile.ZipFile(path) as archive:
        if LABELS_FILE in archive.namelist():
            return parse_labels(archive.read(LABELS_FILE).decode("utf-8"))
    return folder_labels(Path(path).parent)


def folder_labels(folder: str | os.PathLike) -> tuple[str, ...] | None:
    """labels.txt in `folder`, or None.

    Args:
        folder: an export folder (or any folder that may hold labels.txt).
    """
    path = Path(folder) / LABELS_FILE
    return parse_labels(path.read_text(encoding="utf-8")) if path.is_file() else None


def model_class_names(model: keras.Model, source: str) -> tuple[str, ...] | None:
    """`model.class_names` if set, else the labels inside the `.keras` file `source` (if it is one).

    Args:
        model: a loaded Keras model.
        source: where it was loaded from.
    """
    names = getattr(model, "class_names", None)
    if names is None and str(source).endswith(".keras") and Path(source).is_file():
        names = keras_file_labels(source)
    return tuple(names) if names is not None else None

"""The images an export is calibrated and checked on, as float32 batches shaped like the model input.

Callers pass arrays, (x, y) pairs, iterables of batches (a `tf.data.Dataset`) or `.npz` files; all
become float32 (N, H, W, C) raw pixels here, with errors that name the expected shape. The parity
check runs on held-out images when given, else on the calibration images, else on random pixels
(enough to compare a file with Keras, though not to report accuracy).
"""

from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

if TYPE_CHECKING:  # Keras loads when an export starts
    pass

import numpy as np

from keras_resnet.errors import CorruptFileError, InvalidInputError, MissingFileError

RANDOM_VALIDATION_IMAGES = 32
MAX_DATASET_IMAGES = 1000

__all__ = ["CheckImages", "as_images", "check_images", "load_images_npz"]


@dataclasses.dataclass(frozen=True)
class CheckImages:
    """Images for the parity check, their labels (or None) and where they came from."""

    images: np.ndarray
    labels: np.ndarray | None
    source: str  # "validation_data", "representative_data" or "random"


def as_images(data: Any, *, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Images from an array, an (x, y) pair or an iterable of batches, as float32 (N, *shape)."""
    if isinstance(data, tuple) and len(data) == 2:
        data = data[0]
    if not hasattr(data, "shape"):
        data = _first_batches(data, shape)
    images = np.asarray(data, dtype=np.float32)
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(shape) or len(images) == 0:
        raise InvalidInputError(
            f"{name} must be a non-empty batch of images shaped "
            f"(N, {', '.join(map(str, shape))}) like the model input (raw pixels), "
            f"got shape {images.shape}"
        )
    return images


def _first_batches(batches: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Up to about MAX_DATASET_IMAGES images from an iterable of batches (or (x, y) batches)."""
    found, count = [], 0
    for batch in batches:
        batch = batch[0] if isinstance(batch, (tuple, list)) else batch
        found.append(np.asarray(batch))
        count += len(found[-1])
        if count >= MAX_DATASET_IMAGES:
            break
    return np.concatenate(found) if found else np.zeros((0, *shape))


def check_images(
    validation_data: Any, representative: np.ndarray | None, shape: tuple[int, ...]
) -> CheckImages:
    """Held-out images (and labels) for the parity check: `validation_data`, else the calibration
    images, else random pixels in 0..255 (seeded, so two exports are checked on the same images)."""
    if validation_data is not None:
        labels = None
        if isinstance(validation_data, tuple) and len(validation_data) == 2:
            labels = np.asarray(validation_data[1]).reshape(-1)
        images = as_images(validation_data, name="validation_data", shape=shape)
        if labels is not None and len(labels) != len(images):
            raise InvalidInputError(f"validation_data has {len(images)} images but {len(labels)} labels")
        return CheckImages(images, labels, "validation_data")
    if representative is not None:
        return CheckImages(representative, None, "representative_data")
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, size=(RANDOM_VALIDATION_IMAGES, *shape)).astype(np.float32)
    return CheckImages(images, None, "random")


@overload
def load_images_npz(path: str | Path, *, labels: Literal[False] = ...) -> np.ndarray: ...
@overload
def load_images_npz(path: str | Path, *, labels: Literal[True]) -> tuple[np.ndarray, np.ndarray | None]: ...
def load_images_npz(
    path: str | Path, *, labels: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray | None]:
    """Images `x` (and labels `y` when `labels`) from an .npz file, with clear errors."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no such .npz file: {str(path)!r}")
    if path.suffix != ".npz":
        raise InvalidInputError(f"expected an .npz file (np.savez(path, x=images)), got {str(path)!r}")
    try:
        with np.load(path) as data:
            if "x" not in data:
                raise CorruptFileError(
                    f"{str(path)!r} has no array 'x' (found: {', '.join(data.files)}); "
                    f"save images with np.savez(path, x=images)"
                )
            x = data["x"]
            y = data["y"] if labels and "y" in data else None
    except (OSError, zipfile.BadZipFile) as err:
        raise CorruptFileError(f"{str(path)!r} is not a readable .npz file ({err})") from err
    return x if not labels else (x, y)

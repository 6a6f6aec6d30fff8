"""Images for prediction, from files, folders, NumPy arrays or PIL images, resized the way the model expects.

Every input takes one path, with Pillow and NumPy alone (no TensorFlow, no Keras), so a `.tflite`
file runs on a device with `ai-edge-litert`, Pillow and NumPy, and every model format sees exactly
the same pixels: a file is fully decoded by `keras_resnet.data.images.decode_image`; a PIL image is
converted the same way; then pixels become float32 RGB (or grey) 0-255 and are resized by one rule.

The rule is the model's own, read from its record (`keras_resnet.models.resizing`): the resize rule
its training used ("whole": the whole image resized to the input size; "centre_crop": the shorter
side resized to size/fraction, then the centre crop), recorded in the run's config.json, the
export's outputs.json or the `.keras` file, and for `model:source` the source's evaluation crop.
Where there is no record (an older export, a plain `.keras`), the documented default applies: an
input of 128 pixels or more gets ImageNet's evaluation transform (shorter side to input/0.875, 256
for 224, then the centre crop), a smaller one (digits, CIFAR) the whole image. Arrays go through
the same rule as files (an array is an image, not a model input), so an array and the file it came
from give the same answer. Resizing is bilinear, antialiased when shrinking (Pillow's filter), on
float32 pixels; `ImageRule.plan` (shared with the tf.data folder loader) says where to resize and
crop. Pixels stay 0-255: models built with pretrained weights, and this package's exports,
normalise inside.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from keras_resnet.data.images import decode_image, split_image_files
from keras_resnet.errors import InvalidInputError, MissingFileError
from keras_resnet.models.resizing import ImageRule, default_rule

NOTICE_NAMES = 5
"""How many unused files a folder's notice names before it gives a count."""

__all__ = ["read_images", "resize", "to_pixels"]


def read_images(
    inputs: Any, size: tuple[int, int], channels: int = 3, rule: ImageRule | None = None
) -> tuple[list[str], np.ndarray]:
    """(names, float32 batch (N, height, width, channels)) for any mix of inputs.

    Args:
        inputs: an image file, a folder of images, a NumPy array (HWC or NHWC, RGB or grey 0-255,
            uint8 or float), a PIL image, or a list/tuple mixing them.
        size: (height, width) of the model input.
        channels: 3 for RGB models, 1 for grey ones.
        rule: the model's recorded resize rule; None: the documented default (module docstring).

    Files are named by their path, arrays "array[k]" and PIL images "image[k]", k being the
    image's position in the batch. A folder's files that are not images are named in one notice
    on stderr; a corrupt image is a `CorruptFileError` naming it.
    """
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if not items:
        raise InvalidInputError("no images given: pass image files, folders, arrays or PIL images")
    names: list[str] = []
    images: list[np.ndarray] = []
    for item in items:
        for name, pixels in _expand(item, channels):
            names.append(str(name) if isinstance(name, Path) else f"{name}[{len(images)}]")
            images.append(resize(pixels, size, rule))
    return names, np.stack(images)


def _expand(item: Any, channels: int) -> Iterable[tuple[Path | str, np.ndarray]]:
    """(file path, or "array"/"image" for in-memory images, pixels) for each image `item` holds."""
    if isinstance(item, (str, os.PathLike)):
        for path in _image_files(Path(item)):
            yield path, decode_image(path, channels)
    elif isinstance(item, np.ndarray):
        batch = _check_array(item)
        for image in batch:
            yield "array", to_pixels(image, channels)
    elif type(item).__module__.startswith("PIL.") and hasattr(item, "convert"):
        converted = np.asarray(item.convert("RGB" if channels == 3 else "L"), dtype=np.uint8)
        yield "image", converted[..., None] if channels == 1 else converted
    else:
        raise InvalidInputError(
            f"cannot read an image from a {type(item).__name__}: pass a file or folder path, a NumPy "
            "array (height, width, channels) or (batch, height, width, channels), or a PIL image"
        )


def _image_files(path: Path) -> list[Path]:
    """`path` itself, or the image files in folder `path` (the others named in one notice)."""
    if not path.exists():
        raise MissingFileError(f"no such image file or folder: {str(path)!r}")
    if not path.is_dir():
        return [path]
    entries = sorted(path.iterdir())
    images, others = split_image_files(p for p in entries if p.is_file())
    others += [p for p in entries if not p.is_file() and not p.name.startswith(".")]
    if others:
        shown = ", ".join(p.name for p in others[:NOTICE_NAMES])
        more = f" and {len(others) - NOTICE_NAMES} more" if len(others) > NOTICE_NAMES else ""
        print(
            f"note: {len(others)} entries of {str(path)!r} are not image files and were not used: "
            f"{shown}{more}",
            file=sys.stderr,
            flush=True,
        )
    if not images:
        raise InvalidInputError(f"folder {str(path)!r} holds no image files")
    return images


def _check_array(array: np.ndarray) -> np.ndarray:
    """`array` as a batch (N, H, W, C), or a one-line error saying what an image array looks like."""
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3) or 0 in array.shape:
        raise InvalidInputError(
            f"an image array must be (height, width, channels) or (batch, height, width, channels) "
            f"with 1 (grey) or 3 (RGB) channels; got shape {array.shape}"
        )
    if array.dtype.kind not in "uif":
        raise InvalidInputError(
            f"an image array must hold numbers (uint8 or float 0-255); got dtype {array.dtype}"
        )
    return array


def to_pixels(image: np.ndarray, channels: int) -> np.ndarray:
    """One (H, W, 1 or 3) image with `channels` channels: grey repeated to RGB, RGB to grey as
    Pillow's "L" conversion does (ITU-R 601-2 luma), so an array matches its decoded file."""
    if image.shape[-1] == channels:
        return image
    if channels == 3:
        return np.repeat(image, 3, axis=-1)
    if image.dtype == np.uint8:
        from PIL import Image

        return np.asarray(Image.fromarray(image).convert("L"))[..., None]
    grey = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return grey[..., None]


def resize(image: np.ndarray, size: tuple[int, int], rule: ImageRule | None = None) -> np.ndarray:
    """`image` (H, W, C) as float32 at `size`, by `rule` (None: the documented default, module doc).

    Args:
        image: pixels, RGB or grey 0-255.
        size: (height, width) of the model input.
        rule: the model's resize rule (`keras_resnet.models.resizing.ImageRule`).
    """
    image = np.asarray(image, dtype=np.float32)
    rule = rule or default_rule(size)
    plan = rule.plan(image.shape[0], image.shape[1], size)
    image = _resize(image, (plan.height, plan.width))
    return image[plan.top : plan.top + size[0], plan.left : plan.left + size[1]]


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear float32 resize of each channel with Pillow (antialiased when shrinking)."""
    from PIL import Image

    if image.shape[:2] == tuple(size):
        return image
    height, width = size
    channels = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(image[..., c])).resize(
                (width, height), Image.Resampling.BILINEAR
            )
        )
        for c in range(image.shape[-1])
    ]
    return np.stack(channels, axis=-1).astype(np.float32)

"""Read image files for prediction, resized the way the model expects.

The rule: a model whose input is 128 pixels or more (ImageNet-sized) gets the ImageNet evaluation
transform, shorter side resized to input/0.875 (256 for 224) then the centre input x input crop;
a smaller input (a model trained on small images such as digits or CIFAR) gets the whole image
resized to its input size, as training resized it. Pixels stay RGB 0-255: models built with
pretrained weights, and this package's exports, normalise inside.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from keras_resnet.errors import CorruptFileError, InvalidInputError, MissingFileError

if TYPE_CHECKING:
    import tensorflow as tf

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp")
IMAGENET_CROP_FRACTION = 0.875
IMAGENET_RULE_MIN_SIZE = 128


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given, and the image files inside any folder (sorted)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES))
        elif path.exists():
            found.append(path)
        else:
            raise MissingFileError(f"no such image file or folder: {str(path)!r}")
    if not found:
        raise InvalidInputError(f"no images found in {', '.join(map(str, paths))}")
    return found


def read_image(path: Path, size: tuple[int, int], channels: int = 3) -> np.ndarray:
    """One image as float32 (height, width, channels) pixels 0-255, resized by the module's rule."""
    import tensorflow as tf

    try:
        image = tf.io.decode_image(tf.io.read_file(str(path)), channels=channels, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError, ValueError) as err:
        reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise CorruptFileError(f"cannot read image {str(path)!r}: {reason[:120]}") from None
    return resize(tf.cast(image, tf.float32), size).numpy()


def resize(image: tf.Tensor, size: tuple[int, int]) -> tf.Tensor:
    """`image` (a float tensor) at `size` by the ImageNet rule or a plain resize (see module doc)."""
    import tensorflow as tf

    height, width = size
    if min(size) < IMAGENET_RULE_MIN_SIZE:
        return tf.image.resize(image, size, antialias=True)
    shorter = round(min(size) / IMAGENET_CROP_FRACTION)
    h, w = image.shape[0], image.shape[1]
    scale = shorter / min(h, w)
    image = tf.image.resize(
        image, (max(height, round(h * scale)), max(width, round(w * scale))), antialias=True
    )
    top = (image.shape[0] - height) // 2
    left = (image.shape[1] - width) // 2
    return image[top : top + height, left : left + width]


def read_images(
    paths: Iterable[str | os.PathLike], size: tuple[int, int], channels: int = 3
) -> tuple[list[Path], np.ndarray]:
    """(files, float32 batch) for image files and folders; a corrupt file is an error naming it."""
    files = expand_paths(paths)
    return files, np.stack([read_image(path, size, channels) for path in files])

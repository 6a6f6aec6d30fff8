"""Image files read with Pillow alone: which files are images, and their fully decoded RGB pixels.

The one home of "is this file a usable image": a file is good only when every pixel decodes (a JPEG
cut off after its header opens fine and fails here), and a folder's files are either images Pillow
reads (JPEG, PNG, GIF, BMP, WebP, TIFF, ...) or listed as unused, never dropped without a word.
Imports neither TensorFlow nor Keras, so the LiteRT prediction path can use it on a device.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from keras_resnet.errors import CorruptFileError, MissingFileError

__all__ = ["ImageVerdict", "check_image", "decode_image", "image_suffixes", "split_image_files"]


# Raster photo formats only: Pillow also registers stubs (HDF5, GRIB), vector files (EPS) and
# video (MPEG) that it cannot decode into pixels by itself.
PHOTO_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "DIB", "WEBP", "TIFF", "PPM", "AVIF", "JPEG2000", "ICO")


# Modes whose conversion to RGB and to grey cannot fail, so a check need not try it.
ALWAYS_CONVERTIBLE = ("1", "L", "P", "RGB", "RGBA", "CMYK", "YCbCr", "LA", "PA", "RGBX")


@functools.cache
def image_suffixes() -> frozenset[str]:
    """Lower-case suffixes of the photo formats this Pillow build opens (".jpg", ".webp", ".tif", ...)."""
    from PIL import Image

    return frozenset(
        suffix
        for suffix, format_name in Image.registered_extensions().items()
        if format_name in PHOTO_FORMATS and format_name in Image.OPEN
    )


def split_image_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Path]]:
    """(images, others): files whose suffix Pillow reads, and every other file, each sorted.

    Hidden files (a leading ".", such as `.DS_Store`) are neither: no one means them as data.
    """
    images: list[Path] = []
    others: list[Path] = []
    for path in sorted(map(Path, paths)):
        if path.name.startswith("."):
            continue
        (images if path.suffix.lower() in image_suffixes() else others).append(path)
    return images, others


class ImageVerdict(NamedTuple):
    """What a full decode of one file found: its Pillow format (e.g. "JPEG", "WEBP") when it
    decodes, else the short reason it does not ("image file is truncated", "empty file")."""

    format: str | None
    problem: str | None


def check_image(path: str | os.PathLike) -> ImageVerdict:
    """Fully decode `path` once (every pixel, as `decode_image` does) and say what it is.

    Never raises for a bad or missing file: the reason is in `problem`.

    Args:
        path: the file to check.
    """
    result = _decode(Path(path), channels=3, keep_pixels=False)
    if isinstance(result, str):
        return ImageVerdict(None, result)
    return ImageVerdict(result[1], None)


def decode_image(path: str | os.PathLike, channels: int = 3) -> np.ndarray:
    """Every pixel of `path` as uint8 (height, width, channels): RGB for 3, grey for 1.

    Palette, RGBA, CMYK and 16-bit files are converted the way Pillow converts them (alpha dropped,
    not composited). Raises `CorruptFileError` naming the file when it is empty, truncated, corrupt
    or not an image, and `MissingFileError` when it does not exist.

    Args:
        path: the image file.
        channels: 3 for RGB, 1 for grey.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no such image file: {str(path)!r}")
    result = _decode(path, channels)
    if isinstance(result, str):
        raise CorruptFileError(
            f"{str(path)!r} is not a readable image ({result}): empty, truncated, corrupt or not an "
            "image; replace or remove it"
        )
    pixels = result[0]
    assert pixels is not None  # _decode keeps the pixels unless told not to
    return pixels[..., None] if channels == 1 else pixels


def _decode(path: Path, channels: int, keep_pixels: bool = True) -> tuple[np.ndarray | None, str] | str:
    """(pixels, Pillow format name), or the one-line reason the file does not fully decode.

    Without `keep_pixels` the pixels are decoded but not copied out (None), and converted only
    when their mode is not one Pillow always converts (a check needs the verdict, not the copy).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        if path.stat().st_size == 0:
            return "empty file"
        with Image.open(path) as image:
            image.load()  # decodes every pixel: a truncated file fails here, not at open
            format_name = image.format or "unknown"
            if not keep_pixels:
                if image.mode not in ALWAYS_CONVERTIBLE:
                    image.convert("RGB")
                return None, format_name
            converted = image.convert("RGB" if channels == 3 else "L")
    except FileNotFoundError:
        return "no such file"
    except UnidentifiedImageError:
        return "not an image Pillow can read"
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        text = str(err).strip()
        return text.splitlines()[0] if text else type(err).__name__
    return np.asarray(converted, dtype=np.uint8), format_name

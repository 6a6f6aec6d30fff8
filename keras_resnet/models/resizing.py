"""How an image becomes a model input: the resize rule, a fact that travels with the model.

A model sees images prepared one way in training; prediction must prepare them the same way, so
the rule is recorded with every artifact (a run's config.json, the export's `outputs.json`, a
`.keras` file written by `save_model`) and read back, never guessed. Two rules:

    {"resize": "whole"}                                  the whole image resized to the input size
                                                         (aspect ratio not kept)
    {"resize": "centre_crop", "crop_fraction": 0.9655}   shorter side resized to size / fraction,
                                                         then the centre size x size crop

A weight source's evaluation transform is a centre crop: torchvision's V2 ResNet-50 resizes to 232
and crops 224 (fraction 224/232), timm's to 236 (224/236), keras.applications' and torchvision's V1
to 256 (224/256 = 0.875). The fraction is scale-free (it says how much of the frame the
pretrained features saw objects in), so it applies at any input size.

`ImageRule.plan` is the one home of the arithmetic: the tf.data folder loader and the Pillow/NumPy
predict path both ask it where to resize and crop. Imports neither Keras, TensorFlow nor NumPy.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path
from typing import Any, NamedTuple

from keras_resnet.errors import CorruptFileError, InvalidInputError

__all__ = [
    "IMAGENET_CROP_FRACTION",
    "WHOLE",
    "ImageRule",
    "centre_crop",
    "default_rule",
    "keras_file_rule",
    "parse_rule",
    "source_rule",
]

RESIZE_KINDS = ("whole", "centre_crop")
IMAGENET_CROP_FRACTION = 0.875
"""ImageNet's classic evaluation crop (256 -> 224), the rule for files that carry no record."""
DEFAULT_RULE_MIN_SIZE = 128
"""Record-less files: an input this large or larger gets ImageNet's crop, a smaller one the whole image."""
KERAS_MEMBER = "image_rule.json"
"""The rule's member inside a `.keras` archive (Keras ignores members it does not know)."""


class Plan(NamedTuple):
    """Where one image goes: resize it to (`height`, `width`), then keep the `size` box at (`top`, `left`)."""

    height: int
    width: int
    top: int
    left: int


@dataclasses.dataclass(frozen=True)
class ImageRule:
    """How an image of any size becomes a model input of a given size (module docstring).

    Args:
        resize: "whole" or "centre_crop".
        crop_fraction: for "centre_crop", the part of the shorter side kept, in (0, 1].
    """

    resize: str = "whole"
    crop_fraction: float | None = None

    def __post_init__(self):
        if self.resize not in RESIZE_KINDS:
            raise InvalidInputError(f"resize must be one of {RESIZE_KINDS}; got {self.resize!r}")
        fraction = self.crop_fraction
        if self.resize == "whole" and fraction is not None:
            raise InvalidInputError("a whole-image resize takes no crop_fraction")
        if self.resize == "centre_crop" and not (
            isinstance(fraction, (int, float)) and not isinstance(fraction, bool) and 0 < fraction <= 1
        ):
            raise InvalidInputError(f"crop_fraction must be a number in (0, 1]; got {fraction!r}")

    def plan(self, height: int, width: int, size: tuple[int, int]) -> Plan:
        """Where an image of `height` x `width` pixels is resized to and cropped for `size`.

        Args:
            height: the image's height in pixels.
            width: the image's width in pixels.
            size: (height, width) of the model input.
        """
        out_h, out_w = int(size[0]), int(size[1])
        if self.resize == "whole" or self.crop_fraction is None:
            return Plan(out_h, out_w, 0, 0)
        shorter = round(min(out_h, out_w) / self.crop_fraction)
        scale = shorter / min(height, width)
        resized_h, resized_w = max(out_h, round(height * scale)), max(out_w, round(width * scale))
        return Plan(resized_h, resized_w, (resized_h - out_h) // 2, (resized_w - out_w) // 2)

    def to_dict(self) -> dict[str, Any]:
        """The record: {"resize": "whole"} or {"resize": "centre_crop", "crop_fraction": f}."""
        if self.resize == "whole" or self.crop_fraction is None:
            return {"resize": "whole"}
        return {"resize": self.resize, "crop_fraction": float(self.crop_fraction)}

    @classmethod
    def from_dict(cls, record: Any, *, where: str = "the record") -> ImageRule:
        """The rule a record holds; CorruptFileError (naming `where`) for anything else.

        Args:
            record: a dict as `to_dict` writes it.
            where: the file the record came from, for the message.
        """
        try:
            return cls(record["resize"], record.get("crop_fraction"))
        except (TypeError, KeyError, AttributeError, InvalidInputError) as err:
            raise CorruptFileError(
                f"{where} holds no valid image resize rule ({record!r}: {err}); export or save it again"
            ) from None

    def describe(self) -> str:
        """One phrase for messages and reports."""
        if self.resize == "whole":
            return "whole image resized to the input size"
        return f"shorter side to size/{self.crop_fraction:.4g}, centre crop"


WHOLE = ImageRule("whole")


def centre_crop(fraction: float) -> ImageRule:
    """The centre-crop rule keeping `fraction` of the shorter side (0.875: ImageNet's 256 -> 224).

    Args:
        fraction: in (0, 1].
    """
    return ImageRule("centre_crop", float(fraction))


def source_rule(resize: int, crop: int) -> ImageRule:
    """A weight source's evaluation transform (shorter side to `resize`, centre `crop`) as a rule.

    Args:
        resize: the shorter side before the crop, at the source's own input size.
        crop: the crop, the source's input size.
    """
    return centre_crop(crop / resize)


def default_rule(size: tuple[int, int]) -> ImageRule:
    """The documented rule for a file that carries no record (exported before records existed, or
    a plain `.keras`): an input of 128 pixels or more gets ImageNet's evaluation crop (fraction
    0.875), a smaller one (digits, CIFAR) the whole image. Documented behaviour, not inferred from
    the model.

    Args:
        size: (height, width) of the model input.
    """
    return centre_crop(IMAGENET_CROP_FRACTION) if min(size) >= DEFAULT_RULE_MIN_SIZE else WHOLE


def parse_rule(text: str) -> ImageRule:
    """A rule from the command line: "whole", or "centre_crop:FRACTION" (e.g. centre_crop:0.875).

    Args:
        text: the option's value.
    """
    kind, _, fraction = str(text).partition(":")
    if kind == "whole" and not fraction:
        return WHOLE
    if kind == "centre_crop" and fraction:
        try:
            return centre_crop(float(fraction))
        except ValueError:
            pass
    raise InvalidInputError(
        f"image resize rule must be 'whole' or 'centre_crop:FRACTION' (FRACTION in (0, 1], e.g. "
        f"centre_crop:0.875); got {text!r}"
    )


def keras_file_rule(path: str | Path) -> ImageRule | None:
    """The rule recorded inside a `.keras` file (by `save_model`), or None when it holds none.

    Args:
        path: a `.keras` file.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            if KERAS_MEMBER not in archive.namelist():
                return None
            text = archive.read(KERAS_MEMBER).decode("utf-8")
    except (OSError, zipfile.BadZipFile):
        return None  # the model loader names an unreadable file
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        record = text
    return ImageRule.from_dict(record, where=f"{str(path)!r} ({KERAS_MEMBER})")

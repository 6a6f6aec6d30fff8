"""What an export may be asked for: formats, quantisations, and the backend that can write them.

Every option is checked before any work starts, so a typo or an impossible combination (int8 without
calibration images, TFLite on a backend without a LiteRT exporter) costs nothing and names what to
do instead. Lists come as sequences or comma-separated strings, as the command line gives them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from keras_resnet._utils.validation import check_choices
from keras_resnet.errors import InvalidInputError
from keras_resnet.export.litert import QUANTIZATIONS, check_backend_for_tflite
from keras_resnet.export.saved_model import check_backend_for_saved_model

FORMATS = ("saved_model", "tflite")

__all__ = ["FORMATS", "QUANTIZATIONS", "parse_quantize", "supported_formats", "check_options"]


def parse_quantize(values: str | Iterable[str]) -> tuple[str, ...]:
    """Quantisations as a tuple (from a sequence or a comma list), refusing unknown names."""
    return check_choices("quantize", values, QUANTIZATIONS)


def supported_formats() -> tuple[str, ...]:
    """The formats this Keras backend can export (TensorFlow: both; JAX: saved_model; else none)."""
    supported = []
    for name, check in (("saved_model", check_backend_for_saved_model), ("tflite", check_backend_for_tflite)):
        try:
            check()
        except ValueError:
            continue
        supported.append(name)
    return tuple(supported)


def check_options(
    *, formats: str | Iterable[str], quantize: str | Iterable[str], representative_data: Any
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Validate formats and quantisations before any work; return them as tuples."""
    formats = check_choices("formats", formats, FORMATS)
    quantize = parse_quantize(quantize)
    if "tflite" not in formats and quantize != ("float32",):
        raise InvalidInputError(
            f"quantize={quantize} applies to TFLite files only; add 'tflite' to formats "
            f"(the SavedModel is always float32)"
        )
    if "int8" in quantize and representative_data is None:
        raise InvalidInputError(
            "quantize='int8' needs representative_data: a few hundred real training images "
            "(raw pixels, shaped like the model input) to calibrate the int8 ranges "
            "(CLI: --dataset SPEC, e.g. --dataset digits, or --representative-npz PATH "
            "with an array `x`)"
        )
    if "saved_model" in formats:
        check_backend_for_saved_model()
    if "tflite" in formats:
        check_backend_for_tflite()
    return formats, quantize

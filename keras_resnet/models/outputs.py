"""What a model outputs, as a fact that travels with every file: probabilities or logits.

A classifier's last layer says it: a softmax activation gives probabilities, a linear one (Keras'
`classifier_activation=None`) gives logits. `output_kind` reads that from the model, never from
the numbers (a correct int8 softmax sums to 0.996, which a guess would call logits). An export
writes one record per file into `outputs.json`, beside `labels.txt`:

    {"format": "keras-resnet outputs", "version": 1,
     "files": {"saved_model": {"outputs": "probabilities", "activation": "softmax"},
               "model_int8.tflite": {"outputs": "probabilities", "activation": "softmax",
                                     "dtype": "int8", "scale": 0.00390625, "zero_point": -128}}}

A model with an image resize rule adds it to each file's record as `"image": {"resize":
"centre_crop", "crop_fraction": 0.9655}` (or `{"resize": "whole"}`; `keras_resnet.models.resizing`),
so predict prepares images as training did.
`dtype`, `scale` and `zero_point` describe the output tensor of a `.tflite` file (scale 0 for a
float output), so a reader on a device can dequantize without guessing. Any later format (an ONNX
file) adds its own entry with `add_output_record`. Imports neither Keras nor TensorFlow.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from keras_resnet._utils.atomic import write_text
from keras_resnet.errors import CorruptFileError, InvalidInputError

__all__ = ["OUTPUTS_FILE", "OUTPUT_KINDS", "add_output_record", "output_kind", "read_output_record"]

OUTPUTS_FILE = "outputs.json"
OUTPUT_KINDS = ("probabilities", "logits")
RECORD_FORMAT = "keras-resnet outputs"
KIND_OF_ACTIVATION = {"softmax": "probabilities", "linear": "logits"}


def output_activation(model: Any) -> str | None:
    """The name of the activation on `model`'s output ("softmax", "linear", ...), or None.

    Read from the layer that makes the output: an `Activation` or `Dense` layer's `activation`, or
    "softmax" for a `Softmax` layer. None when the output comes from any other layer.

    Args:
        model: a Keras model with one output.
    """
    outputs = getattr(model, "outputs", None) or []
    history = getattr(outputs[0], "_keras_history", None) if len(outputs) == 1 else None
    layer = history[0] if history is not None else (model.layers[-1] if model.layers else None)
    if type(layer).__name__ == "Softmax":
        return "softmax"
    activation = getattr(layer, "activation", None)
    if activation is None:
        return None
    return getattr(activation, "__name__", None) or str(activation)


def output_kind(model: Any) -> str | None:
    """ "probabilities" (softmax output), "logits" (linear output), or None (any other activation).

    Args:
        model: a Keras model with one output.
    """
    return KIND_OF_ACTIVATION.get(output_activation(model) or "")


def model_record(model: Any) -> dict[str, Any]:
    """The record of a Keras model's output: {"outputs": kind or None, "activation": name or None}.

    Args:
        model: a Keras model with one output.
    """
    return {"outputs": output_kind(model), "activation": output_activation(model)}


def add_output_record(folder: str | Path, file: str, record: dict[str, Any]) -> Path:
    """Add (or replace) the record of `file` (a name inside `folder`) in `folder`/outputs.json.

    Args:
        folder: the export folder holding `file` and labels.txt.
        file: the exported file's name, such as "saved_model" or "model_int8.tflite".
        record: {"outputs": "probabilities" | "logits" | None, "activation": ..., and for a
            .tflite file "dtype", "scale", "zero_point" of its output tensor}.
    """
    if record.get("outputs") not in (*OUTPUT_KINDS, None):
        raise InvalidInputError(
            f"outputs must be one of {OUTPUT_KINDS} or None; got {record.get('outputs')!r}"
        )
    path = Path(folder) / OUTPUTS_FILE
    records = _read(path) or {"format": RECORD_FORMAT, "version": 1, "files": {}}
    records["files"][file] = dict(record)
    write_text(path, json.dumps(records, indent=2, sort_keys=True) + "\n")
    return path


def read_output_record(file: str | Path) -> dict[str, Any] | None:
    """The record of the exported `file` from outputs.json beside it, or None when there is none.

    Args:
        file: an exported file (or SavedModel folder) beside its outputs.json.
    """
    file = Path(file)
    records = _read(file.parent / OUTPUTS_FILE)
    return None if records is None else records["files"].get(file.name)


def _read(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CorruptFileError(
            f"{str(path)!r} is not a readable outputs record ({err}); export again"
        ) from None
    if not isinstance(records, dict) or not isinstance(records.get("files"), dict):
        raise CorruptFileError(f"{str(path)!r} is not a keras-resnet outputs record; export again")
    return records

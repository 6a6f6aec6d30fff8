"""Bring weights into our models: saved files, and keras.applications models layer by layer.

Our layer names follow keras.applications, so porting is a name lookup with a shape check; built
with `KERAS_APPLICATIONS_OPTIONS`, our ResNet-50/101/152 (v1) and ResNet-50/101/152 V2 hold
exactly the same weights and compute the same outputs.
"""

from __future__ import annotations

import os
import warnings

import keras

from keras_resnet.errors import ArchitectureMismatchError, InvalidInputError
from keras_resnet.models.saving import check_weights_file

WEIGHT_SUFFIXES = (".weights.h5", ".keras")


def load_weights_file(model: keras.Model, path: str | os.PathLike) -> None:
    """Load a `.weights.h5` or `.keras` file into `model`, with errors that say what differs:
    MissingFileError, CorruptFileError (unreadable file) or ArchitectureMismatchError."""
    path = os.fspath(path)
    if os.path.isfile(path) and not path.endswith(WEIGHT_SUFFIXES):
        raise InvalidInputError(
            f"weights must be a file ending in {' or '.join(WEIGHT_SUFFIXES)}, got {path!r}"
        )
    check_weights_file(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.load_weights(path)
        skipped = [
            str(w.message)
            for w in caught
            if "retain their freshly-initialized" in str(w.message) or "could not be loaded" in str(w.message)
        ]
        if skipped:  # Keras only warns when part of the file does not fit: nothing may be lost
            raise ValueError(skipped[0])
    except Exception as err:  # Keras raises several types for a mismatched file
        channels = model.input.shape[-1 if _channels_last(model) else 1]
        raise ArchitectureMismatchError(
            f"weights file {path!r} does not match {model.name} as built (input channels "
            f"{channels}, {len(model.weights)} weight tensors): build the model with the same "
            f"architecture options, input channels and classes as the saved one. Keras said: "
            f"{str(err).strip().splitlines()[0]}"
        ) from err


def _channels_last(model: keras.Model) -> bool:
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            return layer.data_format == "channels_last"
    return True


def from_keras_applications(
    source: keras.Model, target: keras.Model, *, strict: bool = True
) -> dict[str, list[str]]:
    """Copy every weighted layer of `source` (a keras.applications ResNet) into `target` by name.

    With `strict` (default) every weighted layer on either side must find its twin with the same
    weight shapes; `strict=False` copies what matches and reports the rest (for a new head, say).
    Returns {"copied", "missing_in_target", "not_in_source"} lists of layer names.
    """
    copied, missing, mismatched = [], [], []
    for layer in source.layers:
        if not layer.weights:
            continue
        try:
            twin = target.get_layer(layer.name)
        except ValueError:
            missing.append(layer.name)
            continue
        source_shapes = [tuple(w.shape) for w in layer.weights]
        target_shapes = [tuple(w.shape) for w in twin.weights]
        if source_shapes != target_shapes:
            mismatched.append(f"{layer.name}: {source_shapes} -> {target_shapes}")
            continue
        twin.set_weights(layer.get_weights())
        copied.append(layer.name)
    not_in_source = [layer.name for layer in target.layers if layer.weights and layer.name not in copied]
    if mismatched or (strict and (missing or not_in_source)):
        raise ValueError(
            "source and target do not hold the same weights. Build the target with "
            "keras_resnet.KERAS_APPLICATIONS_OPTIONS['v1' or 'v2'] and the same depth, classes "
            "and include_top, or pass strict=False to copy what matches.\n"
            f"  shape mismatches: {mismatched[:5]}\n  missing in target: {missing[:5]}\n"
            f"  not in source: {not_in_source[:5]}"
        )
    return {"copied": copied, "missing_in_target": missing, "not_in_source": not_in_source}

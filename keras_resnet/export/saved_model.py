"""SavedModel export with a serving signature for raw images, built on Keras' `ExportArchive`.

The SavedModel's `serve` signature (also `serving_default`) takes a dynamic batch of float images,
`serve_uint8` the same images as uint8, and both return `{"probabilities", "logits"}`. When the
model carries its own `normalization` layer the signatures take raw pixels (0..255) and need no
preprocessing by the caller. Works on every backend Keras' ExportArchive supports (TF, JAX).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from keras_resnet.export.preparation import find_layer
from keras_resnet.export.runners import Runner

if TYPE_CHECKING:
    import keras

BACKENDS = ("tensorflow", "jax")


def check_backend_for_saved_model() -> None:
    """SavedModel export runs on the backends whose Keras ExportArchive handles a dynamic batch."""
    import keras

    backend = keras.backend.backend()
    if backend not in BACKENDS:
        raise ValueError(
            f"SavedModel export needs the TensorFlow or JAX backend, but Keras is running on {backend!r} "
            f"(its ExportArchive needs fixed shapes and is experimental). Save the model "
            f"(model.save('model.keras')) and export it with KERAS_BACKEND=tensorflow, e.g. "
            f"`KERAS_BACKEND=tensorflow keras-resnet export model.keras`."
        )


def serving_model(model: keras.Model, *, include_preprocessing: bool = True) -> keras.Model:
    """A model sharing `model`'s layers that returns {"probabilities", "logits"} (logits if any).

    With `include_preprocessing=False` it starts after the `normalization` layer, so it takes
    normalised images. Logits are the output of the `predictions` layer.
    """
    import keras

    normalization = find_layer(model, "normalization")
    inputs = model.input if include_preprocessing or normalization is None else normalization.output
    outputs = {"probabilities": model.output}
    predictions = find_layer(model, "predictions")
    if predictions is not None and predictions.output is not model.output:
        outputs["logits"] = predictions.output
    return keras.Model(inputs, outputs, name=model.name)


def export_saved_model(model: keras.Model, path: str | Path, *, include_preprocessing: bool = True) -> dict:
    """Write `model` as a SavedModel at `path`; return its signature and output names.

    When the model's own `normalization` layer is included the signatures take raw pixels and a
    `serve_uint8` signature is added next to the float `serve`. The batch size is dynamic.
    """
    import keras
    import tensorflow as tf

    served = serving_model(model, include_preprocessing=include_preprocessing)
    uint8_signature = include_preprocessing and find_layer(model, "normalization") is not None
    input_shape = (None, *served.input.shape[1:])

    def serve(images):
        return served(keras.ops.cast(images, "float32"), training=False)

    archive = keras.export.ExportArchive()
    archive.track(served)
    signatures = ["serve"]
    archive.add_endpoint(
        "serve", serve, input_signature=[tf.TensorSpec(input_shape, tf.float32, name="images")]
    )
    if uint8_signature:
        archive.add_endpoint(
            "serve_uint8", serve, input_signature=[tf.TensorSpec(input_shape, tf.uint8, name="images")]
        )
        signatures.append("serve_uint8")
    archive.write_out(str(path), verbose=False)
    return {"signatures": signatures, "outputs": sorted(served.output)}


class SavedModelRunner(Runner):
    """A reloaded SavedModel's `serve` signature, run on numpy images."""

    def __init__(self, path: str | Path) -> None:
        import tensorflow as tf

        self.path = Path(path)
        self._tf = tf
        self.loaded = tf.saved_model.load(str(self.path))

    def serve(self, images: np.ndarray) -> dict[str, np.ndarray]:
        """Every output of the `serve` signature ("probabilities", and "logits" if any) for a batch."""
        outputs = self.loaded.serve(self._tf.constant(np.asarray(images, dtype=np.float32)))
        return {name: value.numpy() for name, value in outputs.items()}

    def run_batch(self, images: np.ndarray) -> np.ndarray:
        return self.serve(images)["probabilities"]

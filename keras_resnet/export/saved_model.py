"""SavedModel export with a serving signature for raw images, built on Keras' `ExportArchive`.

The SavedModel's `serve` signature (also `serving_default`) takes a dynamic batch of float images,
`serve_uint8` the same images as uint8, and both return `{"probabilities", "logits"}` for a softmax
classifier, `{"logits"}` alone for a model whose output is logits (its output is never called
probabilities). When the
model carries its own `normalization` layer the signatures take raw pixels (0..255) and need no
preprocessing by the caller. Works on every backend Keras' ExportArchive supports (TF, JAX).
With class names, on the TensorFlow backend, a `classify` signature (same images in) returns the
top-k indices, probabilities and names, so the names travel inside the SavedModel itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from keras_resnet.errors import InvalidInputError
from keras_resnet.export.preparation import find_layer
from keras_resnet.export.runners import Runner
from keras_resnet.models.outputs import output_kind

if TYPE_CHECKING:
    import keras

BACKENDS = ("tensorflow", "jax")
TOP_K = 5
"""`classify` returns the k = min(TOP_K, classes) most probable classes."""


def check_backend_for_saved_model() -> None:
    """SavedModel export runs on the backends whose Keras ExportArchive handles a dynamic batch."""
    import keras

    backend = keras.backend.backend()
    if backend not in BACKENDS:
        raise InvalidInputError(
            f"SavedModel export needs the TensorFlow or JAX backend, but Keras is running on {backend!r} "
            f"(its ExportArchive needs fixed shapes and is experimental). Save the model "
            f"(model.save('model.keras')) and export it with KERAS_BACKEND=tensorflow, e.g. "
            f"`KERAS_BACKEND=tensorflow keras-resnet export model.keras`."
        )


def check_class_names(class_names: Sequence[str] | None, classes: int | None) -> None:
    """Refuse class names that do not name the model's outputs one for one."""
    if class_names is not None and len(class_names) != classes:
        raise InvalidInputError(
            f"{len(class_names)} class names were given for a model with {classes} classes"
        )


def serving_model(model: keras.Model, *, include_preprocessing: bool = True) -> keras.Model:
    """A model sharing `model`'s layers that returns {"probabilities", "logits"} (logits if any).

    With `include_preprocessing=False` it starts after the `normalization` layer, so it takes
    normalised images. Logits are the output of the `predictions` layer; a model whose own output
    is logits (linear activation, `keras_resnet.models.outputs`) returns {"logits"} alone.
    """
    import keras

    normalization = find_layer(model, "normalization")
    inputs = model.input if include_preprocessing or normalization is None else normalization.output
    if output_kind(model) == "logits":
        return keras.Model(inputs, {"logits": model.output}, name=model.name)
    outputs = {"probabilities": model.output}
    predictions = find_layer(model, "predictions")
    if predictions is not None and predictions.output is not model.output:
        outputs["logits"] = predictions.output
    return keras.Model(inputs, outputs, name=model.name)


def export_saved_model(
    model: keras.Model,
    path: str | Path,
    *,
    include_preprocessing: bool = True,
    class_names: Sequence[str] | None = None,
) -> dict:
    """Write `model` as a SavedModel at `path`; return its signature and output names.

    When the model's own `normalization` layer is included the signatures take raw pixels and a
    `serve_uint8` signature is added next to the float `serve`. The batch size is dynamic.
    `class_names` (one per output) add a `classify` signature returning `top_k_indices` (int32),
    `top_k_probabilities` (float32) and `top_k_names` (string), each [batch, min(5, classes)].
    It is built from TensorFlow ops, so it is added on the TensorFlow backend only: on JAX, Keras
    traces every endpoint as a JAX function (jax2tf), where TensorFlow ops and strings cannot run;
    `labels.txt` names the classes there.
    """
    import keras
    import tensorflow as tf

    served = serving_model(model, include_preprocessing=include_preprocessing)
    uint8_signature = include_preprocessing and find_layer(model, "normalization") is not None
    float_images = [tf.TensorSpec((None, *served.input.shape[1:]), tf.float32, name="images")]

    def serve(images):
        return served(keras.ops.cast(images, "float32"), training=False)

    archive = keras.export.ExportArchive()
    archive.track(served)
    signatures = ["serve"]
    archive.add_endpoint("serve", serve, input_signature=float_images)
    if uint8_signature:
        uint8_images = [tf.TensorSpec(float_images[0].shape, tf.uint8, name="images")]
        archive.add_endpoint("serve_uint8", serve, input_signature=uint8_images)
        signatures.append("serve_uint8")
    check_class_names(class_names, model.output.shape[-1])
    if class_names is not None and keras.backend.backend() == "tensorflow":
        archive.add_endpoint("classify", _classify(serve, class_names), input_signature=float_images)
        signatures.append("classify")
    archive.write_out(str(path), verbose=False)
    return {"signatures": signatures, "outputs": sorted(served.output)}


def _classify(serve: Callable, class_names: Sequence[str]) -> Callable:
    """The `classify` endpoint: `serve`'s probabilities reduced to the top k, with their names."""
    import tensorflow as tf

    names = [str(name) for name in class_names]

    def classify(images):
        outputs = serve(images)
        probabilities = (
            outputs["probabilities"] if "probabilities" in outputs else tf.nn.softmax(outputs["logits"])
        )
        top = tf.math.top_k(probabilities, k=min(TOP_K, len(names)))
        return {
            "top_k_indices": top.indices,
            "top_k_probabilities": top.values,
            "top_k_names": tf.gather(tf.constant(names, dtype=tf.string), top.indices),
        }

    return classify


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
        """The model's own output: "probabilities", or "logits" for a model that outputs logits."""
        outputs = self.serve(images)
        return outputs["probabilities"] if "probabilities" in outputs else outputs["logits"]

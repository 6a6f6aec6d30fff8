"""The model as it is exported: float32, and with or without its own preprocessing.

Models trained under a mixed policy keep float32 weights but compute in float16/bfloat16; exporting
them as they are would put half-precision casts into the exported graph, so they are rebuilt in
float32 first. A model that carries its `normalization` layer is exported with it (files take raw
pixels) unless the caller asks for files that take normalised images.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # Keras loads when an export starts
    import keras

REDUCED_DTYPES = ("float16", "bfloat16")

__all__ = ["PreparedModel", "prepare_model", "find_layer", "float32_model", "without_preprocessing"]


def find_layer(model: keras.Model, name: str) -> keras.layers.Layer | None:
    """The layer called `name`, or None (unlike `get_layer`, which raises)."""
    return next((layer for layer in model.layers if layer.name == name), None)


def float32_model(model: keras.Model) -> keras.Model:
    """`model` itself if every layer computes in float32, else a float32 clone with its weights."""
    import keras

    def is_reduced(layer: keras.layers.Layer) -> bool:
        return layer.dtype_policy.compute_dtype in REDUCED_DTYPES

    if not any(is_reduced(layer) for layer in model.layers):
        return model

    def clone_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
        config = layer.get_config()
        if is_reduced(layer):
            config["dtype"] = "float32"
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    clone.set_weights([np.asarray(weight, dtype=np.float32) for weight in model.get_weights()])
    return clone


def without_preprocessing(model: keras.Model) -> keras.Model:
    """The model from its `normalization` layer's output on (it takes normalised images), or itself."""
    import keras

    normalization = find_layer(model, "normalization")
    if normalization is None:
        return model
    return keras.Model(normalization.output, model.output, name=model.name)


@dataclasses.dataclass(frozen=True)
class PreparedModel:
    """The float32 reference model, what the exporters receive, and how their inputs differ."""

    reference: object  # float32 keras.Model, preprocessing included: the parity reference
    exported: object  # what the TFLite converter receives (the reference, or it without preprocessing)
    normalization: keras.layers.Layer | None  # the model's own normalization layer, if any
    strip: bool  # the files take normalised images
    rebuilt_in_float32: bool

    @property
    def preprocessing(self) -> str:
        """How the exported files expect their input, in words for the report."""
        if self.strip:
            return "excluded: feed normalised images"
        return "in-model normalization layer" if self.normalization is not None else "none in model"

    def exported_input(self, images: np.ndarray) -> np.ndarray:
        """Raw images as the exported files take them: as they are, or normalised when stripped."""
        if not self.strip:
            return images
        import keras

        assert self.normalization is not None  # prepare_model strips only a model that has one
        return keras.ops.convert_to_numpy(self.normalization(images))


def prepare_model(model: keras.Model, *, include_preprocessing: bool = True) -> PreparedModel:
    """The float32 reference of `model` and the model to export, with or without preprocessing."""
    reference = float32_model(model)
    normalization = find_layer(reference, "normalization")
    strip = not include_preprocessing and normalization is not None
    return PreparedModel(
        reference=reference,
        exported=without_preprocessing(reference) if strip else reference,
        normalization=normalization,
        strip=strip,
        rebuilt_in_float32=reference is not model,
    )

"""Bring weights into our models: saved files, torch state dicts and keras.applications models.

Our layer names follow keras.applications, so porting is a name lookup with a shape check; built
with `KERAS_APPLICATIONS_OPTIONS`, our ResNet-50/101/152 (v1) and ResNet-50/101/152 V2 hold
exactly the same weights and compute the same outputs. torchvision and timm state dicts (a dict of
arrays, a torch module, or a `.safetensors`/`.pth` file) port through `pretrained.porting`.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import keras

from keras_resnet.errors import ArchitectureMismatchError, InvalidInputError, MissingFileError
from keras_resnet.models.pretrained.files import TORCH_SUFFIXES, read_torch_state
from keras_resnet.models.pretrained.porting import port_torch_state
from keras_resnet.models.pretrained.registry import is_source_name, looks_like_source_name, resolve
from keras_resnet.models.saving import check_weights_file

# A torch state dict (name -> array or tensor), a torch module, or a .pth/.pt/.safetensors path.
TorchSource = Any

WEIGHT_SUFFIXES = (".weights.h5", ".keras", *TORCH_SUFFIXES)
LAYOUTS = ("torchvision", "timm", "keras.applications")


def load_weights_file(model: keras.Model, path: str | os.PathLike) -> None:
    """Load the `.weights.h5`, `.keras`, `.safetensors` or `.pth` file at `path` into `model`, with
    errors that say what differs: MissingFileError, CorruptFileError (unreadable file) or
    ArchitectureMismatchError; `.safetensors`/`.pth` files are torchvision/timm state dicts.

    Args:
        model: the model to fill (built with the options the file was saved from).
        path: the weights file.
    """
    if is_source_name(path):
        raise InvalidInputError(
            f"weights={path!r} names a weight source, which needs a named model: "
            f"kr.resnet50(weights={path!r}) or kr.build('resnet50', weights={path!r})"
        )
    path = os.fspath(path)
    if os.path.isdir(path):
        raise InvalidInputError(
            f"weights {path!r} is a folder, not a weights file; pass the path of a "
            f"{' / '.join(WEIGHT_SUFFIXES)} file inside it"
        )
    if not os.path.isfile(path):
        if looks_like_source_name(path):
            resolve(model.name, path)  # raises: an unknown source, named with the valid ones
        raise MissingFileError(
            f"weights file {path!r} does not exist; pass weights=None for random initialisation, "
            "a source ('torchvision', 'timm', 'keras.applications', 'imagenet') or the path of a "
            f"{' / '.join(WEIGHT_SUFFIXES)} file"
        )
    if not path.endswith(WEIGHT_SUFFIXES):
        raise InvalidInputError(
            f"weights must be a file ending in {' or '.join(WEIGHT_SUFFIXES)}, got {path!r}"
        )
    if path.endswith(TORCH_SUFFIXES):
        include_top = any(layer.name == "predictions" for layer in model.layers)
        port_torch_state(read_torch_state(path), model, skip_head=not include_top)
        return
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

    Args:
        source: a keras.applications ResNet (v1 or v2).
        target: our model, built with `KERAS_APPLICATIONS_OPTIONS`.
        strict: refuse any weighted layer without a twin (False: copy what matches, report the
            rest).
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
        if source_shapes != target_shapes or _computes_differently(layer, twin):
            mismatched.append(f"{layer.name}: {source_shapes} -> {target_shapes}")
            continue
        twin.set_weights(layer.get_weights())
        copied.append(layer.name)
    not_in_source = [layer.name for layer in target.layers if layer.weights and layer.name not in copied]
    if mismatched or (strict and (missing or not_in_source)):
        raise ArchitectureMismatchError(
            "source and target do not hold the same weights. Build the target with "
            "keras_resnet.KERAS_APPLICATIONS_OPTIONS['v1' or 'v2'] and the same depth, classes "
            "and include_top, or pass strict=False to copy what matches.\n"
            f"  shape mismatches: {mismatched[:5]}\n  missing in target: {missing[:5]}\n"
            f"  not in source: {not_in_source[:5]}"
        )
    return {"copied": copied, "missing_in_target": missing, "not_in_source": not_in_source}


def _computes_differently(layer, twin) -> bool:
    """Same shapes, other computation: a stride moved (v1 vs v1.5) or another BN epsilon."""
    if isinstance(layer, keras.layers.Conv2D):
        return tuple(layer.strides) != tuple(twin.strides)
    if isinstance(layer, keras.layers.BatchNormalization):
        return abs(layer.epsilon - twin.epsilon) > 1e-12
    return False


def port_weights(source: TorchSource, model: keras.Model, *, layout: str = "torchvision") -> list[str]:
    """Copy `source`'s weights into `model`, every tensor checked; returns the layers filled.

    `source` is a torchvision/timm state dict (names -> arrays or torch tensors), a torch module,
    a `.safetensors`/`.pth` path (layouts "torchvision" and "timm", which name tensors alike), or
    a keras.applications model (layout "keras.applications"). `model` must be built with the
    options the source was trained with: `version="v1.5"` for torch layouts, and
    `KERAS_APPLICATIONS_OPTIONS` for keras.applications.

    Args:
        source: a state dict, torch module, `.safetensors`/`.pth` path or keras.applications model.
        model: our model, built with the source's options.
        layout: "torchvision", "timm" or "keras.applications".
    """
    if layout not in LAYOUTS:
        raise InvalidInputError(f"layout must be one of {', '.join(map(repr, LAYOUTS))}; got {layout!r}")
    if layout == "keras.applications":
        return from_keras_applications(source, model)["copied"]
    include_top = any(layer.name == "predictions" for layer in model.layers)
    if isinstance(source, (str, os.PathLike)):
        source = read_torch_state(source)
    elif hasattr(source, "state_dict"):
        source = source.state_dict()
    state = {
        key: value.detach().cpu().numpy() if hasattr(value, "detach") else value
        for key, value in source.items()
    }
    return port_torch_state(state, model, skip_head=not include_top)


def from_torchvision(source: TorchSource, model: keras.Model) -> list[str]:
    """`port_weights(source, model, layout="torchvision")`: a torchvision ResNet's weights.

    Args:
        source: a torchvision state dict, module or weights file.
        model: our model, built with version "v1.5".
    """
    return port_weights(source, model, layout="torchvision")


def from_timm(source: TorchSource, model: keras.Model) -> list[str]:
    """`port_weights(source, model, layout="timm")`: a timm ResNet's weights.

    Args:
        source: a timm state dict, module or weights file.
        model: our model, built with version "v1.5".
    """
    return port_weights(source, model, layout="timm")

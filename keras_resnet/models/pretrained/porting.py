"""Port a torchvision / timm state dict onto our layers: one name map, kernels transposed, BN kept.

torchvision and timm name a ResNet's tensors the same way (`conv1`, `bn1`, `layer{k}.{i}.conv{j}`,
`...downsample.0/1`, `fc`); our layers follow keras.applications (`conv{k+1}_block{i+1}_{j}_conv`).
Convolution kernels go from (out, in, h, w) to (h, w, in, out), dense ones from (out, in) to
(in, out); BatchNorm's weight, bias, running mean and variance become gamma, beta, moving mean and
variance. Anything left over, missing or of another shape is refused by name: nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from keras_resnet.errors import ArchitectureMismatchError

TORCH_EPSILON = 1e-5
_UNIT = re.compile(r"conv(\d+)_block(\d+)_(\d+)_(conv|bn)$")
_BN_FIELDS = ("weight", "bias", "running_mean", "running_var")
_IGNORED_SUFFIXES = (".num_batches_tracked",)


def torch_name(layer_name: str) -> str | None:
    """The torchvision/timm module name of our layer `layer_name`, or None if it has none.

    Args:
        layer_name: one of our layer names (`conv2_block1_1_conv`).
    """
    if layer_name == "conv1_conv":
        return "conv1"
    if layer_name == "conv1_bn":
        return "bn1"
    if layer_name == "predictions":
        return "fc"
    match = _UNIT.match(layer_name)
    if not match:
        return None
    stage, unit, index, kind = match.groups()
    prefix = f"layer{int(stage) - 1}.{int(unit) - 1}"
    if index == "0":
        return f"{prefix}.downsample.{0 if kind == 'conv' else 1}"
    return f"{prefix}.{kind}{index}"


def _check_torch_options(model: keras.Model) -> None:
    """Refuse a model whose options change the computation but not the tensor shapes."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization) and abs(layer.epsilon - TORCH_EPSILON) > 1e-12:
            raise ArchitectureMismatchError(
                f"torchvision/timm weights need bn_epsilon={TORCH_EPSILON}; {layer.name} has {layer.epsilon}"
            )
        if layer.name.endswith("_1_conv") and layer.kernel_size == (1, 1) and max(layer.strides) > 1:
            raise ArchitectureMismatchError(
                f"torchvision/timm weights need version='v1.5' (stride on the 3x3); {layer.name} is "
                "strided, as in version='v1'"
            )
        if layer.name.endswith("_preact_bn") or layer.name == "post_bn":
            raise ArchitectureMismatchError(
                "torchvision/timm ResNets are post-activation: build with version='v1.5', not 'v2'"
            )


def _torch_tensors(layer) -> list[tuple[str, Callable[..., Any]]]:
    """(state-dict suffix, torch -> Keras conversion) for each of `layer`'s weights, in order."""
    if isinstance(layer, keras.layers.Conv2D):
        pairs = [("weight", lambda t: np.transpose(t, (2, 3, 1, 0)))]
        return pairs + [("bias", np.asarray)] * int(layer.use_bias)
    if isinstance(layer, keras.layers.Dense):
        return [("weight", np.transpose), ("bias", np.asarray)]
    if isinstance(layer, keras.layers.BatchNormalization):
        return [(field, np.asarray) for field in _BN_FIELDS]
    return []


def port_torch_state(state: dict, model: keras.Model, *, skip_head: bool = False) -> list[str]:
    """Copy a torchvision/timm `state` ({name: array}) into `model`; returns the layers filled.

    Every weighted layer of `model` must find its tensors with the right shapes, and every tensor
    of `state` must be used (with `skip_head`, the classifier `fc.*` may be left out).

    Args:
        state: tensor name -> array or torch tensor.
        model: our model, built with version "v1.5".
        skip_head: leave the classifier out (a model built with include_top=False).
    """
    _check_torch_options(model)
    state = {k: np.asarray(v) for k, v in state.items() if not k.endswith(_IGNORED_SUFFIXES)}
    unused = set(state)
    copied, missing, misshapen = [], [], []
    for layer in model.layers:
        if not layer.weights:
            continue
        module = torch_name(layer.name)
        if module is None:
            raise ArchitectureMismatchError(
                f"layer {layer.name!r} has no counterpart in torchvision/timm ResNets; port into a "
                "model built without extra layers (no SE, deep stem or new head names)"
            )
        values = []
        for (suffix, convert), variable in zip(_torch_tensors(layer), layer.weights):
            key = f"{module}.{suffix}"
            if key not in state:
                missing.append(key)
                continue
            unused.discard(key)
            value = convert(state[key])
            if tuple(value.shape) != tuple(variable.shape):
                misshapen.append(f"{key} {tuple(state[key].shape)} for {layer.name} {tuple(variable.shape)}")
            values.append(value)
        if len(values) == len(layer.weights) and not misshapen:
            layer.set_weights(values)
            copied.append(layer.name)
    if skip_head:
        unused = {key for key in unused if not key.startswith("fc.")}
    _refuse(missing, misshapen, sorted(unused))
    return copied


def _refuse(missing: list, misshapen: list, unused: list) -> None:
    problems = [
        f"{label} ({len(names)}): {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}"
        for label, names in (("missing", missing), ("wrong shape", misshapen), ("not used", unused))
        if names
    ]
    if problems:
        raise ArchitectureMismatchError(
            "the weights do not fit this model: " + "; ".join(problems) + ". Build the same depth, "
            "classes and options the weights were trained with"
        )

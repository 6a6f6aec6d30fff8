"""Parameter and multiply-accumulate (MAC) counts, at the model's own input size.

MACs count the multiply-adds of convolutions and dense layers, the quantity He et al. 2015 call
"FLOPs" (ResNet-50: 3.8 G for v1; 4.1 G for the v1.5 layout). BatchNorm, ReLU, pooling and
additions are left out, as in the paper and torchvision. One MAC is two FLOPs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import keras

from keras_resnet.errors import InvalidInputError


def _count(weights: Iterable[keras.Variable]) -> int:
    return int(sum(math.prod(w.shape) for w in weights))


def layer_macs(layer: keras.layers.Layer) -> int:
    """Multiply-accumulates of one call of `layer` at its built output shape.

    Args:
        layer: a built layer.
    """
    if isinstance(layer, keras.layers.Conv2D):
        out = layer.output.shape
        if any(d is None for d in out[1:]):
            raise InvalidInputError(
                f"layer {layer.name} has an unknown output size {out}; build the "
                "model with a fixed input_shape to count MACs"
            )
        kernel = layer.kernel.shape  # (kh, kw, in / groups, out)
        spatial = out[1:3] if layer.data_format == "channels_last" else out[2:4]
        return math.prod(spatial) * math.prod(kernel)
    if isinstance(layer, keras.layers.Dense):
        positions = math.prod(d for d in layer.output.shape[1:-1])
        return positions * math.prod(layer.kernel.shape)
    return 0


def layer_stats(model: keras.Model) -> list[dict]:
    """One row per layer: name, type, output shape, parameters, MACs.

    Args:
        model: a built functional model with a fixed input size.
    """
    return [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": [None if d is None else int(d) for d in layer.output.shape],
            "params": _count(layer.weights),
            "macs": layer_macs(layer),
        }
        for layer in model.layers
    ]


def model_stats(model: keras.Model) -> dict[str, int]:
    """{"params", "trainable_params", "macs"} of a built functional model.

    Args:
        model: a built functional model with a fixed input size (MACs need one).
    """
    return {
        "params": _count(model.weights),
        "trainable_params": _count(model.trainable_weights),
        "macs": sum(layer_macs(layer) for layer in model.layers),
    }


def format_layer_table(model: keras.Model) -> str:
    """A printable table of `layer_stats` with totals, for `keras-resnet summary`.

    Args:
        model: a built functional model with a fixed input size.
    """
    rows = layer_stats(model)
    width = max(len(r["name"]) for r in rows) + 2
    lines = [f"{'layer':<{width}}{'type':<24}{'output shape':<22}{'params':>12}{'MACs':>16}"]
    lines.append("-" * len(lines[0]))
    for r in rows:
        shape = "x".join("?" if d is None else str(d) for d in r["output_shape"][1:])
        lines.append(f"{r['name']:<{width}}{r['type']:<24}{shape:<22}{r['params']:>12,}{r['macs']:>16,}")
    totals = model_stats(model)
    lines.append("-" * len(lines[0]))
    lines.append(
        f"{model.name}: {totals['params']:,} parameters "
        f"({totals['trainable_params']:,} trainable), "
        f"{totals['macs'] / 1e9:.3f} G multiply-accumulates (MACs)"
    )
    return "\n".join(lines)

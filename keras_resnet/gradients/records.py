"""A `Measurement` turned into the rows a gradient record keeps and the scalars `fit` logs.

Per layer: the gradient norm (the square root of the sum over its weights' squared norms), the
weight norm and their ratio, the relative step size an optimizer takes there. Per weight: the same
numbers for each weight. Per step: the global norm, the loss and the non-finite count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import keras
import numpy as np

from keras_resnet.gradients.depth import LayerSlot

if TYPE_CHECKING:
    from keras_resnet.gradients.sources import Measurement

__all__ = ["LOG_KEYS", "Rows", "measurement_rows", "log_scalars", "layer_gradients"]

LOG_KEYS = (
    "grad_global_norm",
    "grad_min_layer_norm",
    "grad_max_layer_norm",
    "grad_first_last_ratio",
    "grad_nonfinite",
)


class Rows(NamedTuple):
    """The rows of one measurement: one dict per layer, one per weight, and the global one."""

    layers: list
    weights: list
    global_row: dict


def measurement_rows(
    measurement: Measurement,
    slots: Sequence[LayerSlot],
    variables: Sequence[keras.Variable],
    *,
    step: int,
    epoch: int,
) -> Rows:
    """Rows for the selected layers `slots` (`depth.LayerSlot`s) of `variables`, the model's
    trainable variables, whose squared gradient norms `measurement` holds."""
    layers, weights = [], []
    for slot in slots:
        grad_sq = weight_sq = 0.0
        for path, i in slot.weights:
            w = keras.ops.convert_to_numpy(variables[i]).astype("float64")
            g_norm, w_norm = float(np.sqrt(measurement.squared_norms[i])), float(np.sqrt(np.sum(w * w)))
            grad_sq += g_norm**2
            weight_sq += w_norm**2
            weights.append({**_row(step, epoch, slot, g_norm, w_norm), "weight": path})
        layers.append(_row(step, epoch, slot, grad_sq**0.5, weight_sq**0.5))
    global_row = {
        "step": step,
        "epoch": epoch,
        "loss": measurement.loss,
        "global_norm": float(np.sqrt(np.sum(measurement.squared_norms))),
        "nonfinite": measurement.nonfinite,
        **measurement.extras,
    }
    return Rows(layers, weights, global_row)


def _row(step: int, epoch: int, slot: LayerSlot, grad_norm: float, weight_norm: float) -> dict[str, Any]:
    return {
        "step": step,
        "epoch": epoch,
        "layer": slot.name,
        "depth": slot.depth,
        "grad_norm": grad_norm,
        "weight_norm": weight_norm,
        "ratio": grad_norm / weight_norm if weight_norm else float("inf"),
    }


def log_scalars(rows: Rows) -> dict[str, float]:
    """The `LOG_KEYS` values of one measurement (first/last: first selected layer over last)."""
    norms = [row["grad_norm"] for row in rows.layers]
    last = norms[-1]
    return {
        "grad_global_norm": rows.global_row["global_norm"],
        "grad_min_layer_norm": float(min(norms)),
        "grad_max_layer_norm": float(max(norms)),
        "grad_first_last_ratio": float(norms[0] / last) if last else float("inf"),
        "grad_nonfinite": float(rows.global_row["nonfinite"]),
    }


def layer_gradients(gradients: Sequence[np.ndarray], slots: Sequence[LayerSlot]) -> dict[str, np.ndarray]:
    """{layer name: its gradient entries, flattened} for TensorBoard histograms."""
    return {slot.name: np.concatenate([gradients[i].ravel() for _, i in slot.weights]) for slot in slots}

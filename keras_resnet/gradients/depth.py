"""The one definition of a layer's depth, and the choice of layers a gradient record covers.

The depth of a layer is the number of kernel-bearing layers (convolutions, dense layers) on the
longest path from the model's input up to and including it: the count the paper uses when it
calls a net "20 layers deep" (He et al. 2015, section 4.2), so the classifier of ResNet-20 has
depth 20. A layer without a kernel (BatchNorm, activation, addition) takes the depth of the
deepest kernel before it; a projection shortcut has the depth of its unit's first convolution,
because both read the unit's input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from keras_resnet.errors import InvalidInputError

if TYPE_CHECKING:
    import keras

__all__ = ["LayerSlot", "has_kernel", "layer_depths", "layer_patterns", "select_layers"]


class LayerSlot(NamedTuple):
    """A recorded layer: its name, depth and trainable weights as (path, index into
    `model.trainable_variables`) pairs."""

    name: str
    depth: int
    weights: list


def has_kernel(layer: keras.layers.Layer) -> bool:
    """Whether `layer` is one the depth counts: it holds a `kernel` weight (Conv, Dense)."""
    return getattr(layer, "kernel", None) is not None


def layer_depths(model: keras.Model) -> dict[str, int]:
    """{layer name: depth} for every layer of `model` (see the module docstring).

    Walks the functional graph from the outputs back to the inputs. A model without one (a
    subclassed model) falls back to the order of `model.layers`, counting kernels as they come.
    """
    nodes = _graph_nodes(model)
    if nodes is None:
        return _sequential_depths(model)
    depth_of_node: dict[int, int] = {}
    depths: dict[str, int] = {}
    for node in nodes:  # parents before children
        parents = [depth_of_node[id(p)] for p in node.parent_nodes if id(p) in depth_of_node]
        depth = max(parents, default=0) + int(has_kernel(node.operation))
        depth_of_node[id(node)] = depth
        name = getattr(node.operation, "name", None)
        if name is not None:
            depths[name] = max(depth, depths.get(name, 0))
    return {layer.name: depths[layer.name] for layer in model.layers if layer.name in depths}


def _graph_nodes(model):
    """The nodes behind `model.outputs` in topological order (parents first), or None."""
    outputs = getattr(model, "_outputs", None) or _maybe(lambda: model.outputs)
    if not outputs:
        return None
    roots = [
        t._keras_history.operation._inbound_nodes[t._keras_history.node_index]
        for t in outputs
        if getattr(t, "_keras_history", None) is not None
    ]
    if not roots:
        return None
    order, seen, stack = [], set(), [(node, False) for node in roots]
    while stack:  # iterative depth-first post-order: ResNet-1202 is deeper than Python's stack
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent in node.parent_nodes if id(parent) not in seen)
    return order


def _maybe(read):
    try:
        return read()
    except (AttributeError, ValueError):
        return None


def _sequential_depths(model: keras.Model) -> dict[str, int]:
    depths, depth = {}, 0
    for layer in model.layers:
        depth += int(has_kernel(layer))
        depths[layer.name] = depth
    return depths


def layer_patterns(layers: str | Iterable[str] | None) -> list[re.Pattern] | None:
    """Regular expressions selecting layers by name (None: every layer); [] is refused."""
    if layers is None:
        return None
    patterns = [re.compile(layers)] if isinstance(layers, str) else [re.compile(p) for p in layers]
    if not patterns:
        raise InvalidInputError("layers=[] selects no layer; pass None to record every layer")
    return patterns


def select_layers(model: keras.Model, patterns: Iterable[re.Pattern] | None = None) -> list[LayerSlot]:
    """The layers of `model` with trainable weights whose name matches one of `patterns`
    (`re.search`; None: every such layer), in `model.layers` order with their depths; a
    ValueError if there is none, since then there is nothing to record."""
    if not model.trainable_variables:
        raise InvalidInputError(
            f"model {model.name!r} has no trainable weights; there are no gradients to record"
        )
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    depths = layer_depths(model)
    chosen = []
    for layer in model.layers:
        weights = [(v.path, index[id(v)]) for v in layer.trainable_weights if id(v) in index]
        if weights and (patterns is None or any(p.search(layer.name) for p in patterns)):
            chosen.append(LayerSlot(layer.name, depths.get(layer.name, 0), weights))
    if not chosen:
        raise InvalidInputError(
            f"layers={[p.pattern for p in patterns or ()]} matches no layer with trainable "
            f"weights in model {model.name!r}"
        )
    return chosen

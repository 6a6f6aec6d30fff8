"""Find a trained net's units in its functional graph and delete them at test time (Veit et al. 2016).

A residual unit is found by structure, not by name: an `Add` of two tensors, the *shortcut* (the
input whose path from the network input is shorter: identity, zero-pad or projection, whatever
the shortcut variant) and the *branch* F(x). Deleting the unit's branch rebuilds the graph with that
`Add`'s output replaced by its shortcut input, so what follows the addition (a post-activation ReLU)
sees exactly the shortcut, as in the paper's lesion study.

A plain net has no shortcut to fall back on. Its contrast is made with the same "skip": a plain unit
(the layers named `conv{stage}_block{i}_*`, the builder's names) is deleted by handing its input
straight to the next unit, which is possible only where the unit keeps the shape (not at
downsampling units).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from keras_resnet.errors import InvalidInputError

__all__ = ["Unit", "find_units", "delete_units"]

_PLAIN_UNIT_OUTPUT = re.compile(r"^(?P<unit>.+_block\d+)_out$")


@dataclasses.dataclass(frozen=True)
class Unit:
    """One unit of a net: `index` from the input, `name`, `residual`, `downsampling` (its output
    shape differs from its input's), and where deleting it takes the output from."""

    index: int
    name: str
    residual: bool
    downsampling: bool
    output_layer: str  # the Add (residual) or the unit's last layer (plain)
    shortcut_input: int | None = None  # residual: which Add input is the shortcut
    input_layer: str | None = None  # plain: the layer whose output is the unit's input

    @property
    def deletable(self) -> bool:
        """A residual unit always keeps its shortcut; a plain unit only if the shapes match."""
        return self.residual or not self.downsampling

    def to_dict(self) -> dict:
        return {
            "index": self.index,
            "name": self.name,
            "residual": self.residual,
            "downsampling": self.downsampling,
            "deletable": self.deletable,
        }


def find_units(model) -> list[Unit]:
    """The residual units of `model` (Adds of shortcut and branch); for a net without any, its plain
    units (named `..._block{i}_out`). InvalidInputError when the model has neither."""
    units = _residual_units(model)
    if not units:
        units = _plain_units(model)
    if not units:
        raise InvalidInputError(
            f"model {model.name!r} has no residual units (no Add of a shortcut and a branch) and no "
            "plain units named like conv{stage}_block{i}_out: there is nothing to delete"
        )
    return units


def delete_units(model, units) -> object:
    """A new functional model sharing `model`'s layers (and weights) with `units` deleted.

    A residual unit's `Add` returns its shortcut input; a plain unit's last layer returns the
    unit's input. Everything else is called as in `model`.
    """
    import keras

    units = list(units)
    for unit in units:
        if not unit.deletable:
            raise InvalidInputError(
                f"unit {unit.name} of plain net {model.name!r} changes the shape: deleting it "
                "would break the net (only residual units and shape-keeping plain units can go)"
            )
    replaced = {unit.output_layer: unit for unit in units}
    sources = {unit.input_layer for unit in units if unit.input_layer}
    produced: dict[str, Any] = {}

    def call(layer, *args, **kwargs):
        unit = replaced.get(layer.name)
        if unit is None:
            output = layer(*args, **kwargs)
        elif unit.residual:
            output = args[0][unit.shortcut_input]
        else:  # consecutive plain units: the next one's input is this one's replaced output
            output = produced[unit.input_layer]
        if layer.name in sources:
            produced[layer.name] = output
        return output

    return keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call)


def _producer(tensor):
    return tensor._keras_history[0]


def _inputs_of(layer) -> list:
    inputs = layer.input
    return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]


def _depths(model) -> dict[int, int]:
    """Longest path (in layers) from the model input to each layer's output, by layer id."""
    depth = {}
    for layer in model.layers:  # functional models list layers in topological order
        if not layer._inbound_nodes or isinstance(layer, _input_layer_class()):
            depth[id(layer)] = 0
            continue
        depth[id(layer)] = 1 + max(depth.get(id(_producer(t)), 0) for t in _inputs_of(layer))
    return depth


def _input_layer_class():
    import keras

    return keras.layers.InputLayer


def _ancestors(tensor) -> set[int]:
    """Ids of every tensor `tensor` is computed from (itself included)."""
    seen, stack = set(), [tensor]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        layer = _producer(current)
        if layer._inbound_nodes and not isinstance(layer, _input_layer_class()):
            stack.extend(_inputs_of(layer))
    return seen


def _unit_input(shortcut, branch):
    """The tensor both paths start from: walk back along the shortcut until the branch depends on it."""
    branch_ancestors = _ancestors(branch)
    frontier = [shortcut]
    while frontier:
        current = frontier.pop(0)
        if id(current) in branch_ancestors:
            return current
        layer = _producer(current)
        if layer._inbound_nodes and not isinstance(layer, _input_layer_class()):
            frontier.extend(_inputs_of(layer))
    return shortcut


def _residual_units(model) -> list[Unit]:
    import keras

    depth = _depths(model)
    units: list[Unit] = []
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Add) or len(_inputs_of(layer)) != 2:
            continue
        first, second = _inputs_of(layer)
        # The shortcut is the shallower input; on a tie the builder's order (shortcut first) holds.
        shortcut = 1 if depth[id(_producer(second))] < depth[id(_producer(first))] else 0
        source = _unit_input(_inputs_of(layer)[shortcut], _inputs_of(layer)[1 - shortcut])
        units.append(
            Unit(
                index=len(units) + 1,
                name=_unit_name(layer.name),
                residual=True,
                downsampling=tuple(source.shape[1:]) != tuple(layer.output.shape[1:]),
                output_layer=layer.name,
                shortcut_input=shortcut,
            )
        )
    return units


def _plain_units(model) -> list[Unit]:
    """Units of a plain net by the builder's names: `{unit}_out` ends a unit whose layers are
    named `{unit}_*`; its input is what feeds the first of them from outside the unit."""
    units: list[Unit] = []
    for layer in model.layers:
        match = _PLAIN_UNIT_OUTPUT.match(layer.name)
        if not match:
            continue
        prefix = match["unit"] + "_"
        first = next(other for other in model.layers if other.name.startswith(prefix))
        source = _inputs_of(first)[0]
        units.append(
            Unit(
                index=len(units) + 1,
                name=match["unit"],
                residual=False,
                downsampling=tuple(source.shape[1:]) != tuple(layer.output.shape[1:]),
                output_layer=layer.name,
                input_layer=_producer(source).name,
            )
        )
    return units


def _unit_name(add_name: str) -> str:
    """`conv2_block3_add` -> `conv2_block3`; other names are kept whole."""
    for suffix in ("_add", "_out"):
        if add_name.endswith(suffix):
            return add_name[: -len(suffix)]
    return add_name

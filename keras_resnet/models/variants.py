"""The residual unit's variants of He et al. 2016, "Identity Mappings in Deep Residual Networks".

Two tables name them: `SHORTCUT_VARIANTS`, what the shortcut h(x) of a unit does (the paper's
Fig. 2 and Table 1), and `UNIT_ORDERS`, where BN and ReLU sit around the addition (Fig. 4 and
Table 2). `models.options.parse_model_variant` reads a named model with options,
"resnet110:shortcut_variant=gated", so commands take the paper's tables as model names. This
module imports no Keras.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from keras_resnet._utils.validation import check_choice
from keras_resnet.errors import InvalidInputError

__all__ = [
    "VERSIONS",
    "SHORTCUTS",
    "SHORTCUT_VARIANTS",
    "UNIT_ORDERS",
    "UnitOrder",
]

VERSIONS = ("v1", "v1.5", "v2")
SHORTCUTS = ("A", "B", "C", "D")

# name -> the paper's figure and the unit's output x_{l+1} (g(x) = sigmoid(1x1 conv(x) + b_g)).
SHORTCUT_VARIANTS = {
    "identity": "Fig. 2(a), original: x + F(x)",
    "scaled": "Fig. 2(b), constant scaling 0.5/0.5: 0.5 x + 0.5 F(x)",
    "scaled_shortcut": "Fig. 2(b), constant scaling of the shortcut only: 0.5 x + F(x)",
    "gated": "Fig. 2(c), exclusive gating: (1 - g(x)) x + g(x) F(x)",
    "gated_shortcut": "Fig. 2(d), shortcut-only gating: (1 - g(x)) x + F(x)",
    "conv": "Fig. 2(e), 1x1 conv shortcut: W x + F(x)",
    "dropout": "Fig. 2(f), dropout shortcut: dropout_0.5(x) + F(x), expectation 0.5 x",
}


@dataclasses.dataclass(frozen=True)
class UnitOrder:
    """Where a unit's activations sit: before its first conv, after its last, after the addition."""

    figure: str
    pre: tuple[str, ...]
    last_bn: bool
    last_relu: bool
    post: tuple[str, ...]

    @property
    def final(self) -> tuple[str, ...]:
        """A net whose units end on the addition repeats the pre-activation once after the last unit
        (the paper's "extra activation right after its element-wise addition")."""
        return () if self.post else self.pre


UNIT_ORDERS = {
    "original": UnitOrder("Fig. 4(a): conv-BN-ReLU-conv-BN, add, ReLU", (), True, False, ("relu",)),
    "bn_after_add": UnitOrder("Fig. 4(b): conv-BN-ReLU-conv, add, BN-ReLU", (), False, False, ("bn", "relu")),
    "relu_before_add": UnitOrder("Fig. 4(c): conv-BN-ReLU-conv-BN-ReLU, add", (), True, True, ()),
    "relu_preact": UnitOrder("Fig. 4(d): ReLU-conv-BN-ReLU-conv-BN, add", ("relu",), True, False, ()),
    "full_preact": UnitOrder("Fig. 4(e): BN-ReLU-conv-BN-ReLU-conv, add", ("bn", "relu"), False, False, ()),
}


def check_unit_options(
    *, shortcut_variant: str, unit_order: str | None, version: str, shortcut: str, residual: bool
) -> str:
    """The unit order these options resolve to; refuses combinations the paper does not define.

    Args:
        shortcut_variant: a name of `SHORTCUT_VARIANTS`.
        unit_order: a name of `UNIT_ORDERS`, or None for the version's.
        version: "v1", "v1.5" or "v2".
        shortcut: "A" to "D".
        residual: False for a plain net.
    """
    check_option("shortcut_variant", shortcut_variant, SHORTCUT_VARIANTS)
    if unit_order is not None:
        check_option("unit_order", unit_order, UNIT_ORDERS)
    order = unit_order or ("full_preact" if version == "v2" else "original")
    if version == "v2" and order != "full_preact":
        raise InvalidInputError(f"version 'v2' is unit_order 'full_preact'; for {order!r} use version 'v1.5'")
    if not residual and (shortcut_variant != "identity" or order not in ("original", "full_preact")):
        raise InvalidInputError(
            "shortcut_variant and unit_order change the shortcut and the addition; a plain net "
            "(residual=False) has neither"
        )
    if shortcut == "C" and shortcut_variant != "identity":
        raise InvalidInputError(
            "shortcut_variant changes identity shortcuts, and shortcut 'C' projects in every unit; "
            "use shortcut 'A' or 'B'"
        )
    return order


def check_option(option: str, value: Any, choices: Any) -> Any:
    """`value` if it is one of `choices`, else `InvalidInputError` listing them (`check_choice`'s words).

    Args:
        option: the option's name as the user typed it.
        value: the value given.
        choices: the values allowed.
    """
    try:
        return check_choice(option, value, choices)
    except ValueError as err:
        raise InvalidInputError(str(err)) from None

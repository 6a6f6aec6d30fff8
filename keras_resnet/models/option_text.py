"""Model labels with options, "resnet110:shortcut_variant=gated,gate_bias=-6", read into the named
model and its `ResNetOptions` overrides, so commands (`compare`, the ablations) take the 2016 paper's
tables as model names. Any single-valued `ResNetOptions` field can be set; the result is checked by
making the named model's `ResNetOptions`, so a typo fails before anything is built or trained.
"""

from __future__ import annotations

from typing import Any

from keras_resnet.errors import InvalidInputError
from keras_resnet.models.options import FIELDS, ResNetOptions
from keras_resnet.models.specs import MODEL_SPECS

__all__ = ["TEXT_OPTIONS", "is_model_variant", "parse_model_variant"]


def is_model_variant(text: str) -> bool:
    """True for "name:key=value,...", False for a plain name or a `module:function` builder.

    Args:
        text: a model label as a command takes it.
    """
    name, sep, options = text.partition(":")
    return bool(sep) and "=" in options


def parse_model_variant(text: str) -> tuple[str, dict]:
    """("resnet110", {"shortcut_variant": "gated"}) from "resnet110:shortcut_variant=gated".

    The name must be in the spec table and each key a `ResNetOptions` field that takes a single
    value; the options are checked by making the model's `ResNetOptions`, so a typo fails before
    anything is built or trained.

    Args:
        text: "name:key=value[,key=value...]".
    """
    name, _, rest = text.partition(":")
    if name not in MODEL_SPECS:
        raise InvalidInputError(f"unknown model {name!r} in {text!r}; `keras-resnet models` lists the names")
    options: dict = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not key or not value:
            raise InvalidInputError(f"expected key=value in {text!r}, got {item!r}")
        if key not in TEXT_OPTIONS:
            raise InvalidInputError(
                f"unknown model option {key!r} in {text!r}; choose from {', '.join(TEXT_OPTIONS)}"
            )
        if key in options:
            raise InvalidInputError(f"model option {key!r} given twice in {text!r}")
        options[key] = _from_text(key, value)
    if not options:
        raise InvalidInputError(f"expected name:key=value[,key=value...], got {text!r}")
    ResNetOptions.for_model(name, **options)
    return name, options


# The fields a "name:key=value" label can set (one value each), with the type its text is read as.
TEXT_OPTIONS = {
    name: field.type.replace(" | None", "")
    for name, field in FIELDS.items()
    if field.type.replace(" | None", "") in ("str", "bool", "int", "float")
}


def _from_text(key: str, text: str) -> Any:
    kind = TEXT_OPTIONS[key]
    if text.lower() == "none" and "None" in FIELDS[key].type:
        return None
    if kind == "bool":
        value = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(
            text.lower()
        )
        if value is None:
            raise InvalidInputError(f"{key} must be true or false; got {text!r}")
        return value
    if kind in ("int", "float"):
        try:
            return int(text) if kind == "int" else float(text)
        except ValueError:
            raise InvalidInputError(
                f"{key} must be {'an integer' if kind == 'int' else 'a number'}; got {text!r}"
            ) from None
    return text

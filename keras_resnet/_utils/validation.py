"""Validation messages, worded one way everywhere: what was expected, then what was given.

Every check raises `InvalidInputError` (the API's error for bad input, also a `ValueError`; the
CLI prints it as one line and exits 2) with the option's name as the user typed it, so
`check_choice("pooling", ...)` reads "pooling must be one of None, 'avg', 'max'; got 'mean'".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, TypeVar, overload

from keras_resnet.errors import InvalidInputError

T = TypeVar("T")

__all__ = ["check_choice", "check_choices", "check_int", "check_fraction"]


def check_choice(option: str, value: T, choices: Iterable[Any]) -> T:
    """`value` if it is one of `choices`, else an InvalidInputError that lists them."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise InvalidInputError(f"{option} must be one of {listed}; got {value!r}")
    return value


def check_choices(option: str, values: str | Iterable[Any], choices: Iterable[Any]) -> tuple[Any, ...]:
    """A sequence or a comma-separated string of choices as a de-duplicated, non-empty tuple."""
    choices = tuple(choices)
    if isinstance(values, str):
        values = [value.strip() for value in values.split(",") if value.strip()]
    values = tuple(dict.fromkeys(values))
    if not values:
        raise InvalidInputError(f"{option} is empty; choose from {', '.join(map(repr, choices))}")
    for value in values:
        check_choice(option, value, choices)
    return values


@overload
def check_int(option: str, value: Any, *, minimum: int = ..., allow_none: Literal[False] = ...) -> int: ...
@overload
def check_int(option: str, value: Any, *, minimum: int = ..., allow_none: bool) -> int | None: ...
def check_int(option: str, value: Any, *, minimum: int = 1, allow_none: bool = False) -> int | None:
    """`value` if it is an int (not a bool) of at least `minimum` (or None when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        alternative = " or None" if allow_none else ""
        raise InvalidInputError(f"{option} must be an integer >= {minimum}{alternative}; got {value!r}")
    return value


def check_fraction(
    option: str,
    value: Any,
    *,
    low: float = 0.0,
    high: float = 1.0,
    include_low: bool = True,
    include_high: bool = False,
) -> float:
    """`value` as a float inside the interval [low, high) (ends as the flags say)."""
    above = value >= low if include_low else value > low
    below = value <= high if include_high else value < high
    if not (above and below):
        interval = f"{'[' if include_low else '('}{low:g}, {high:g}{']' if include_high else ')'}"
        raise InvalidInputError(f"{option} must be in {interval}; got {value!r}")
    return float(value)

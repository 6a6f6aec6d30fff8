"""Argument types and defaults the commands share, and the one-line error they raise."""

from __future__ import annotations

import argparse
import json
import sys


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2, no traceback."""


def deprecated_flag(replacement: str) -> type[argparse.Action]:
    """An argparse action for an old spelling: stores like the new flag (the value, or `const`
    with `nargs=0`) and prints that the flag is now `replacement`."""

    class Deprecated(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None):
            print(f"note: {option_string} is deprecated; use {replacement}", file=sys.stderr)
            setattr(namespace, self.dest, self.const if self.nargs == 0 else values)

    return Deprecated


def shape(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.replace("x", ",").split(",") if part)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a shape like 224,224,3, got {text!r}") from err


def key_value(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def default_out(given: dict) -> str:
    import re

    model = given.get("model", "resnet20")
    dataset = re.sub(r"[^A-Za-z0-9_.-]+", "-", given.get("dataset", "digits").split("/")[-1])
    return f"runs/{model}-{dataset}"

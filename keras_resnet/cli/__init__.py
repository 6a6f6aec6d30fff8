"""The `keras-resnet` command: parses arguments and calls the library; no logic of its own.

Each module of this folder holds the commands of one layer of the package: a
`_add_<name>_command(subparsers)` function declares a command's arguments and points `func` at a
thin wrapper around the library call. Keras and TensorFlow are imported inside
the wrappers, so `keras-resnet --help` and `--version` import neither. TensorFlow's C++ log lines
are hidden unless `--verbose` is given.
"""

from __future__ import annotations

import argparse
import sys

from keras_resnet._version import __version__
from keras_resnet.cli import analysis, bench, experiments, export, inference, models, training
from keras_resnet.cli.arguments import CommandError
from keras_resnet.errors import KerasResNetError

__all__ = ["main", "build_parser", "CommandError"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keras-resnet", description="Residual networks for Keras 3, faithful to the papers."
    )
    parser.add_argument("--version", action="version", version=f"keras-resnet {__version__}")
    parser.add_argument(
        "--verbose",
        dest="native_logs",
        action="store_true",
        help="show TensorFlow's C++ log lines (hidden by default)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for commands in (models, training, export, inference, experiments, analysis, bench):
        commands.add_commands(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    import contextlib
    import os

    from keras_resnet._utils.native_logs import native_log_filter

    args = build_parser().parse_args(argv)
    quiet = not args.native_logs  # `train --verbose N` is Keras' progress, another option
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with native_log_filter() if quiet else contextlib.nullcontext():
            args.func(args)
    except (CommandError, KerasResNetError, ValueError, FileNotFoundError) as err:
        print(f"keras-resnet {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0

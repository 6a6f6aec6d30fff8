"""`keras-resnet bench`: says where the benchmarks are. The comparison harness (against
keras.applications, torchvision and JAX) lives in the repository's `benchmarks/` folder, not in
the wheel; it runs from a clone as `python -m benchmarks`."""

from __future__ import annotations

import argparse

from keras_resnet.errors import MissingFileError

HOW_TO_RUN = (
    "the benchmarks are not part of the installed package; run them from a clone: "
    "git clone https://github.com/keras-resnet/keras-resnet && cd keras-resnet && "
    "python -m benchmarks --suite cpu (--help lists the options)"
)


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="how to run the benchmarks (from a clone: python -m benchmarks)",
        description=HOW_TO_RUN,
    )
    for flag in ("--suite", "--quick", "--out", "--backend", "--backends", "--timeout"):  # the old options
        parser.add_argument(flag, nargs="?", help=argparse.SUPPRESS)
    parser.set_defaults(func=_run_bench)


def _run_bench(args) -> None:
    raise MissingFileError(HOW_TO_RUN)

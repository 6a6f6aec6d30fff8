"""`keras-resnet bench`: says where the benchmarks are. The comparison harness (against
keras.applications, torchvision and JAX) lives in the repository's `benchmarks/` folder, not in
the wheel; it runs from a clone as `python -m benchmarks`."""

from __future__ import annotations

import argparse

from keras_resnet.errors import MissingFileError

HOW_TO_RUN = (
    "the benchmarks are not part of the installed package; run them from a clone: "
    "git clone {url} && cd keras-resnet && python -m benchmarks --suite cpu (--help lists the options)"
)


def _repository_url() -> str:
    """The repository's URL from the installed package's metadata (pyproject.toml is its home)."""
    from importlib import metadata

    try:
        urls = metadata.metadata("keras-paper-resnets").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    return next(
        (url.split(",", 1)[1].strip() for url in urls if url.startswith("Repository")),
        "the repository (see `pip show keras-paper-resnets`)",
    )


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="how to run the benchmarks (from a clone: python -m benchmarks)",
        description="Say how to run the benchmarks: from a clone, python -m benchmarks.",
    )
    for flag in ("--suite", "--quick", "--out", "--backend", "--backends", "--timeout"):  # the old options
        parser.add_argument(flag, nargs="?", help=argparse.SUPPRESS)
    parser.set_defaults(func=_run_bench)


def _run_bench(args) -> None:
    raise MissingFileError(HOW_TO_RUN.format(url=_repository_url()))

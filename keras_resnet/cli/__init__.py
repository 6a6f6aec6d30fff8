"""The `keras-resnet` command: parses arguments and calls the library; no logic of its own.

Each module of this folder holds the commands of one layer of the package: a
`_add_<name>_command(subparsers)` function declares a command's arguments and points `func` at a
thin wrapper around the library call. Keras and TensorFlow are imported inside
the wrappers, so `keras-resnet --help` and `--version` import neither. TensorFlow's C++ log lines
are hidden unless `--native-logs` is given. The user's mistakes (`KerasResNetError`,
`CommandError`) print as one line with exit code 2; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from keras_resnet._version import __version__
from keras_resnet.cli import analysis, bench, experiments, export, inference, models, training
from keras_resnet.cli.arguments import CommandError, deprecated_flag
from keras_resnet.errors import KerasResNetError

__all__ = ["main", "build_parser", "CommandError", "bug_report_line"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keras-resnet", description="Residual networks for Keras 3, faithful to the papers."
    )
    parser.add_argument("--version", action="version", version=f"keras-resnet {__version__}")
    parser.add_argument(
        "--native-logs",
        dest="native_logs",
        action="store_true",
        help="show TensorFlow's C++ log lines (hidden by default)",
    )
    parser.add_argument(  # the old spelling, kept working with a deprecation line
        "--verbose",
        dest="native_logs",
        action=deprecated_flag("--native-logs"),
        nargs=0,
        const=True,
        help=argparse.SUPPRESS,
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for commands in (models, training, export, inference, experiments, analysis, bench):
        commands.add_commands(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (0, 2 for the user's mistake, 1 for a bug).

    `CommandError` and `KerasResNetError` (bad input, files, disk, environment) print as one line
    with exit code 2. Anything else is a bug in keras-resnet (or a library below it): its full
    traceback is printed, then one line saying where to report it.
    """
    import contextlib
    import os

    from keras_resnet._utils.native_logs import native_log_filter

    args = build_parser().parse_args(argv)
    quiet = not args.native_logs  # `train --progress` is Keras' progress display, another option
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with native_log_filter() if quiet else contextlib.nullcontext():
            args.func(args)
    except (CommandError, KerasResNetError) as err:
        print(f"keras-resnet {args.command}: error: {err}", file=sys.stderr)
        return 2
    except Exception:  # a bug: shown in full, never dressed up as the user's mistake
        traceback.print_exc()
        print(bug_report_line(), file=sys.stderr)
        return 1
    return 0


def bug_report_line() -> str:
    """Where to report a bug: the issue tracker of pyproject.toml's [project.urls] Repository."""
    url = repository_url()
    where = f"at {url}/issues" if url else "to the keras-resnet maintainers"
    return (
        f"keras-resnet {__version__}: this is a bug, not a mistake of yours; please report it "
        f"{where} with the traceback above"
    )


def repository_url() -> str | None:
    """pyproject.toml's [project.urls] Repository (its one home), from the installed metadata or,
    in a source checkout that is not installed, from pyproject.toml itself; None if neither says."""
    import importlib.metadata

    for name in importlib.metadata.packages_distributions().get("keras_resnet", ()):
        for entry in importlib.metadata.metadata(name).get_all("Project-URL") or ():
            label, _, url = entry.partition(",")
            if label.strip() == "Repository":
                return url.strip()
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:
        return None
    if not pyproject.is_file():
        return None
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"].get("urls", {}).get("Repository")

"""`python -m benchmarks`: time this library beside what users would pick instead, from a clone.

The harness lives in the repository, not in the wheel (it needs keras.applications, torchvision
and JAX side by side); run it from the clone's root:

    python -m benchmarks --suite cpu --out examples/results
"""

from __future__ import annotations

import argparse
import shlex
import sys

from benchmarks import BACKENDS, DEFAULT_TIMEOUT, SUITES, run_bench
from keras_resnet.errors import KerasResNetError


def build_parser() -> argparse.ArgumentParser:
    """The options of `python -m benchmarks`."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time training and inference (CPU suite: our ResNet-50 against "
        "keras.applications, ResNet-20 per backend, the input pipeline; GPU suite: JAX "
        "bf16 + XLA against torchvision) and write benchmarks.json and BENCHMARKS.md.",
    )
    parser.add_argument(
        "--suite",
        choices=SUITES,
        default="cpu",
        help="overhead: re-measure only the gradient-norm and export overhead, "
        "replacing that section of an existing benchmarks.json",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, one repeat, no graph compilation: a smoke test whose figures mean nothing",
    )
    parser.add_argument(
        "--out", default="examples/results", help="folder for benchmarks.json and BENCHMARKS.md"
    )
    parser.add_argument(
        "--backend", default="tensorflow", help="backend of the ResNet-50 comparison (default tensorflow)"
    )
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="comma list of backends ResNet-20 is timed on; missing ones are recorded as skipped",
    )
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds allowed per subprocess"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the suite the arguments name; the command line is recorded with the figures."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        run_bench(
            suite=args.suite,
            quick=args.quick,
            out=args.out,
            backend=args.backend,
            backends=tuple(b for b in args.backends.split(",") if b),
            timeout=args.timeout,
            command=shlex.join(["python", "-m", "benchmarks", *argv]),
        )
    except (KerasResNetError, ValueError) as err:
        print(f"python -m benchmarks: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`keras-resnet bench`: throughput against the libraries users would pick instead."""

from __future__ import annotations


def add_commands(subparsers) -> None:
    _add_bench_command(subparsers)


def _add_bench_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="throughput against keras.applications / torchvision; writes benchmarks.json",
        description="Time training and inference (CPU suite: our ResNet-50 against "
        "keras.applications, ResNet-20 per backend, the input pipeline; GPU suite: JAX "
        "bf16 + XLA against torchvision) and write benchmarks.json and BENCHMARKS.md.",
    )
    parser.add_argument(
        "--suite",
        choices=("cpu", "gpu", "overhead", "all"),
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
        default="tensorflow,jax,torch",
        help="comma list of backends ResNet-20 is timed on; missing ones are recorded as skipped",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per subprocess")
    parser.set_defaults(func=_run_bench)


def _run_bench(args) -> None:
    import shlex

    from keras_resnet.bench import run_bench

    command = [
        "keras-resnet",
        "bench",
        "--suite",
        args.suite,
        *(["--quick"] if args.quick else []),
        "--out",
        args.out,
        "--backend",
        args.backend,
        "--backends",
        args.backends,
    ]
    run_bench(
        suite=args.suite,
        quick=args.quick,
        out=args.out,
        backend=args.backend,
        backends=tuple(b for b in args.backends.split(",") if b),
        timeout=args.timeout,
        command=shlex.join(command),
    )

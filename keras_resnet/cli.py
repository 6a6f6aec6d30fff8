"""The `keras-resnet` command: wires the library's modules together, holds no logic of its own.

Each subcommand is one `_add_<name>_command(subparsers)` function that declares its arguments and
points `func` at a thin wrapper around the library call. Heavy imports happen inside the wrappers,
so `keras-resnet --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 2, no traceback."""


def _shape(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.replace("x", ",").split(",") if part)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a shape like 224,224,3, got {text!r}") from err


def _add_models_command(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list the named models")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_run_models)


def _run_models(args) -> None:
    from keras_resnet.specs import MODEL_SPECS

    if args.json:
        print(json.dumps({name: spec.describe() for name, spec in MODEL_SPECS.items()}, indent=2))
        return
    for name, spec in MODEL_SPECS.items():
        print(f"{name:<20} {spec.summary_line()}")


def _add_summary_command(subparsers) -> None:
    parser = subparsers.add_parser("summary", help="layer table with parameters and MACs")
    parser.add_argument("model", help="a name from `keras-resnet models`")
    parser.add_argument("--input-shape", type=_shape, default=None, help="e.g. 224,224,3")
    parser.add_argument("--classes", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_run_summary)


def _run_summary(args) -> None:
    from keras_resnet.architectures import build
    from keras_resnet.stats import format_layer_table, layer_stats, model_stats

    options = {"input_shape": args.input_shape, "classes": args.classes}
    model = build(args.model, **{k: v for k, v in options.items() if v is not None})
    if args.json:
        report = {"model": model.name, **model_stats(model), "layers": layer_stats(model)}
        print(json.dumps(report, indent=2))
    else:
        print(format_layer_table(model))


def _add_gradient_flow_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "gradient-flow", help="stem/classifier gradient-norm ratio of plain vs residual nets")
    parser.add_argument("--depths", type=int, nargs="+", default=[20, 56, 110],
                        help="CIFAR depths 6n+2 (default 20 56 110)")
    parser.add_argument("--steps", type=int, default=0,
                        help="SGD steps on the batch before measuring (default 0: at init)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--zero-init-residual", action="store_true")
    parser.add_argument("--out", default="gradient_flow",
                        help="folder for gradient_flow.json and depth_profile.png")
    parser.set_defaults(func=_run_gradient_flow)


def _run_gradient_flow(args) -> None:
    import os

    from keras_resnet.gradient_flow import format_table, gradient_flow
    from keras_resnet.plots import plot_depth_profile

    if args.steps < 0 or args.batch_size < 1:
        raise CommandError("--steps must be >= 0 and --batch-size >= 1")
    result = gradient_flow(args.depths, steps=args.steps, batch_size=args.batch_size,
                           seed=args.seed, zero_init_residual=args.zero_init_residual)
    print(format_table(result))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "gradient_flow.json"), "w") as f:
        json.dump(result, f, indent=2)
    plot = plot_depth_profile(result["profiles"], os.path.join(args.out, "depth_profile.png"))
    print(f"wrote {os.path.join(args.out, 'gradient_flow.json')} and {plot}")


def _add_export_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="SavedModel + LiteRT (.tflite) files with a parity report",
        description="Export a trained model, check every file against Keras, write export_report.json.")
    parser.add_argument("model", metavar="RUN_DIR|MODEL.keras",
                        help="a .keras file, or a run folder holding best.keras (else last.keras)")
    parser.add_argument("--out", default=None, help="destination folder (default saved_models/<model name>)")
    parser.add_argument("--formats", default="saved_model,tflite", help="comma list of saved_model, tflite")
    parser.add_argument("--quantize", default="float32",
                        help="comma list of float32, float16, dynamic, int8 (TFLite variants)")
    parser.add_argument("--representative-npz", default=None, metavar="PATH",
                        help="an .npz whose array x holds a few hundred raw training images; needed for int8")
    parser.add_argument("--validation-npz", default=None, metavar="PATH",
                        help="an .npz with held-out images x (and labels y) for the parity check")
    parser.add_argument("--exclude-preprocessing", action="store_true",
                        help="export without the in-model normalization layer (files take normalised images)")
    parser.add_argument("--int8-io", action="store_true", help="the int8 file takes and returns int8 tensors")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing export in --out")
    parser.set_defaults(func=_run_export)


def _run_export(args) -> None:
    from keras_resnet.export import export_model, load_images_npz, load_model_for_export

    representative = None if args.representative_npz is None else load_images_npz(args.representative_npz)
    validation = None if args.validation_npz is None else load_images_npz(args.validation_npz, labels=True)
    if validation is not None and validation[1] is None:
        validation = validation[0]
    export_model(load_model_for_export(args.model), args.out, formats=args.formats, quantize=args.quantize,
                 representative_data=representative, validation_data=validation,
                 include_preprocessing=not args.exclude_preprocessing, int8_io=args.int8_io,
                 overwrite=args.overwrite)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keras-resnet", description="Residual networks for Keras 3, faithful to the papers."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_models_command(subparsers)
    _add_summary_command(subparsers)
    _add_gradient_flow_command(subparsers)


    _add_export_command(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (CommandError, ValueError, FileNotFoundError) as err:
        print(f"keras-resnet {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

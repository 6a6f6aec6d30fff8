"""The `keras-resnet` command: parses arguments and calls the library; no logic of its own.

Each subcommand is one `_add_<name>_command(subparsers)` function that declares its arguments and
points `func` at a thin wrapper around the library call. Keras and TensorFlow are imported inside
the wrappers, so `keras-resnet --help` and `--version` import neither. TensorFlow's C++ log lines
are hidden unless `--verbose` is given.
"""

from __future__ import annotations

import argparse
import json
import sys

from keras_resnet._version import __version__


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
    from keras_resnet.models.specs import MODEL_SPECS

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
    from keras_resnet.models.complexity import format_layer_table, layer_stats, model_stats
    from keras_resnet.models.resnet import build

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
    from pathlib import Path

    from keras_resnet._utils.atomic import write_json
    from keras_resnet.experiments.gradient_flow import format_table, gradient_flow
    from keras_resnet.experiments.plots import plot_depth_profile

    if args.steps < 0 or args.batch_size < 1:
        raise CommandError("--steps must be >= 0 and --batch-size >= 1")
    result = gradient_flow(args.depths, steps=args.steps, batch_size=args.batch_size,
                           seed=args.seed, zero_init_residual=args.zero_init_residual)
    print(format_table(result))
    out = Path(args.out)
    json_path = write_json(out / "gradient_flow.json", result)
    plot = plot_depth_profile(result["profiles"], out / "depth_profile.png")
    print(f"wrote {json_path} and {plot}")


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
    parser.add_argument("--dataset", default=None, metavar="SPEC",
                        help="int8 calibration images from its training split, check images and labels from "
                        "its test split, e.g. digits, tfds:cifar10 (default for a run folder: the run's dataset)")
    parser.add_argument("--data-dir", default=None, help="where tfds data is prepared (default: the run's)")
    parser.add_argument("--representative-npz", default=None, metavar="PATH",
                        help="instead of --dataset: an .npz whose array x holds a few hundred raw training images")
    parser.add_argument("--validation-npz", default=None, metavar="PATH",
                        help="instead of --dataset: an .npz with held-out images x (and labels y) for the check")
    parser.add_argument("--exclude-preprocessing", action="store_true",
                        help="export without the in-model normalization layer (files take normalised images)")
    parser.add_argument("--int8-io", action="store_true", help="the int8 file takes and returns int8 tensors")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing export in --out")
    parser.set_defaults(func=_run_export)


def _run_export(args) -> None:
    from keras_resnet.export.api import export_model, load_images_npz, load_model_for_export
    from keras_resnet.export.calibration import export_images_for

    input_shape = tuple(load_model_for_export(args.model).input.shape[1:])  # checks the model file first
    images = export_images_for(args.model, dataset=args.dataset, data_dir=args.data_dir, input_shape=input_shape)
    representative = images.representative if images else None
    validation = images.validation if images else None
    if args.representative_npz is not None:
        representative = load_images_npz(args.representative_npz)
    if args.validation_npz is not None:
        x, y = load_images_npz(args.validation_npz, labels=True)
        validation = x if y is None else (x, y)
    export_model(args.model, args.out, formats=args.formats, quantize=args.quantize,
                 representative_data=representative, validation_data=validation,
                 include_preprocessing=not args.exclude_preprocessing, int8_io=args.int8_io,
                 overwrite=args.overwrite)


def _key_value(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _add_train_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model into a resumable run folder",
        description="Train with the paper's recipe. Options left out take the defaults shown, or, "
        "with --resume, the run's saved options.",
    )
    what = parser.add_argument_group("what to train")
    what.add_argument("--model", help="a name from `keras-resnet models` or module:function (default resnet20)")
    what.add_argument("--model-arg", type=_key_value, action="append", metavar="KEY=VALUE",
                      help="extra model option, e.g. zero_init_residual=true (repeatable)")
    what.add_argument("--dataset", help="digits (default), tfds:NAME, npz:PATH, folder:PATH, synthetic[:HxWxC[:CLASSES]]")
    what.add_argument("--data-dir", help="where tfds data is prepared (default ~/tensorflow_datasets)")
    what.add_argument("--download", action="store_true", default=None, help="let tfds download the data")
    what.add_argument("--image-size", type=_shape, help="resize images to H,W (folder and variable-size tfds)")
    what.add_argument("--validation-fraction", type=float, help="of the training data (default 0.1)")
    what.add_argument("--no-augment", dest="augment", action="store_false", default=None,
                      help="no pad-crop-flip augmentation")
    how = parser.add_argument_group("recipe")
    how.add_argument("--recipe", help="paper-cifar (default) or imagenet")
    how.add_argument("--epochs", type=int, help="default 30")
    how.add_argument("--batch-size", type=int, help="global batch size (default 128)")
    how.add_argument("--lr", type=float, help="peak learning rate (default: recipe's, scaled with batch size)")
    how.add_argument("--weight-decay", type=float, help="L2 on conv/dense kernels (default 1e-4)")
    how.add_argument("--momentum", type=float, help="SGD momentum (default 0.9)")
    how.add_argument("--warmup-epochs", type=float,
                     help="paper-cifar: epochs at lr/10 instead of the paper's rule (below); "
                     "imagenet: linear warm-up epochs (default 5)")
    how.add_argument("--warmup-until-error", type=float, metavar="FRACTION",
                     help="paper-cifar: lr/10 until the training error is below FRACTION (default: "
                     "0.8 for plain and >=110-layer nets, as the paper; no warm-up for others)")
    how.add_argument("--label-smoothing", type=float, help="default 0 (paper-cifar), 0.1 (imagenet)")
    how.add_argument("--seed", type=int, help="seeds Python, NumPy and the backend (default 0)")
    run = parser.add_argument_group("how to run")
    run.add_argument("--out", help="run folder (default runs/<model>-<dataset>)")
    run.add_argument("--resume", action="store_true", help="continue the run in --out")
    run.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    run.add_argument("--mixed-precision", choices=("mixed_float16", "mixed_bfloat16"))
    run.add_argument("--jit-compile", action="store_true", default=None, help="compile with XLA")
    run.add_argument("--distribute", help="mirrored (TensorFlow backend) or data-parallel (JAX backend)")
    run.add_argument("--no-gradient-norms", dest="gradient_norms", action="store_false", default=None,
                     help="do not record per-layer gradient norms on a probe batch at each epoch end "
                     "(default: gradient_norms.csv, gradient_heatmap.png, gradient_depth_profile.png)")
    run.add_argument("--verbose", type=int, choices=(0, 1, 2), default=None,
                     help="Keras progress: 1 bar, 2 one line per epoch (default: bar on a terminal)")
    export = parser.add_argument_group("export at the end (into RUN/export/, from the best checkpoint)")
    export.add_argument("--no-export", dest="export", action="store_false", default=None,
                        help="skip the SavedModel + TFLite export")
    export.add_argument("--export-quantize", type=_comma_list, metavar="LIST",
                        help="TFLite variants: comma list of float32, float16, dynamic, int8 (default float32,int8)")
    parser.set_defaults(func=_run_train)


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


_TRAIN_OPTIONS = (
    "model", "dataset", "data_dir", "download", "image_size", "validation_fraction", "augment",
    "recipe", "epochs", "batch_size", "lr", "weight_decay", "momentum", "warmup_epochs", "warmup_until_error",
    "label_smoothing", "seed", "mixed_precision", "jit_compile", "distribute", "gradient_norms",
)


def _run_train(args) -> None:
    from keras_resnet.training.config import resolve_config
    from keras_resnet.training.fit import TrainingError
    from keras_resnet.workflows import DEFAULT_EXPORT_QUANTIZE, train_run

    given = {name: getattr(args, name) for name in _TRAIN_OPTIONS if getattr(args, name) is not None}
    if args.model_arg:
        given["model_args"] = dict(args.model_arg)
    out = args.out or _default_out(given)
    config = resolve_config(given, out=out, resume=args.resume)
    try:
        metrics = train_run(config, out=out, resume=args.resume, overwrite=args.overwrite,
                            verbose="auto" if args.verbose is None else args.verbose,
                            export=args.export is not False,
                            export_quantize=args.export_quantize or DEFAULT_EXPORT_QUANTIZE)
    except TrainingError as err:
        raise CommandError(str(err)) from None
    test = metrics["test"]
    print(
        f"{out}: test accuracy {test['accuracy']:.4f} on {test['examples']} images, "
        f"{metrics['epochs_trained']} epochs, {metrics['train_seconds_total']:.0f} s of training"
    )
    if "export" in metrics:
        print(f"exported {metrics['export']['source']} to {metrics['export']['out_dir']}")


def _default_out(given: dict) -> str:
    import re

    model = given.get("model", "resnet20")
    dataset = re.sub(r"[^A-Za-z0-9_.-]+", "-", given.get("dataset", "digits").split("/")[-1])
    return f"runs/{model}-{dataset}"


def _add_compare_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare", help="train plain and residual nets alike; plot training loss and test error (Figure 6)",
        description="Train each model with the same recipe, data and seed (one run folder each, "
        "resumable), then write comparison.png, comparison.json and comparison.md.")
    parser.add_argument("models", nargs="+", help="names from `keras-resnet models`, e.g. plain20 plain56 resnet20 resnet56")
    parser.add_argument("--dataset", default="digits", help="dataset spec, as for train (default digits)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=None, help="default 128")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--recipe", default="paper-cifar")
    parser.add_argument("--out", default=None, help="folder for the runs and the figure (default runs/compare-<dataset>)")
    parser.add_argument("--overwrite", action="store_true", help="retrain runs that already exist in --out")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=2, help="Keras progress (default 2: a line per epoch)")
    parser.set_defaults(func=_run_compare)


def _run_compare(args) -> None:
    from keras_resnet.experiments.degradation import compare_models
    from keras_resnet.training.fit import TrainingError

    out = args.out or _default_out({"model": "compare", "dataset": args.dataset})
    try:
        result = compare_models(args.models, dataset=args.dataset, epochs=args.epochs, out=out, seed=args.seed,
                                batch_size=args.batch_size, recipe=args.recipe, verbose=args.verbose,
                                overwrite=args.overwrite)
    except TrainingError as err:
        raise CommandError(str(err)) from None
    print(result["table"])
    print(f"wrote {result['figure']}, {out}/comparison.json and {out}/comparison.md")


def _add_evaluate_command(subparsers) -> None:
    parser = subparsers.add_parser("evaluate", help="score a run folder or a .keras file on a dataset")
    parser.add_argument("target", help="a run folder (runs/NAME) or a .keras file")
    parser.add_argument("--dataset", help="dataset spec (default: the run's)")
    parser.add_argument("--split", default="test", help="test (default) or validation")
    parser.add_argument("--checkpoint", default="last", help="last (default) or best, for a run folder")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--data-dir", help="where tfds data is prepared")
    parser.add_argument("--download", action="store_true", help="let tfds download the data")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=_run_evaluate)


def _run_evaluate(args) -> None:
    from keras_resnet.training.evaluation import evaluate_run

    result = evaluate_run(
        args.target,
        dataset=args.dataset,
        split=args.split,
        checkpoint=args.checkpoint,
        batch_size=args.batch_size,
        data_dir=args.data_dir,
        download=args.download,
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return
    line = f"{result['model']} on {result['dataset']} {result['split']} ({result['examples']} images): "
    line += f"accuracy {result['accuracy']:.4f}, loss {result['loss']:.4f}"
    if "top5_accuracy" in result:
        line += f", top-5 {result['top5_accuracy']:.4f}"
    print(line)


def _add_bench_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="throughput against keras.applications / torchvision; writes benchmarks.json",
        description="Time training and inference (CPU suite: our ResNet-50 against "
                    "keras.applications, ResNet-20 per backend, the input pipeline; GPU suite: JAX "
                    "bf16 + XLA against torchvision) and write benchmarks.json and BENCHMARKS.md.")
    parser.add_argument("--suite", choices=("cpu", "gpu", "overhead", "all"), default="cpu",
                        help="overhead: re-measure only the gradient-norm and export overhead, "
                             "replacing that section of an existing benchmarks.json")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, one repeat, no graph compilation: a smoke test whose figures mean nothing")
    parser.add_argument("--out", default="examples/results", help="folder for benchmarks.json and BENCHMARKS.md")
    parser.add_argument("--backend", default="tensorflow",
                        help="backend of the ResNet-50 comparison (default tensorflow)")
    parser.add_argument("--backends", default="tensorflow,jax,torch",
                        help="comma list of backends ResNet-20 is timed on; missing ones are recorded as skipped")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per subprocess")
    parser.set_defaults(func=_run_bench)


def _run_bench(args) -> None:
    import shlex

    from keras_resnet.bench import run_bench

    command = ["keras-resnet", "bench", "--suite", args.suite, *(["--quick"] if args.quick else []),
               "--out", args.out, "--backend", args.backend, "--backends", args.backends]
    run_bench(suite=args.suite, quick=args.quick, out=args.out, backend=args.backend,
              backends=tuple(b for b in args.backends.split(",") if b), timeout=args.timeout,
              command=shlex.join(command))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="keras-resnet", description="Residual networks for Keras 3, faithful to the papers."
    )
    parser.add_argument("--version", action="version", version=f"keras-resnet {__version__}")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's C++ log lines (hidden by default)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_models_command(subparsers)
    _add_summary_command(subparsers)
    _add_train_command(subparsers)
    _add_evaluate_command(subparsers)
    _add_export_command(subparsers)
    _add_gradient_flow_command(subparsers)
    _add_compare_command(subparsers)
    _add_bench_command(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    import contextlib
    import os

    from keras_resnet._utils.native_logs import native_log_filter

    args = build_parser().parse_args(argv)
    quiet = not args.verbose
    if quiet:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with native_log_filter() if quiet else contextlib.nullcontext():
            args.func(args)
    except (CommandError, ValueError, FileNotFoundError) as err:
        print(f"keras-resnet {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

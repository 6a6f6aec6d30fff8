"""`keras-resnet models` and `keras-resnet summary`: the spec table and a model's layer table."""

from __future__ import annotations

import json

from keras_resnet.cli.arguments import shape


def add_commands(subparsers) -> None:
    _add_models_command(subparsers)
    _add_summary_command(subparsers)


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
    parser.add_argument("--input-shape", type=shape, default=None, help="e.g. 224,224,3")
    parser.add_argument("--classes", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=_run_summary)


def _run_summary(args) -> None:
    from keras_resnet.models.complexity import format_layer_table, layer_stats, model_stats
    from keras_resnet.models.named import build

    options = {"input_shape": args.input_shape, "classes": args.classes}
    model = build(args.model, **{k: v for k, v in options.items() if v is not None})
    if args.json:
        report = {"model": model.name, **model_stats(model), "layers": layer_stats(model)}
        print(json.dumps(report, indent=2))
    else:
        print(format_layer_table(model))

"""`keras-resnet gradient-flow` and `keras-resnet compare`: the papers' experiments."""

from __future__ import annotations

from keras_resnet.cli.arguments import CommandError, default_out


def add_commands(subparsers) -> None:
    _add_gradient_flow_command(subparsers)
    _add_compare_command(subparsers)


def _add_gradient_flow_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "gradient-flow", help="stem/classifier gradient-norm ratio of plain vs residual nets"
    )
    parser.add_argument(
        "--depths", type=int, nargs="+", default=[20, 56, 110], help="CIFAR depths 6n+2 (default 20 56 110)"
    )
    parser.add_argument(
        "--steps", type=int, default=0, help="SGD steps on the batch before measuring (default 0: at init)"
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--zero-init-residual", action="store_true")
    parser.add_argument(
        "--out", default="gradient_flow", help="folder for gradient_flow.json and depth_profile.png"
    )
    parser.set_defaults(func=_run_gradient_flow)


def _run_gradient_flow(args) -> None:
    from pathlib import Path

    from keras_resnet._utils.atomic import write_json
    from keras_resnet.experiments.gradient_flow import format_table, gradient_flow
    from keras_resnet.experiments.plots import plot_depth_profile

    if args.steps < 0 or args.batch_size < 1:
        raise CommandError("--steps must be >= 0 and --batch-size >= 1")
    result = gradient_flow(
        args.depths,
        steps=args.steps,
        batch_size=args.batch_size,
        seed=args.seed,
        zero_init_residual=args.zero_init_residual,
        verbose=True,
    )
    print(format_table(result))
    out = Path(args.out)
    json_path = write_json(out / "gradient_flow.json", result)
    plot = plot_depth_profile(result["profiles"], out / "depth_profile.png")
    print(f"wrote {json_path} and {plot}")


def _add_compare_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="train plain and residual nets alike; plot training loss and test error (Figure 6)",
        description="Train each model with the same recipe, data and seed (one run folder each, "
        "resumable), then write comparison.png, comparison.json and comparison.md.",
    )
    parser.add_argument(
        "models",
        nargs="+",
        help="names from `keras-resnet models`, e.g. plain20 plain56 resnet20 resnet56, or a name "
        "with architecture options, e.g. resnet110:shortcut_variant=gated,gate_bias=-6 or "
        "resnet110:unit_order=bn_after_add (He et al. 2016's ablations), or a name with pretrained "
        "weights, fine-tuned: resnet18:weights=torchvision (a source, or a weights file), so "
        "`compare resnet18 resnet18:weights=imagenet` is from scratch vs pretrained",
    )
    parser.add_argument("--dataset", default="digits", help="dataset spec, as for train (default digits)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=None, help="default 128")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--recipe",
        default=None,
        help="for every model (default: paper-cifar from scratch, fine-tune for name:weights=SOURCE)",
    )
    parser.add_argument(
        "--out", default=None, help="folder for the runs and the figure (default runs/compare-<dataset>)"
    )
    parser.add_argument("--overwrite", action="store_true", help="retrain runs that already exist in --out")
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1, 2),
        default=2,
        help="Keras progress (default 2: a line per epoch)",
    )
    parser.set_defaults(func=_run_compare)


def _run_compare(args) -> None:
    from keras_resnet.experiments.degradation import compare_models
    from keras_resnet.training.fit import TrainingError

    out = args.out or default_out({"model": "compare", "dataset": args.dataset})
    try:
        result = compare_models(
            args.models,
            dataset=args.dataset,
            epochs=args.epochs,
            out=out,
            seed=args.seed,
            batch_size=args.batch_size,
            recipe=args.recipe,
            verbose=args.verbose,
            overwrite=args.overwrite,
        )
    except TrainingError as err:
        raise CommandError(str(err)) from None
    print(result["table"])
    print(f"wrote {result['figure']}, {out}/comparison.json and {out}/comparison.md")

"""`keras-resnet train` and `keras-resnet evaluate`: run folders, trained and scored."""

from __future__ import annotations

import argparse
import json
import sys

from keras_resnet.cli.arguments import (
    CommandError,
    comma_list,
    default_out,
    deprecated_flag,
    key_value,
    shape,
)


def add_commands(subparsers) -> None:
    _add_train_command(subparsers)
    _add_evaluate_command(subparsers)


def _add_train_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model into a resumable run folder",
        description="Train with the paper's recipe. Options left out take the defaults shown, or, "
        "with --resume, the run's saved options.",
    )
    _add_data_arguments(parser.add_argument_group("what to train"))
    _add_recipe_arguments(parser.add_argument_group("recipe"))
    _add_fine_tune_arguments(parser.add_argument_group("fine-tuning from pretrained weights", FINE_TUNE_HELP))
    _add_run_arguments(parser)
    parser.set_defaults(func=_run_train)


def _add_data_arguments(what) -> None:
    what.add_argument(
        "--model", help="a name from `keras-resnet models` or module:function (default resnet20)"
    )
    what.add_argument(
        "--model-arg",
        type=key_value,
        action="append",
        metavar="KEY=VALUE",
        help="extra model option, e.g. zero_init_residual=true (repeatable)",
    )
    what.add_argument(
        "--dataset", help="digits (default), tfds:NAME, npz:PATH, folder:PATH, synthetic[:HxWxC[:CLASSES]]"
    )
    what.add_argument("--data-dir", help="where tfds data is prepared (default ~/tensorflow_datasets)")
    what.add_argument("--download", action="store_true", default=None, help="let tfds download the data")
    what.add_argument("--image-size", type=shape, help="resize images to H,W (folder and variable-size tfds)")
    what.add_argument("--validation-fraction", type=float, help="of the training data (default 0.1)")
    what.add_argument(
        "--skip-bad-images",
        action="store_true",
        default=None,
        help="folder datasets: train on the images that fully decode and list the others in "
        "RUN/skipped_images.txt (default: refuse the dataset, naming them)",
    )
    what.add_argument(
        "--no-augment",
        dest="augment",
        action="store_false",
        default=None,
        help="no pad-crop-flip augmentation",
    )


def _add_recipe_arguments(how) -> None:
    how.add_argument(
        "--recipe", help="paper-cifar (default), imagenet, or fine-tune (the default with --weights)"
    )
    how.add_argument("--epochs", type=int, help="default 30")
    how.add_argument("--batch-size", type=int, help="global batch size (default 128)")
    how.add_argument(
        "--lr", type=float, help="peak learning rate (default: recipe's, scaled with batch size)"
    )
    how.add_argument("--weight-decay", type=float, help="L2 on conv/dense kernels (default 1e-4)")
    how.add_argument("--momentum", type=float, help="SGD momentum (default 0.9)")
    how.add_argument(
        "--warmup-epochs",
        type=float,
        help="paper-cifar: epochs at lr/10 instead of the paper's rule (below); "
        "imagenet: linear warm-up epochs (default 5)",
    )
    how.add_argument(
        "--warmup-until-error",
        type=float,
        metavar="FRACTION",
        help="paper-cifar: lr/10 until the training error is below FRACTION (default: "
        "0.8 for plain and >=110-layer nets, as the paper; no warm-up for others)",
    )
    how.add_argument("--label-smoothing", type=float, help="default 0 (paper-cifar), 0.1 (imagenet)")
    how.add_argument("--seed", type=int, help="seeds Python, NumPy and the backend (default 0)")


def _add_run_arguments(parser) -> None:
    run = parser.add_argument_group("how to run")
    run.add_argument("--out", help="run folder (default runs/<model>-<dataset>)")
    run.add_argument("--resume", action="store_true", help="continue the run in --out")
    run.add_argument("--overwrite", action="store_true", help="replace the run in --out")
    run.add_argument("--mixed-precision", choices=("mixed_float16", "mixed_bfloat16"))
    run.add_argument("--jit-compile", action="store_true", default=None, help="compile with XLA")
    run.add_argument("--distribute", help="mirrored (TensorFlow backend) or data-parallel (JAX backend)")
    run.add_argument(
        "--pipeline",
        choices=("auto", "numpy", "tfdata"),
        help="input pipeline: tfdata, or numpy (digits/npz/synthetic, no TensorFlow needed); "
        "default auto: tfdata where TensorFlow is installed",
    )
    run.add_argument(
        "--no-gradient-norms",
        dest="gradient_norms",
        action="store_false",
        default=None,
        help="do not record per-layer gradient norms on a probe batch at each epoch end "
        "(default: gradient_norms.csv, gradient_heatmap.png, gradient_depth_profile.png)",
    )
    run.add_argument(
        "--progress",
        choices=tuple(PROGRESS),
        default=None,
        help="Keras' progress display: bar, one line per epoch, or none (default: bar on a "
        "terminal, epoch when the output goes to a file or pipe)",
    )
    run.add_argument(  # the old spelling (0 none, 1 bar, 2 epoch), kept working with a note
        "--verbose",
        dest="progress",
        type=_progress_of_verbose,
        action=deprecated_flag("--progress {bar,epoch,none}"),
        help=argparse.SUPPRESS,
    )
    export = parser.add_argument_group("export at the end (into RUN/export/, from the best checkpoint)")
    export.add_argument(
        "--no-export",
        dest="export",
        action="store_false",
        default=None,
        help="skip the SavedModel + TFLite export",
    )
    export.add_argument(
        "--export-quantize",
        type=comma_list,
        metavar="LIST",
        help="TFLite variants: comma list of float32, float16, dynamic, int8 (default float32,int8)",
    )


PROGRESS = {"bar": 1, "epoch": 2, "none": 0}
"""`--progress` -> Keras' `verbose`."""


def _progress_of_verbose(text: str) -> str:
    names = {str(verbose): name for name, verbose in PROGRESS.items()}
    if text not in names:
        raise argparse.ArgumentTypeError(f"invalid choice: {text!r} (choose from 0, 1, 2)")
    return names[text]


def keras_verbose(progress: str | None) -> int:
    """Keras' `verbose` for `--progress`; without it, a bar on a terminal and one line per epoch
    otherwise (a bar written to a file is a flood of escape sequences)."""
    if progress is None:
        progress = "bar" if sys.stdout.isatty() else "epoch"
    return PROGRESS[progress]


_TRAIN_OPTIONS = (
    "model",
    "dataset",
    "data_dir",
    "download",
    "image_size",
    "validation_fraction",
    "augment",
    "recipe",
    "epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "momentum",
    "warmup_epochs",
    "warmup_until_error",
    "label_smoothing",
    "seed",
    "mixed_precision",
    "jit_compile",
    "distribute",
    "gradient_norms",
    "pipeline",
    "skip_bad_images",
)


FINE_TUNE_HELP = (
    "--weights starts from pretrained weights with a new head sized to the dataset's classes, the "
    "source's preprocessing inside the model; without --recipe it picks the fine-tune recipe: "
    "BatchNorm frozen (inference mode), the backbone frozen for --freeze-epochs (1) while the head "
    "trains alone at --head-lr (0.1 per 256 images), then every layer at --lr (0.01 per 256 images) "
    "with cosine decay, SGD momentum 0.9, label smoothing 0.1, no weight decay. config.json records "
    "the source, the sha256 of the file loaded and the freeze schedule"
)
_FINE_TUNE_OPTIONS = ("weights", "freeze_epochs", "head_lr", "batchnorm")


def _add_fine_tune_arguments(group) -> None:
    group.add_argument(
        "--weights",
        metavar="SOURCE",
        help="imagenet, torchvision, timm, keras.applications, or a .safetensors/.pth/.keras/"
        ".weights.h5 file (default: none, train from scratch)",
    )
    group.add_argument(
        "--freeze-epochs",
        type=int,
        metavar="N",
        help="epochs that train only the new head, backbone frozen (fine-tune default 1; 0: none)",
    )
    group.add_argument(
        "--head-lr",
        type=float,
        help="learning rate of the head-only epochs (default: 0.1 per 256 images, scaled with the batch)",
    )
    group.add_argument(
        "--batchnorm",
        choices=("frozen", "train"),
        help="frozen: BatchNorm layers keep the source's statistics, in inference mode (fine-tune "
        "default); train: they train as usual",
    )


def _run_train(args) -> None:
    from keras_resnet.training.config import resolve_config
    from keras_resnet.training.fit import TrainingError
    from keras_resnet.workflows import DEFAULT_EXPORT_QUANTIZE, train_run

    options = (*_TRAIN_OPTIONS, *_FINE_TUNE_OPTIONS)
    given = {name: getattr(args, name) for name in options if getattr(args, name) is not None}
    if args.model_arg:
        given["model_args"] = dict(args.model_arg)
    out = args.out or default_out(given)
    config = resolve_config(given, out=out, resume=args.resume)
    try:
        metrics = train_run(
            config,
            out=out,
            resume=args.resume,
            overwrite=args.overwrite,
            verbose=keras_verbose(args.progress),
            export=args.export is not False,
            export_quantize=args.export_quantize or DEFAULT_EXPORT_QUANTIZE,
        )
    except TrainingError as err:
        raise CommandError(str(err)) from None
    test = metrics["test"]
    print(
        f"{out}: test accuracy {test['accuracy']:.4f} on {test['examples']} images, "
        f"{metrics['epochs_trained']} epochs, {metrics['train_seconds_total']:.0f} s of training"
    )
    skipped = metrics.get("dataset", {}).get("skipped_images", 0)
    if skipped:
        plural = "s" if skipped != 1 else ""
        print(f"skipped {skipped} image{plural} that cannot be decoded (listed in {out}/skipped_images.txt)")
    if "export" in metrics:
        print(f"exported {metrics['export']['source']} to {metrics['export']['out_dir']}")


def _add_evaluate_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a run folder or a .keras file on a dataset",
        description="Score a model on a dataset split. A run folder is scored with its best "
        "checkpoint (best.keras), else its last (last.keras): the rule evaluate, predict and "
        "export share.",
    )
    parser.add_argument("target", help="a run folder (runs/NAME) or a .keras file")
    parser.add_argument("--dataset", help="dataset spec (default: the run's)")
    parser.add_argument("--split", default="test", help="test (default) or validation")
    parser.add_argument(
        "--checkpoint",
        default="auto",
        choices=("auto", "best", "last"),
        help="for a run folder: auto (default: best.keras, else last.keras), best or last",
    )
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

"""`keras-resnet export`: SavedModel and LiteRT files with a parity report."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def add_commands(subparsers) -> None:
    _add_export_command(subparsers)


def _add_export_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="SavedModel + LiteRT (.tflite) files with a parity report",
        description="Export a trained model, check every file against Keras, write export_report.json.",
    )
    parser.add_argument(
        "model",
        metavar="RUN_DIR|MODEL.keras",
        help="a .keras file, or a run folder: its best.keras, else last.keras (the rule evaluate "
        "and predict share)",
    )
    parser.add_argument("--out", default=None, help="destination folder (default saved_models/<model name>)")
    parser.add_argument("--formats", default="saved_model,tflite", help="comma list of saved_model, tflite")
    parser.add_argument(
        "--quantize",
        default="float32",
        help="comma list of float32, float16, dynamic, int8 (TFLite variants)",
    )
    parser.add_argument(
        "--dataset",
        default=None,
        metavar="SPEC",
        help="int8 calibration images from its training split, check images and labels from "
        "its test split, e.g. digits, tfds:cifar10 (default for a run folder: the run's dataset)",
    )
    parser.add_argument("--data-dir", default=None, help="where tfds data is prepared (default: the run's)")
    parser.add_argument(
        "--representative-npz",
        default=None,
        metavar="PATH",
        help="instead of --dataset: an .npz whose array x holds a few hundred raw training images",
    )
    parser.add_argument(
        "--validation-npz",
        default=None,
        metavar="PATH",
        help="instead of --dataset: an .npz with held-out images x (and labels y) for the check",
    )
    parser.add_argument(
        "--exclude-preprocessing",
        action="store_true",
        help="export without the in-model normalization layer (files take normalised images)",
    )
    parser.add_argument("--int8-io", action="store_true", help="the int8 file takes and returns int8 tensors")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing export in --out")
    parser.set_defaults(func=_run_export)


def _run_export(args) -> None:
    from keras_resnet.export.api import export_model, load_images_npz, load_model_for_export
    from keras_resnet.export.calibration import export_images_for

    input_shape = tuple(load_model_for_export(args.model).input.shape[1:])  # checks the model file first
    images = export_images_for(
        args.model, dataset=args.dataset, data_dir=args.data_dir, input_shape=input_shape
    )
    representative = images.representative if images else None
    validation: tuple[np.ndarray, np.ndarray] | np.ndarray | None  # (x, y), or x without labels
    validation = images.validation if images else None
    if args.representative_npz is not None:
        representative = load_images_npz(args.representative_npz)
    if args.validation_npz is not None:
        x, y = load_images_npz(args.validation_npz, labels=True)
        validation = x if y is None else (x, y)
    export_model(
        args.model,
        args.out,
        formats=args.formats,
        quantize=args.quantize,
        representative_data=representative,
        validation_data=validation,
        include_preprocessing=not args.exclude_preprocessing,
        int8_io=args.int8_io,
        overwrite=args.overwrite,
    )

"""Export a finished training run: its best (else last) checkpoint into the run's `export/` folder.

This is the step `keras-resnet train` ends with, composed above training (training itself never
exports). The run is exported on its own data: int8 is calibrated on real training images of the
run's dataset and every file is checked on the test split the run was scored on, with the run's
image size, so the report's accuracy is comparable with the run's own. The run's previous export
is replaced, so a resumed run exports again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from keras_resnet.export.api import export_model
from keras_resnet.export.calibration import export_images
from keras_resnet.export.options import parse_quantize, supported_formats
from keras_resnet.training.run_folder import RunFolder

__all__ = ["export_run"]


def export_run(
    run_dir: str | Path, *, quantize: str | Sequence[str] = ("float32", "int8"), verbose: bool = True
) -> dict | None:
    """Export run folder `run_dir` into `RunFolder(run_dir).export`; return the report.

    SavedModel and the `quantize` TFLite files. On a backend without TFLite support only the
    SavedModel is written; on a backend with neither format nothing is, and the return is None.
    Either way a note says how to export the run later with the TensorFlow backend.
    """
    quantize = parse_quantize(quantize)
    run = RunFolder(run_dir)
    options = run.dataset_options()  # a ValueError when run_dir holds no run
    checkpoint = run.checkpoint("auto")
    formats = supported_formats()
    if not formats:
        print(
            "note: this Keras backend can export neither format; export the run later with "
            f"`KERAS_BACKEND=tensorflow keras-resnet export {run_dir}`"
        )
        return None
    if "tflite" not in formats:
        print(
            "note: no TFLite export on this backend (SavedModel only); for .tflite files run "
            f"`KERAS_BACKEND=tensorflow keras-resnet export {run_dir} --dataset {options['spec']}`"
        )
        quantize = ("float32",)
    images = export_images(
        options["spec"],
        data_dir=options["data_dir"],
        image_size=options["image_size"],
        validation_fraction=options["validation_fraction"],
        skip_bad_images=options.get("skip_bad_images", False),
    )
    return export_model(
        checkpoint,
        run.export,
        formats=formats,
        quantize=quantize,
        representative_data=images.representative,
        validation_data=images.validation,
        overwrite=True,
        verbose=verbose,
        labels=run.read_config().get("dataset", {}).get("class_names"),
    )

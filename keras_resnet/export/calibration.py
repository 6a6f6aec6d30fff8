"""Real images for an export, taken from a dataset spec, so nobody has to build an `.npz` by hand.

Full-integer int8 needs a few hundred real training images to calibrate its activation ranges, and
the parity check needs held-out images with labels to report agreement and accuracy. `export_images`
reads both from any dataset spec `keras_resnet.data.pipelines` understands (`digits`, `npz:PATH`, `tfds:NAME`,
...): calibration images from the training split, un-augmented, in a fixed shuffled order; check
images and labels from the test split. Images are what the models are fed: float32 raw pixels
(0..255) at the run's image size, since the models carry their own normalisation layer.
`run_dataset_options` reads a run folder's dataset options, so a run is exported on its own data.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from keras_resnet.errors import InvalidInputError
from keras_resnet.training.run_folder import RunFolder

REPRESENTATIVE_IMAGES = 300
VALIDATION_IMAGES = 1000
SAMPLE_SEED = 0
SHUFFLE_BUFFER = 4096


@dataclasses.dataclass(frozen=True)
class ExportImages:
    """Calibration images (training split) and check images with labels (test split) of a dataset."""

    spec: str
    representative: np.ndarray
    validation: tuple[np.ndarray, np.ndarray]


def export_images(
    spec: str,
    *,
    representative: int = REPRESENTATIVE_IMAGES,
    validation: int = VALIDATION_IMAGES,
    data_dir: str | None = None,
    image_size: tuple[int, int] | None = None,
    validation_fraction: float = 0.1,
    download: bool = False,
    input_shape: tuple[int, ...] | None = None,
    skip_bad_images: bool = False,
) -> ExportImages:
    """Up to `representative` training images and up to `validation` test images with labels.

    The split options are those of `keras_resnet.data.pipelines.load_datasets` (pass a run's own, so its
    test split is the one it was scored on). `input_shape`, when given, is checked against the
    images so a model is never calibrated on images of another size.
    """
    from keras_resnet.data import sources

    if representative < 1 or validation < 1:
        raise InvalidInputError(
            f"need at least one image of each kind, got representative={representative}, "
            f"validation={validation}"
        )
    source = sources.load_source(
        spec,
        data_dir=data_dir,
        image_size=image_size,
        validation_fraction=validation_fraction,
        download=download,
        skip_bad_images=skip_bad_images,
    )
    if input_shape is not None and tuple(source.image_shape) != tuple(input_shape):
        raise InvalidInputError(
            f"dataset {spec!r} has images shaped {tuple(source.image_shape)} but the model "
            f"takes {tuple(input_shape)}; pass the dataset (and --image-size) it was trained on"
        )
    train = sources.tf_dataset(source.train).shuffle(
        min(source.train_examples, SHUFFLE_BUFFER), seed=SAMPLE_SEED
    )
    x_train, _ = _arrays(train, representative)
    x_test, y_test = _arrays(sources.tf_dataset(source.test), validation)
    if len(x_train) == 0 or len(x_test) == 0:
        raise InvalidInputError(
            f"dataset {spec!r} has an empty training or test split; it cannot calibrate or check an export"
        )
    return ExportImages(spec=spec, representative=x_train, validation=(x_test, y_test))


def run_dataset_options(run_dir: str | Path) -> dict | None:
    """The dataset options of a training run folder (`RunFolder.dataset_options`), or None when
    `run_dir` is not a run folder."""
    run = RunFolder(run_dir)
    return run.dataset_options() if run.is_run() else None


def export_images_for(
    target: str | Path,
    *,
    dataset: str | None = None,
    data_dir: str | None = None,
    input_shape: tuple[int, ...] | None = None,
) -> ExportImages | None:
    """The images `keras-resnet export TARGET` uses: from `dataset`, else from the run's own dataset
    when TARGET is a training run folder, else None (then the caller's .npz files or nothing).

    A run's image size, validation fraction and data folder are reused, so its test split is the one
    it was scored on; for a bare `.keras` file the images are resized to the model's input size.
    """
    run = run_dataset_options(target) if Path(target).is_dir() else None
    spec = dataset or (run["spec"] if run else None)
    if spec is None:
        return None
    if run is not None:
        image_size, fraction = run["image_size"], run["validation_fraction"]
        data_dir = data_dir or run["data_dir"]
    else:
        image_size = tuple(input_shape[:2]) if input_shape is not None else None
        fraction = 0.1
    return export_images(
        spec,
        data_dir=data_dir,
        image_size=image_size,
        validation_fraction=fraction,
        input_shape=input_shape,
        skip_bad_images=bool(run and run.get("skip_bad_images")),
    )


def _arrays(dataset: Any, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` (image, label) pairs of an unbatched dataset as float32 / int64 arrays."""
    images, labels = [], []
    for image, label in dataset.take(count).batch(256).as_numpy_iterator():
        images.append(image.astype(np.float32))
        labels.append(label.astype(np.int64))
    if not images:
        return np.zeros((0,), np.float32), np.zeros((0,), np.int64)
    return np.concatenate(images), np.concatenate(labels)

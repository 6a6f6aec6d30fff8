"""Where raw examples come from: one loader per dataset spec form, each checked with clear errors.

Every loader returns a `Source`: the train / validation / test splits of (HWC image in 0..255, int
label), plus sizes and class names. In-memory datasets (digits, npz, synthetic) hold NumPy arrays
(`ArraySplit`) and need no TensorFlow; streamed ones (folder, tfds) hold unbatched tf.data datasets.
Splits that a dataset does not ship are cut from its training data with the fixed `SPLIT_SEED`,
stratified by class, so a test set never changes between runs. `keras_resnet.data.pipelines` turns
a `Source` into batched, augmented pipelines.
"""

from __future__ import annotations

from pathlib import Path

from keras_resnet.data.splits import SPLIT_SEED, ArraySplit, Source, stratified_split
from keras_resnet.errors import CorruptFileError, InvalidInputError, MissingFileError

__all__ = ["SPLIT_SEED", "ArraySplit", "Source", "load_source", "stratified_split", "tf_dataset"]

DIGITS_TEST_FRACTION = 0.2
SYNTHETIC_DEFAULT_SHAPE = (32, 32, 3)
SYNTHETIC_DEFAULT_CLASSES = 10
SYNTHETIC_EXAMPLES = {"train": 1024, "validation": 128, "test": 128}
SPEC_FORMS = "digits, tfds:NAME, npz:PATH, folder:PATH, synthetic[:HxWxC[:CLASSES]]"


def load_source(
    spec: str,
    *,
    data_dir: str | None = None,
    image_size: tuple[int, int] | None = None,
    validation_fraction: float = 0.1,
    download: bool = False,
    skip_bad_images: bool = False,
) -> Source:
    """Dispatch on the spec's prefix; unknown forms get an InvalidInputError listing the valid ones.

    `skip_bad_images` (folders only) leaves out images that do not fully decode instead of
    refusing the dataset; `Source.skipped` lists them.
    """
    kind, _, rest = (spec or "").partition(":")
    if kind == "digits" and not rest:
        return load_digits(validation_fraction=validation_fraction)
    if kind == "synthetic":
        return load_synthetic(rest)
    if kind == "npz" and rest:
        return load_npz(rest, validation_fraction=validation_fraction)
    if kind == "folder" and rest:
        from keras_resnet.data.folders import load_folder

        return load_folder(
            rest,
            image_size=image_size,
            validation_fraction=validation_fraction,
            skip_bad_images=skip_bad_images,
        )
    if kind == "tfds" and rest:
        from keras_resnet.data.folders import load_tfds

        return load_tfds(
            rest,
            data_dir=data_dir,
            image_size=image_size,
            validation_fraction=validation_fraction,
            download=download,
        )
    raise InvalidInputError(f"dataset spec must be one of the forms {SPEC_FORMS}; got {spec!r}")


def load_digits(*, validation_fraction: float = 0.1) -> Source:
    """scikit-learn's 1,797 real 8x8 handwritten digits as 32x32x3 uint8 images (`data.digits`)."""
    from keras_resnet.data.digits import digits_arrays

    x, y, names = digits_arrays()
    x_rest, x_test, y_rest, y_test = stratified_split(x, y, DIGITS_TEST_FRACTION)
    # The validation fraction is of the whole dataset, as for the paper's 45k/5k CIFAR split.
    val_of_rest = validation_fraction / (1.0 - DIGITS_TEST_FRACTION)
    x_train, x_val, y_train, y_val = stratified_split(x_rest, y_rest, val_of_rest)
    return _from_arrays(x_train, y_train, x_val, y_val, x_test, y_test, names, flip=False)


def load_npz(path: str, *, validation_fraction: float = 0.1) -> Source:
    """A `.npz` with x_train, y_train, x_test, y_test (uint8 NHWC images, integer labels).

    An optional `class_names` array fixes the number of classes; otherwise it is max label + 1.
    """
    import numpy as np

    file = Path(path)
    if not file.is_file():
        raise MissingFileError(
            f"npz file not found: {path} (expected arrays x_train, y_train, x_test, y_test)"
        )
    try:
        with np.load(file, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except Exception as err:  # zipfile.BadZipFile, OSError, ValueError: all mean "not a valid npz"
        raise CorruptFileError(f"cannot read {path} as an .npz archive: {err}") from None
    required = ("x_train", "y_train", "x_test", "y_test")
    missing = [key for key in required if key not in arrays]
    if missing:
        raise CorruptFileError(
            f"{path} lacks arrays {', '.join(missing)}; it holds {sorted(arrays) or 'nothing'} "
            f"and needs {', '.join(required)}"
        )
    x_train = _check_images(arrays["x_train"], "x_train", path)
    x_test = _check_images(arrays["x_test"], "x_test", path)
    if x_test.shape[1:] != x_train.shape[1:]:
        raise CorruptFileError(
            f"{path}: x_test images are {x_test.shape[1:]} but x_train images are {x_train.shape[1:]}"
        )
    y_train = _check_labels(arrays["y_train"], "y_train", len(x_train), path)
    y_test = _check_labels(arrays["y_test"], "y_test", len(x_test), path)
    if "class_names" in arrays:
        names = tuple(str(name) for name in arrays["class_names"].tolist())
    else:
        names = tuple(str(i) for i in range(int(y_train.max()) + 1))
    for key, labels in (("y_train", y_train), ("y_test", y_test)):
        if labels.min() < 0 or labels.max() >= len(names):
            raise CorruptFileError(
                f"{path}: {key} has labels outside 0..{len(names) - 1} "
                f"(found {labels.min()}..{labels.max()}); labels must index the classes"
            )
    if validation_fraction > 0:
        x_train, x_val, y_train, y_val = stratified_split(x_train, y_train, validation_fraction)
    else:
        x_val, y_val = x_train[:0], y_train[:0]
    return _from_arrays(x_train, y_train, x_val, y_val, x_test, y_test, names, flip=True)


def load_synthetic(shape_and_classes: str = "") -> Source:
    """Random uint8 images and labels of a given shape (for benchmarks), the same on every run."""
    import numpy as np

    shape, classes = _parse_synthetic(shape_and_classes)
    splits = {}
    for index, (split, count) in enumerate(SYNTHETIC_EXAMPLES.items()):
        rng = np.random.default_rng([SPLIT_SEED, index])
        images = rng.integers(0, 256, (count, *shape), dtype=np.uint8)
        splits[split] = ArraySplit(images, rng.integers(0, classes, count, dtype=np.int64))
    # Uniform integers 0..255: mean 127.5, variance (256**2 - 1) / 12.
    std = ((256**2 - 1) / 12) ** 0.5
    return Source(
        train=splits["train"],
        validation=splits["validation"],
        test=splits["test"],
        train_examples=SYNTHETIC_EXAMPLES["train"],
        validation_examples=SYNTHETIC_EXAMPLES["validation"],
        test_examples=SYNTHETIC_EXAMPLES["test"],
        classes=classes,
        class_names=tuple(str(i) for i in range(classes)),
        image_shape=shape,
        flip=True,
        stats=((127.5,) * shape[-1], (std,) * shape[-1]),
    )


def _parse_synthetic(text: str) -> tuple[tuple[int, int, int], int]:
    if not text:
        return SYNTHETIC_DEFAULT_SHAPE, SYNTHETIC_DEFAULT_CLASSES
    shape_text, _, classes_text = text.partition(":")
    try:
        shape = tuple(int(part) for part in shape_text.lower().split("x"))
        classes = int(classes_text) if classes_text else SYNTHETIC_DEFAULT_CLASSES
    except ValueError:  # int() of a malformed part
        shape, classes = (), None
    if len(shape) != 3 or min(shape) < 1 or classes is None:
        raise InvalidInputError(
            f"bad synthetic spec {text!r}; expected synthetic:HxWxC[:CLASSES], e.g. synthetic:224x224x3:1000"
        )
    if classes < 2:
        raise InvalidInputError(
            f"synthetic:{text} has {classes} class{'' if classes == 1 else 'es'}; a classifier needs at "
            f"least 2 classes, e.g. synthetic:{shape_text}:10"
        )
    return shape, classes


def _check_images(x, key: str, path: str):
    if x.dtype != "uint8":
        raise CorruptFileError(
            f"{path}: {key} must be uint8 images (0..255), got dtype {x.dtype}; "
            "convert with np.clip(x * 255, 0, 255).astype('uint8') if it is 0..1 floats"
        )
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3) or len(x) == 0:
        raise CorruptFileError(
            f"{path}: {key} must have shape (N, height, width, channels) with 1 or 3 channels "
            f"and N >= 1, got {x.shape}"
        )
    return x


def _check_labels(y, key: str, count: int, path: str):
    import numpy as np

    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if not np.issubdtype(y.dtype, np.integer) or y.ndim != 1:
        raise CorruptFileError(
            f"{path}: {key} must be a 1-D array of integer class ids, got {y.dtype} {y.shape}"
        )
    if len(y) != count:
        raise CorruptFileError(f"{path}: {key} has {len(y)} labels for {count} images")
    return y.astype("int64")


def _from_arrays(x_train, y_train, x_val, y_val, x_test, y_test, names, *, flip: bool) -> Source:
    return Source(
        train=ArraySplit(x_train, y_train),
        validation=ArraySplit(x_val, y_val),
        test=ArraySplit(x_test, y_test),
        train_examples=len(x_train),
        validation_examples=len(x_val),
        test_examples=len(x_test),
        classes=len(names),
        class_names=tuple(names),
        image_shape=tuple(x_train.shape[1:]),
        flip=flip,
    )


def tf_dataset(split):
    """`split` as an unbatched tf.data dataset of (image, label) (an `ArraySplit` is sliced)."""
    if not isinstance(split, ArraySplit):
        return split
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((split.images, split.labels))

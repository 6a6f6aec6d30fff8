"""Datasets that live in folders: one sub-folder per class (`folder:PATH`) and TensorFlow
Datasets (`tfds:NAME`). Both return a `sources.Source`; splits a dataset does not ship are cut with
the fixed split seed, so a test set never changes between runs."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from keras_resnet.data.splits import Source, stratified_split
from keras_resnet.errors import CorruptFileError

if TYPE_CHECKING:
    import tensorflow as tf

FOLDER_DEFAULT_IMAGE_SIZE = (224, 224)
FOLDER_TEST_FRACTION = 0.2
# The first bytes of each format `image_dataset_from_directory` decodes (jpeg, png, gif, bmp).
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def load_folder(
    path: str, *, image_size: tuple[int, int] | None = None, validation_fraction: float = 0.1
) -> Source:
    """Images in one sub-folder per class, read with `keras.utils.image_dataset_from_directory`.

    If PATH holds `train/` and `test/` (and optionally `val/` or `validation/`) sub-folders, those
    are the splits; otherwise the class folders are cut into train / validation / test by file.
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"folder not found: {path} (expected one sub-folder per class)")
    size = tuple(image_size or FOLDER_DEFAULT_IMAGE_SIZE)
    val_dir = next((root / n for n in ("val", "validation") if (root / n).is_dir()), None)
    if (root / "train").is_dir() and (root / "test").is_dir():
        train, names = _read_folder(root / "train", size)
        test, test_names = _read_folder(root / "test", size, class_names=names)
        if val_dir is not None:
            validation, _ = _read_folder(val_dir, size, class_names=names)
        else:
            train, validation = _cut(train, validation_fraction)
        return _from_datasets(train, validation, test, names, size)
    everything, names = _read_folder(root, size)
    rest, test = _cut(everything, FOLDER_TEST_FRACTION)
    train, validation = _cut(rest, validation_fraction / (1.0 - FOLDER_TEST_FRACTION))
    return _from_datasets(train, validation, test, names, size)


def load_tfds(
    name: str,
    *,
    data_dir: str | None = None,
    image_size: tuple[int, int] | None = None,
    validation_fraction: float = 0.1,
    download: bool = False,
) -> Source:
    """A TensorFlow Datasets image classification dataset (cifar10, cifar100, mnist, ...).

    Without `download`, data must already be prepared under `data_dir` (default ~/tensorflow_datasets);
    if it is not, the error says where to put it. Never touches the network unless `download`.
    """
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise ValueError(f"unknown TensorFlow Datasets name {name!r} (see `tfds.list_builders()`)") from None
    features = builder.info.features
    if "image" not in features or "label" not in features:
        raise ValueError(f"tfds:{name} is not an image classification dataset (needs image and label)")
    known_splits = set(builder.info.splits.keys())
    test_split = "test" if "test" in known_splits or not known_splits else "validation"
    has_validation = "validation" in known_splits and test_split != "validation"
    percent = round(validation_fraction * 100)
    if has_validation:
        split_names = ("train", "validation", test_split)
    elif percent > 0:
        split_names = (f"train[:{100 - percent}%]", f"train[{100 - percent}%:]", test_split)
    else:
        split_names = ("train", "train[:0%]", test_split)
    if download:
        try:
            builder.download_and_prepare()
        except Exception as err:  # network, disk or manual-download errors: all need the user
            raise ValueError(f"could not download tfds:{name} into {builder.data_dir}: {err}") from None
    try:
        datasets = [builder.as_dataset(split=s, as_supervised=True) for s in split_names]
    except AssertionError:  # tfds's way of saying "not prepared"
        where = builder.data_dir
        raise ValueError(
            f"tfds:{name} is not prepared in {where} and downloading is off; prepare it on a machine "
            f"with internet (tfds.builder({name!r}, data_dir=...).download_and_prepare() or pass "
            f"--download) and copy the folder to {where}, or point --data-dir at its parent"
        ) from None
    names = tuple(features["label"].names)
    shape = tuple(features["image"].shape)
    if image_size is not None or None in shape[:2]:
        size = tuple(image_size or FOLDER_DEFAULT_IMAGE_SIZE)
        shape = (*size, shape[-1])
        datasets = [d.map(lambda x, y, s=size: (_resize(x, s), y)) for d in datasets]
    counts = [int(d.cardinality()) for d in datasets]
    if min(counts[0], counts[2]) < 0:  # unknown cardinality: count once
        counts = [int(d.reduce(0, lambda n, _: n + 1)) for d in datasets]
    train, validation, test = datasets
    return Source(
        train=train,
        validation=validation,
        test=test,
        train_examples=counts[0],
        validation_examples=counts[1],
        test_examples=counts[2],
        classes=len(names),
        class_names=names,
        image_shape=shape,
        flip=True,
    )


def _read_folder(directory: Path, size, class_names=None):
    """(dataset of (image, label), class names) for one class-per-sub-folder directory."""
    import keras

    try:
        dataset = keras.utils.image_dataset_from_directory(
            os.fspath(directory),
            class_names=list(class_names) if class_names else None,
            batch_size=None,
            image_size=size,
            shuffle=False,
            verbose=False,
        )
    except ValueError as err:
        raise ValueError(
            f"no usable images in {directory}: expected one sub-folder per class holding "
            f".jpg/.png/.bmp/.gif files, e.g. {directory}/cat/001.jpg ({err})"
        ) from None
    count = len(dataset.file_paths)
    if count == 0:
        raise ValueError(f"no images in {directory}: expected {directory}/<class name>/<image file>")
    check_image_files(dataset.file_paths)
    names = tuple(dataset.class_names)
    return _Counted(dataset, count, _folder_labels(directory, dataset.file_paths, names)), names


def check_image_files(paths) -> None:
    """Every file starts like the image its name promises, so a text file or a cut-off download
    named `.jpg` is named here, before training, instead of failing inside TensorFlow's decoder.
    Reads 8 bytes and the size of each file; a file damaged past its first bytes is not caught."""
    for path in paths:
        try:
            with open(path, "rb") as file:
                head = file.read(8)
                file.seek(0, os.SEEK_END)
                size = file.tell()
        except OSError as err:
            raise CorruptFileError(f"cannot read image {path}: {err.strerror}") from None
        if size < 32 or not head.startswith(IMAGE_SIGNATURES):
            raise CorruptFileError(
                f"{path} is not a readable image (empty, truncated or another format); "
                f"remove or replace it, then run again"
            )


@dataclasses.dataclass(frozen=True)
class _Counted:
    dataset: tf.data.Dataset
    count: int
    labels: list


def _folder_labels(directory: Path, file_paths, names) -> list[int]:
    index = {name: i for i, name in enumerate(names)}
    return [index[Path(p).relative_to(directory).parts[0]] for p in file_paths]


def _cut(counted: _Counted, fraction: float):
    """Split a folder dataset by file index (stratified, fixed seed): (kept, cut_off)."""
    import numpy as np
    import tensorflow as tf

    indices = np.arange(counted.count)
    if fraction <= 0 or counted.count < 2:
        kept, cut = indices, indices[:0]
    else:
        kept, cut, _, _ = stratified_split(indices, np.asarray(counted.labels), fraction)
    mask = np.zeros(counted.count, dtype=bool)
    mask[cut] = True
    table = tf.constant(mask)

    def subset(select_cut: bool, chosen):
        ds = counted.dataset.enumerate().filter(lambda i, _: tf.equal(table[i], select_cut))
        ds = ds.map(lambda i, example: example)
        labels = [counted.labels[i] for i in sorted(chosen)]
        return _Counted(ds, len(chosen), labels)

    return subset(False, kept), subset(True, cut)


def _from_datasets(train: _Counted, validation: _Counted, test: _Counted, names, size) -> Source:
    return Source(
        train=_cache_if_small(train, size),
        validation=_cache_if_small(validation, size),
        test=_cache_if_small(test, size),
        train_examples=train.count,
        validation_examples=validation.count,
        test_examples=test.count,
        classes=len(names),
        class_names=tuple(names),
        image_shape=(*size, 3),
        flip=True,
    )


def _cache_if_small(counted: _Counted, size, limit_bytes: int = 2 << 30):
    """Decoded float images stay in memory when they fit in `limit_bytes`; else decode each epoch."""
    if counted.count * size[0] * size[1] * 3 * 4 <= limit_bytes:
        return counted.dataset.cache()
    return counted.dataset


def _resize(image, size):
    import tensorflow as tf

    return tf.cast(tf.clip_by_value(tf.round(tf.image.resize(image, size)), 0, 255), tf.uint8)

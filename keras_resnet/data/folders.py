"""Datasets that live in folders: one sub-folder per class (`folder:PATH`) and TensorFlow
Datasets (`tfds:NAME`). Both return a `sources.Source`; splits a dataset does not ship are cut with
the fixed split seed, so a test set never changes between runs.

A folder is listed file by file, in the order `keras.utils.image_dataset_from_directory` lists it
(classes in name order, each class folder walked in sorted order), so its splits are the ones that
function gave. Every file in it is either used or named: the formats Pillow reads are images
(`data.images.image_suffixes`, WebP and TIFF among them), anything else is listed in one notice.
Every image is fully decoded once before use (`data.verdicts`, cached), so a truncated or corrupt
file is named before training instead of failing inside TensorFlow; `skip_bad_images` trains on
the rest. JPEG, PNG, GIF and BMP files are decoded by TensorFlow as before; other formats by Pillow
(`tf.numpy_function`); both are resized by the same bilinear `tf.image.resize`.

How an image meets the input size is the run's image rule (`models.resizing`), applied to every
split at load time (random augmentation comes after it, in the pipeline): the whole image resized
to the size (the default, as before: no crop, aspect ratio not kept, not antialiased), or a
centre crop (the fine-tune default, a weight source's own rule): `ImageRule.plan` gives the resize
and the crop box, the same arithmetic the Pillow predict path uses, and the resize is bilinear and
antialiased when shrinking, like Pillow's, so predict sees the pixels training saw.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from keras_resnet.data import images, verdicts
from keras_resnet.data.splits import Source, stratified_split
from keras_resnet.errors import CorruptFileError, InvalidInputError, MissingFileError, OfflineError
from keras_resnet.models.resizing import WHOLE, ImageRule

FOLDER_DEFAULT_IMAGE_SIZE = (224, 224)
FOLDER_TEST_FRACTION = 0.2
TENSORFLOW_FORMATS = ("JPEG", "PNG", "GIF", "BMP")
"""Formats `tf.io.decode_image` reads (the rest go through Pillow)."""
NAMED_IN_NOTICE = 5


def load_folder(
    path: str,
    *,
    image_size: tuple[int, int] | None = None,
    validation_fraction: float = 0.1,
    skip_bad_images: bool = False,
    progress: bool = True,
    image_rule: ImageRule | None = None,
) -> Source:
    """Images in one sub-folder per class, each fully decoded once before use.

    If PATH holds `train/` and `test/` (and optionally `val/` or `validation/`) sub-folders, those
    are the splits; otherwise the class folders are cut into train / validation / test by file.

    Args:
        path: the dataset folder.
        image_size: (height, width) every image is resized to (default 224x224).
        validation_fraction: of the whole dataset, when the folder ships no validation split.
        skip_bad_images: leave out files that do not fully decode (listed in `Source.skipped`)
            instead of refusing the dataset with a `CorruptFileError` that names them.
        progress: show the image check's progress when it takes a while.
        image_rule: how each image meets `image_size` (default: the whole image resized).
    """
    root = Path(path)
    if not root.is_dir():
        raise MissingFileError(f"folder not found: {path} (expected one sub-folder per class)")
    size = tuple(image_size or FOLDER_DEFAULT_IMAGE_SIZE)
    val_dir = next((root / n for n in ("val", "validation") if (root / n).is_dir()), None)
    if (root / "train").is_dir() and (root / "test").is_dir():
        parts = {"train": _list_folder(root / "train")}
        names = parts["train"].names
        parts["test"] = _list_folder(root / "test", class_names=names)
        if val_dir is not None:
            parts["validation"] = _list_folder(val_dir, class_names=names)
    else:
        parts = {"all": _list_folder(root)}
        names = parts["all"].names
    unused = [other for part in parts.values() for other in part.others]
    if "all" not in parts:  # files beside train/ and test/ are not used either
        unused += sorted(Path(e.path) for e in os.scandir(root) if e.is_file() and not e.name.startswith("."))
    _notice_unused(root, unused)
    every_image = [p for part in parts.values() for p in part.paths]
    checked = verdicts.check_images(every_image, root=root, progress=progress)
    if checked.bad and not skip_bad_images:
        raise CorruptFileError(
            f"{verdicts.bad_images_message(checked.bad, root)}; fix or remove them, or pass "
            "--skip-bad-images to train without them"
        )
    if checked.bad:
        print(f"note: {verdicts.bad_images_message(checked.bad, root, skipping=True)} (--skip-bad-images)")
    parts = {key: part.keep(checked.formats) for key, part in parts.items()}
    if "all" in parts:
        rest, test = _cut(parts["all"], FOLDER_TEST_FRACTION)
        train, validation = _cut(rest, validation_fraction / (1.0 - FOLDER_TEST_FRACTION))
    else:
        train, test = parts["train"], parts["test"]
        given = parts.get("validation")
        if given is None:
            train, validation = _cut(train, validation_fraction)
        else:
            validation = given
    skipped = tuple((str(p), reason) for p, reason in checked.bad)
    rule = image_rule or WHOLE
    return _from_files(train, validation, test, names, size, checked.formats, skipped, rule)


def load_tfds(
    name: str,
    *,
    data_dir: str | None = None,
    image_size: tuple[int, int] | None = None,
    validation_fraction: float = 0.1,
    download: bool = False,
    image_rule: ImageRule | None = None,
) -> Source:
    """A TensorFlow Datasets image classification dataset (cifar10, cifar100, mnist, ...).

    Without `download`, data must already be prepared under `data_dir` (default ~/tensorflow_datasets);
    if it is not, the error says where to put it. Never touches the network unless `download`.
    Images are resized to `image_size` (when given, or when their sizes vary) by `image_rule`
    (default: the whole image); a centre-crop rule is applied even at the dataset's own size.
    """
    import tensorflow_datasets as tfds

    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        raise InvalidInputError(
            f"unknown TensorFlow Datasets name {name!r} (see `tfds.list_builders()`)"
        ) from None
    features = builder.info.features
    if "image" not in features or "label" not in features:
        raise InvalidInputError(f"tfds:{name} is not an image classification dataset (needs image and label)")
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
            raise OfflineError(f"could not download tfds:{name} into {builder.data_dir}: {err}") from None
    try:
        datasets = [builder.as_dataset(split=s, as_supervised=True) for s in split_names]
    except AssertionError:  # tfds's way of saying "not prepared"
        where = builder.data_dir
        raise MissingFileError(
            f"tfds:{name} is not prepared in {where} and downloading is off; prepare it on a machine "
            f"with internet (tfds.builder({name!r}, data_dir=...).download_and_prepare() or pass "
            f"--download) and copy the folder to {where}, or point --data-dir at its parent"
        ) from None
    names = tuple(features["label"].names)
    shape = tuple(features["image"].shape)
    rule = image_rule or WHOLE
    if image_size is not None or None in shape[:2] or rule != WHOLE:
        size = tuple(image_size or (shape[:2] if None not in shape[:2] else FOLDER_DEFAULT_IMAGE_SIZE))
        shape = (*size, shape[-1])
        datasets = [d.map(lambda x, y, s=size: (_resize(x, s, rule), y)) for d in datasets]
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


@dataclasses.dataclass(frozen=True)
class _Files:
    """The image files of a folder (or of one split), their labels, and the files not used."""

    paths: tuple[Path, ...]
    labels: tuple[int, ...]
    names: tuple[str, ...] = ()
    others: tuple[Path, ...] = ()

    def keep(self, good) -> _Files:
        """Only the files in `good` (the ones that fully decode), in the same order."""
        kept = [(p, label) for p, label in zip(self.paths, self.labels) if p in good]
        return _Files(tuple(p for p, _ in kept), tuple(label for _, label in kept), self.names)

    def subset(self, indices) -> _Files:
        chosen = sorted(int(i) for i in indices)
        return _Files(tuple(self.paths[i] for i in chosen), tuple(self.labels[i] for i in chosen), self.names)


def _list_folder(directory: Path, class_names=None) -> _Files:
    """The files of a class-per-sub-folder directory, in `image_dataset_from_directory`'s order."""
    classes = sorted(
        entry.name for entry in os.scandir(directory) if entry.is_dir() and not entry.name.startswith(".")
    )
    if class_names is not None:
        missing = sorted(set(class_names) - set(classes))
        if missing:
            raise InvalidInputError(
                f"{directory} lacks the class folders {', '.join(missing)} that the training folder "
                f"has; give every split the same class folders ({', '.join(class_names)})"
            )
        extra = [Path(directory, name) for name in classes if name not in class_names]
        classes = list(class_names)
    else:
        extra = []
    if not classes:
        raise InvalidInputError(
            f"no usable images in {directory}: expected one sub-folder per class holding images, "
            f"e.g. {directory}/cat/001.jpg"
        )
    paths, labels, others = [], [], []
    for label, name in enumerate(classes):
        for path in _walk_files(directory / name):
            if path.suffix.lower() in images.image_suffixes():
                paths.append(path)
                labels.append(label)
            else:
                others.append(path)
    others += [p for folder in extra for p in _walk_files(folder)]  # a class the training data lacks
    others += [Path(e.path) for e in os.scandir(directory) if e.is_file() and not e.name.startswith(".")]
    if not paths:
        raise InvalidInputError(
            f"no usable images in {directory}: expected {directory}/<class name>/<image file> "
            f"({', '.join(sorted(images.image_suffixes()))})"
        )
    return _Files(tuple(paths), tuple(labels), tuple(classes), tuple(others))


def _walk_files(folder: Path):
    """Every non-hidden file under `folder`: folders in sorted order, files sorted in each."""
    for root, _folders, files in sorted(os.walk(folder), key=lambda walked: walked[0]):
        if any(part.startswith(".") for part in Path(root).relative_to(folder).parts):
            continue
        yield from (Path(root, name) for name in sorted(files) if not name.startswith("."))


def _notice_unused(root: Path, others) -> None:
    """One notice naming the files of the folder that are not used (not images Pillow reads)."""
    if not others:
        return
    shown = ", ".join(verdicts._relative(p, root) for p in others[:NAMED_IN_NOTICE])
    more = len(others) - NAMED_IN_NOTICE
    print(
        f"note: {len(others)} file{'s' if len(others) != 1 else ''} in {root} "
        f"{'are' if len(others) != 1 else 'is'} not used (not an image format Pillow reads, or "
        f"outside the class folders): {shown}" + (f", and {more} more" if more > 0 else "")
    )


def _cut(files: _Files, fraction: float) -> tuple[_Files, _Files]:
    """Split a folder's files by index (stratified, fixed seed): (kept, cut_off)."""
    import numpy as np

    indices = np.arange(len(files.paths))
    if fraction <= 0 or len(indices) < 2:
        return files, files.subset([])
    kept, cut, _, _ = stratified_split(indices, np.asarray(files.labels), fraction)
    return files.subset(kept), files.subset(cut)


def _from_files(train, validation, test, names, size, formats, skipped, rule) -> Source:
    splits = [validation or _Files((), ()), train, test]
    datasets = [_cache_if_small(_image_dataset(s, size, formats, rule), len(s.paths), size) for s in splits]
    return Source(
        train=datasets[1],
        validation=datasets[0],
        test=datasets[2],
        train_examples=len(train.paths),
        validation_examples=len(splits[0].paths),
        test_examples=len(test.paths),
        classes=len(names),
        class_names=tuple(names),
        image_shape=(*size, 3),
        flip=True,
        skipped=skipped,
    )


def _image_dataset(files: _Files, size, formats, rule: ImageRule = WHOLE):
    """An unbatched tf.data dataset of (float32 image resized to `size` by `rule`, int32 label)."""
    import numpy as np
    import tensorflow as tf

    paths = [os.fspath(p) for p in files.paths]
    pillow = np.asarray([formats.get(p) not in TENSORFLOW_FORMATS for p in files.paths], dtype=bool)
    labels = np.asarray(files.labels, dtype=np.int32)
    dataset = tf.data.Dataset.from_tensor_slices((tf.constant(paths, tf.string), labels, pillow))
    if not pillow.any():  # the common case: TensorFlow alone, exactly as before
        return dataset.map(
            lambda path, label, _: (_resized(_decode_tf(path), size, rule), label),
            num_parallel_calls=tf.data.AUTOTUNE,
        )

    def read(path, label, with_pillow):
        image = tf.cond(with_pillow, lambda: _decode_pillow(path), lambda: _decode_tf(path))
        return _resized(image, size, rule), label

    return dataset.map(read, num_parallel_calls=tf.data.AUTOTUNE)


def _decode_tf(path):
    import tensorflow as tf

    return tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)


def _decode_pillow(path):
    import tensorflow as tf

    image = tf.numpy_function(lambda p: images.decode_image(p.decode()), [path], tf.uint8, stateful=False)
    return tf.ensure_shape(image, (None, None, 3))


def _resized(image, size, rule: ImageRule = WHOLE):
    """`image` at `size` by `rule`: the whole image as `image_dataset_from_directory` resizes it
    (bilinear, float32, no crop, no rounding), or resized and cropped where `rule.plan` says."""
    import tensorflow as tf

    if rule == WHOLE:
        image = tf.image.resize(image, size, method="bilinear")
    else:
        image = _planned(image, size, rule)
    image.set_shape((size[0], size[1], image.shape[-1]))
    return image


def _planned(image, size, rule: ImageRule):
    """`image` resized (bilinear, antialiased as Pillow's) and cropped by `rule.plan`."""
    import numpy as np
    import tensorflow as tf

    def plan(height, width):
        box = rule.plan(int(height), int(width), size)
        return np.asarray([box.height, box.width, box.top, box.left], dtype=np.int32)

    shape = tf.shape(image)
    box = tf.numpy_function(plan, [shape[0], shape[1]], tf.int32, stateful=False)
    box = tf.ensure_shape(box, (4,))
    image = tf.image.resize(image, box[:2], method="bilinear", antialias=True)
    return image[box[2] : box[2] + size[0], box[3] : box[3] + size[1]]


def _cache_if_small(dataset, count: int, size, limit_bytes: int = 2 << 30):
    """Decoded float images stay in memory when they fit in `limit_bytes`; else decode each epoch."""
    if count * size[0] * size[1] * 3 * 4 <= limit_bytes:
        return dataset.cache()
    return dataset


def _resize(image, size, rule: ImageRule = WHOLE):
    """A tfds image at `size` by `rule`, as uint8 (tfds images stay uint8)."""
    import tensorflow as tf

    resized = tf.image.resize(image, size) if rule == WHOLE else _planned(image, size, rule)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8)

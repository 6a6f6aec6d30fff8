"""Datasets -> batched input pipelines with the paper's CIFAR augmentation (He et al. 2015, 4.2).

`load_datasets(spec, ...)` turns a dataset spec string (`digits`, `tfds:NAME`, `npz:PATH`,
`folder:PATH`, `synthetic[:HxWxC[:CLASSES]]`) into train / validation / test pipelines plus a
`DatasetInfo` (classes, class names, image shape, per-channel mean/std of the training split).
Pipelines yield *un-normalised* float32 images (0..255) and int32 labels: the model carries its own
`Normalization` layer built from `info.mean` / `info.std`, so saved models need no preprocessing.
Where the raw examples come from lives in `keras_resnet.data.sources`. Two pipelines feed
`model.fit` on every Keras backend: tf.data (the default where TensorFlow is installed) and, for
in-memory datasets, NumPy batches (`keras_resnet.data.arrays`, the default without TensorFlow).
TensorFlow is imported inside functions so `import keras_resnet` stays light.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Union

from keras_resnet._utils.validation import check_choice, check_int
from keras_resnet.data import sources
from keras_resnet.errors import InvalidInputError

if TYPE_CHECKING:
    import keras
    import tensorflow as tf

Batches = Union["tf.data.Dataset", "keras.utils.PyDataset"]
"""What `fit` reads: a tf.data pipeline, or NumPy batches (`arrays.TrainBatches`, `EvalBatches`)."""

PAD_PIXELS = 4
"""The paper pads 4 pixels on each side, then takes a random crop of the original size."""

STATS_MAX_EXAMPLES = 50_000
"""Mean/std come from at most this many training images (all of CIFAR; a sample of ImageNet)."""

PIPELINES = ("auto", "numpy", "tfdata")
"""`auto`: tf.data where TensorFlow is installed (and always for folder/tfds), else NumPy."""


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What the model builder and the run folder need to know about a dataset."""

    spec: str
    classes: int
    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    train_examples: int
    validation_examples: int
    test_examples: int
    flip: bool
    pipeline: str = "tfdata"
    skipped_images: int = 0  # folder images left out because they do not decode (skip_bad_images)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Datasets:
    """Batched pipelines (train is shuffled and augmented) and the dataset's `DatasetInfo`.

    `new_train()` builds another training pipeline identical to `train` (same seed, same
    preprocessing): its first batch is the first batch `fit` sees from `train`, and iterating it
    leaves `train`'s shuffle and augmentation state alone (a probe batch taken from `train` itself
    would shift every batch `fit` then sees).
    """

    train: Batches
    validation: Batches
    test: Batches
    info: DatasetInfo
    new_train: Callable[[], Batches] | None = None
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason) of each image left out


def load_datasets(
    spec: str = "digits",
    *,
    batch_size: int = 128,
    eval_batch_size: int | None = None,
    seed: int = 0,
    augment: bool = True,
    flip: bool | None = None,
    data_dir: str | None = None,
    image_size: tuple[int, int] | None = None,
    validation_fraction: float = 0.1,
    download: bool = False,
    drop_remainder: bool = False,
    eval_multiple: int = 1,
    pipeline: str = "auto",
    shard: tuple[int, int] = (0, 1),
    skip_bad_images: bool = False,
) -> Datasets:
    """Build the three pipelines for `spec`; see the module docstring for the spec forms.

    `seed` drives shuffling and augmentation only; the train/validation/test split itself uses a
    fixed seed so every run of a dataset is scored on the same test images. `flip=None` uses the
    dataset's default (on for natural images, off for digits). `drop_remainder` drops the last
    partial training batch (needed when a batch is split across devices). `eval_multiple > 1`
    pads validation/test to a multiple of it (JAX data-parallel cannot split a ragged last batch):
    their elements become (image, label, weight), weight 0 for the padding at the end.
    `pipeline` is one of `PIPELINES`; `shard=(index, count)` (NumPy pipeline only) gives this
    process's `train` its share of every global training batch (`new_train()` stays whole, so a
    probe batch taken from it is the same in every process). `skip_bad_images` (folder datasets)
    leaves out images that do not fully decode instead of refusing the dataset; `Datasets.skipped`
    lists them.
    """
    check_int("batch size", batch_size)
    check_choice("pipeline", pipeline, PIPELINES)
    if image_size is not None and (len(image_size) != 2 or min(image_size) < 1):
        raise InvalidInputError(
            f"image size must be two positive integers (height, width), got {image_size!r}"
        )
    if not 0.0 <= validation_fraction < 1.0:
        raise InvalidInputError(f"validation fraction must be in [0, 1), got {validation_fraction}")
    raw = sources.load_source(
        spec,
        data_dir=data_dir,
        image_size=image_size,
        validation_fraction=validation_fraction,
        download=download,
        skip_bad_images=skip_bad_images,
    )
    if raw.train_examples < 1:
        raise InvalidInputError(f"dataset {spec!r} has no training images")
    if batch_size > raw.train_examples:
        raise InvalidInputError(
            f"batch size {batch_size} is larger than the training split of {spec!r} "
            f"({raw.train_examples} images); use a batch size of at most {raw.train_examples}"
        )
    kind = resolve_pipeline(pipeline, raw, spec=spec)
    info = _describe(spec, raw, flip=raw.flip if flip is None else flip, pipeline=kind)
    return _pipelines(
        raw,
        info,
        batch_size=batch_size,
        eval_batch_size=eval_batch_size or batch_size,
        seed=seed,
        augment=augment,
        drop_remainder=drop_remainder,
        eval_multiple=eval_multiple,
        shard=shard,
    )


def _pipelines(
    raw, info, *, batch_size, eval_batch_size, seed, augment, drop_remainder, eval_multiple, shard
) -> Datasets:
    """The `Datasets` of `raw` through the pipeline `info.pipeline` names."""
    train_options = dict(batch_size=batch_size, seed=seed, augment=augment, flip=info.flip)
    new_train: Callable[[], Batches]
    if info.pipeline == "numpy":
        from keras_resnet.data import arrays

        def new_batches(shard: tuple[int, int] = (0, 1)) -> arrays.TrainBatches:
            return arrays.TrainBatches(
                raw.train, **train_options, pad=PAD_PIXELS, drop_remainder=drop_remainder, shard=shard
            )

        def new_eval(split, examples):
            return arrays.EvalBatches(split, batch_size=eval_batch_size, multiple=eval_multiple)

        train, new_train = new_batches(shard=shard), new_batches
    else:
        if shard[1] > 1:
            raise InvalidInputError("sharding batches across processes needs the numpy pipeline")

        def new_pipeline() -> tf.data.Dataset:
            return train_pipeline(
                with_length(sources.tf_dataset(raw.train), raw.train_examples),
                **train_options,
                shuffle_buffer=min(raw.train_examples, 10_000),
                drop_remainder=drop_remainder,
            )

        def new_eval(split, examples):
            dataset = with_length(sources.tf_dataset(split), examples)
            return eval_pipeline(
                dataset, batch_size=eval_batch_size, examples=examples, multiple=eval_multiple
            )

        train, new_train = new_pipeline(), new_pipeline
    return Datasets(
        train=train,
        new_train=new_train,
        validation=new_eval(raw.validation, raw.validation_examples),
        test=new_eval(raw.test, raw.test_examples),
        info=info,
        skipped=raw.skipped,
    )


def with_length(dataset, examples: int):
    """`dataset` with its length stated when tf.data cannot know it (a folder's split is a
    `filter`): without it Keras learns an epoch's end only by running out of data, and says so
    ("Your input ran out of data; interrupting training") after every full first epoch. The
    length is checked as the data is read: a wrong count fails loudly, never silently."""
    import tensorflow as tf

    if int(dataset.cardinality()) != tf.data.UNKNOWN_CARDINALITY:
        return dataset
    return dataset.apply(tf.data.experimental.assert_cardinality(examples))


def tensorflow_available() -> bool:
    """True when TensorFlow can be imported (without importing it)."""
    return importlib.util.find_spec("tensorflow") is not None


def resolve_pipeline(pipeline: str, raw: sources.Source, *, spec: str) -> str:
    """`numpy` or `tfdata` for `pipeline` (one of `PIPELINES`) on this source and machine."""
    check_choice("pipeline", pipeline, PIPELINES)
    if pipeline == "auto":
        return "tfdata" if tensorflow_available() or not raw.in_memory else "numpy"
    if pipeline == "numpy" and not raw.in_memory:
        raise InvalidInputError(
            f"the numpy pipeline needs an in-memory dataset (digits, npz:, synthetic); {spec!r} "
            "streams through tf.data: use pipeline tfdata"
        )
    if pipeline == "tfdata" and not tensorflow_available():
        raise InvalidInputError(
            "the tfdata pipeline needs TensorFlow, which is not installed: use pipeline numpy"
        )
    return pipeline


def _describe(spec: str, raw: sources.Source, *, flip: bool, pipeline: str) -> DatasetInfo:
    """The `DatasetInfo` of a source; mean and std from its training split unless it knows them."""
    mean, std = raw.stats if raw.stats is not None else channel_stats(raw.train)
    height, width, channels = raw.image_shape
    return DatasetInfo(
        spec=spec,
        classes=raw.classes,
        class_names=tuple(raw.class_names),
        image_shape=(int(height), int(width), int(channels)),
        mean=tuple(float(m) for m in mean),
        std=tuple(float(s) for s in std),
        train_examples=raw.train_examples,
        validation_examples=raw.validation_examples,
        test_examples=raw.test_examples,
        flip=flip,
        pipeline=pipeline,
        skipped_images=len(raw.skipped),
    )


def augment_image(image, seed, *, flip: bool, pad: int = PAD_PIXELS):
    """Zero-pad `pad` pixels per side, crop back to the original size at random, maybe flip.

    `seed` is a shape-[2] int tensor; stateless ops make the result a pure function of it.
    """
    import tensorflow as tf

    height, width = image.shape[0], image.shape[1]
    padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]])
    crop_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    image = tf.image.stateless_random_crop(padded, tf.shape(image), seed=crop_seed)
    if flip:
        image = tf.image.stateless_random_flip_left_right(image, seed=flip_seed)
    return tf.ensure_shape(image, (height, width, image.shape[-1]))


def train_pipeline(
    dataset,
    *,
    batch_size: int,
    seed: int,
    augment: bool,
    flip: bool,
    shuffle_buffer: int,
    drop_remainder: bool = False,
):
    """Shuffle (anew each epoch), augment (fresh random crops each epoch), batch, prefetch."""
    import tensorflow as tf

    dataset = dataset.map(_as_float, num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if augment:
        # One random int per example, different on every pass, turned into a stateless seed.
        randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        dataset = tf.data.Dataset.zip((dataset, randoms)).map(
            lambda example, r: (
                augment_image(example[0], tf.stack([r, tf.constant(seed, tf.int64)]), flip=flip),
                example[1],
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def eval_pipeline(dataset, *, batch_size: int, examples: int = 0, multiple: int = 1):
    """Cast and batch in a fixed order; no augmentation. See `load_datasets` for `multiple`."""
    import tensorflow as tf

    dataset = dataset.map(_as_float, num_parallel_calls=tf.data.AUTOTUNE)
    if multiple > 1:
        dataset = dataset.map(lambda x, y: (x, y, tf.constant(1.0)))
        pad = -examples % multiple
        if pad:
            padding = dataset.take(1).map(lambda x, y, w: (x, y, tf.constant(0.0))).repeat(pad)
            dataset = dataset.concatenate(padding)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def channel_stats(dataset, *, max_examples: int = STATS_MAX_EXAMPLES):
    """Per-channel mean and std (0..255 units) over up to `max_examples` unbatched images
    (an `ArraySplit` or a tf.data dataset of (image, label))."""
    import numpy as np

    total = np.zeros(0)
    total_sq = np.zeros(0)
    count = 0
    for batch in _image_chunks(dataset, max_examples):
        pixels = batch.reshape(-1, batch.shape[-1])
        if count == 0:
            total, total_sq = np.zeros(pixels.shape[1]), np.zeros(pixels.shape[1])
        total += pixels.sum(axis=0)
        total_sq += (pixels**2).sum(axis=0)
        count += pixels.shape[0]
    if count == 0:
        raise InvalidInputError("cannot compute normalisation statistics: the training split is empty")
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean**2, 0.0))
    return mean, np.maximum(std, 1e-3)


def _image_chunks(dataset, max_examples: int, chunk: int = 1024):
    """float64 batches of at most `max_examples` images of `dataset`, `chunk` at a time."""
    if isinstance(dataset, sources.ArraySplit):
        images = dataset.images[:max_examples]
        for start in range(0, len(images), chunk):
            yield images[start : start + chunk].astype("float64")
        return
    import tensorflow as tf

    images = dataset.take(max_examples).map(lambda image, label: tf.cast(image, tf.float64))
    yield from images.batch(chunk).as_numpy_iterator()


def numpy_batches(dataset):
    """The batches of a pipeline of either kind, as tuples of NumPy arrays."""
    if hasattr(dataset, "as_numpy_iterator"):
        return dataset.as_numpy_iterator()
    return (tuple(batch) for batch in dataset)


def images_only(dataset, *, pad_to: int | None = None):
    """A pipeline of the images of `dataset`'s batches, for `model.predict`.

    `pad_to` (tf.data only) pads a short last batch with zero images to that many, so every
    batch has one shape and `predict` traces once per model: a ragged last batch costs each
    model a second trace, and TensorFlow counts the traces of every Keras model's predict step
    together, warning of "retracing" after a few models (the run's final and best checkpoints,
    then the export's check). Predictions of the padding come last; drop them.
    """
    from keras_resnet.data import arrays

    if isinstance(dataset, (arrays.TrainBatches, arrays.EvalBatches)):
        return dataset  # predict reads the first item of each batch
    images = dataset.map(lambda *example: example[0])
    if pad_to is None:
        return images
    import tensorflow as tf

    def pad(x):
        x = tf.pad(x, [[0, pad_to - tf.shape(x)[0]]] + [[0, 0]] * (len(x.shape) - 1))
        return tf.ensure_shape(x, (pad_to, *x.shape[1:]))

    return images.map(pad)


def one_hot(dataset, classes: int):
    """`dataset` with one-hot labels over `classes` (recipes with label smoothing)."""
    from keras_resnet.data import arrays

    if isinstance(dataset, (arrays.TrainBatches, arrays.EvalBatches)):
        return arrays.with_one_hot(dataset, classes)
    import tensorflow as tf

    return dataset.map(lambda x, y, *weight: (x, tf.one_hot(y, classes), *weight))


def _as_float(image, label):
    import tensorflow as tf

    return tf.cast(image, tf.float32), tf.cast(label, tf.int32)

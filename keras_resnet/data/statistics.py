"""The training split's per-channel mean and standard deviation, which become the model's
`normalization` layer (images reach the model un-normalised, 0-255), computed in one streaming pass
over an in-memory split or a tf.data dataset."""

from __future__ import annotations

from keras_resnet.data import splits
from keras_resnet.errors import InvalidInputError

STATS_MAX_EXAMPLES = 50_000
"""Mean/std come from at most this many training images (all of CIFAR; a sample of ImageNet)."""


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
    if isinstance(dataset, splits.ArraySplit):
        images = dataset.images[:max_examples]
        for start in range(0, len(images), chunk):
            yield images[start : start + chunk].astype("float64")
        return
    import tensorflow as tf

    images = dataset.take(max_examples).map(lambda image, label: tf.cast(image, tf.float64))
    yield from images.batch(chunk).as_numpy_iterator()

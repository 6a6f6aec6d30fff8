"""The data types every loader returns, in a leaf module: a `Source` of three splits, and the fixed,
stratified cut that makes a split a dataset does not ship.

`data.sources` (the spec dispatcher, in-memory datasets) and `data.folders` (image folders, tfds)
both build `Source`s; keeping the types here lets the dispatcher import the folder loaders
without the folder loaders importing the dispatcher back.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import tensorflow as tf

SPLIT_SEED = 0
"""Seed of every train/validation/test cut: fixed, so runs with different --seed share a test set."""


@dataclasses.dataclass(frozen=True)
class ArraySplit:
    """One split of an in-memory dataset: uint8 NHWC images and int64 labels."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclasses.dataclass(frozen=True)
class Source:
    """The three splits (`ArraySplit`s, or unbatched (image, label) tf.data datasets) and what
    describes them."""

    train: ArraySplit | tf.data.Dataset
    validation: ArraySplit | tf.data.Dataset
    test: ArraySplit | tf.data.Dataset
    train_examples: int
    validation_examples: int
    test_examples: int
    classes: int
    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int]
    flip: bool = True
    stats: tuple | None = None  # (mean, std) when known without a pass over the data
    skipped: tuple[tuple[str, str], ...] = ()  # (path, reason): bad folder images left out

    @property
    def in_memory(self) -> bool:
        """True when the splits are NumPy arrays (no TensorFlow needed to read them)."""
        return isinstance(self.train, ArraySplit)


def stratified_split(x, y, fraction: float):
    """Cut `fraction` off (x, y), keeping class proportions; plain random when a class is tiny."""
    from sklearn.model_selection import train_test_split

    if fraction <= 0:
        return x, x[:0], y, y[:0]
    try:
        return train_test_split(x, y, test_size=fraction, random_state=SPLIT_SEED, stratify=y)
    except ValueError:
        return train_test_split(x, y, test_size=fraction, random_state=SPLIT_SEED)

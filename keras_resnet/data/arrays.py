"""NumPy input pipelines for in-memory datasets: `model.fit` on any backend with no TensorFlow.

The twin of the tf.data pipelines in `keras_resnet.data.pipelines` for `ArraySplit` sources
(digits, npz, synthetic): batches are `keras.utils.PyDataset` items of float32 images (0..255) and
int32 labels, shuffled anew each epoch and augmented with the paper's 4-pixel pad, random crop and
optional flip (He et al. 2015, section 4.2), all drawn from NumPy generators seeded by (seed,
epoch), so a seed fixes every epoch's order and crops. The random streams are NumPy's, not
TensorFlow's: the same seed gives a different (equally random) order than the tf.data pipeline.
"""

from __future__ import annotations

from typing import TypeVar

import keras
import numpy as np

from keras_resnet.data.sources import ArraySplit
from keras_resnet.errors import InvalidInputError

BatchesT = TypeVar("BatchesT", "TrainBatches", "EvalBatches")


def augment_batch(images: np.ndarray, offsets: np.ndarray, flips: np.ndarray, *, pad: int) -> np.ndarray:
    """Zero-pad `pad` pixels per side, crop the original size at (row, col) `offsets`, mirror
    the images where `flips` is true; `images` is NHWC."""
    count, height, width = images.shape[:3]
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    rows = offsets[:, 0, None] + np.arange(height)
    cols = offsets[:, 1, None] + np.arange(width)
    cols = np.where(flips[:, None], cols[:, ::-1], cols)
    return padded[np.arange(count)[:, None, None], rows[:, :, None], cols[:, None, :]]


class TrainBatches(keras.utils.PyDataset):
    """Shuffled, augmented training batches; epoch e draws its order and crops from (seed, e).

    `shard=(index, count)` gives this process its slice of every global batch (multi-process
    data parallelism: the processes' slices, in process order, make up the global batch).
    `classes` one-hot encodes the labels (recipes with label smoothing).
    """

    def __init__(
        self,
        split: ArraySplit,
        *,
        batch_size: int,
        seed: int,
        augment: bool,
        flip: bool,
        pad: int,
        drop_remainder: bool = False,
        shard: tuple[int, int] = (0, 1),
        classes: int | None = None,
    ):
        super().__init__()
        if batch_size % shard[1]:
            raise InvalidInputError(f"batch size {batch_size} must be divisible by the {shard[1]} processes")
        self.split, self.batch_size, self.seed = split, batch_size, seed
        self.augment, self.flip, self.pad = augment, flip, pad
        self.drop_remainder, self.shard, self.classes = drop_remainder, shard, classes
        self.epoch = 0
        self._plan = self._epoch_plan(0)

    def __len__(self) -> int:
        whole, rest = divmod(len(self.split), self.batch_size)
        return whole + (1 if rest and not self.drop_remainder else 0)

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        order, offsets, flips = self._plan
        index_in_shard, shards = self.shard
        start = index * self.batch_size
        chosen = np.arange(start, min(start + self.batch_size, len(order)))
        local = len(chosen) // shards
        chosen = chosen[index_in_shard * local : (index_in_shard + 1) * local] if shards > 1 else chosen
        images = self.split.images[order[chosen]]
        if self.augment:
            images = augment_batch(images, offsets[chosen], flips[chosen], pad=self.pad)
        return images.astype(np.float32), _labels(self.split.labels[order[chosen]], self.classes)

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._plan = self._epoch_plan(self.epoch)

    def _epoch_plan(self, epoch: int):
        """The epoch's example order, crop offsets and flips, all from one generator."""
        rng = np.random.default_rng([self.seed, epoch])
        count = len(self.split)
        order = rng.permutation(count)
        offsets = rng.integers(0, 2 * self.pad + 1, size=(count, 2))
        flips = (rng.random(count) < 0.5) & self.flip
        return order, offsets, flips


class EvalBatches(keras.utils.PyDataset):
    """Validation/test batches in a fixed order, no augmentation.

    `multiple > 1` pads the split to a multiple of it with copies of its first image: elements
    become (image, label, weight), weight 0 for the padding (as `pipelines.eval_pipeline`).
    """

    def __init__(self, split: ArraySplit, *, batch_size: int, multiple: int = 1, classes: int | None = None):
        super().__init__()
        self.split, self.batch_size, self.multiple, self.classes = split, batch_size, multiple, classes
        self.padding = -len(split) % multiple if multiple > 1 else 0

    def __len__(self) -> int:
        return -(-(len(self.split) + self.padding) // self.batch_size)

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        count = len(self.split)
        positions = np.arange(
            index * self.batch_size, min((index + 1) * self.batch_size, count + self.padding)
        )
        real = positions < count
        chosen = np.where(real, positions, 0)
        batch = (
            self.split.images[chosen].astype(np.float32),
            _labels(self.split.labels[chosen], self.classes),
        )
        return (*batch, real.astype(np.float32)) if self.multiple > 1 else batch


def with_one_hot(dataset: BatchesT, classes: int) -> BatchesT:
    """A copy of a `TrainBatches` / `EvalBatches` whose labels are one-hot over `classes`."""
    import copy

    twin = copy.copy(dataset)
    twin.classes = classes
    return twin


def _labels(labels: np.ndarray, classes: int | None) -> np.ndarray:
    if classes is None:
        return labels.astype(np.int32)
    return np.eye(classes, dtype=np.float32)[labels]

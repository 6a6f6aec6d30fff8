"""Images/s of the training input pipeline alone, to check that the data never starves the model.

Times the very pipeline `keras-resnet train` feeds to `model.fit` (`data.load_datasets(...).train`:
shuffle, the paper's 4-pixel pad + random crop + flip, batch, prefetch), repeated and drained
through `as_numpy_iterator()` as the JAX and PyTorch backends consume it, with no model attached.
The issue's goal: at least 10x the ResNet-20 training images/s measured in the same run.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from keras_resnet.errors import InvalidInputError

PIPELINE: dict[str, dict[str, Any]] = {
    "full": {"dataset": "digits", "batch_size": 128, "batches": 100, "warmup_batches": 20, "repeats": 5},
    "quick": {
        "dataset": "synthetic:32x32x3:10",
        "batch_size": 8,
        "batches": 4,
        "warmup_batches": 2,
        "repeats": 2,
    },
}
GOAL_RATIO = 10.0


def pipeline_throughput(
    *,
    dataset: str,
    batch_size: int,
    batches: int,
    warmup_batches: int,
    repeats: int,
    flip: bool = True,
    seed: int = 0,
) -> dict:
    """Median images/s of `batches` training batches of `dataset`, over `repeats` timings."""
    from benchmarks.timing import summarise
    from keras_resnet.data.pipelines import load_datasets

    if min(batches, repeats) < 1 or warmup_batches < 0:
        raise InvalidInputError("batches and repeats must be >= 1 and warmup_batches >= 0")
    datasets = load_datasets(dataset, batch_size=batch_size, seed=seed, flip=flip, drop_remainder=True)
    iterator = datasets.train.repeat().as_numpy_iterator()
    start = time.perf_counter()
    for _ in itertools.islice(iterator, warmup_batches):  # fills the shuffle buffer
        pass
    warmup_seconds = time.perf_counter() - start
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        for images, _labels in itertools.islice(iterator, batches):  # noqa: B007 - the last shape is reported
            pass
        seconds.append(time.perf_counter() - start)
    return {
        "dataset": dataset,
        "batch_size": batch_size,
        "augment": "pad 4 + random crop + flip",
        "input": list(images.shape[1:]),
        "batches_per_repeat": batches,
        **summarise(seconds, images=batches * batch_size, warmup_seconds=warmup_seconds),
    }

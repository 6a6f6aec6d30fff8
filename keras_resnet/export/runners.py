"""One way to run a model on numpy images, whatever its format: Keras, SavedModel or LiteRT.

Each format says only how to run one batch (`run_batch`: float32 images in, float32 outputs out);
batching a whole set (`predict`) and timing one image (`latency_ms`) are written here once, so the
figures in an export report compare the formats on exactly the same terms: batch 1, the same
warm-up, the whole call from numpy images to numpy outputs.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import keras

__all__ = ["Runner", "KerasRunner"]


class Runner:
    """Base of the per-format runners: subclasses implement `run_batch`."""

    def run_batch(self, images: np.ndarray) -> np.ndarray:
        """Outputs (probabilities) for one batch of float32 images, as float32."""
        raise NotImplementedError

    def predict(self, images: np.ndarray, *, batch_size: int = 32) -> np.ndarray:
        """Outputs for all `images`, run `batch_size` at a time."""
        images = np.asarray(images, dtype=np.float32)
        return np.concatenate(
            [
                np.asarray(self.run_batch(images[i : i + batch_size]), dtype=np.float32)
                for i in range(0, len(images), batch_size)
            ]
        )

    def latency_ms(self, image: np.ndarray, *, repeats: int = 20, warmup: int = 3) -> float:
        """Mean milliseconds to run one image (batch 1), after `warmup` untimed runs.

        The warm-up runs absorb one-off costs (tracing, tensor allocation) that a served model pays
        once, not per request.
        """
        batch = np.asarray(image, dtype=np.float32)[np.newaxis]
        for _ in range(warmup):
            self.run_batch(batch)
        start = time.perf_counter()
        for _ in range(repeats):
            self.run_batch(batch)
        return (time.perf_counter() - start) / repeats * 1000.0


class KerasRunner(Runner):
    """A keras.Model run with `predict_on_batch` (no per-call callbacks or progress bar)."""

    def __init__(self, model: keras.Model) -> None:
        self.model = model

    def run_batch(self, images: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict_on_batch(images), dtype=np.float32)

"""Shared by the prediction tests: two tiny classifiers, one ending in softmax (probabilities) and
one in a linear layer (logits), each saved as `.keras` and exported once per session to a
SavedModel, a float32 `.tflite` and an int8 `.tflite` (float input and output, as the journey's
export writes it), plus the softmax model's int8 file with int8 input and output. The head's
weights are scaled up so the probabilities are peaked (an untrained net's are nearly uniform,
which would make any tolerance meaningless)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parents[1]
CLASSES = 10
SHAPE = (32, 32, 3)
NAMES = [f"class_{i}" for i in range(CLASSES)]


def tiny(classifier_activation):
    """The tests' tiny residual net with peaked outputs (seeded)."""
    import keras

    from tests.tiny_model import tiny_resnet

    keras.utils.set_random_seed(0)
    model = tiny_resnet(
        classes=CLASSES,
        input_shape=SHAPE,
        normalization=((127.5,) * 3, (64.0,) * 3),
        classifier_activation=classifier_activation,
    )
    head = model.get_layer("predictions")
    kernel, bias = head.get_weights()
    head.set_weights([kernel * 4.0, bias])
    return model


def calibration_images(count=200, seed=0):
    """Smooth random images (gradients plus noise), 0..255 float32, shaped like the model input."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, SHAPE[0], dtype=np.float32)
    base = rng.uniform(0, 255, (count, 1, 1, 3)) * ramp[None, :, None, None] * ramp[None, None, :, None]
    return np.clip(base + rng.normal(0, 30, (count, *SHAPE)), 0, 255).astype(np.float32)


@pytest.fixture(scope="session")
def exports(tmp_path_factory):
    """{"softmax": folder, "logits": folder, "int8_io": folder, "<kind>_keras": .keras, "models": {...}}."""
    pytest.importorskip("tensorflow")
    import keras_resnet as kr

    root = tmp_path_factory.mktemp("outputs")
    images = calibration_images()
    found = {"models": {}}
    for kind, activation in (("softmax", "softmax"), ("logits", None)):
        model = tiny(activation)
        found["models"][kind] = model
        kr.export_model(
            model,
            root / kind,
            quantize=("float32", "int8"),
            representative_data=images,
            latency_repeats=1,
            verbose=False,
            labels=NAMES,
        )
        found[kind] = root / kind
        found[f"{kind}_keras"] = kr.save_model(model, root / f"{kind}.keras", class_names=NAMES)
    kr.export_model(
        found["models"]["softmax"],
        root / "int8_io",
        formats=("tflite",),
        quantize=("int8",),
        int8_io=True,
        representative_data=images,
        latency_repeats=1,
        verbose=False,
        labels=NAMES,
    )
    found["int8_io"] = root / "int8_io"
    return found

"""Shared by the export tests: a tiny classifier shaped like the real networks, images, an
independent LiteRT runner, and the trained ResNet-20 / random ResNet-50 exports (built once per
session; the parity tests then check those files independently of the library's own runners).

ResNet-20 is trained on scikit-learn's digits (8x8 grey -> 32x32x3, 0..255) and exported in every
quantisation. Plumbing tests use `tiny_classifier`, with the same layer names as the real networks
(normalization -> ... -> predictions -> predictions_activation), so they stay fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.export.api import export_model

ROOT = Path(__file__).resolve().parents[2]
ALL_QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")


def tiny_classifier(
    *, input_shape=(32, 32, 3), classes=10, normalization=((127.0,) * 3, (64.0,) * 3), name="tiny"
):
    """Input -> normalization -> conv -> BN -> ReLU -> pool -> predictions -> activation, as ResNets."""
    inputs = keras.Input(input_shape)
    mean, std = normalization
    x = keras.layers.Normalization(mean=list(mean), variance=[s * s for s in std], name="normalization")(
        inputs
    )
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(classes, name="predictions")(x)
    outputs = keras.layers.Activation("softmax", dtype="float32", name="predictions_activation")(x)
    return keras.Model(inputs, outputs, name=name)


def random_images(count, shape=(32, 32, 3), seed=0):
    return np.random.default_rng(seed).uniform(0, 255, size=(count, *shape)).astype(np.float32)


def run_tflite(path, images):
    """Run a .tflite file with the LiteRT interpreter directly (independent of the library's runner)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    interpreter.resize_tensor_input(inp["index"], list(images.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], images.astype(inp["dtype"]))
    interpreter.invoke()
    return interpreter.get_tensor(out["index"])


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


EXPORTS = ["resnet20_export", pytest.param("resnet50_export", marks=pytest.mark.slow)]
"""The exports the parity claims are checked on (fixture names below)."""


def row(report, file):
    return next(r for r in report["files"] if r["file"] == file)


def make_run_folder(folder: Path, dataset: str, *, checkpoints=("best",)) -> Path:
    """A training run folder as `keras-resnet train` leaves it, as far as export reads it."""
    (folder / "checkpoints").mkdir(parents=True)
    keras.utils.set_random_seed(0)  # the same weights whichever tests ran before in this process
    for which in checkpoints:
        tiny_classifier(name=f"run_{which}").save(folder / "checkpoints" / f"{which}.keras")
    (folder / "config.json").write_text(
        json.dumps(
            {
                "train_config": {
                    "dataset": dataset,
                    "data_dir": None,
                    "image_size": None,
                    "validation_fraction": 0.1,
                }
            }
        )
    )
    return folder


# ---------------------------------------------------------------- trained ResNet-20 on digits


@pytest.fixture(scope="session")
def digits():
    """Digits as 32x32x3 raw pixels (0..255), stratified 80/20 train/test split."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = np.repeat(np.repeat(data.images, 4, axis=1), 4, axis=2)[..., None].repeat(3, axis=-1)
    images = (images * (255.0 / 16.0)).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        images, data.target, test_size=0.2, stratify=data.target, random_state=0
    )
    return x_train, y_train, x_test, y_test


@pytest.fixture(scope="session")
def trained_resnet20(digits):
    x_train, y_train, x_test, y_test = digits
    keras.utils.set_random_seed(0)
    mean, std = x_train.mean(axis=(0, 1, 2)), x_train.std(axis=(0, 1, 2))
    model = kr.resnet20(classes=10, input_shape=(32, 32, 3), normalization=(mean.tolist(), std.tolist()))
    epochs, batch_size = 2, 64  # reaches ~99 % test accuracy with the cosine schedule
    steps = epochs * -(-len(x_train) // batch_size)
    model.compile(
        keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(3e-3, steps)),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0)
    return model


@pytest.fixture(scope="session")
def resnet20_export(trained_resnet20, digits, tmp_path_factory):
    x_train, _, x_test, y_test = digits
    out = tmp_path_factory.mktemp("resnet20") / "export"
    report = export_model(
        trained_resnet20,
        out,
        quantize=ALL_QUANTIZATIONS,
        representative_data=x_train[:200],
        validation_data=(x_test, y_test),
        latency_repeats=5,
        verbose=False,
    )
    return {"model": trained_resnet20, "out": out, "report": report, "images": x_test[:64]}


@pytest.fixture(scope="session")
def resnet50_export(tmp_path_factory):
    """A ResNet-50 at 64x64 with random weights (parity needs no training; the small input keeps CI
    fast). Its BatchNorm statistics are set from the images first (with momentum 0, one training-mode
    call makes them the batch statistics), so activations and logits have a trained network's
    scale instead of growing stage after stage."""
    keras.utils.set_random_seed(1)
    model = kr.resnet50(
        classes=10,
        input_shape=(64, 64, 3),
        bn_momentum=0.0,
        normalization=((123.7, 116.3, 103.5), (58.4, 57.1, 57.4)),
    )
    images = random_images(8, (64, 64, 3), seed=1)
    model(images, training=True)
    out = tmp_path_factory.mktemp("resnet50") / "export"
    report = export_model(
        model, out, quantize=("float32", "float16"), validation_data=images, latency_repeats=2, verbose=False
    )
    return {"model": model, "out": out, "report": report, "images": images}

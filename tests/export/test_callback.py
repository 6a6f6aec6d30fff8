"""`ExportCallback` claims: it exports at the end of training or at the best epoch, and refuses bad
options and an existing folder before any training time is spent."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras_resnet.export.callback import ExportCallback
from tests.export.conftest import random_images, tiny_classifier


@pytest.mark.slow
def test_export_callback_exports_when_training_ends(tmp_path):
    model = tiny_classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = random_images(16), np.arange(16) % 10
    callback = ExportCallback(tmp_path / "out", formats=("tflite",), verbose=False)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    assert (tmp_path / "out" / "model_float32.tflite").is_file()
    assert callback.report["files"][0]["max_abs_diff"] <= 1e-4


@pytest.mark.slow
def test_export_callback_exports_best_epoch_and_refuses_existing_folder_before_training(tmp_path):
    model = tiny_classifier()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = random_images(16), np.arange(16) % 10
    callback = ExportCallback(tmp_path / "out", formats="tflite", when="best", monitor="loss", verbose=False)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[callback])
    assert callback.best == min(history.history["loss"])
    assert json.loads((tmp_path / "out" / "export_report.json").read_text())["model"] == "tiny"
    again = ExportCallback(tmp_path / "out", formats="tflite", verbose=False)
    with pytest.raises(ValueError, match="already exists; pass overwrite=True"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[again])


def test_export_callback_rejects_unknown_when_and_monitor(tmp_path):
    with pytest.raises(ValueError, match="when must be one of 'train_end', 'best'; got 'sometimes'"):
        ExportCallback(tmp_path / "out", when="sometimes")
    model = tiny_classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    callback = ExportCallback(tmp_path / "out", when="best", monitor="val_accuracy", verbose=False)
    with pytest.raises(ValueError, match="monitor='val_accuracy' is not in the epoch logs"):
        model.fit(random_images(4), np.arange(4), epochs=1, verbose=0, callbacks=[callback])
    assert not (tmp_path / "out").exists()

"""`ExportCallback` claims: it exports at the end of training or at the best epoch, and refuses bad
options and an existing folder before any training time is spent."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from keras_resnet.export.callback import ExportCallback
from tests.export.conftest import random_images, run_tflite, tiny_classifier


@pytest.mark.slow
def test_export_callback_exports_when_training_ends(tmp_path):
    model = tiny_classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = random_images(16), np.arange(16) % 10
    callback = ExportCallback(tmp_path / "out", formats=("tflite",), verbose=False)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    assert (tmp_path / "out" / "model_float32.tflite").is_file()
    assert callback.report["files"][0]["max_abs_diff"] <= 1e-4


class _ScriptedScore(keras.callbacks.Callback):
    """Puts a scripted `score` into each epoch's logs (before the export callback reads them) and
    keeps the model's outputs on `x` at every epoch end, so a test knows what each epoch was."""

    def __init__(self, scores, x):
        super().__init__()
        self.scores, self.x, self.outputs = scores, x, []

    def on_epoch_end(self, epoch, logs=None):
        logs["score"] = self.scores[epoch]
        self.outputs.append(np.asarray(self.model.predict_on_batch(self.x)))


@pytest.mark.slow
def test_export_callback_when_best_exports_the_weights_of_the_best_epoch_not_the_last(tmp_path):
    model = tiny_classifier()
    model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy")
    x, y = random_images(16), np.arange(16) % 10
    scripted = _ScriptedScore([0.5, 0.9, 0.7], x)  # the second of three epochs is the best
    callback = ExportCallback(
        tmp_path / "out", formats="tflite", when="best", monitor="score", mode="max", verbose=False
    )
    model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[scripted, callback])
    assert callback.best == 0.9
    exported = run_tflite(tmp_path / "out" / "model_float32.tflite", x)
    best, last = scripted.outputs[1], scripted.outputs[2]
    assert np.max(np.abs(last - best)) > 1e-3  # the last epoch changed the model...
    assert np.max(np.abs(exported - best)) <= 1e-4  # ...but the export holds the best epoch's
    assert json.loads((tmp_path / "out" / "export_report.json").read_text())["model"] == "tiny"


def test_export_callback_refuses_an_existing_folder_before_any_training(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "model_float32.tflite").write_text("an earlier export")
    model = tiny_classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    again = ExportCallback(tmp_path / "out", formats="tflite", verbose=False)
    with pytest.raises(ValueError, match="already exists; pass overwrite=True"):
        model.fit(random_images(16), np.arange(16) % 10, epochs=1, verbose=0, callbacks=[again])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # no step taken
    assert (tmp_path / "out" / "model_float32.tflite").read_text() == "an earlier export"


def test_export_callback_rejects_unknown_when_and_monitor(tmp_path):
    with pytest.raises(ValueError, match="when must be one of 'train_end', 'best'; got 'sometimes'"):
        ExportCallback(tmp_path / "out", when="sometimes")
    model = tiny_classifier()
    model.compile("adam", "sparse_categorical_crossentropy")
    callback = ExportCallback(tmp_path / "out", when="best", monitor="val_accuracy", verbose=False)
    with pytest.raises(ValueError, match="monitor='val_accuracy' is not in the epoch logs"):
        model.fit(random_images(4), np.arange(4), epochs=1, verbose=0, callbacks=[callback])
    assert not (tmp_path / "out").exists()

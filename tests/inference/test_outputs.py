"""Probabilities are right in every format: a model that outputs probabilities and one that outputs
logits, each exported to a SavedModel, a float32 and an int8 `.tflite`, give Keras' probabilities
(float32 to 1e-5, int8 to 0.02) summing to 1, because the export records what each file outputs and
the predictor reads the record instead of guessing from the numbers. A file without a record is
refused in one line unless the caller states the fact."""

import json
import shutil

import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.cli import main
from keras_resnet.errors import InvalidInputError
from keras_resnet.inference.images import read_images
from tests.inference.conftest import NAMES, SHAPE, calibration_images, tiny

pytestmark = pytest.mark.slow

FLOAT_FILES = ["saved_model", "model_float32.tflite", "keras"]


def keras_probabilities(model, pixels):
    outputs = np.asarray(model.predict(pixels, verbose=0), dtype=np.float64)
    if model.get_layer("predictions_activation").get_config()["activation"] == "linear":
        outputs = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
        outputs /= outputs.sum(axis=-1, keepdims=True)
    return outputs


def source(exports, kind, file):
    return exports[f"{kind}_keras"] if file == "keras" else exports[kind] / file


@pytest.fixture(scope="module")
def pixels():
    """Held-out images (not the calibration ones), through the predictor's own image path."""
    _, batch = read_images(calibration_images(count=24, seed=7).astype(np.uint8), SHAPE[:2])
    return batch


@pytest.mark.parametrize("kind", ["softmax", "logits"])
@pytest.mark.parametrize("file", FLOAT_FILES)
def test_float32_formats_give_keras_probabilities_within_1e5(exports, pixels, kind, file):
    predictor = kr.load(source(exports, kind, file))
    got = predictor.probabilities(pixels)
    want = keras_probabilities(exports["models"][kind], pixels)
    assert predictor.outputs == ("probabilities" if kind == "softmax" else "logits")
    assert np.max(np.abs(got - want)) <= 1e-5
    assert np.allclose(got.sum(axis=-1), 1.0, atol=1e-5)
    assert want.max() > 0.75 and want.max(axis=-1).min() < 0.7  # peaked and spread: a real check


@pytest.mark.parametrize("folder", ["softmax", "logits", "int8_io"])
def test_int8_tflite_probabilities_within_002_of_keras_and_sum_to_1(exports, pixels, folder):
    kind = "logits" if folder == "logits" else "softmax"
    got = kr.load(exports[folder] / "model_int8.tflite").probabilities(pixels)
    want = keras_probabilities(exports["models"][kind], pixels)
    assert np.max(np.abs(got - want)) <= 0.02
    assert np.allclose(got.sum(axis=-1), 1.0, atol=0.02)  # a softmax's int8 steps: sums like 0.996
    assert np.mean(got.argmax(axis=-1) == want.argmax(axis=-1)) >= 0.9


def test_the_export_records_what_each_file_outputs_and_the_int8_output_scale(exports):
    from ai_edge_litert.interpreter import Interpreter

    facts = {"softmax": ("probabilities", "softmax", "pixels"), "logits": ("logits", "linear", "pixels")}
    for kind, fact in facts.items():
        files = json.loads((exports[kind] / "outputs.json").read_text())["files"]
        assert sorted(files) == ["model_float32.tflite", "model_int8.tflite", "saved_model"]
        for record in files.values():
            assert (record["outputs"], record["activation"], record["input"]) == fact
        assert files["model_int8.tflite"]["dtype"] == "float32"  # float output: dequantized in the file
    record = json.loads((exports["int8_io"] / "outputs.json").read_text())["files"]["model_int8.tflite"]
    details = Interpreter(model_path=str(exports["int8_io"] / "model_int8.tflite")).get_output_details()[0]
    assert record["dtype"] == "int8"
    assert (record["scale"], record["zero_point"]) == tuple(details["quantization"])


def test_the_saved_model_of_a_logits_model_never_calls_its_logits_probabilities(exports, pixels):
    import tensorflow as tf

    loaded = tf.saved_model.load(str(exports["logits"] / "saved_model"))
    served = loaded.serve(tf.constant(pixels))
    assert sorted(served) == ["logits"]
    top = loaded.classify(tf.constant(pixels))["top_k_probabilities"].numpy()
    want = np.sort(keras_probabilities(exports["models"]["logits"], pixels), axis=-1)[:, ::-1][:, :5]
    assert np.max(np.abs(top - want)) <= 1e-5


@pytest.fixture
def recordless(exports, tmp_path):
    """The logits model's int8 file and labels copied without outputs.json, as an older export."""
    for name in ("model_int8.tflite", "labels.txt"):
        shutil.copy(exports["logits"] / name, tmp_path / name)
    return tmp_path / "model_int8.tflite"


def test_an_export_without_its_record_is_refused_in_one_line(recordless, tmp_path, capsys):
    image = tmp_path / "image.npy"  # any path: the model is refused before images are read
    assert main(["predict", str(recordless), str(image)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "no record of whether it outputs probabilities or logits" in err
    assert "--outputs probabilities|logits" in err
    with pytest.raises(InvalidInputError, match="export the model again"):
        kr.load(recordless)


def test_the_caller_states_what_a_recordless_export_outputs(exports, recordless, pixels):
    stated = kr.load(recordless, outputs="logits").probabilities(pixels)
    recorded = kr.load(exports["logits"] / "model_int8.tflite").probabilities(pixels)
    assert np.array_equal(stated, recorded)
    with pytest.raises(InvalidInputError, match="contradicts"):
        kr.load(exports["logits"] / "model_int8.tflite", outputs="probabilities")


def test_a_keras_model_says_what_it_outputs_and_any_other_activation_must_be_stated(tmp_path):
    path = tmp_path / "sigmoid.keras"
    kr.save_model(tiny("sigmoid"), path, class_names=NAMES)
    with pytest.raises(InvalidInputError, match="'sigmoid' activation"):
        kr.load(path)
    assert kr.load(path, outputs="probabilities").outputs == "probabilities"

"""ONNX export: through Keras' exporter, checked by ONNX Runtime in the same parity report as
SavedModel and LiteRT, raw pixels in; and without the optional extra, a one-line error naming it.

The parity tests need the extra (`pip install "keras-paper-resnets[onnx]"`) and skip without it;
the missing-extra tests simulate the missing packages, so they run everywhere."""

from __future__ import annotations

import importlib.util
import json

import keras
import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.export.api import export_model
from keras_resnet.export.onnx import EXTRA, OnnxRunner
from tests.conftest import load_example_script
from tests.export.conftest import ROOT, listing, random_images, row, tiny_classifier

HAS_ONNX = all(importlib.util.find_spec(tool) for tool in ("onnx", "onnxruntime", "tf2onnx"))
needs_onnx = pytest.mark.skipif(not HAS_ONNX, reason='the ONNX extra is not installed: pip install ".[onnx]"')


@pytest.fixture
def without(monkeypatch):
    """Make the named packages look uninstalled, as in an environment without the extra."""

    def hide(*names):
        find_spec = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util, "find_spec", lambda name, *a: None if name in names else find_spec(name, *a)
        )

    return hide


def test_onnx_export_without_the_extra_names_it_in_one_line_before_any_work(tmp_path, without):
    without("onnx", "onnxruntime", "tf2onnx")
    with pytest.raises(
        kr.InvalidInputError, match="ONNX export needs onnx, onnxruntime, tf2onnx, which are"
    ) as err:
        export_model(tiny_classifier(), tmp_path / "out", formats="saved_model,onnx", verbose=False)
    assert str(err.value).endswith(EXTRA) and "\n" not in str(err.value)
    assert listing(tmp_path) == []


def test_cli_export_to_onnx_without_the_extra_exits_2_with_the_extra_named(tmp_path, without, capsys):
    from keras_resnet.cli import main

    tiny_classifier(name="cli_model").save(tmp_path / "model.keras")
    without("onnxruntime")
    code = main(
        ["export", str(tmp_path / "model.keras"), "--out", str(tmp_path / "out"), "--formats", "onnx"]
    )
    assert code == 2
    assert 'pip install "keras-paper-resnets[onnx]"' in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_running_an_onnx_file_without_onnxruntime_names_the_extra(tmp_path, without):
    without("onnxruntime")
    with pytest.raises(kr.InvalidInputError, match=r"needs onnxruntime, which is not installed: pip install"):
        OnnxRunner(tmp_path / "model.onnx")


def test_onnx_is_not_among_the_default_formats():
    import inspect

    assert "onnx" not in inspect.signature(export_model).parameters["formats"].default


@needs_onnx
def test_unreadable_onnx_file_is_a_corrupt_file_error(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"not an onnx model")
    with pytest.raises(kr.CorruptFileError, match="not a readable ONNX model"):
        OnnxRunner(tmp_path / "model.onnx")


@pytest.fixture(scope="module")
def resnet20_onnx(tmp_path_factory):
    """A ResNet-20 with its own normalization and a logits head, exported to ONNX only."""
    keras.utils.set_random_seed(0)
    model = kr.resnet20(normalization=([125.3, 123.0, 113.9], [63.0, 62.1, 66.7]), classifier_activation=None)
    images = random_images(32)
    out = tmp_path_factory.mktemp("onnx") / "export"
    labels = [f"class {i}" for i in range(10)]
    report = export_model(
        model, out, formats="onnx", validation_data=images, latency_repeats=3, verbose=False, labels=labels
    )
    return model, images, out, report


@needs_onnx
@pytest.mark.slow
def test_resnet20_onnx_logits_within_1e_4_of_keras_in_onnx_runtime(resnet20_onnx):
    import onnxruntime

    model, images, out, report = resnet20_onnx
    session = onnxruntime.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    (only_input,) = session.get_inputs()  # raw pixels alone: the normalization constants are inside
    onnx_logits = session.run(None, {only_input.name: images})[0]
    keras_logits = model.predict(images, verbose=0)
    tolerance = 1e-4 * max(1.0, float(np.abs(keras_logits).max()))
    assert np.abs(onnx_logits - keras_logits).max() <= tolerance
    entry = row(report, "model.onnx")
    assert entry["format"] == "onnx" and entry["max_abs_diff"] <= tolerance
    assert entry["top1_agreement"] == 1.0 and entry["latency_ms"] > 0 and entry["size_bytes"] > 1e6


@needs_onnx
@pytest.mark.slow
def test_onnx_export_writes_labels_and_its_row_into_the_report(resnet20_onnx):
    _, _, out, report = resnet20_onnx
    assert (out / "labels.txt").read_text().splitlines()[0] == "class 0"
    saved = json.loads((out / "export_report.json").read_text())
    assert (
        [entry["file"] for entry in saved["files"]] == ["model.onnx"] == [e["file"] for e in report["files"]]
    )
    assert saved["files"][0]["opset"] >= 13


@needs_onnx
@pytest.mark.slow
def test_onnx_without_preprocessing_takes_normalised_images(tmp_path):
    model = tiny_classifier()
    images = random_images(8)
    export_model(model, tmp_path / "out", formats="onnx", include_preprocessing=False, verbose=False)
    normalised = keras.ops.convert_to_numpy(model.get_layer("normalization")(images))
    outputs = OnnxRunner(tmp_path / "out" / "model.onnx").predict(normalised)
    np.testing.assert_allclose(outputs, model.predict(images, verbose=0), atol=1e-5)


@needs_onnx
@pytest.mark.slow
def test_onnx_parity_script_runs_in_quick_mode(capsys):
    module = load_example_script("onnx_parity")
    assert module.main(["--quick"]) == 0
    assert "model.onnx" in capsys.readouterr().out


@needs_onnx
@pytest.mark.slow
def test_kr_load_of_the_onnx_file_predicts_keras_probabilities_with_its_labels(resnet20_onnx):
    model, images, out, _ = resnet20_onnx
    record = json.loads((out / "outputs.json").read_text())["files"]["model.onnx"]
    assert record["outputs"] == "logits" and record["input"] == "pixels"
    predictor = kr.load(out / "model.onnx")
    expected = keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(images, verbose=0)))
    np.testing.assert_allclose(predictor.probabilities(images), expected, atol=1e-5)
    top = predictor.predict(images[0], top=1)[0]["top"][0]
    assert top["label"] == f"class {int(expected[0].argmax())}"


@needs_onnx
@pytest.mark.slow
def test_predict_on_an_onnx_file_imports_neither_tensorflow_nor_keras(resnet20_onnx):
    import subprocess
    import sys

    _, _, out, _ = resnet20_onnx
    code = (
        "import sys, numpy as np, keras_resnet as kr\n"
        f"kr.load({str(out / 'model.onnx')!r}).predict(np.zeros((32, 32, 3), 'uint8'))\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.stdout.split() == ["False", "False"], done.stderr[-2000:]

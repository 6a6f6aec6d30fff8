"""`export_model` claims: the report and its table, the options (mixed precision, preprocessing,
int8 I/O), atomic writing, and bad input refused with a clear message that leaves nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_resnet as kr
from keras_resnet.errors import ForeignPathError
from keras_resnet.export.api import export_model
from tests.export.conftest import ALL_QUANTIZATIONS, listing, random_images, row, run_tflite, tiny_classifier


@pytest.mark.slow
def test_report_json_holds_the_returned_report_and_a_row_per_file(resnet20_export):
    written = json.loads((resnet20_export["out"] / "export_report.json").read_text())
    assert written == json.loads(json.dumps(resnet20_export["report"]))
    files = [entry["file"] for entry in written["files"]]
    assert files == ["saved_model"] + [f"model_{q}.tflite" for q in ALL_QUANTIZATIONS]
    for entry in written["files"]:
        assert entry["size_bytes"] > 0 and entry["latency_ms"] > 0 and entry["accuracy"] is not None
    assert written["verification"] == {
        **written["verification"],
        "source": "validation_data",
        "labels": True,
        "images": 360,
    }


def test_printed_table_lists_every_file_with_size_diff_agreement_accuracy_latency(tmp_path, capsys):
    export_model(tiny_classifier(), tmp_path / "out", latency_repeats=2)
    table = capsys.readouterr().out
    assert "max |diff|" in table and "top-1 agree" in table and "ms/image" in table
    for name in ("keras (tiny)", "saved_model", "model_float32.tflite"):
        assert name in table


# ---------------------------------------------------------------- options


def test_mixed_precision_model_exports_from_float32_weights(tmp_path):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(2)
        model = kr.resnet20(classes=10, input_shape=(32, 32, 3), normalization=((127.0,) * 3, (64.0,) * 3))
    finally:
        keras.config.set_dtype_policy("float32")
    assert model.get_layer("predictions").compute_dtype == "float16"
    images = random_images(4)
    report = export_model(
        model, tmp_path / "out", formats="tflite", validation_data=images, latency_repeats=1, verbose=False
    )
    assert report["rebuilt_in_float32"] is True
    assert row(report, "model_float32.tflite")["max_abs_diff"] <= 1e-4
    assert "CAST" not in row(report, "model_float32.tflite")["ops"]
    # The float32 rebuild computes what the mixed model approximates.
    tflite = run_tflite(tmp_path / "out" / "model_float32.tflite", images)
    assert np.max(np.abs(tflite - model.predict(images, verbose=0))) <= 1e-2


def test_excluding_preprocessing_exports_a_model_that_takes_normalised_images(tmp_path):
    model = tiny_classifier()
    images = random_images(8)
    report = export_model(
        model,
        tmp_path / "out",
        include_preprocessing=False,
        validation_data=images,
        latency_repeats=2,
        verbose=False,
    )
    normalised = keras.ops.convert_to_numpy(model.get_layer("normalization")(images))
    expected = model.predict(images, verbose=0)
    from_tflite = run_tflite(tmp_path / "out" / "model_float32.tflite", normalised)
    assert np.max(np.abs(from_tflite - expected)) <= 1e-5
    loaded = tf.saved_model.load(str(tmp_path / "out" / "saved_model"))
    served = loaded.serve(tf.constant(normalised))
    assert np.max(np.abs(served["probabilities"].numpy() - expected)) <= 1e-5
    assert row(report, "saved_model")["signatures"] == ["serve"]
    assert report["input"]["preprocessing"].startswith("excluded")


def test_int8_io_file_takes_and_returns_int8_tensors(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    report = export_model(
        tiny_classifier(),
        tmp_path / "out",
        formats="tflite",
        quantize="int8",
        representative_data=random_images(32),
        int8_io=True,
        latency_repeats=2,
        verbose=False,
    )
    interpreter = Interpreter(model_path=str(tmp_path / "out" / "model_int8.tflite"))
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert interpreter.get_output_details()[0]["dtype"] == np.int8
    assert row(report, "model_int8.tflite")["max_abs_diff"] <= 0.05


# ---------------------------------------------------------------- atomic writing


def test_interrupted_export_leaves_no_partial_output(tmp_path, monkeypatch):
    import keras_resnet.export.api as export_module

    def fail(*args, **kwargs):
        raise KeyboardInterrupt("interrupted during TFLite conversion")

    monkeypatch.setattr(export_module, "export_tflite", fail)
    with pytest.raises(KeyboardInterrupt):
        export_model(tiny_classifier(), tmp_path / "out", verbose=False)
    assert listing(tmp_path) == []


def test_failed_overwrite_keeps_the_previous_export(tmp_path, monkeypatch):
    import keras_resnet.export.api as export_module

    export_model(tiny_classifier(), tmp_path / "out", formats="tflite", latency_repeats=2, verbose=False)
    before = {name: (tmp_path / "out" / name).read_bytes() for name in listing(tmp_path / "out")}
    monkeypatch.setattr(
        export_module, "export_tflite", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x"))
    )
    with pytest.raises(RuntimeError):
        export_model(tiny_classifier(name="other"), tmp_path / "out", overwrite=True, verbose=False)
    assert {name: (tmp_path / "out" / name).read_bytes() for name in listing(tmp_path / "out")} == before
    assert listing(tmp_path) == ["out"] + [f"out/{name}" for name in sorted(before)]


def test_overwrite_replaces_an_existing_export(tmp_path):
    export_model(tiny_classifier(), tmp_path / "out", formats="saved_model", latency_repeats=2, verbose=False)
    export_model(
        tiny_classifier(name="second"),
        tmp_path / "out",
        formats="tflite",
        overwrite=True,
        latency_repeats=2,
        verbose=False,
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".keras-resnet.json",  # the marker: an export the tool may replace
        "export_report.json",
        "model_float32.tflite",
        "outputs.json",
    ]
    assert json.loads((tmp_path / "out" / "export_report.json").read_text())["model"] == "second"
    assert listing(tmp_path) == [
        "out",
        "out/.keras-resnet.json",
        "out/export_report.json",
        "out/model_float32.tflite",
        "out/outputs.json",
    ]


def test_default_location_is_saved_models_slash_model_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = export_model(
        tiny_classifier(name="tiny_default"), formats="tflite", latency_repeats=2, verbose=False
    )
    assert Path(report["out_dir"]) == tmp_path / "saved_models" / "tiny_default"
    assert (tmp_path / "saved_models" / "tiny_default" / "model_float32.tflite").is_file()


@pytest.mark.parametrize(
    "options, message",
    [
        (
            {"formats": ("saved_model", "coreml")},
            "formats must be one of 'saved_model', 'tflite', 'onnx'; got 'coreml'",
        ),
        (
            {"quantize": ("float32", "int4")},
            "quantize must be one of 'float32', 'float16', 'dynamic', 'int8'; got 'int4'",
        ),
        ({"quantize": ("int8",)}, "quantize='int8' needs representative_data"),
        ({"formats": "saved_model", "quantize": "float16"}, "applies to TFLite files only"),
        ({"quantize": "int8", "representative_data": np.zeros((4, 8, 8))}, r"shaped \(N, 32, 32, 3\)"),
        ({"validation_data": (random_images(4), np.arange(3))}, "4 images but 3 labels"),
    ],
    ids=[
        "unknown_format",
        "unknown_quantization",
        "int8_without_data",
        "quantize_without_tflite",
        "representative_data_wrong_shape",
        "labels_do_not_match",
    ],
)
def test_bad_export_options_are_refused_with_the_valid_choices(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        export_model(tiny_classifier(), tmp_path / "out", verbose=False, **options)
    assert listing(tmp_path) == []


def test_existing_out_dir_the_tool_did_not_write_is_never_overwritten(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("keep me")
    with pytest.raises(ForeignPathError, match="left untouched"):
        export_model(tiny_classifier(), tmp_path / "out", verbose=False, overwrite=True)
    assert listing(tmp_path) == ["out", "out/keep.txt"]


def test_object_that_is_not_a_keras_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="model must be a keras.Model, a .keras file or a run folder"):
        export_model({"not": "a model"}, tmp_path / "out", verbose=False)
    assert listing(tmp_path) == []

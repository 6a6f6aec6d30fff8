"""`export_run` claims: a finished run is exported from its best (else last) checkpoint into its own
`export/` folder, on its own dataset, replacing its previous export; a backend without TFLite gets
the SavedModel and a note (and its class names as labels.txt, with no `classify` signature)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from keras_resnet.errors import MissingFileError
from keras_resnet.export.runs import export_run
from tests.export.conftest import ROOT, make_run_folder, row


def test_export_run_writes_the_best_checkpoint_into_the_runs_export_folder_checked_on_its_dataset(tmp_path):
    run = make_run_folder(tmp_path / "run", "digits", checkpoints=("best", "last"))
    report = export_run(run, verbose=False)
    assert report["source"] == str(run / "checkpoints" / "best.keras") and report["model"] == "run_best"
    assert report["out_dir"] == str((run / "export").resolve())
    assert [entry["file"] for entry in report["files"]] == [
        "saved_model",
        "model_float32.tflite",
        "model_int8.tflite",
    ]
    # int8 calibrated and every file checked on digits itself: its 360 labelled test images.
    assert report["verification"] == {
        **report["verification"],
        "source": "validation_data",
        "images": 360,
        "labels": True,
    }
    assert row(report, "model_int8.tflite")["top1_agreement"] >= 0.9
    assert json.loads((run / "export" / "export_report.json").read_text())["source"] == report["source"]


def test_export_run_takes_the_last_checkpoint_without_a_best_and_replaces_the_previous_export(tmp_path):
    run = make_run_folder(tmp_path / "run", "digits", checkpoints=("last",))
    (run / "export").mkdir()
    (run / "export" / "model_float16.tflite").write_text("from an earlier export")
    report = export_run(run, quantize="float32", verbose=False)
    assert report["source"] == str(run / "checkpoints" / "last.keras")
    assert sorted(p.name for p in (run / "export").iterdir()) == [
        ".keras-resnet.json",
        "export_report.json",
        "model_float32.tflite",
        "outputs.json",
        "saved_model",
    ]


def test_export_run_refuses_a_folder_that_holds_no_run(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(MissingFileError, match="not a run folder"):
        export_run(tmp_path / "plain", verbose=False)
    with pytest.raises(ValueError, match="quantize must be one of"):
        export_run(tmp_path / "plain", quantize="int4", verbose=False)
    assert list((tmp_path / "plain").iterdir()) == []


JAX_SCRIPT = """
import sys
from keras_resnet.export.runs import export_run
report = export_run(sys.argv[1], verbose=False)
print("FILES", [entry["file"] for entry in report["files"]], flush=True)
print("SIGNATURES", report["files"][0]["signatures"], flush=True)
"""


@pytest.mark.slow
def test_export_run_on_jax_writes_the_saved_model_only_with_a_note(tmp_path):
    run = make_run_folder(tmp_path / "run", "digits")
    config = json.loads((run / "config.json").read_text())
    names = [f"digit {i}" for i in range(10)]
    (run / "config.json").write_text(json.dumps({**config, "dataset": {"class_names": names}}))
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT, str(run)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "FILES ['saved_model']" in result.stdout
    assert "note: no TFLite export on this backend (SavedModel only)" in result.stdout
    assert "KERAS_BACKEND=tensorflow keras-resnet export" in result.stdout
    # the `classify` signature needs TensorFlow ops: on JAX the names travel in labels.txt only
    assert "SIGNATURES ['serve', 'serve_uint8']" in result.stdout
    assert (run / "export" / "labels.txt").read_text().splitlines() == names

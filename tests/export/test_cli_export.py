"""`keras-resnet export` claims: run folders and `.keras` files, images from a dataset or `.npz`
files, one-line errors, and the JAX backend (SavedModel only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.export.conftest import ROOT, make_run_folder, random_images, row, tiny_classifier

# ---------------------------------------------------------------- command line


def test_cli_exports_a_run_folder_with_int8_from_representative_npz(tmp_path, capsys):
    from keras_resnet.cli import main

    (tmp_path / "run").mkdir()
    tiny_classifier(name="cli_model").save(tmp_path / "run" / "best.keras")
    np.savez(tmp_path / "calibration.npz", x=random_images(16))
    code = main(
        [
            "export",
            str(tmp_path / "run"),
            "--out",
            str(tmp_path / "out"),
            "--formats",
            "tflite",
            "--quantize",
            "float32,int8",
            "--representative-npz",
            str(tmp_path / "calibration.npz"),
        ]
    )
    assert code == 0
    assert "model_int8.tflite" in capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "export_report.json").read_text())
    assert [entry["file"] for entry in report["files"]] == ["model_float32.tflite", "model_int8.tflite"]


def test_cli_exports_a_run_folder_with_int8_from_the_runs_own_dataset_without_any_npz(tmp_path):
    from keras_resnet.cli import main

    run = make_run_folder(tmp_path / "run", "digits")
    code = main(
        [
            "export",
            str(run),
            "--out",
            str(tmp_path / "out"),
            "--formats",
            "tflite",
            "--quantize",
            "float32,int8",
        ]
    )
    assert code == 0
    report = json.loads((tmp_path / "out" / "export_report.json").read_text())
    assert report["source"] == str(run / "checkpoints" / "best.keras")
    assert [entry["file"] for entry in report["files"]] == ["model_float32.tflite", "model_int8.tflite"]
    # Checked on digits' 360 test images with their labels, so accuracy is reported.
    assert report["verification"] == {
        **report["verification"],
        "source": "validation_data",
        "images": 360,
        "labels": True,
    }
    assert all(entry["accuracy"] is not None for entry in report["files"])


def test_cli_dataset_option_gives_a_keras_file_labelled_check_images_and_refuses_a_wrong_size(
    tmp_path, capsys
):
    from keras_resnet.cli import main

    tiny_classifier().save(tmp_path / "model.keras")
    assert (
        main(
            [
                "export",
                str(tmp_path / "model.keras"),
                "--out",
                str(tmp_path / "out"),
                "--formats",
                "tflite",
                "--dataset",
                "digits",
            ]
        )
        == 0
    )
    report = json.loads((tmp_path / "out" / "export_report.json").read_text())
    assert report["verification"]["labels"] is True and report["verification"]["images"] == 360
    capsys.readouterr()
    code = main(
        [
            "export",
            str(tmp_path / "model.keras"),
            "--out",
            str(tmp_path / "other"),
            "--dataset",
            "synthetic:8x8x3",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "images shaped (8, 8, 3) but the model takes (32, 32, 3)" in err
    assert not (tmp_path / "other").exists()


def test_cli_int8_without_representative_data_fails_cleanly(tmp_path, capsys):
    from keras_resnet.cli import main

    tiny_classifier().save(tmp_path / "model.keras")
    code = main(
        ["export", str(tmp_path / "model.keras"), "--out", str(tmp_path / "out"), "--quantize", "int8"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "needs representative_data" in err and "--dataset SPEC" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_representative_file_that_is_not_npz_fails_cleanly(tmp_path, capsys):
    from keras_resnet.cli import main

    tiny_classifier().save(tmp_path / "model.keras")
    np.save(tmp_path / "images.npy", random_images(4))
    code = main(
        [
            "export",
            str(tmp_path / "model.keras"),
            "--out",
            str(tmp_path / "out"),
            "--quantize",
            "int8",
            "--representative-npz",
            str(tmp_path / "images.npy"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "expected an .npz file" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


JAX_SCRIPT = """
import sys
from keras_resnet.cli import main
model, out = sys.argv[1], sys.argv[2]
print("TFLITE_EXIT", main(["export", model, "--out", out + "/both"]), flush=True)
saved = main(["export", model, "--out", out + "/saved", "--formats", "saved_model"])
print("SAVED_MODEL_EXIT", saved, flush=True)
"""


@pytest.mark.slow
def test_jax_backend_exports_saved_model_and_refuses_tflite_clearly(tmp_path):
    tiny_classifier().save(tmp_path / "model.keras")
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT, str(tmp_path / "model.keras"), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 0
    assert "TFLITE_EXIT 2" in result.stdout
    assert "TFLite export needs the TensorFlow backend" in result.stderr
    assert "KERAS_BACKEND=tensorflow" in result.stderr
    assert not (tmp_path / "both").exists()
    assert "SAVED_MODEL_EXIT 0" in result.stdout
    report = json.loads((tmp_path / "saved" / "export_report.json").read_text())
    assert report["versions"]["backend"] == "jax"
    assert row(report, "saved_model")["max_abs_diff"] <= 1e-4

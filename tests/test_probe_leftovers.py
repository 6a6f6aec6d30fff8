"""The hostile-input probe's last cases (issue 23): each names the real reason in one line, keeps the
user's files (hashed before and after), and a normal run prints no false warning."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from faults_helpers import ENV, ROOT, cli_error, tree_hashes, users_folder
from tiny_model import tiny_resnet

import keras_resnet as kr
from keras_resnet._utils import ownership
from keras_resnet.errors import ForeignPathError, InvalidInputError
from keras_resnet.training.run_folder import RUN_ENTRIES, RunFolder, init_run_dir

TINY = ["--model", "tiny_model:tiny_resnet", "--no-gradient-norms"]


def test_a_synthetic_dataset_of_one_class_is_refused_as_needing_two_classes(tmp_path, capsys):
    out = tmp_path / "run"
    line = cli_error(
        capsys, ["train", *TINY, "--dataset", "synthetic:32x32x3:1", "--no-export", "--out", str(out)]
    )
    assert "synthetic:32x32x3:1 has 1 class; a classifier needs at least 2 classes" in line
    assert "bad synthetic spec" not in line and not out.exists()


def test_a_folder_given_as_a_weights_file_is_named_as_a_folder_and_left_untouched(tmp_path, capsys):
    folder = tmp_path / "my_weights"
    before = users_folder(folder, {"resnet20.weights.h5": "not really weights", "README": "mine"})
    with pytest.raises(InvalidInputError, match="is a folder, not a weights file"):
        kr.resnet20(weights=str(folder))
    out = tmp_path / "run"
    line = cli_error(
        capsys, ["train", "--model", "resnet20", "--model-arg", f"weights={folder}", "--out", str(out)]
    )
    assert f"weights '{folder}' is a folder, not a weights file" in line and "does not exist" not in line
    assert tree_hashes(folder) == before


def _finished_looking_run(folder, extra: dict) -> dict:
    """A run folder of ours (marker, config.json, history, a checkpoint) plus `extra` user files."""
    files = {
        "config.json": json.dumps({"train_config": {"dataset": "digits", "epochs": 1}}),
        "history.csv": "epoch,loss\n0,1.0\n",
        "checkpoints/last.keras": "a checkpoint",
        **extra,
    }
    users_folder(folder, files)
    ownership.claim(folder, "run")
    return tree_hashes(folder)


def test_overwrite_refuses_a_run_folder_holding_the_users_notes_and_names_them(tmp_path, capsys):
    run = tmp_path / "run"
    before = _finished_looking_run(run, {"NOTES.txt": "what I changed", "plots/mine.png": "x"})
    args = ["train", *TINY, "--no-export", "--epochs", "1", "--out", str(run), "--overwrite"]
    line = cli_error(capsys, args)
    assert "holds NOTES.txt, plots beside the run" in line and "nothing was changed" in line
    assert tree_hashes(run) == before
    with pytest.raises(ForeignPathError, match="NOTES.txt"):
        init_run_dir(RunFolder(run), overwrite=True)  # the check is repeated just before deleting
    assert tree_hashes(run) == before


def test_overwrite_deletes_only_the_files_of_the_run_layout(tmp_path):
    run = tmp_path / "run"
    _finished_looking_run(run, {"export/model_float32.tflite": "x", "metrics.json": "{}"})
    assert {p.name for p in run.iterdir()} <= {*RUN_ENTRIES, ownership.MARKER}
    init_run_dir(RunFolder(run), overwrite=True)
    assert sorted(p.name for p in run.iterdir()) == [ownership.MARKER, "checkpoints"]
    assert list((run / "checkpoints").iterdir()) == [] and ownership.is_ours(run, "run")


def _image_folder(root, classes=("cat", "dog"), per_class=10, size=8):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return tree_hashes(root)


@pytest.mark.slow
def test_a_folder_dataset_trains_every_epoch_in_full_without_a_ran_out_of_data_warning(tmp_path):
    from keras_resnet.training.config import TrainConfig
    from keras_resnet.training.fit import train

    data = tmp_path / "photos"
    before = _image_folder(data)
    config = TrainConfig(
        model="tiny", dataset=f"folder:{data}", image_size=(8, 8), epochs=3, batch_size=4, seed=0,
        gradient_norms=False,
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metrics = train(config, out=str(tmp_path / "run"), build_model=tiny_resnet, verbose=0)
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "ran out of data" in m], messages
    assert metrics["epochs_trained"] == 3
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["steps_per_epoch"] == -(-metrics["dataset"]["train_examples"] // 4)
    assert tree_hashes(data) == before


@pytest.mark.slow
def test_training_with_export_prints_no_retracing_warning(tmp_path):
    """In a fresh process, as a user runs it: TensorFlow counts the traces of every model's predict
    step together, so the scores of the final and best checkpoints and the export's check used to
    add up to its "triggered tf.function retracing" warning."""
    args = [*TINY, "--epochs", "1", "--export-quantize", "float32", "--out", str(tmp_path / "run")]
    result = subprocess.run(
        [sys.executable, "-m", "keras_resnet", "train", *args],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "exported" in result.stdout and "retracing" not in result.stdout + result.stderr


def test_train_progress_is_a_bar_on_a_terminal_and_one_line_per_epoch_otherwise(monkeypatch):
    from keras_resnet.cli import training

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert training.keras_verbose(None) == 1
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert training.keras_verbose(None) == 2
    assert [training.keras_verbose(p) for p in ("bar", "epoch", "none")] == [1, 2, 0]


@pytest.mark.slow
def test_train_writes_no_progress_bar_escape_sequences_into_a_log_file(tmp_path):
    log = tmp_path / "train.log"
    args = [*TINY, "--no-export", "--epochs", "2", "--batch-size", "128", "--out", str(tmp_path / "run")]
    with open(log, "w") as file:  # stdout is a file, as with `keras-resnet train ... > train.log`
        result = subprocess.run(
            [sys.executable, "-m", "keras_resnet", "train", *args],
            env=ENV,
            cwd=ROOT,
            stdout=file,
            stderr=subprocess.PIPE,
            text=True,
            timeout=600,
        )
    assert result.returncode == 0, result.stderr
    text = log.read_text()
    assert "\x1b" not in text and "\r" not in text and "\b" not in text
    epoch_lines = [line for line in text.splitlines() if line.lstrip().startswith("10/10 - ")]
    assert len(epoch_lines) == 2, text  # Keras' one summary line per epoch (1257 digits / 128)

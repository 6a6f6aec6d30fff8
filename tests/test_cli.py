"""`keras-resnet models` and `keras-resnet summary`: the names, the layer table, clear errors."""

import json
import subprocess
import sys

import keras_resnet as kr
from keras_resnet.cli import main


def test_models_lists_every_name(capsys):
    assert main(["models"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == kr.list_models()


def test_models_json_gives_the_spec_of_each(capsys):
    assert main(["models", "--json"]) == 0
    specs = json.loads(capsys.readouterr().out)
    assert specs["resnet56"]["stage_blocks"] == [9, 9, 9] and specs["resnet56"]["depth"] == 56


def test_summary_prints_the_layer_table_with_params_and_macs(capsys):
    assert main(["summary", "resnet20"]) == 0
    out = capsys.readouterr().out
    assert "conv4_block3_out" in out
    assert "269,722 trainable" in out and "0.041 G multiply-accumulates (MACs)" in out


def test_summary_json_at_another_input_shape(capsys):
    assert main(["summary", "resnet18", "--input-shape", "448,448,3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["trainable_params"] == 11_689_512
    convolutions = report["macs"] - 512 * 1000  # all but the classifier scale with the area
    assert convolutions == 4 * (kr.model_stats(kr.resnet18())["macs"] - 512 * 1000)
    assert report["layers"][0]["name"] == "input"


def test_unknown_model_exits_2_with_the_valid_names(capsys):
    assert main(["summary", "resnet21"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'resnet21'" in err and "Traceback" not in err


def test_python_dash_m_runs_the_same_command():
    result = subprocess.run(
        [sys.executable, "-m", "keras_resnet", "models"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0 and "preact_resnet1001" in result.stdout


def test_native_logs_and_train_progress_are_two_flags_with_distinct_names(capsys):
    """`keras-resnet --native-logs train` shows TensorFlow's log lines; `train --progress epoch` is
    Keras' progress display and keeps them hidden. The old spellings still work, with a note."""
    from keras_resnet.cli import build_parser

    progress = build_parser().parse_args(["train", "--progress", "epoch"])
    assert progress.progress == "epoch" and progress.native_logs is False
    assert build_parser().parse_args(["--native-logs", "train"]).native_logs is True
    assert capsys.readouterr().err == ""
    assert build_parser().parse_args(["train", "--verbose", "2"]).progress == "epoch"
    assert build_parser().parse_args(["--verbose", "train"]).native_logs is True
    notes = capsys.readouterr().err
    assert "--verbose is deprecated; use --progress" in notes and "use --native-logs" in notes

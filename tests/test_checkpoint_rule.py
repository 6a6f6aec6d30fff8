"""One rule for which checkpoint of a run folder `evaluate`, `predict` and `export` use: best.keras,
else last.keras, and each command's --help says so."""

import json

import keras
import pytest
from tiny_model import tiny_resnet

import keras_resnet as kr
from keras_resnet.cli import build_parser, main
from keras_resnet.export.loading import model_file


@pytest.fixture
def run_with_two_checkpoints(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    config = {"train_config": {"dataset": "synthetic:8x8x3:2"}, "dataset": {"class_names": ["a", "b"]}}
    (run / "config.json").write_text(json.dumps(config))
    for seed, name in ((0, "best.keras"), (1, "last.keras")):
        keras.utils.set_random_seed(seed)
        tiny_resnet(input_shape=(8, 8, 3), classes=2).save(run / "checkpoints" / name)
    return run


def _chosen(run, capsys) -> dict:
    """The checkpoint each command takes from `run` by default."""
    assert main(["evaluate", str(run), "--json"]) == 0
    return {
        "evaluate": json.loads(capsys.readouterr().out)["model"],
        "predict": kr.load(run).source,
        "export": str(model_file(run)),
    }


def test_evaluate_predict_and_export_take_best_keras_else_last_keras(run_with_two_checkpoints, capsys):
    run = run_with_two_checkpoints
    best, last = str(run / "checkpoints" / "best.keras"), str(run / "checkpoints" / "last.keras")
    assert _chosen(run, capsys) == {"evaluate": best, "predict": best, "export": best}
    (run / "checkpoints" / "best.keras").unlink()
    assert _chosen(run, capsys) == {"evaluate": last, "predict": last, "export": last}


@pytest.mark.parametrize("command", ["evaluate", "predict", "export"])
def test_each_commands_help_states_the_checkpoint_rule(command):
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    text = " ".join(subparsers.choices[command].format_help().split())
    assert "best.keras, else last.keras" in text

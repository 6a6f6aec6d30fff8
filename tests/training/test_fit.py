"""Recipes, the run folder, resume, NaN handling and evaluation, with a tiny residual net on digits."""

import csv
import json
import math

import keras
import numpy as np
import pytest
from tiny_model import tiny_resnet

from keras_resnet.errors import ForeignPathError
from keras_resnet.training.callbacks import make_callbacks
from keras_resnet.training.config import TrainConfig
from keras_resnet.training.evaluation import evaluate_run
from keras_resnet.training.fit import TrainingError, train
from keras_resnet.training.run_folder import RunFolder

EPOCHS = 4


def _config(**overrides):
    options = dict(model="tiny", dataset="digits", epochs=EPOCHS, batch_size=128, seed=0)
    options.update(overrides)
    return TrainConfig(**options)


def _train(out, config=None, **kwargs):
    return train(config or _config(), out=str(out), build_model=tiny_resnet, verbose=0, **kwargs)


def _history(run):
    with open(run / "history.csv") as file:
        return list(csv.DictReader(file))


def _gradient_rows(run):
    with open(run / "gradient_norms.csv") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny"
    return out, _train(out)


# A finished run --------------------------------------------------------------------------------


def test_run_folder_holds_config_history_checkpoints_and_test_metrics(finished_run):
    out, metrics = finished_run
    for name in (
        "config.json",
        "history.csv",
        "metrics.json",
        "checkpoints/best.keras",
        "checkpoints/last.keras",
    ):
        assert (out / name).is_file(), name
    assert not (out / "backup").exists()  # removed once training ended well
    assert json.loads((out / "metrics.json").read_text())["test"] == metrics["test"]
    assert metrics["epochs_trained"] == EPOCHS and metrics["test"]["examples"] == 360
    assert [int(row["epoch"]) for row in _history(out)] == list(range(EPOCHS))


def test_config_records_resolved_options_seed_library_versions_and_device(finished_run):
    out, _ = finished_run
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 0 and config["train_config"]["model"] == "tiny"
    assert config["recipe"]["learning_rate"] == pytest.approx(0.1)
    assert config["dataset"]["mean"][0] == pytest.approx(77.737, abs=1e-2)
    env = config["environment"]
    for key in ("python", "keras_resnet", "keras", "tensorflow", "tensorflow-datasets", "numpy"):
        assert env["versions"][key], key
    for key in ("backend", "devices", "cpu", "date", "command"):
        assert env[key], key


def test_training_loss_decreases_and_the_model_beats_chance(finished_run):
    out, metrics = finished_run
    losses = [float(row["loss"]) for row in _history(out)]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]
    assert metrics["test"]["accuracy"] > 0.2  # 10 classes


def test_learning_rate_and_epoch_time_are_logged_from_the_first_epoch(finished_run):
    out, _ = finished_run
    rows = _history(out)
    assert [float(r["learning_rate"]) for r in rows] == pytest.approx([0.1, 0.1, 0.01, 0.001])
    assert all(float(r["epoch_seconds"]) > 0 for r in rows)


def test_run_folder_holds_per_layer_gradient_norms_of_every_epoch(finished_run):
    out, _ = finished_run
    rows = _gradient_rows(out)
    layers = {r["layer"] for r in rows}
    assert {"stem_conv", "block_2_bn", "predictions"} <= layers
    assert sorted({int(r["epoch"]) for r in rows}) == list(range(EPOCHS))
    assert len(rows) == EPOCHS * len(layers)  # one probe per epoch end, one row per layer
    steps = sorted({int(r["step"]) for r in rows})  # the optimizer's step: 10 batches per epoch
    assert steps == [10 * (epoch + 1) for epoch in range(EPOCHS)]
    assert all(float(r["grad_norm"]) > 0 for r in rows)
    history = _history(out)  # the probe's scalars reach history.csv from the first epoch
    assert all(float(row["grad_global_norm"]) > 0 for row in history)


@pytest.mark.slow
def test_no_gradient_norms_writes_no_gradient_files_and_trains_identically(tmp_path, finished_run):
    out = tmp_path / "run"
    with pytest.raises(Interrupt):  # one epoch of the finished run's 4-epoch schedule
        _train(out, _config(gradient_norms=False), extra_callbacks=[StopAt(1)])
    assert not list(out.glob("gradient*"))
    row = _history(out)[0]
    assert "grad_global_norm" not in row
    reference = _history(finished_run[0])[0]
    assert row["loss"] == reference["loss"] and row["val_accuracy"] == reference["val_accuracy"]


def test_evaluate_scores_a_run_folder_and_a_keras_file_like_training_did(finished_run):
    out, metrics = finished_run
    result = evaluate_run(str(out))  # best.keras, else last.keras: the rule predict and export share
    assert result["accuracy"] == pytest.approx(metrics["test_best_checkpoint"]["accuracy"])
    last = evaluate_run(str(out), checkpoint="last")
    assert last["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    best = evaluate_run(str(out / "checkpoints" / "best.keras"), dataset="digits")
    assert best["accuracy"] == pytest.approx(metrics["test_best_checkpoint"]["accuracy"])
    with pytest.raises(ValueError, match="pass --dataset"):
        evaluate_run(str(out / "checkpoints" / "best.keras"))


def test_resuming_a_finished_run_trains_nothing(finished_run):
    out, metrics = finished_run
    before = (out / "history.csv").read_text()
    assert _train(out, resume=True)["test"] == metrics["test"]
    assert (out / "history.csv").read_text() == before


# Interruptions, refusals, NaN ----------------------------------------------------------------


class Interrupt(Exception):
    pass


class StopAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Interrupt


@pytest.mark.slow
def test_an_interrupted_run_resumes_from_its_last_completed_epoch_with_history_intact(tmp_path, finished_run):
    out = tmp_path / "run"
    with pytest.raises(Interrupt):
        _train(out, extra_callbacks=[StopAt(2)])
    kept = _history(out)
    assert len(kept) == 2 and (out / "backup" / "state.json").is_file()
    kept_gradients = _gradient_rows(out)
    metrics = _train(out, resume=True)
    rows = _history(out)
    assert [int(r["epoch"]) for r in rows] == list(range(EPOCHS)) and rows[:2] == kept
    assert metrics["epochs_trained"] == EPOCHS
    # Gradient rows of the first session survive the resume, and the steps continue.
    gradient_rows = _gradient_rows(out)
    assert {int(r["epoch"]) for r in kept_gradients} == {0, 1}
    assert gradient_rows[: len(kept_gradients)] == kept_gradients
    assert [r["step"] for r in gradient_rows] == [r["step"] for r in _gradient_rows(finished_run[0])]
    # The optimizer step (and with it the lr schedule) continued where it stopped.
    reference = _history(finished_run[0])
    assert [r["learning_rate"] for r in rows] == [r["learning_rate"] for r in reference]


@pytest.mark.slow
def test_metrics_extra_callbacks_add_to_the_logs_land_in_history_csv(tmp_path):
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(logs)))
            logs["extra_metric"] = epoch + 0.5

    callbacks = make_callbacks(RunFolder(tmp_path), extra=[Record()])
    kinds = [type(c) for c in callbacks]
    assert kinds.index(Record) < kinds.index(keras.callbacks.CSVLogger)
    assert keras.callbacks.TerminateOnNaN in kinds
    _train(tmp_path / "run", _config(epochs=1), extra_callbacks=[Record()])
    assert seen and seen[0][0] == 0 and "learning_rate" in seen[0][1]
    assert [float(r["extra_metric"]) for r in _history(tmp_path / "run")] == [0.5]


class PoisonAt(keras.callbacks.Callback):
    """Make the classifier's weights NaN at the start of an epoch."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            layer = self.model.get_layer("predictions")
            layer.kernel.assign(np.full(layer.kernel.shape, np.nan, "float32"))


@pytest.mark.slow
def test_nan_loss_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(TrainingError, match=r"loss became NaN/Inf in epoch 3.*last good checkpoint"):
        _train(out, extra_callbacks=[PoisonAt(2)])
    assert len(_history(out)) == 2 and not (out / "metrics.json").exists()
    last = keras.saving.load_model(out / "checkpoints" / "last.keras", compile=False)
    assert all(np.isfinite(keras.ops.convert_to_numpy(w)).all() for w in last.weights)
    assert json.loads((out / "backup" / "state.json").read_text())["epoch"] == 2


def test_an_output_folder_holding_another_run_is_refused_unless_resume_or_overwrite(finished_run, tmp_path):
    out, _ = finished_run
    before = (out / "metrics.json").read_text()
    with pytest.raises(ValueError, match="holds another run; pass --resume .* or --overwrite"):
        _train(out)
    assert (out / "metrics.json").read_text() == before
    with pytest.raises(
        ValueError, match=r"cannot resume with different options \(epochs: run has 4, given 9\)"
    ):
        _train(out, _config(epochs=9), resume=True)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.txt").write_text("precious")
    with pytest.raises(ForeignPathError, match="did not write.*left untouched"):
        _train(tmp_path / "notes", overwrite=True)
    assert (tmp_path / "notes" / "thesis.txt").read_text() == "precious"


@pytest.mark.slow
def test_overwrite_replaces_a_run_only_once_the_new_one_can_start(tmp_path):
    out = tmp_path / "run"
    _train(out, _config(epochs=1))
    with pytest.raises(ValueError, match="dataset spec must be one of the forms"):
        _train(out, _config(epochs=1, dataset="nope"), overwrite=True)
    assert (out / "metrics.json").is_file()  # the old run survived the failed overwrite
    _train(out, _config(epochs=2), overwrite=True)
    assert len(_history(out)) == 2


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"batch_size": 0}, "batch size must be an integer >= 1"),
        ({"recipe": "adam"}, "recipe must be one of"),
        ({"mixed_precision": "float8"}, "mixed precision must be one of"),
        ({"distribute": "data-parallel"}, "needs the jax backend"),
        ({"distribute": "horovod"}, "--distribute must be one of"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        _train(tmp_path / "run", _config(**overrides))
    assert not (tmp_path / "run").exists()


@pytest.mark.slow
def test_mixed_bfloat16_trains_with_float32_outputs_and_restores_the_global_policy(tmp_path):
    metrics = _train(tmp_path / "run", _config(epochs=1, mixed_precision="mixed_bfloat16"))
    assert math.isfinite(metrics["test"]["loss"])
    assert keras.config.dtype_policy().name == "float32"
    model = keras.saving.load_model(tmp_path / "run" / "checkpoints" / "last.keras", compile=False)
    assert model.get_layer("stem_conv").dtype_policy.name == "mixed_bfloat16"
    assert model.output.dtype == "float32"

"""Run-level progress: the epoch line keeps loss, accuracy, validation figures and the learning
rate, the gradient figures and epoch time move to one compact line (and stay in the logs that
history.csv and TensorBoard record), and a run line says epoch k of N, elapsed and remaining."""

import itertools

import keras
import numpy as np

from keras_resnet.training.callbacks import make_callbacks
from keras_resnet.training.progress import (
    RunProgress,
    format_duration,
    remaining_seconds,
    shown_logs,
    stage,
)
from keras_resnet.training.run_folder import RunFolder


class AddsDiagnostics(keras.callbacks.Callback):
    """Stands in for GradientNormCallback and EpochStats: adds their keys to the epoch logs."""

    def on_epoch_end(self, epoch, logs=None):
        logs.update(grad_global_norm=0.5, grad_min_layer_norm=0.01, grad_max_layer_norm=2.0)
        logs.update(grad_first_last_ratio=3.0, grad_nonfinite=0.0, epoch_seconds=1.5, learning_rate=0.1)


def _fit(epochs=3, verbose=2, callbacks=()):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.rand(32, 4).astype("float32"), np.arange(32) % 2
    return model.fit(x, y, validation_split=0.25, epochs=epochs, verbose=verbose, callbacks=list(callbacks))


def test_the_epoch_line_drops_only_the_diagnostics():
    logs = {"loss": 1.0, "accuracy": 0.5, "val_loss": 1.1, "val_accuracy": 0.4, "test_accuracy": 0.4}
    logs.update(learning_rate=0.1, epoch_seconds=3.0, grad_global_norm=1.0, grad_nonfinite=0.0)
    assert shown_logs(logs) == {
        k: v for k, v in logs.items() if k != "epoch_seconds" and not k.startswith("grad_")
    }
    assert "learning_rate" in shown_logs(logs)


def test_remaining_time_is_the_pace_so_far_leaving_out_the_first_epoch_once_there_are_more():
    assert remaining_seconds([], 5) is None
    assert remaining_seconds([30.0], 4) == 120.0  # only the first epoch: it is the pace
    assert remaining_seconds([30.0, 10.0, 12.0], 3) == 33.0  # the first one traced and compiled
    assert format_duration(59.6) == "1:00" and format_duration(3725) == "1:02:05"


def test_fit_prints_bar_without_gradients_then_a_compact_line_and_the_run_eta(capsys):
    history = _fit(callbacks=[AddsDiagnostics(), RunProgress()])
    out = capsys.readouterr().out
    epoch_lines = [line for line in out.splitlines() if "val_accuracy" in line]
    assert len(epoch_lines) == 3
    assert all(
        "learning_rate" in line and "grad_" not in line and "epoch_seconds" not in line
        for line in epoch_lines
    )
    assert out.count("gradients: global norm 0.5, layers 0.01 to 2, first/last layer 3; epoch 1.5 s") == 3
    assert "run: epoch 1/3, elapsed " in out and "remaining ~" in out and "(ETA " in out
    assert "run: epoch 3/3, elapsed " in out and out.rstrip().endswith(", done")
    assert {"grad_global_norm", "epoch_seconds"} <= set(history.history)  # the loggers still get them


def test_scripted_clock_gives_the_expected_remaining_time(capsys):
    ticks = itertools.chain([0.0, 30.0, 40.0], itertools.repeat(50.0))  # epochs of 30 s, 10 s, 10 s
    progress = RunProgress(clock=lambda: next(ticks))
    _fit(epochs=5, callbacks=[progress])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("run:")]
    assert lines[0].startswith("run: epoch 1/5, elapsed 0:30, remaining ~2:00")  # 4 x 30 s
    assert lines[1].startswith("run: epoch 2/5, elapsed 0:40, remaining ~0:30")  # 3 x 10 s


def test_a_stage_names_the_run_within_a_longer_job_and_verbose_0_prints_nothing(capsys):
    with stage("compare 2/4 plain56"):
        _fit(epochs=2, callbacks=[RunProgress()])
    assert "compare 2/4 plain56: run: epoch 2/2" in capsys.readouterr().out
    _fit(epochs=2, verbose=0, callbacks=[RunProgress()])
    assert capsys.readouterr().out == ""


def test_make_callbacks_puts_the_progress_display_last_so_it_sees_every_logger(tmp_path):
    callbacks = make_callbacks(RunFolder(tmp_path))
    assert isinstance(callbacks[-1], RunProgress)
    assert sum(isinstance(c, keras.callbacks.ProgbarLogger) for c in callbacks) == 1  # fit adds none

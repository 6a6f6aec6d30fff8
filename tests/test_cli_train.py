"""`keras-resnet train` / `evaluate` end to end: SIGKILL and resume, two-device training on the
TensorFlow and JAX backends, and every bad input ending in one clear line and exit code 2."""

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_resnet.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
TINY = ["--model", "tiny_model:tiny_resnet"]
NO_EXPORT = [*TINY, "--no-export"]  # every run but `cli_run` skips the export, to stay fast
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, TESTS]), "TF_CPP_MIN_LOG_LEVEL": "2"}


def _history(run):
    with open(os.path.join(run, "history.csv")) as file:
        return list(csv.DictReader(file))


def _run(args, *, env=ENV, timeout=300, code=None):
    """Run the CLI in a fresh interpreter (optionally after `code`); returns CompletedProcess."""
    if code is None:
        command = [sys.executable, "-m", "keras_resnet", *args]
    else:
        command = [
            sys.executable,
            "-c",
            f"{code}\nimport sys\nfrom keras_resnet.cli import main\nsys.exit(main({args!r}))",
        ]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_resume_after_sigkill_mid_epoch_trains_the_same_number_of_epochs(tmp_path):
    out = tmp_path / "run"
    args = [*NO_EXPORT, "--epochs", "6", "--batch-size", "32", "--out", str(out), "--progress", "none"]
    with open(tmp_path / "log.txt", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "keras_resnet", "train", *args], env=ENV, cwd=ROOT, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 240
            while not (out / "history.csv").is_file() or len(_history(out)) < 2:
                assert process.poll() is None, (tmp_path / "log.txt").read_text()[-2000:]
                assert time.monotonic() < deadline, "training never completed two epochs"
                time.sleep(0.2)
            epoch_seconds = float(_history(out)[-1]["epoch_seconds"])
            time.sleep(epoch_seconds / 2)  # somewhere inside the next epoch
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    before = _history(out)
    # Epochs whose backup completed; a history row written after them (killed before its backup)
    # is dropped and that epoch trained again.
    done = json.loads((out / "backup" / "state.json").read_text())["epoch"]
    assert len(before) - 1 <= done <= len(before)
    assert 2 <= len(before) < 6 and not (out / "metrics.json").exists()

    resumed = _run(["train", "--out", str(out), "--resume", "--progress", "none"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    after = _history(out)
    assert [int(row["epoch"]) for row in after] == list(range(6))
    assert after[:done] == before[:done]  # nothing the backups hold was lost or rewritten
    assert json.loads((out / "metrics.json").read_text())["epochs_trained"] == 6
    # 40 steps/epoch, lr 0.1 * 32/128 dropping at steps 120 and 180: the optimizer's step survived.
    expected = [0.025] * 3 + [0.0025] * 2 + [0.00025]
    assert [float(row["learning_rate"]) for row in after] == pytest.approx(expected)
    config = json.loads((out / "config.json").read_text())
    assert len(config["sessions"]) == 2 and config["sessions"][1]["initial_epoch"] >= 2


def _assert_trained_on_two_devices(out, backend):
    config = json.loads((out / "config.json").read_text())
    assert config["replicas"] == 2 and config["environment"]["backend"] == backend
    losses = [float(row["loss"]) for row in _history(out)]
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0]


@pytest.mark.slow
def test_mirrored_strategy_trains_on_two_logical_cpus_with_finite_decreasing_loss(tmp_path):
    out = tmp_path / "mirrored"
    split_cpu = (
        "import tensorflow as tf\n"
        "cpu = tf.config.list_physical_devices('CPU')[0]\n"
        "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)"
    )
    args = [
        "train",
        *NO_EXPORT,
        "--epochs",
        "3",
        "--batch-size",
        "64",
        "--distribute",
        "mirrored",
        "--out",
        str(out),
        "--progress",
        "epoch",
    ]
    result = _run(args, code=split_cpu, env={**ENV, "KERAS_BACKEND": "tensorflow"})
    assert result.returncode == 0, result.stderr[-3000:]
    _assert_trained_on_two_devices(out, "tensorflow")


@pytest.mark.slow
def test_jax_data_parallel_trains_on_two_host_devices_with_finite_decreasing_loss(tmp_path):
    out = tmp_path / "data-parallel"
    env = {**ENV, "KERAS_BACKEND": "jax", "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    args = [
        "train",
        *NO_EXPORT,
        "--epochs",
        "3",
        "--batch-size",
        "64",
        "--distribute",
        "data-parallel",
        "--out",
        str(out),
        "--progress",
        "epoch",
    ]
    result = _run(args, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    _assert_trained_on_two_devices(out, "jax")
    # Test images are scored on both devices too: 360 of them, none lost to batch splitting.
    assert json.loads((out / "metrics.json").read_text())["test"]["examples"] == 360


# Bad input: one line on stderr, exit code 2, nothing written -----------------------------------


def _fails(capsys, args, message):
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def _bad_npz(path):
    np.savez(path, images=np.zeros((4, 8, 8, 3), "uint8"))
    return str(path)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--dataset", "mnist"], "dataset spec must be one of the forms digits, tfds:NAME"),
        (["--dataset", "npz:/no/such/file.npz"], "npz file not found: /no/such/file.npz"),
        (["--dataset", "npz:{bad_npz}"], "lacks arrays x_train, y_train, x_test, y_test"),
        (["--dataset", "folder:{empty}"], "no usable images in"),
        (["--batch-size", "0"], "batch size must be an integer >= 1; got 0"),
        (
            ["--batch-size", "5000"],
            "batch size 5000 is larger than the training split of 'digits' (1257 images)",
        ),
        (["--epochs", "0"], "epochs must be an integer >= 1; got 0"),
        (
            ["--recipe", "adamw"],
            "recipe must be one of 'paper-cifar', 'imagenet', 'modern', 'fine-tune'; got 'adamw'",
        ),
        (["--distribute", "data-parallel"], "--distribute data-parallel needs the jax backend"),
        (["--resume", "--overwrite"], "--resume and --overwrite contradict each other"),
        (["--model", "no_such_module:build"], "cannot import model builder 'no_such_module:build'"),
    ],
)
def test_bad_training_input_gives_one_clear_line_and_exit_code_2(tmp_path, capsys, extra, message):
    (tmp_path / "empty").mkdir()
    extra = [e.format(bad_npz=_bad_npz(tmp_path / "bad.npz"), empty=tmp_path / "empty") for e in extra]
    out = tmp_path / "run"
    model = ["--no-export"] if "--model" in extra else NO_EXPORT
    args = ["train", *model, "--epochs", "1", "--progress", "none", "--out", str(out), *extra]
    _fails(capsys, args, message)
    assert not out.exists()


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", *TINY, "--epochs", "1", "--out", str(out), "--progress", "none"]) == 0
    return out


@pytest.mark.slow
def test_train_exports_the_best_checkpoint_into_the_run_folder_and_every_file_matches_keras(cli_run):
    report = json.loads((cli_run / "export" / "export_report.json").read_text())
    metrics = json.loads((cli_run / "metrics.json").read_text())
    assert report["source"].endswith(os.path.join("checkpoints", "best.keras"))
    assert metrics["export"]["source"] == report["source"]
    files = {row["file"]: row for row in report["files"]}
    assert list(files) == ["saved_model", "model_float32.tflite", "model_int8.tflite"]
    assert all((cli_run / "export" / name).exists() for name in files)
    # Checked on the run's 360 digits test images with labels; int8 calibrated on its training images.
    assert report["verification"] == {
        **report["verification"],
        "source": "validation_data",
        "images": 360,
        "labels": True,
    }
    assert (
        files["saved_model"]["max_abs_diff"] <= 1e-4 and files["model_float32.tflite"]["max_abs_diff"] <= 1e-4
    )
    assert files["model_int8.tflite"]["top1_agreement"] >= 0.9


@pytest.mark.slow
def test_resuming_a_run_whose_export_exists_exports_again_over_it(cli_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(cli_run, run)
    (run / "metrics.json").unlink()  # as if killed during the export at the end
    (run / "export" / "from_before.txt").write_text("the previous export")
    # Export options may change on resume (they do not change what is trained); float32 is quicker.
    assert (
        main(["train", "--out", str(run), "--resume", "--progress", "none", "--export-quantize", "float32"])
        == 0
    )
    assert not (run / "export" / "from_before.txt").exists()  # replaced by a whole new export
    assert sorted(p.name for p in (run / "export").iterdir()) == [
        ".keras-resnet.json",
        "export_report.json",
        "labels.txt",
        "model_float32.tflite",
        "outputs.json",
        "saved_model",
    ]
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == [".keras-resnet.json"]


@pytest.mark.slow
def test_train_refuses_an_output_folder_holding_another_run_and_leaves_it_untouched(cli_run, capsys):
    before = {p.name: p.read_bytes() for p in cli_run.rglob("*") if p.is_file()}
    _fails(
        capsys,
        ["train", *TINY, "--epochs", "1", "--out", str(cli_run)],
        "holds another run; pass --resume to continue it or --overwrite to replace it",
    )
    _fails(
        capsys,
        ["train", "--epochs", "2", "--out", str(cli_run), "--resume"],
        "cannot resume with different options (epochs: run has 1, given 2)",
    )
    after = {p.name: p.read_bytes() for p in cli_run.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.slow
def test_train_prints_the_test_accuracy_and_evaluate_reproduces_it(cli_run, capsys):
    metrics = json.loads((cli_run / "metrics.json").read_text())
    assert main(["evaluate", str(cli_run), "--json"]) == 0  # the best checkpoint, as predict/export
    result = json.loads(capsys.readouterr().out)
    assert result["model"].endswith("best.keras") and result["split"] == "test"
    assert result["accuracy"] == pytest.approx(metrics["test_best_checkpoint"]["accuracy"])
    assert main(["evaluate", str(cli_run), "--json", "--checkpoint", "last"]) == 0  # the final weights
    assert json.loads(capsys.readouterr().out)["accuracy"] == pytest.approx(metrics["test"]["accuracy"])
    assert main(["evaluate", str(cli_run), "--split", "validation", "--checkpoint", "best"]) == 0
    assert "digits validation (180 images): accuracy" in capsys.readouterr().out


@pytest.mark.slow
def test_evaluate_refuses_what_it_cannot_score(cli_run, tmp_path, capsys):
    _fails(capsys, ["evaluate", str(tmp_path / "nothing")], "is neither a run folder nor a .keras file")
    _fails(
        capsys,
        ["evaluate", str(cli_run), "--split", "train"],
        "split must be one of 'test', 'validation'; got 'train'",
    )
    _fails(
        capsys,
        ["evaluate", str(cli_run), "--dataset", "synthetic:8x8x3"],
        "but the model expects (32, 32, 3)",
    )


@pytest.mark.slow
def test_a_diverging_run_stops_with_a_clear_message_and_exit_code_2(tmp_path, capsys):
    out = tmp_path / "run"
    _fails(
        capsys,
        ["train", *NO_EXPORT, "--epochs", "2", "--lr", "1e30", "--out", str(out), "--progress", "none"],
        "the loss became NaN/Inf in epoch 1",
    )
    assert not (out / "metrics.json").exists() and not (out / "checkpoints" / "last.keras").exists()


# The default command on digits -----------------------------------------------------------------

RESULTS = os.path.join(ROOT, "examples", "results", "train_digits.json")


def test_recorded_resnet20_digits_run_of_the_default_command_reached_98_5_percent():
    """examples/scripts/train_digits.sh wrote this; the test below re-runs it when asked to."""
    with open(RESULTS) as file:
        recorded = json.load(file)
    assert recorded["command"].startswith("keras-resnet train --model resnet20 --dataset digits --epochs 30")
    assert recorded["epochs"] == 30 and recorded["test_examples"] == 360
    assert recorded["test_accuracy"] >= 0.985


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("KERAS_RESNET_TRAIN_DIGITS"),
    reason="5-15 minutes on 2 CPU cores; set KERAS_RESNET_TRAIN_DIGITS=1 to run",
)
def test_resnet20_trained_with_the_default_command_on_digits_reaches_98_5_percent(tmp_path):
    result = _run(["train", "--out", str(tmp_path / "run"), "--progress", "epoch"], timeout=3600)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epochs_trained"] == 30 and metrics["test"]["accuracy"] >= 0.985

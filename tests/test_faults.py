"""Fault injection (issue #17): each fault a hostile user or a full disk can cause ends in one line
that names the problem and the fix (a specific `keras_resnet.errors` type; exit code 2 from the
CLI) or in a recovery that says what it did, and never touches a file the tool did not write."""

import errno
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
from faults_helpers import ENV, ROOT, cli_error, commit_fake_export, tree_hashes, users_folder
from tiny_model import tiny_resnet

import keras_resnet as kr
import keras_resnet.export.api as export_api
from keras_resnet.errors import (
    ArchitectureMismatchError,
    CorruptFileError,
    DiskFullError,
    ForeignPathError,
    InvalidInputError,
    MissingFileError,
)
from keras_resnet.gradients.callback import GradientNormCallback
from keras_resnet.models.saving import load_keras_file
from keras_resnet.models.weights import load_weights_file
from keras_resnet.training import checkpoints
from keras_resnet.training.config import TrainConfig
from keras_resnet.training.evaluation import evaluate_run
from keras_resnet.training.fit import train
from keras_resnet.training.run_folder import RunFolder

EPOCHS = 3
TINY_CLI = ["--model", "tiny_model:tiny_resnet", "--no-export", "--no-gradient-norms", "--progress", "none"]


class _Interrupt(Exception):
    """Stands for a kill between two epochs: everything of the epochs before is on disk."""


class _StopBefore(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise _Interrupt


def _config(**overrides):
    options = dict(
        model="tiny", dataset="digits", epochs=EPOCHS, batch_size=128, seed=0, gradient_norms=False
    )
    return TrainConfig(**{**options, **overrides})


def _train(out, **kwargs):
    return train(_config(), out=str(out), build_model=tiny_resnet, verbose=0, **kwargs)


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory):
    """A run stopped after 2 of its 3 epochs: checkpoints, history and the backups of epochs 1, 2."""
    out = tmp_path_factory.mktemp("interrupted") / "run"
    with pytest.raises(_Interrupt):
        _train(out, extra_callbacks=[_StopBefore(EPOCHS - 1)])
    return out


@pytest.fixture
def run_copy(interrupted_run, tmp_path):
    shutil.copytree(interrupted_run, tmp_path / "run")
    return tmp_path / "run"


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


# Checkpoints: missing, truncated or corrupt, wrong architecture ----------------------------------


@pytest.mark.slow
def test_a_corrupt_best_checkpoint_is_kept_aside_and_the_resumed_run_finishes(run_copy, capsys):
    _truncate(run_copy / "checkpoints" / "best.keras")
    metrics = _train(run_copy, resume=True)
    assert "best.keras" in capsys.readouterr().out and (run_copy / "checkpoints/best.keras.corrupt").is_file()
    assert metrics["epochs_trained"] == EPOCHS and RunFolder(run_copy).is_finished()


@pytest.mark.slow
def test_a_truncated_newest_backup_falls_back_to_the_one_before_and_says_so(run_copy, capsys):
    _truncate(run_copy / "backup" / "epoch-00002.weights.h5")
    metrics = _train(run_copy, resume=True)
    said = capsys.readouterr().out
    assert "epoch-00002.weights.h5" in said and "resuming from" in said and "epoch-00001" in said
    assert [row["epoch"] for row in RunFolder(run_copy).read_history()] == list(range(EPOCHS))
    assert metrics["epochs_trained"] == EPOCHS


@pytest.mark.slow
def test_no_loadable_backup_is_one_line_naming_the_files(run_copy, capsys):
    for backup in (run_copy / "backup").glob("epoch-*.weights.h5"):
        _truncate(backup)
    before = tree_hashes(run_copy / "backup")
    with pytest.raises(CorruptFileError, match="no loadable backup.*--overwrite"):
        _train(run_copy, resume=True)
    assert tree_hashes(run_copy / "backup") == before


@pytest.mark.slow
def test_a_truncated_keras_file_is_reported_as_corrupt_not_missing(interrupted_run, tmp_path, capsys):
    broken = tmp_path / "model.keras"
    broken.write_bytes((interrupted_run / "checkpoints/last.keras").read_bytes()[:5000])
    with pytest.raises(CorruptFileError, match="corrupt or truncated"):
        load_keras_file(broken)
    with pytest.raises(MissingFileError):
        load_keras_file(tmp_path / "absent.keras")
    line = cli_error(capsys, ["evaluate", str(broken), "--dataset", "digits"])
    assert "corrupt or truncated" in line and "not found" not in line.lower()


def test_weights_files_tell_missing_corrupt_and_other_architecture_apart(tmp_path):
    model = tiny_resnet(input_shape=(8, 8, 1))
    model.save_weights(tmp_path / "tiny.weights.h5")
    shutil.copy(tmp_path / "tiny.weights.h5", tmp_path / "cut.weights.h5")
    _truncate(tmp_path / "cut.weights.h5")
    with pytest.raises(MissingFileError):
        load_weights_file(model, tmp_path / "absent.weights.h5")
    with pytest.raises(CorruptFileError, match="truncated or corrupt"):
        load_weights_file(model, tmp_path / "cut.weights.h5")
    with pytest.raises(ArchitectureMismatchError, match="does not match"):
        load_weights_file(tiny_resnet(input_shape=(8, 8, 1), classes=3), tmp_path / "tiny.weights.h5")


# A full disk or a read-only folder ---------------------------------------------------------------


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


WRITE_SITES = {
    "backup": (checkpoints, "save_weights_safely"),
    "checkpoint": (keras.callbacks.ModelCheckpoint, "_save_model"),
    "history": (keras.callbacks.CSVLogger, "on_epoch_end"),
    "metrics": (RunFolder, "write_metrics"),
}


@pytest.mark.slow
@pytest.mark.parametrize("site", WRITE_SITES)
def test_a_full_disk_at_each_write_site_is_one_line_and_keeps_the_last_good_state(
    run_copy, monkeypatch, site
):
    backup_before = tree_hashes(run_copy / "backup")
    monkeypatch.setattr(*WRITE_SITES[site], _no_space)
    with pytest.raises(DiskFullError, match=f"no space left on the disk of {run_copy}.*needs about"):
        _train(run_copy, resume=True)
    monkeypatch.undo()
    if site != "metrics":  # the backup of epoch 2 is still the one to resume from
        assert tree_hashes(run_copy / "backup") == backup_before
    assert not list(run_copy.rglob(".*.tmp*")), "a temporary file was left behind"


@pytest.mark.slow
def test_an_export_onto_a_full_disk_is_one_line_and_keeps_the_previous_export(
    interrupted_run, tmp_path, monkeypatch
):
    commit_fake_export(tmp_path / "export", "a")  # the previous export, ours
    before = tree_hashes(tmp_path / "export")

    def tensorflow_out_of_space(*args, **kwargs):  # how TensorFlow's file system reports ENOSPC
        raise RuntimeError("RESOURCE_EXHAUSTED: saved_model/variables: No space left on device")

    monkeypatch.setattr(export_api, "_write_file", tensorflow_out_of_space)
    with pytest.raises(DiskFullError, match=f"no space left on the disk of {tmp_path}.*needs about"):
        export_api.export_model(
            str(interrupted_run / "checkpoints/last.keras"), tmp_path / "export", overwrite=True
        )
    assert tree_hashes(tmp_path / "export") == before
    assert [p.name for p in tmp_path.iterdir()] == ["export"]


def test_a_read_only_output_folder_is_refused_before_any_data_is_loaded(tmp_path, monkeypatch):
    import keras_resnet.data.pipelines as pipelines

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr("keras_resnet._utils.ownership.open", read_only, raising=False)
    monkeypatch.setattr(pipelines, "load_datasets", lambda *a, **k: pytest.fail("data was loaded"))
    with pytest.raises(DiskFullError, match="Read-only file system; choose a writable folder"):
        _train(tmp_path / "run")


# Validation before the first step -----------------------------------------------------------------


def test_unknown_model_options_are_refused_before_data_is_loaded(tmp_path, capsys):
    line = cli_error(
        capsys, ["train", "--model", "resnet20", "--model-arg", "nonsense=1", "--out", str(tmp_path / "r")]
    )
    assert "unknown model option nonsense" in line and "zero_init_residual" in line


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda: kr.build(20), InvalidInputError, "model name must be a string"),
        (lambda: kr.resnet20(classes=True), ValueError, "classes must be a positive integer"),
        (lambda: kr.resnet20(bn_momentum=5.0), ValueError, r"bn_momentum must be in \[0, 1\]"),
        (
            lambda: kr.resnet20(normalization=([0, 0, 0], [1, 0, 1])),
            InvalidInputError,
            "stds must be positive",
        ),
    ],
)
def test_bad_model_options_are_one_line_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _image_folder(root, classes, *, bad=None):
    from PIL import Image

    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(np.full((8, 8, 3), i * 30, "uint8")).save(root / name / f"{i}.png")
    if bad:
        (root / classes[0] / bad).write_bytes(b"this is not an image at all, just text")
    return tree_hashes(root)


def test_a_dataset_with_one_class_is_refused(tmp_path):
    before = _image_folder(tmp_path / "data", ["cat"])
    with pytest.raises(InvalidInputError, match="1 class.*at least two"):
        train(
            _config(dataset=f"folder:{tmp_path / 'data'}", image_size=(8, 8), batch_size=2),
            out=str(tmp_path / "run"),
            build_model=tiny_resnet,
        )
    assert tree_hashes(tmp_path / "data") == before


def test_a_corrupt_image_in_a_folder_dataset_is_named(tmp_path):
    before = _image_folder(tmp_path / "data", ["cat", "dog"], bad="broken.jpg")
    with pytest.raises(CorruptFileError, match=r"1 image cannot be decoded: cat/broken.jpg \(not an image"):
        train(
            _config(dataset=f"folder:{tmp_path / 'data'}", image_size=(8, 8), batch_size=2),
            out=str(tmp_path / "run"),
            build_model=tiny_resnet,
        )
    assert tree_hashes(tmp_path / "data") == before


@pytest.mark.slow
@pytest.mark.parametrize("classes", [20, 5])
def test_evaluating_on_a_dataset_with_other_classes_is_refused(interrupted_run, classes, capsys):
    with pytest.raises(InvalidInputError, match=f"has {classes} classes but the model predicts 10"):
        evaluate_run(str(interrupted_run), dataset=f"synthetic:32x32x3:{classes}")
    line = cli_error(capsys, ["evaluate", str(interrupted_run), "--dataset", f"synthetic:32x32x3:{classes}"])
    assert "predicts 10" in line


class _CountBatches(keras.callbacks.Callback):
    batches = 0

    def on_train_batch_end(self, batch, logs=None):
        _CountBatches.batches += 1


@pytest.mark.parametrize(
    "probe,message",
    [
        ((np.zeros((4, 16, 16, 3)), np.array([0, 1, 2, 3])), "per-sample shape"),
        ((np.zeros((4, 32, 32, 3)), np.array([0, 1, 2, 12])), "labels run from 0 to 12"),
    ],
)
def test_a_probe_that_does_not_fit_the_model_fails_before_the_first_step(probe, message):
    model = tiny_resnet(classes=10)
    model.compile("sgd", "sparse_categorical_crossentropy")
    _CountBatches.batches = 0
    with pytest.raises(ValueError, match=message):
        model.fit(
            np.zeros((8, 32, 32, 3)),
            np.zeros(8),
            epochs=1,
            verbose=0,
            callbacks=[_CountBatches(), GradientNormCallback(probe)],
        )
    assert _CountBatches.batches == 0


def test_gradient_callback_options_are_checked_when_made(tmp_path):
    probe = (np.zeros((2, 32, 32, 3)), np.zeros(2))
    (tmp_path / "a_file").write_text("")
    with pytest.raises(InvalidInputError, match="is not a valid regular expression"):
        GradientNormCallback(probe, layers=["conv(["])
    with pytest.raises(InvalidInputError, match="is a file"):
        GradientNormCallback(probe, output_dir=tmp_path / "a_file")


# The user's folders, through the CLI ---------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--overwrite", "--resume"])
def test_train_refuses_a_folder_with_someone_elses_config_json(tmp_path, capsys, flag):
    before = users_folder(tmp_path / "site", {"config.json": '{"port": 80}', "index.html": "<p>hi</p>"})
    line = cli_error(capsys, ["train", *TINY_CLI, "--out", str(tmp_path / "site"), flag])
    assert "left untouched" in line
    assert tree_hashes(tmp_path / "site") == before


@pytest.mark.slow
def test_export_refuses_to_overwrite_a_folder_with_a_thesis(interrupted_run, tmp_path, capsys):
    from keras_resnet.export.api import export_model

    before = users_folder(tmp_path / "thesis", {"thesis.txt": "five years"})
    with pytest.raises(ForeignPathError, match="left untouched"):
        export_model(str(interrupted_run / "checkpoints/last.keras"), tmp_path / "thesis", overwrite=True)
    assert tree_hashes(tmp_path / "thesis") == before


# A real full disk: a small tmpfs, mounted in a private mount namespace, filled while training runs ---------

FILL_AND_RESUME = r"""
set -u
mount -t tmpfs -o size=8m tmpfs "$MNT" || exit 99
python -m keras_resnet train $ARGS --epochs 3 --out "$MNT/run" > "$LOG/first.txt" 2>&1 &
pid=$!
while [ ! -s "$MNT/run/history.csv" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
dd if=/dev/zero of="$MNT/filler" bs=16k > /dev/null 2>&1
wait $pid; echo $? > "$LOG/first.code"
rm -f "$MNT/filler"
python -m keras_resnet train $ARGS --epochs 3 --out "$MNT/run" --resume > "$LOG/second.txt" 2>&1
echo $? > "$LOG/second.code"
cp "$MNT/run/history.csv" "$LOG/history.csv"
"""


@pytest.mark.slow
def test_a_disk_that_fills_up_during_training_ends_in_one_line_and_the_run_resumes(tmp_path):
    """No ENOSPC traceback, no h5py "Exception ignored", no segfault: one line, exit 2; once
    space is freed, --resume finishes every epoch exactly once (the injected-ENOSPC tests above
    cover each write site; this one checks the real failure, h5py's included)."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    (tmp_path / "mnt").mkdir()
    env = {
        **ENV,
        "MNT": str(tmp_path / "mnt"),
        "LOG": str(tmp_path),
        "ARGS": " ".join([*TINY_CLI, "--batch-size", "128"]),
        "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", FILL_AND_RESUME],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode == 99 or not (tmp_path / "first.code").exists():
        pytest.skip(f"cannot mount a size-limited tmpfs here: {result.stderr.strip()[:200]}")
    first = (tmp_path / "first.txt").read_text().strip().splitlines()
    assert (tmp_path / "first.code").read_text().strip() == "2", first[-20:]
    assert len(first) == 1 and "no space left on the disk of" in first[0] and "needs about" in first[0]
    assert (tmp_path / "second.code").read_text().strip() == "0", (tmp_path / "second.txt").read_text()[
        -2000:
    ]
    epochs = [line.split(",")[0] for line in (tmp_path / "history.csv").read_text().splitlines()[1:]]
    assert epochs == [str(e) for e in range(3)]

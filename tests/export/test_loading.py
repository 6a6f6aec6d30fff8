"""Which model an export starts from: `.keras` files, run folders and plain folders, and the clear
errors for anything else."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from keras_resnet.errors import MissingFileError
from keras_resnet.export.api import export_model, load_model_for_export
from tests.export.conftest import listing, make_run_folder, tiny_classifier

# ---------------------------------------------------------------- bad input


def _corrupt_keras(folder: Path) -> Path:
    path = folder / "corrupt.keras"
    path.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    return path


def _foreign_zip_keras(folder: Path) -> Path:
    path = folder / "foreign.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a keras model")
    return path


def _text_file(folder: Path) -> Path:
    path = folder / "model.txt"
    path.write_text("not a model")
    return path


def _weights_file(folder: Path) -> Path:
    path = folder / "model.weights.h5"
    path.write_bytes(b"\x89HDF")
    return path


def _empty_run_folder(folder: Path) -> Path:
    path = folder / "run"
    path.mkdir()
    return path


@pytest.mark.parametrize(
    "make_path, message",
    [
        (_corrupt_keras, "is corrupt or truncated"),
        (_foreign_zip_keras, "could not load .* as a Keras model"),
        (_text_file, "is not a Keras model file: expected a .keras file"),
        (_weights_file, "holds weights only"),
        (_empty_run_folder, "holds neither best.keras nor last.keras"),
    ],
    ids=["corrupt_keras", "zip_that_is_not_keras", "text_file", "weights_only", "run_folder_without_model"],
)
def test_model_path_that_is_not_a_keras_model_is_refused_clearly(tmp_path, make_path, message):
    (tmp_path / "inputs").mkdir()
    source = make_path(tmp_path / "inputs")
    before = listing(tmp_path)
    with pytest.raises(ValueError, match=message):
        load_model_for_export(source)
    with pytest.raises(ValueError, match=message):
        export_model(source, tmp_path / "out", verbose=False)
    assert listing(tmp_path) == before


def test_load_model_for_export_prefers_best_over_last(tmp_path):
    tiny_classifier(name="best_one").save(tmp_path / "best.keras")
    tiny_classifier(name="last_one").save(tmp_path / "last.keras")
    assert load_model_for_export(tmp_path).name == "best_one"
    (tmp_path / "best.keras").unlink()
    assert load_model_for_export(tmp_path).name == "last_one"


def test_load_model_for_export_takes_a_run_folders_best_else_last_checkpoint(tmp_path):
    run = make_run_folder(tmp_path / "run", "digits", checkpoints=("best", "last"))
    assert load_model_for_export(run).name == "run_best"
    (run / "checkpoints" / "best.keras").unlink()
    assert load_model_for_export(run).name == "run_last"
    (run / "checkpoints" / "last.keras").unlink()
    with pytest.raises(MissingFileError, match="has no checkpoint yet"):
        load_model_for_export(run)

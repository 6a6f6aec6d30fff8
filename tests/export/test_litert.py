"""`export_tflite` claims: the path must end in .tflite and an existing file is never replaced
unasked."""

from __future__ import annotations

import pytest

from keras_resnet.export.litert import export_tflite
from tests.export.conftest import listing, tiny_classifier


def test_tflite_path_must_end_in_tflite(tmp_path):
    with pytest.raises(ValueError, match=r"expected a path ending in \.tflite, got .*model\.lite"):
        export_tflite(tiny_classifier(), tmp_path / "model.lite")
    assert listing(tmp_path) == []


def test_export_tflite_does_not_replace_an_existing_file_without_overwrite(tmp_path):
    (tmp_path / "model.tflite").write_bytes(b"keep me")
    with pytest.raises(ValueError, match="already exists; pass overwrite=True"):
        export_tflite(tiny_classifier(), tmp_path / "model.tflite")
    assert (tmp_path / "model.tflite").read_bytes() == b"keep me" and listing(tmp_path) == ["model.tflite"]

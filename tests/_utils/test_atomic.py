"""The one atomic-write scheme: a target is replaced whole or not at all, never half-written."""

import json

import pytest

from keras_resnet._utils.atomic import atomic_path, write_json, write_text


def test_a_finished_write_replaces_the_target_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "sub" / "report.json"
    write_json(target, {"a": (1, 2)})
    assert json.loads(target.read_text()) == {"a": [1, 2]}
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_a_failed_write_leaves_the_old_target_untouched_and_no_temporary_file(tmp_path):
    target = write_text(tmp_path / "notes.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half of the new")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_block_that_writes_nothing_leaves_the_target_alone(tmp_path):
    target = write_text(tmp_path / "best.keras", "previous checkpoint")
    with atomic_path(target):
        pass  # e.g. ModelCheckpoint(save_best_only=True) in an epoch that did not improve
    assert target.read_text() == "previous checkpoint"


def test_the_temporary_name_is_unique_hidden_and_keeps_the_suffixes(tmp_path):
    with (
        atomic_path(tmp_path / "epoch-00001.weights.h5") as first,
        atomic_path(tmp_path / "epoch-00001.weights.h5") as second,
    ):
        assert first != second
        assert first.name.startswith(".epoch-00001.weights.h5.") and first.name.endswith(".weights.h5")

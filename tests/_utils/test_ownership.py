"""The ownership rule: a folder is replaced only when the tool can prove it wrote what is there."""

import pytest

from keras_resnet._utils import ownership
from keras_resnet.errors import ForeignPathError


def test_a_folder_holding_only_the_tools_transient_entries_counts_as_empty(tmp_path):
    # Two workers of one run start together: one's write probe and marked scratch folder may be
    # in the run folder while the other checks it.
    (tmp_path / ".keras-resnet-probe-0a1b2c3d.tmp").write_bytes(b"\0")
    ownership.claim(tmp_path / ".worker-1", "run")
    ownership.check_replaceable(tmp_path, "run")  # no error


@pytest.mark.parametrize("entry", ["notes.txt", ".hidden-folder", ".probe.tmp-folder"])
def test_anything_else_makes_the_folder_foreign(tmp_path, entry):
    path = tmp_path / entry
    path.write_text("the user's") if entry.endswith(".txt") else path.mkdir()
    with pytest.raises(ForeignPathError, match="did not write"):
        ownership.check_replaceable(tmp_path, "run")
    assert path.exists()


def test_a_probe_whose_new_folder_another_process_removes_meanwhile_tries_again(tmp_path, monkeypatch):
    # Two workers of one run probe the same new run folder, and each removes the folders it made.
    folder = tmp_path / "run"
    removed = []

    def open_after_the_other_worker_removed_the_folder(path, *args, **kwargs):
        if not removed:
            removed.append(path)
            folder.rmdir()
        return open(path, *args, **kwargs)

    monkeypatch.setattr(ownership, "open", open_after_the_other_worker_removed_the_folder, raising=False)
    ownership.probe_writable(folder)
    assert removed and not folder.exists()  # probed on the second try, and nothing left behind


def test_a_probe_error_that_is_not_the_disk_is_not_reported_as_a_full_disk(tmp_path, monkeypatch):
    import errno

    def broken_fsync(fd):
        raise OSError(errno.EBADF, "Bad file descriptor")  # a bug in the caller, not the disk

    monkeypatch.setattr(ownership.os, "fsync", broken_fsync)
    with pytest.raises(OSError) as caught:
        ownership.probe_writable(tmp_path)
    assert caught.value.errno == errno.EBADF and not isinstance(caught.value, ownership.DiskFullError)

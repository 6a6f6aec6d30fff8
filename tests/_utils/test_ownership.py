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

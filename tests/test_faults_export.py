"""Faults around exports and folders (issue #17): the tool replaces only what it can prove it wrote,
and an export killed at any step of its commit leaves the old or the new export complete, with every
hidden leftover removed by the next export. The exports here are stand-ins written through the real
staging and commit code, so a kill can be placed at each step without TensorFlow."""

import os
import signal
import subprocess
import sys
import time

import pytest
from faults_helpers import (
    ENV,
    commit_fake_export,
    export_tag,
    hidden_leftovers,
    run_python,
    tree_hashes,
    users_folder,
    write_fake_export,
)

from keras_resnet._utils import ownership
from keras_resnet.errors import ForeignPathError, InvalidInputError
from keras_resnet.export import destination
from keras_resnet.export.destination import check_out_dir, clean_leftovers, staged_folder
from keras_resnet.training.run_folder import RunFolder, init_run_dir, open_run_dir

# Folders that ask nothing of the tool (`(name, files)`): the flags must never touch them.
FOREIGN = [
    ("web project", {"config.json": '{"name": "site", "port": 80}', "index.html": "<html></html>"}),
    ("thesis", {"thesis.txt": "five years of work", "figures/plot.png": "png"}),
]


@pytest.mark.parametrize("resume,overwrite", [(False, True), (True, False), (False, False)])
@pytest.mark.parametrize("kind,files", FOREIGN)
def test_a_run_never_resumes_or_overwrites_a_folder_it_did_not_write(
    tmp_path, kind, files, resume, overwrite
):
    before = users_folder(tmp_path / "out", files)
    with pytest.raises(ForeignPathError, match="keras-resnet did not write|left untouched"):
        open_run_dir(tmp_path / "out", resume=resume, overwrite=overwrite)
    assert tree_hashes(tmp_path / "out") == before


def test_a_run_folder_from_before_markers_resumes_and_is_replaced_only_when_it_holds_run_files(tmp_path):
    legacy = users_folder(tmp_path / "old", {"config.json": '{"train_config": {"model": "tiny"}}'})
    run, saved = open_run_dir(tmp_path / "old", resume=True, overwrite=False)
    assert saved["train_config"]["model"] == "tiny" and not run.is_ours()
    open_run_dir(tmp_path / "old", resume=False, overwrite=True)  # only run files: replaceable
    (tmp_path / "old" / "thesis.txt").write_text("mine")
    before = tree_hashes(tmp_path / "old")
    with pytest.raises(ForeignPathError):
        open_run_dir(tmp_path / "old", resume=False, overwrite=True)
    with pytest.raises(ForeignPathError):
        init_run_dir(RunFolder(tmp_path / "old"), overwrite=True)
    assert tree_hashes(tmp_path / "old") == before and legacy.items() <= before.items()


def test_a_marked_run_folder_is_replaced_on_overwrite(tmp_path):
    run = RunFolder(tmp_path / "run")
    init_run_dir(run, overwrite=False)
    run.config.write_text('{"train_config": {}}')
    (run.checkpoints / "last.keras").write_text("old")
    open_run_dir(run.root, resume=False, overwrite=True)
    init_run_dir(run, overwrite=True)
    assert ownership.is_ours(run.root, "run") and not (run.checkpoints / "last.keras").exists()


def test_resuming_removes_the_temporary_files_of_writes_a_kill_interrupted_and_nothing_else(tmp_path):
    run = RunFolder(tmp_path / "run")
    init_run_dir(run, overwrite=False)
    (run.backup).mkdir()
    killed = [
        run.checkpoints / ".best.keras.1b314e70a4fd.tmp.keras",
        run.backup / ".state.json.0123456789ab.tmp.json",
    ]
    for path in killed:
        path.write_bytes(b"half a file")
    kept = users_folder(run.root / "notes", {".hidden.txt": "mine", "a.tmp": "mine too"})
    init_run_dir(run, overwrite=False)
    assert not any(path.exists() for path in killed)
    assert tree_hashes(run.root / "notes") == kept


@pytest.mark.parametrize("kind,files", FOREIGN)
def test_an_export_never_replaces_a_folder_it_did_not_write(tmp_path, kind, files):
    before = users_folder(tmp_path / "out", files)
    with pytest.raises(ForeignPathError, match="left untouched"):
        check_out_dir(tmp_path / "out", overwrite=True)
    with pytest.raises(ForeignPathError), staged_folder(tmp_path / "out", overwrite=True) as partial:
        write_fake_export(partial, "n")
    assert tree_hashes(tmp_path / "out") == before
    assert hidden_leftovers(tmp_path, "out") == []


def test_an_export_replaces_its_own_export_and_a_marker_less_one_that_holds_only_export_files(tmp_path):
    commit_fake_export(tmp_path / "out", "a")
    commit_fake_export(tmp_path / "out", "b")
    assert export_tag(tmp_path / "out") == "b" and ownership.is_ours(tmp_path / "out", "export")
    write_fake_export(tmp_path / "legacy", "a")  # an export from before markers
    commit_fake_export(tmp_path / "legacy", "b")
    assert export_tag(tmp_path / "legacy") == "b"
    with pytest.raises(InvalidInputError, match="already exists; pass overwrite=True"):
        check_out_dir(tmp_path / "out", overwrite=False)


KILL_STEPS = {
    "exchange": ["staged", "exchanged"],
    "journal": ["staged", "journal-written", "old-moved-aside", "new-moved-in"],
}
KILL_CASES = [(way, step) for way, steps in KILL_STEPS.items() for step in steps] + [("new", "committed")]


@pytest.mark.slow
@pytest.mark.parametrize("way,step", KILL_CASES)
def test_an_export_killed_at_each_step_of_its_commit_leaves_a_complete_export(tmp_path, way, step):
    """kill -9 (os._exit) exactly at `step`: the target holds the old or the new export complete;
    the next export completes or removes every hidden leftover, and a foreign one stays."""
    out = tmp_path / "out"
    if way != "new":
        commit_fake_export(out, "a")
    foreign = users_folder(tmp_path / ".out.partial-someone", {"notes.txt": "not the tool's"})
    code = f"""
import os
from keras_resnet.export import destination
from faults_helpers import commit_fake_export
if {way == "journal"}:
    destination._exchange = lambda a, b: False
def stop(name):
    if name == {step!r}:
        os._exit(137)
destination._reached = stop
commit_fake_export({str(out)!r}, "b")
"""
    result = run_python(code, timeout=60)
    assert result.returncode == 137, result.stderr
    expected = {"a", "b"} if way != "new" else {"b", None}
    if way == "journal" and step == "old-moved-aside":
        assert not out.exists()  # the one window without an atomic swap: the journal resolves it
        clean_leftovers(out)
    assert export_tag(out) in expected
    commit_fake_export(out, "c")
    assert export_tag(out) == "c"
    assert hidden_leftovers(tmp_path, "out") == [".out.partial-someone"]
    assert tree_hashes(tmp_path / ".out.partial-someone") == foreign


@pytest.mark.slow
def test_an_export_killed_at_a_random_moment_leaves_a_complete_export(tmp_path):
    """A timed kill -9 of a process that exports again and again: whatever moment it hits, the target
    holds a complete export, and the next export leaves no hidden folder behind."""
    out = tmp_path / "out"
    commit_fake_export(out, "a")
    code = f"""
from faults_helpers import commit_fake_export
import itertools
for i in itertools.count():
    commit_fake_export({str(out)!r}, "bc"[i % 2])
"""
    for delay in (0.3, 0.45, 0.6):
        process = subprocess.Popen([sys.executable, "-c", code], env=ENV, cwd=tmp_path)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert export_tag(out) in {"a", "b", "c"}, sorted(os.listdir(tmp_path))
    commit_fake_export(out, "d")
    assert export_tag(out) == "d" and hidden_leftovers(tmp_path, "out") == []


def test_a_staging_folder_of_an_export_still_running_elsewhere_is_left_alone(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        ownership.claim(tmp_path / ".out.partial-busy", "export", pid=sleeper.pid)
        commit_fake_export(tmp_path / "out", "a")
        assert hidden_leftovers(tmp_path, "out") == [".out.partial-busy"]
    finally:
        sleeper.kill()
        sleeper.wait()
    commit_fake_export(tmp_path / "out", "b")
    assert hidden_leftovers(tmp_path, "out") == []


def test_the_commit_is_one_atomic_swap_on_this_platform(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x").write_text("from a")
    if not destination._exchange(tmp_path / "a", tmp_path / "b"):
        pytest.skip("no atomic rename-exchange here; the journal commit is used (tested above)")
    assert (tmp_path / "b" / "x").read_text() == "from a" and not (tmp_path / "a" / "x").exists()

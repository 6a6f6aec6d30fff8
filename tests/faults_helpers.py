"""Helpers of the fault-injection tests: hashes of the user's files, the CLI as one line, a
folder the tool did not write, and a stand-in export that a killed process can leave half done."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)]), "TF_CPP_MIN_LOG_LEVEL": "2"}


def tree_hashes(folder) -> dict:
    """{relative path: sha256} of every file under `folder`: equal before and after means untouched."""
    folder = Path(folder)
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def users_folder(folder, files: dict) -> dict:
    """Make `folder` holding `files` ({name: text}), as a user would; returns its hashes."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return tree_hashes(folder)


def cli_error(capsys, args) -> str:
    """Run the CLI in-process; assert it exits 2 with exactly one line on stderr; return the line."""
    from keras_resnet.cli import main

    capsys.readouterr()
    code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def run_python(code: str, *, timeout: int = 300, env=None) -> subprocess.CompletedProcess:
    """`python -c code` in a fresh interpreter with the repository importable."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env or ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# A stand-in export: a few files that all carry one version tag, so a folder is complete exactly when
# every file is there and every file carries the same tag as the report.
EXPORT_FILES = ("export_report.json", "model_float32.tflite", "saved_model/saved_model.pb")


def write_fake_export(folder, tag: str) -> None:
    for name in EXPORT_FILES:
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(tag * 200)


def export_tag(folder) -> str | None:
    """The tag of a complete stand-in export in `folder`, else None (missing or mixed files)."""
    folder = Path(folder)
    try:
        texts = {(folder / name).read_text() for name in EXPORT_FILES}
    except OSError:
        return None
    return texts.pop()[:1] if len(texts) == 1 else None


def hidden_leftovers(parent, name: str) -> list[str]:
    """The `.NAME.*` staging, old and journal entries an export of `name` left in `parent`."""
    return sorted(p.name for p in Path(parent).iterdir() if p.name.startswith(f".{name}."))


def commit_fake_export(out_dir, tag: str) -> None:
    """Export the stand-in through the real staging and commit code (overwrite allowed)."""
    from keras_resnet.export.destination import staged_folder

    with staged_folder(Path(out_dir), overwrite=True) as partial:
        write_fake_export(partial, tag)

"""The tutobooks pass keras-io's tutobook rules (its scripts/tutobooks.py `validate`: the header
fields in order, a capitalised Description under 100 characters ending with a period, no
one-line triple-quoted strings, no trailing spaces, formatted code), the notebooks ask for a GPU
where the full run needs one, and the repository URL is written in pyproject.toml alone."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.conftest import load_example_script

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


make_notebooks = load_example_script("make_notebooks")
TUTOBOOKS = make_notebooks.tutobooks()

GOOD = '''"""
Title: A tiny example
Author: keras-resnet developers
Date created: 2026/12/01
Last modified: 2026/12/01
Description: Says hello.
Accelerator: None
Quick mode: a second
Full mode: a minute
"""

"""
## Hello
"""

print("hello")
'''


@pytest.mark.parametrize("path", TUTOBOOKS, ids=lambda p: p.stem)
def test_every_tutobook_passes_keras_io_header_and_text_rules(path):
    header = make_notebooks.validate(path.read_text(encoding="utf-8"), path)
    assert len(header["Description"]) < 100


def test_every_tutobook_is_formatted():
    ruff = [sys.executable, "-m", "ruff", "format", "--check", "--diff", *map(str, TUTOBOOKS)]
    done = subprocess.run(ruff, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_good_header_passes():
    assert make_notebooks.validate(GOOD)["Full mode"] == "a minute"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: "r" + t, 'starts with a """-fenced header'),
        (lambda t: t.replace("Author:", "By:"), "line 3 must be the `Author:` field"),
        (lambda t: t.replace("Says hello.", "Says hello"), "end with a period"),
        (lambda t: t.replace("Says hello.", "says hello."), "capitalised"),
        (lambda t: t.replace("Says hello.", "S" + "a" * 98 + "."), "has 100 characters"),
        (lambda t: t.replace("Accelerator: None", "Accelerator: CPU"), "Accelerator must be one of"),
        (lambda t: t.replace("Quick mode: a second\n", ""), "lacks Quick mode"),
        (lambda t: t.replace('print("hello")', 'print("hello")  '), "trailing space"),
        (lambda t: t + '"""One line."""\n', 'one-line """-fenced strings'),
    ],
    ids=["r-fence", "author", "period", "capital", "length", "accelerator", "run-time", "space", "one-line"],
)
def test_a_header_or_text_breaking_a_rule_is_refused_with_the_rule(edit, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_notebooks.validate(edit(GOOD))


def _full_run_minutes(text: str) -> float:
    """The longest duration that the Full mode line states, in minutes (hours count 60)."""
    minutes = [float(n) for n in re.findall(r"(\d+) min", text)]
    minutes += [60 * float(n) for n in re.findall(r"(\d+)(?: to \d+)? hours?", text)]
    return max(minutes, default=0.0)


@pytest.mark.parametrize("path", TUTOBOOKS, ids=lambda p: p.stem)
def test_a_notebook_whose_full_run_takes_half_an_hour_or_more_asks_colab_for_a_gpu(path):
    header = make_notebooks.parse_tutobook(path).header
    notebook = nbformat.read(path.with_suffix(".ipynb"), as_version=4)
    if _full_run_minutes(header["Full mode"]) >= 30:
        assert header["Accelerator"] == "GPU"
    assert notebook.metadata.get("accelerator", "None") == header["Accelerator"]


def test_the_repository_url_is_written_in_pyproject_alone_the_notebooks_get_it_generated():
    github_path = make_notebooks.read_project().github_path
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    writers = [
        name
        for name in tracked
        if not name.endswith((".png", ".ipynb"))
        and (ROOT / name).is_file()
        and github_path in (ROOT / name).read_text(encoding="utf-8", errors="ignore")
    ]
    assert writers == ["pyproject.toml"]
    for notebook in EXAMPLES.glob("*.ipynb"):
        title = nbformat.read(notebook, as_version=4).cells[0].source
        assert make_notebooks.colab_url(notebook.stem) in title

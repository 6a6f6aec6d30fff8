"""Examples: every notebook is what its tutobook generates, and every notebook runs in quick mode.

Executing a generated notebook runs exactly its `.py`'s code (plus the install cell), so the
notebook runs also prove the tutobooks run. Each notebook is its own test, in a fresh kernel, in a
temporary working folder, with KERAS_RESNET_QUICK=1 (tiny epochs and data) and MPLBACKEND=Agg.
"""

import os
import time
from pathlib import Path

import pytest

from tests.conftest import load_example_script

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CELL_TIMEOUT_SECONDS = 300
QUICK_ENV = {"KERAS_RESNET_QUICK": "1", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2"}


make_notebooks = load_example_script("make_notebooks")

TUTOBOOK = '''"""
Title: A tiny example
Author: keras-resnet developers
Date created: 2026/11/23
Last modified: 2026/11/23
Description: Says hello.
Accelerator: None
Quick mode: a second
Full mode: a minute
"""

"""
## Hello
"""

import os

QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"


def greet():
    """Not a markdown cell: it is indented."""
    return "hello"

"""
Done.
"""
print(greet())
'''


def test_committed_notebooks_are_what_their_tutobooks_generate():
    assert make_notebooks.tutobooks(), f"no tutobooks found in {EXAMPLES}"
    stale = make_notebooks.stale_notebooks()
    assert not stale, f"stale notebooks: {stale}; regenerate them with: {make_notebooks.COMMAND}"


def test_tutobook_top_level_strings_become_markdown_cells_and_code_between_them_one_cell(tmp_path):
    path = tmp_path / "tiny.py"
    path.write_text(TUTOBOOK)
    book = make_notebooks.parse_tutobook(path)
    assert book.header["Title"] == "A tiny example"
    assert [kind for kind, _ in book.cells] == ["markdown", "code", "markdown", "code"]
    assert book.cells[1][1].startswith("import os") and "def greet" in book.cells[1][1]
    notebook = make_notebooks.to_notebook(book)
    assert notebook.cells[0].source.startswith("# A tiny example")
    assert [cell.cell_type for cell in notebook.cells[:3]] == ["markdown", "code", "code"]  # install, QUICK
    assert make_notebooks.colab_url("tiny") in notebook.cells[0].source
    assert all(
        cell.get("execution_count") is None and not cell.get("outputs")
        for cell in notebook.cells
        if cell.cell_type == "code"
    )
    assert make_notebooks.render(path) == make_notebooks.render(path)  # deterministic


def test_tutobook_without_a_full_header_is_refused_naming_the_missing_field(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text(TUTOBOOK.replace("Accelerator: None\n", ""))
    with pytest.raises(ValueError, match="line 7 must be the `Accelerator:` field"):
        make_notebooks.parse_tutobook(path)


def test_check_names_edited_missing_and_orphaned_notebooks(tmp_path):
    for name in ("edited", "missing"):
        (tmp_path / f"{name}.py").write_text(TUTOBOOK)
    make_notebooks.write_notebooks(tmp_path)
    (tmp_path / "missing.ipynb").unlink()
    with open(tmp_path / "edited.py", "a") as f:
        f.write("print('changed')\n")
    (tmp_path / "orphan.ipynb").write_text("{}")
    stale = make_notebooks.stale_notebooks(tmp_path)
    assert [s.split()[0] for s in stale] == ["edited.ipynb", "missing.ipynb", "orphan.ipynb"]
    assert make_notebooks.main(["--check", "--examples-dir", str(tmp_path)]) == 1
    make_notebooks.write_notebooks(tmp_path)
    (tmp_path / "orphan.ipynb").unlink()
    assert make_notebooks.main(["--check", "--examples-dir", str(tmp_path)]) == 0


@pytest.mark.slow
@pytest.mark.parametrize("notebook", sorted(EXAMPLES.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom_in_quick_mode(notebook, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    start = time.perf_counter()
    client.execute(env={**os.environ, **QUICK_ENV})  # a failing cell raises CellExecutionError
    seconds = time.perf_counter() - start
    print(f"{notebook.name} executed in quick mode in {seconds:.1f} s")
    errors = [
        out for cell in nb.cells for out in cell.get("outputs", []) if out.get("output_type") == "error"
    ]
    assert not errors

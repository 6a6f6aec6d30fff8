"""Turn each keras-io style "tutobook" examples/NAME.py into its Colab notebook examples/NAME.ipynb.

Run: python examples/scripts/make_notebooks.py           (writes every notebook)
     python examples/scripts/make_notebooks.py --check   (exit 1, naming the stale ones, when a
                                                          committed notebook differs from its .py)

A tutobook opens with a docstring header (Title, Author, Date created, Last modified, Description,
Accelerator); every other top-level string literal is a markdown cell and the code between two of
them is one code cell. The notebook gets a title cell with an "Open in Colab" badge and the header,
then a cell that installs the library only where it is missing, then the tutobook's cells. The
output is a pure function of the .py (no outputs, no execution counts, cell ids from name and
position), so the notebooks are never edited by hand: change the .py and run this script.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import sys
from pathlib import Path

import nbformat

GITHUB_REPO = "keras-resnet/keras-resnet"
"""GitHub org/repo that the Colab badge and the install cell point at (written only here)."""

EXAMPLES_DIR = Path(__file__).resolve().parent.parent
HEADER_FIELDS = ("Title", "Author", "Date created", "Last modified", "Description", "Accelerator")
ACCELERATORS = ("None", "GPU", "TPU")
COMMAND = "python examples/scripts/make_notebooks.py"

# The PyPI name "keras-resnet" belongs to an unrelated older project: install from GitHub.
INSTALL_CELL = f"""\
# Install keras-resnet where it is missing (a fresh Colab runtime); an installed copy is used as is.
# (The PyPI name "keras-resnet" is an unrelated older project, so the install is from GitHub.)
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("keras_resnet") is None:
    source = "git+https://github.com/{GITHUB_REPO}"
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", source])"""


@dataclasses.dataclass(frozen=True)
class Tutobook:
    """A parsed example: its name, header fields, and cells as ("markdown" | "code", text)."""

    name: str
    header: dict[str, str]
    cells: tuple[tuple[str, str], ...]


def colab_url(name: str) -> str:
    return f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/main/examples/{name}.ipynb"


def parse_tutobook(path: Path) -> Tutobook:
    """Split `path` into its header and cells; ValueError (naming the file) if it is no tutobook."""
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    try:
        module = ast.parse(source, filename=str(path))
    except SyntaxError as err:
        raise ValueError(f"{path}: not valid Python ({err})") from None
    lines = source.splitlines()
    strings = [
        node
        for node in module.body
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    ]
    if not module.body or not strings or strings[0] is not module.body[0]:
        raise ValueError(
            f"{path}: a tutobook starts with a docstring header holding {', '.join(HEADER_FIELDS)}"
        )
    header = _parse_header(strings[0].value.value, path)
    cells = []
    previous_end = strings[0].end_lineno
    for node in strings[1:] + [None]:
        start = node.lineno if node is not None else len(lines) + 1
        code = "\n".join(lines[previous_end : start - 1]).strip("\n")
        if code.strip():
            cells.append(("code", code.rstrip()))
        if node is not None:
            text = inspect.cleandoc(node.value.value)
            if text:
                cells.append(("markdown", text))
            previous_end = node.end_lineno
    return Tutobook(name=path.stem, header=header, cells=tuple(cells))


def _parse_header(text: str, path: Path) -> dict[str, str]:
    header: dict[str, str] = {}
    last = None
    for line in inspect.cleandoc(text).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() in HEADER_FIELDS:
            last = key.strip()
            header[last] = value.strip()
        elif line.strip() and last is not None:  # a wrapped value continues the previous field
            header[last] = f"{header[last]} {line.strip()}"
    missing = [field for field in HEADER_FIELDS if not header.get(field)]
    if missing:
        raise ValueError(
            f"{path}: the header lacks {', '.join(missing)} (a tutobook header holds "
            f"'Field: value' lines for {', '.join(HEADER_FIELDS)})"
        )
    if header["Accelerator"] not in ACCELERATORS:
        raise ValueError(
            f"{path}: Accelerator must be one of {', '.join(ACCELERATORS)}, got {header['Accelerator']!r}"
        )
    return header


def to_notebook(book: Tutobook) -> nbformat.NotebookNode:
    """The notebook for `book`: title and badge, the install cell, then the tutobook's cells."""
    h = book.header
    title = "\n".join(
        [
            f"# {h['Title']}",
            "",
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(book.name)})",
            "",
            f"**Author:** {h['Author']}<br>",
            f"**Date created:** {h['Date created']}<br>",
            f"**Last modified:** {h['Last modified']}<br>",
            f"**Description:** {h['Description']}<br>",
            f"**Accelerator:** {h['Accelerator']}",
        ]
    )
    cells = [("markdown", title), ("code", INSTALL_CELL), *book.cells]
    nb = nbformat.v4.new_notebook()
    for index, (kind, text) in enumerate(cells):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        nb.cells.append(make(text, id=_cell_id(book.name, index)))
    nb.metadata = nbformat.from_dict(
        {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "colab": {"provenance": [], "toc_visible": True},
        }
    )
    if h["Accelerator"] != "None":
        nb.metadata["accelerator"] = h["Accelerator"]
    nbformat.validate(nb)
    return nb


def _cell_id(name: str, index: int) -> str:
    # nbformat ids: 1-64 characters of [a-zA-Z0-9-_]; stable across runs so diffs stay small.
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
    return f"{safe[:56]}-{index:03d}"


def render(path: Path) -> str:
    """The exact text of the notebook generated from the tutobook at `path`."""
    return nbformat.writes(to_notebook(parse_tutobook(path)), version=4) + "\n"


def tutobooks(examples_dir: Path = EXAMPLES_DIR) -> list[Path]:
    """Every examples/*.py (each one is a tutobook; scripts live in examples/scripts/)."""
    return sorted(Path(examples_dir).glob("*.py"))


def stale_notebooks(examples_dir: Path = EXAMPLES_DIR) -> list[str]:
    """Notebooks that are missing, differ from what their .py generates, or have no .py left."""
    examples_dir = Path(examples_dir)
    stale = []
    sources = tutobooks(examples_dir)
    for path in sources:
        notebook = path.with_suffix(".ipynb")
        if not notebook.is_file():
            stale.append(f"{notebook.name} (missing)")
        elif notebook.read_text(encoding="utf-8") != render(path):
            stale.append(f"{notebook.name} (differs from {path.name})")
    names = {path.stem for path in sources}
    stale += [
        f"{nb.name} (no {nb.stem}.py)" for nb in sorted(examples_dir.glob("*.ipynb")) if nb.stem not in names
    ]
    return stale


def write_notebooks(examples_dir: Path = EXAMPLES_DIR) -> list[Path]:
    """(Re)write the notebook of every tutobook; returns the notebooks whose text changed."""
    changed = []
    for path in tutobooks(examples_dir):
        notebook = path.with_suffix(".ipynb")
        text = render(path)
        if not notebook.is_file() or notebook.read_text(encoding="utf-8") != text:
            notebook.write_text(text, encoding="utf-8")
            changed.append(notebook)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a notebook is not what its .py generates",
    )
    parser.add_argument("--examples-dir", type=Path, default=EXAMPLES_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = stale_notebooks(args.examples_dir)
            if stale:
                print(
                    "stale notebooks:\n  "
                    + "\n  ".join(stale)
                    + f"\nregenerate them with: {COMMAND}  (delete a notebook whose .py is gone)",
                    file=sys.stderr,
                )
                return 1
            print(f"all {len(tutobooks(args.examples_dir))} notebooks are current")
            return 0
        changed = write_notebooks(args.examples_dir)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for notebook in changed:
        print(f"wrote {notebook}")
    print(f"{len(changed)} of {len(tutobooks(args.examples_dir))} notebooks changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

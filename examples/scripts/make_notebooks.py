"""Turn each keras-io style "tutobook" examples/NAME.py into its Colab notebook examples/NAME.ipynb.

Run: python examples/scripts/make_notebooks.py           (writes every notebook)
     python examples/scripts/make_notebooks.py --check   (exit 1, naming the stale ones, when a
                                                          committed notebook differs from its .py)

A tutobook opens with keras-io's docstring header (`validate` checks it as keras-io's
scripts/tutobooks.py does, plus two run-time lines); every other top-level triple-quoted string
is a markdown cell and the code between two of them is one code cell. jupytext's "sphinx" reader
does that split. This script adds what a Colab notebook needs around the tutobook's cells: a
title cell with the "Open in Colab" badge and the header, a cell that installs this distribution
unless it is installed at this version, and the visible `QUICK` parameter cell that replaces the
tutobook's `QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"` line. The output is a pure
function of the .py, pyproject.toml and the version (no outputs, no execution counts, cell ids
from name and position), so the notebooks are never edited by hand: change the .py and run this.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import runpy
import sys
from pathlib import Path

import jupytext
import nbformat

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: jupytext depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples"
COMMAND = "python examples/scripts/make_notebooks.py"
# keras-io's header: these lines, in this order, right after the opening quotes.
HEADER_FIELDS = ("Title", "Author", "Date created", "Last modified", "Description", "Accelerator")
# Ours, after keras-io's: the expected run time of each mode, printed by the QUICK cell.
RUN_TIME_FIELDS = ("Quick mode", "Full mode")
ACCELERATORS = ("None", "GPU", "TPU")
DESCRIPTION_LIMIT = 100  # keras-io: "Description field content must be less than 100 chars"
QUICK_LINE = re.compile(r'^QUICK = os\.environ\.get\("KERAS_RESNET_QUICK"\) == "1".*\n', re.MULTILINE)
UNRELATED_DISTRIBUTION = "keras-resnet"  # broadinstitute/keras-resnet (2019): also installs keras_resnet/


@dataclasses.dataclass(frozen=True)
class Project:
    """What the notebooks say about this project, read from pyproject.toml and `_version.py`."""

    distribution: str
    version: str
    repository: str  # https://github.com/OWNER/NAME

    @property
    def github_path(self) -> str:
        return self.repository.removeprefix("https://github.com/").rstrip("/")


def read_project(root: Path = ROOT) -> Project:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    version = runpy.run_path(str(root / "keras_resnet" / "_version.py"))["__version__"]
    return Project(pyproject["name"], version, pyproject["urls"]["Repository"])


@dataclasses.dataclass(frozen=True)
class Tutobook:
    """A parsed example: its name, header fields, and cells as ("markdown" | "code", text)."""

    name: str
    header: dict[str, str]
    cells: tuple[tuple[str, str], ...]


def validate(text: str, path: Path | str = "<tutobook>") -> dict[str, str]:
    """keras-io's tutobook checks (header lines in order, Description capitalised, ending with a
    period and under 100 characters, no one-line triple-quoted strings, no trailing spaces) and
    ours (an Accelerator keras-io knows, both run-time lines); returns the header fields.
    Formatting (keras-io runs black) is `ruff format --check`, run by the tests on every tutobook.
    """
    lines = text.split("\n")

    def fail(message: str):
        raise ValueError(f"{path}: {message}")

    if not lines[0].startswith('"""'):
        fail('a tutobook starts with a """-fenced header (not r""" or a comment)')
    header: dict[str, str] = {}
    for index, field in enumerate(HEADER_FIELDS, start=1):
        names = ("Author", "Authors") if field == "Author" else (field,)
        line = lines[index] if index < len(lines) else ""
        name = next((n for n in names if line.startswith(f"{n}: ")), None)
        if name is None:
            fail(f"line {index + 1} must be the `{field}:` field (keras-io's header order)")
        header[field] = line[len(name) + 2 :].strip()
    for line in lines[len(HEADER_FIELDS) + 1 : lines.index('"""', 1) if '"""' in lines[1:] else None]:
        key, _, value = line.partition(": ")
        if key in RUN_TIME_FIELDS:
            header[key] = value.strip()
    description = header["Description"]
    if (
        not description or description[0] != description[0].upper() or not description.endswith((".", "。"))
    ):  # 。 is the Chinese full stop
        fail("the Description must be capitalised and end with a period")
    if len(description) >= DESCRIPTION_LIMIT:
        fail(f"the Description has {len(description)} characters; keras-io allows under {DESCRIPTION_LIMIT}")
    if header["Accelerator"] not in ACCELERATORS:
        fail(f"Accelerator must be one of {', '.join(ACCELERATORS)}, got {header['Accelerator']!r}")
    missing = [field for field in RUN_TIME_FIELDS if not header.get(field)]
    if missing:
        fail(f"the header lacks {', '.join(missing)} (e.g. `Quick mode: about 1 minute on a CPU`)")
    for number, line in enumerate(lines, start=1):
        if line.startswith('"""') and line.endswith('"""') and len(line) > 3:
            fail(f'line {number}: keras-io refuses one-line """-fenced strings')
        if line.endswith(" "):
            fail(f"line {number}: trailing space")
    return header


def parse_tutobook(path: Path) -> Tutobook:
    """Split `path` into its header and cells; ValueError (naming the file) if it is no tutobook."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    header = validate(text, path)
    # jupytext's reader knows """ and ''' fences; r""" keeps LaTeX backslashes intact in the .py.
    notebook = jupytext.reads(re.sub(r'(?m)^r"""$', '"""', text), fmt="py:sphinx")
    cells = [(cell.cell_type, cell.source.strip("\n")) for cell in notebook.cells]
    if cells[0] == ("code", "%matplotlib inline"):  # the sphinx reader adds it; Colab needs none
        cells.pop(0)
    cells.pop(0)  # the header: it becomes the title cell
    return Tutobook(name=path.stem, header=header, cells=tuple(c for c in cells if c[1].strip()))


def colab_url(name: str, project: Project | None = None) -> str:
    project = project or read_project()
    return f"https://colab.research.google.com/github/{project.github_path}/blob/main/examples/{name}.ipynb"


def install_cell(project: Project) -> str:
    """The first code cell: install `project` unless that distribution at that version is present.

    It asks the distribution metadata, not the import name, because the unrelated package
    "keras-resnet" installs the same `keras_resnet` folder; that one is uninstalled first.
    """
    source = f"{project.distribution} @ git+{project.repository}"
    return f'''\
# Install {project.distribution} {project.version} (import name keras_resnet) unless it is installed.
# The unrelated package "{UNRELATED_DISTRIBUTION}" writes the same keras_resnet/ folder: it goes first.
import importlib.metadata
import subprocess
import sys

DISTRIBUTION, VERSION = "{project.distribution}", "{project.version}"
SOURCE = "{source}"


def installed(name):
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def pip(*args):
    subprocess.check_call([sys.executable, "-m", "pip", "-q", *args])


ours, unrelated = installed(DISTRIBUTION), installed("{UNRELATED_DISTRIBUTION}")
if unrelated is not None and "keras_resnet.cli:main" in (unrelated.read_text("entry_points.txt") or ""):
    ours, unrelated = ours or unrelated, None  # this project, installed before it was renamed
if unrelated is not None:
    print(f"uninstalling the unrelated {UNRELATED_DISTRIBUTION} {{unrelated.version}}: it owns keras_resnet/ too")
    pip("uninstall", "-y", "{UNRELATED_DISTRIBUTION}")
if ours is None or ours.version != VERSION:
    pip("install", SOURCE)
elif unrelated is not None:  # its uninstall deleted the files the two shared
    pip("install", "--force-reinstall", "--no-deps", SOURCE)
ours = installed(DISTRIBUTION) or ours
print(ours.metadata["Name"], ours.version)'''


def quick_cell(header: dict[str, str]) -> str:
    """The visible parameter cell: QUICK, overridden by KERAS_RESNET_QUICK (CI sets it to 1)."""
    quick, full = header["Quick mode"], header["Full mode"]
    return f"""\
# QUICK = True runs a tiny version that checks the code, QUICK = False the full example; the
# cell prints how long each takes. The environment variable KERAS_RESNET_QUICK (1 or 0), where
# set, decides instead (CI sets 1).
import os

QUICK = False  # @param {{type:"boolean"}}
QUICK = os.environ.get("KERAS_RESNET_QUICK", "1" if QUICK else "0") == "1"
print("expected run time with QUICK = True: {quick}")
print("expected run time with QUICK = False: {full}")
print("running with QUICK =", QUICK)"""


def title_cell(book: Tutobook, project: Project) -> str:
    h = book.header
    return "\n".join(
        [
            f"# {h['Title']}",
            "",
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(book.name, project)})",
            "",
            f"**Author:** {h['Author']}<br>",
            f"**Date created:** {h['Date created']}<br>",
            f"**Last modified:** {h['Last modified']}<br>",
            f"**Description:** {h['Description']}<br>",
            f"**Accelerator:** {h['Accelerator']}<br>",
            f"**Run time:** quick mode {h['Quick mode']}; full mode {h['Full mode']}",
        ]
    )


def to_notebook(book: Tutobook, project: Project | None = None) -> nbformat.NotebookNode:
    """The notebook for `book`: title and badge, install cell, QUICK cell, the tutobook's cells."""
    project = project or read_project()
    cells = list(book.cells)
    with_quick = next(
        (i for i, (kind, text) in enumerate(cells) if kind == "code" and QUICK_LINE.search(text)), None
    )
    if with_quick is None:
        raise ValueError(
            f'{book.name}: a tutobook sets `QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"` '
            "(the notebook turns that line into its QUICK parameter cell)"
        )
    cells[with_quick] = ("code", QUICK_LINE.sub("", cells[with_quick][1], count=1).strip("\n"))
    cells = [
        ("markdown", title_cell(book, project)),
        ("code", install_cell(project)),
        ("code", quick_cell(book.header)),
        *(cell for cell in cells if cell[1].strip()),
    ]
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
    if book.header["Accelerator"] != "None":
        nb.metadata["accelerator"] = book.header["Accelerator"]
    nbformat.validate(nb)
    return nb


def _cell_id(name: str, index: int) -> str:
    # nbformat ids: 1-64 characters of [a-zA-Z0-9-_]; stable across runs so diffs stay small.
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
    return f"{safe[:56]}-{index:03d}"


def render(path: Path, project: Project | None = None) -> str:
    """The exact text of the notebook generated from the tutobook at `path`."""
    return nbformat.writes(to_notebook(parse_tutobook(path), project), version=4) + "\n"


def tutobooks(examples_dir: Path = EXAMPLES_DIR) -> list[Path]:
    """Every examples/*.py (each one is a tutobook; scripts live in examples/scripts/)."""
    return sorted(Path(examples_dir).glob("*.py"))


def stale_notebooks(examples_dir: Path = EXAMPLES_DIR) -> list[str]:
    """Notebooks that are missing, differ from what their .py generates, or have no .py left."""
    examples_dir = Path(examples_dir)
    project = read_project()
    stale = []
    sources = tutobooks(examples_dir)
    for path in sources:
        notebook = path.with_suffix(".ipynb")
        if not notebook.is_file():
            stale.append(f"{notebook.name} (missing)")
        elif notebook.read_text(encoding="utf-8") != render(path, project):
            stale.append(f"{notebook.name} (differs from {path.name})")
    names = {path.stem for path in sources}
    stale += [
        f"{nb.name} (no {nb.stem}.py)" for nb in sorted(examples_dir.glob("*.ipynb")) if nb.stem not in names
    ]
    return stale


def write_notebooks(examples_dir: Path = EXAMPLES_DIR) -> list[Path]:
    """(Re)write the notebook of every tutobook; returns the notebooks whose text changed."""
    project = read_project()
    changed = []
    for path in tutobooks(examples_dir):
        notebook = path.with_suffix(".ipynb")
        text = render(path, project)
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

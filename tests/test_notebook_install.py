"""The notebooks' install cell: it installs this distribution unless that name and version is
installed, asking the distribution metadata (not the import name, which the unrelated PyPI
package "keras-resnet" also uses).

Each case runs the cell in a real interpreter (`python -I -S`) that sees the standard library
and one temporary site folder holding fake distributions (`NAME-VERSION.dist-info/METADATA`);
`pip` is replaced by a recorder that applies the install or uninstall to that folder, so the
cell's last line reads the result back from the metadata as it would after a real pip.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.conftest import load_example_script

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


make_notebooks = load_example_script("make_notebooks")
PROJECT = make_notebooks.read_project()
UNRELATED = "keras-resnet"

RUNNER = r"""
import json, pathlib, shutil, subprocess, sys

site, cell, ours = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, site)
calls = []


def fake_pip(args, **kwargs):
    assert args[:4] == [sys.executable, "-m", "pip", "-q"], args
    calls.append(args[4:])
    folder = pathlib.Path(site)
    if args[4] == "uninstall":
        for info in folder.glob(args[-1].replace("-", "_") + "-*.dist-info"):
            shutil.rmtree(info)
    else:  # install: this project's distribution at the notebook's version
        for info in folder.glob(ours["distribution"].replace("-", "_") + "-*.dist-info"):
            shutil.rmtree(info)
        info = folder / f"{ours['distribution'].replace('-', '_')}-{ours['version']}.dist-info"
        info.mkdir()
        metadata = f"Metadata-Version: 2.1\nName: {ours['distribution']}\nVersion: {ours['version']}\n"
        (info / "METADATA").write_text(metadata)


subprocess.check_call = fake_pip
exec(compile(cell, "<install cell>", "exec"), {"__name__": "__main__"})
print("CALLS " + json.dumps(calls))
"""


def _fake_distribution(site: Path, name: str, version: str, *, console_script: str | None = None) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if console_script:
        (info / "entry_points.txt").write_text(f"[console_scripts]\nkeras-resnet = {console_script}\n")


def _run_cell(site: Path) -> tuple[list, list[str]]:
    """(the pip calls the cell made, its printed lines) with only `site`'s distributions visible."""
    site.mkdir(exist_ok=True)
    ours = {"distribution": PROJECT.distribution, "version": PROJECT.version}
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            RUNNER,
            str(site),
            make_notebooks.install_cell(PROJECT),
            json.dumps(ours),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    return json.loads(lines[-1].removeprefix("CALLS ")), lines[:-1]


def _installed(site: Path) -> list[str]:
    return sorted(info.name for info in site.glob("*.dist-info"))


def _ours_dist_info() -> str:
    return f"{PROJECT.distribution.replace('-', '_')}-{PROJECT.version}.dist-info"


def test_the_install_source_is_the_repository_url_of_pyproject_by_the_distribution_name():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    cell = make_notebooks.install_cell(PROJECT)
    assert f'SOURCE = "{PROJECT.distribution} @ git+{urls["Repository"]}"' in cell
    assert PROJECT.distribution != UNRELATED


def test_absent_it_installs_this_distribution(tmp_path):
    calls, printed = _run_cell(tmp_path)
    assert calls == [["install", f"{PROJECT.distribution} @ git+{PROJECT.repository}"]]
    assert printed[-1] == f"{PROJECT.distribution} {PROJECT.version}"


def test_ours_present_at_this_version_it_installs_nothing(tmp_path):
    _fake_distribution(tmp_path, PROJECT.distribution, PROJECT.version)
    calls, printed = _run_cell(tmp_path)
    assert calls == []
    assert printed == [f"{PROJECT.distribution} {PROJECT.version}"]


def test_ours_present_at_another_version_it_installs_this_one(tmp_path):
    _fake_distribution(tmp_path, PROJECT.distribution, "0.0.1")
    calls, _ = _run_cell(tmp_path)
    assert [call[0] for call in calls] == ["install"]
    assert _installed(tmp_path) == [_ours_dist_info()]


def test_the_unrelated_package_present_it_is_uninstalled_and_ours_installed(tmp_path):
    # broadinstitute/keras-resnet 0.2.0: importable as keras_resnet, so find_spec would say "present".
    _fake_distribution(tmp_path, UNRELATED, "0.2.0")
    calls, printed = _run_cell(tmp_path)
    assert calls == [
        ["uninstall", "-y", UNRELATED],
        ["install", f"{PROJECT.distribution} @ git+{PROJECT.repository}"],
    ]
    assert any("unrelated keras-resnet 0.2.0" in line for line in printed)
    assert _installed(tmp_path) == [_ours_dist_info()]


def test_the_unrelated_package_beside_ours_is_uninstalled_and_ours_reinstalled_over_the_shared_files(
    tmp_path,
):
    _fake_distribution(tmp_path, UNRELATED, "0.2.0")
    _fake_distribution(tmp_path, PROJECT.distribution, PROJECT.version)
    calls, _ = _run_cell(tmp_path)
    assert calls[0] == ["uninstall", "-y", UNRELATED]
    assert calls[1][:3] == ["install", "--force-reinstall", "--no-deps"]
    assert _installed(tmp_path) == [_ours_dist_info()]


def test_this_project_installed_under_its_old_name_counts_as_ours_not_as_the_unrelated_package(tmp_path):
    _fake_distribution(tmp_path, UNRELATED, PROJECT.version, console_script="keras_resnet.cli:main")
    calls, printed = _run_cell(tmp_path)
    assert calls == []
    assert printed == [f"{UNRELATED} {PROJECT.version}"]
    shutil.rmtree(next(tmp_path.glob("*.dist-info")))
    _fake_distribution(tmp_path, UNRELATED, "0.0.1", console_script="keras_resnet.cli:main")
    calls, _ = _run_cell(tmp_path)
    assert [call[0] for call in calls] == ["install"]  # an older version of it: upgraded, not removed


@pytest.mark.parametrize("notebook", sorted((ROOT / "examples").glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_starts_with_the_install_cell_then_the_quick_parameter_cell(notebook):
    code = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    assert code[0] == make_notebooks.install_cell(PROJECT)
    assert 'QUICK = False  # @param {type:"boolean"}' in code[1]
    assert 'os.environ.get("KERAS_RESNET_QUICK"' in code[1]
    assert code[1].count("expected run time with QUICK =") == 2
    assert not any(make_notebooks.QUICK_LINE.search(source) for source in code[2:])  # one QUICK

"""The distribution as a user gets it: `python -m build` makes an sdist and, from that sdist, a
wheel; the wheel installs into a fresh virtual environment, where `keras-resnet --version` and a
one-epoch training run work, from the installed files and not from this checkout.

The fresh environment borrows the test environment's third-party packages (TensorFlow, Keras...)
through a `.pth` file listing its site-packages folders, so the test does not download and
install 2 GB of dependencies; the wheel itself is installed by pip (`--no-deps`), with its entry
point, `py.typed` and license. A `.pth` line only adds a folder to `sys.path`: the `.pth` files
inside that folder (such as an editable install of this checkout) are not run, and the fresh
environment's own site-packages comes first, so `keras_resnet` is the wheel's copy (asserted).
"""

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import source_copy

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = "keras-paper-resnets"  # pyproject's [project] name; "keras-resnet" is someone else's
pytestmark = pytest.mark.slow


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _fresh_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    borrowed = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (Path(site) / "borrowed_dependencies.pth").write_text("\n".join(borrowed) + "\n")
    return python


def test_the_built_wheel_installs_into_a_fresh_venv_and_trains(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(source_copy(tmp_path))])
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    assert wheel.name.startswith(DISTRIBUTION.replace("-", "_") + "-")
    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
    assert "keras_resnet/py.typed" in files
    assert not [
        name for name in files if name.startswith(("benchmarks/", "tests/"))
    ]  # a clone's, not the wheel's
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in files)
    with tarfile.open(sdist) as archive:
        sdist_files = {name.split("/", 1)[-1] for name in archive.getnames()}
    assert {"LICENSE", "pyproject.toml", "keras_resnet/py.typed", "keras_resnet/_version.py"} <= sdist_files

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing from this checkout
    env.update(TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    python = _fresh_venv(tmp_path)
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    _run([*pip, str(wheel)], env=env)
    work = tmp_path / "work"  # not the checkout: `python -c` puts the working folder on sys.path
    work.mkdir()
    probe = (
        "import importlib.metadata as m, json, pathlib, keras_resnet; "
        "package = pathlib.Path(keras_resnet.__file__).parent; "
        f"print(json.dumps([str(package), m.version({DISTRIBUTION!r}), (package / 'py.typed').is_file()]))"
    )
    package, version, typed = json.loads(_run([str(python), "-c", probe], cwd=work, env=env).stdout)
    assert Path(package).is_relative_to(python.parent.parent), f"keras_resnet imported from {package}"
    assert typed

    command = python.parent / "keras-resnet"  # the console script pip wrote from [project.scripts]
    assert _run([str(command), "--version"], cwd=work, env=env).stdout.strip() == f"keras-resnet {version}"
    run = work / "runs" / "r20"
    train = [str(command), "train", "--model", "resnet20", "--dataset", "digits", "--epochs", "1"]
    _run([*train, "--batch-size", "128", "--no-export", "--out", str(run)], cwd=work, env=env)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_trained"] == 1
    assert 0.0 <= metrics["test"]["accuracy"] <= 1.0

"""Shared test set-up: the two tiers, quiet TensorFlow logs, a seeded RNG, a helper to run other
backends, and one to import a script of examples/scripts.

Tiers: plain `pytest` runs the fast tier (unit tests of every module); tests marked `slow` are the
end-to-end tier (training, real exports, notebooks, the wheel, docs, mypy, subprocess runs, fresh
virtual environments). `pytest --all` runs both, as CI does; `pytest -m slow` only the end-to-end one;
a test named by its id (`pytest tests/x.py::test_y`) runs whatever its tier.
"""

import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

# The backends besides TensorFlow, for tests that run a claim on each. PyTorch is in the `test`
# extra like JAX, so its cases run (and fail without it) rather than skip.
JAX_AND_TORCH = ["jax", "torch"]


def pytest_addoption(parser):
    parser.addoption(
        "--all",
        action="store_true",
        dest="run_all",
        help="run both tiers: the fast tier and the end-to-end tests marked slow (what CI runs)",
    )


def _fast_tier_only(config) -> bool:
    """Without --all, an -m expression or a test named by id (`file.py::test`), only the fast tier."""
    named = any("::" in arg for arg in config.args)
    return not (config.getoption("run_all") or config.getoption("markexpr") or named)


def pytest_report_header(config):
    if _fast_tier_only(config):
        return "tier: fast (tests marked slow are deselected; `--all` runs both tiers, as CI does)"
    return None


def pytest_collection_modifyitems(config, items):
    """The fast tier by default: deselect the tests marked slow (see `_fast_tier_only`)."""
    if not _fast_tier_only(config):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


@pytest.fixture(autouse=True, scope="session")
def _private_keras_resnet_cache(tmp_path_factory):
    """Image verdicts (and anything else keras-resnet caches) go to a temporary folder, never the
    user's ~/.cache; subprocesses inherit it. A test may point KERAS_RESNET_CACHE elsewhere."""
    os.environ["KERAS_RESNET_CACHE"] = str(tmp_path_factory.mktemp("keras_resnet_cache"))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def run_on_backend(backend: str, code: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with KERAS_BACKEND=`backend`; fail with its stderr."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"{backend} run failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


def load_example_script(name: str):
    """examples/scripts/NAME.py imported as module NAME (the scripts are not a package). It is put
    in sys.modules first, as dataclasses look their module up while it executes."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def source_copy(tmp_path: Path) -> Path:
    """The files git would ship (tracked and new, not ignored), copied: what a fresh clone holds."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    )
    copy = tmp_path / "source"
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            (copy / name).write_bytes((ROOT / name).read_bytes())
    return copy

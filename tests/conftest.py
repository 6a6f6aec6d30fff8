"""Shared test set-up: quiet TensorFlow logs, a seeded RNG, and a helper to run other backends."""

import importlib.util
import os
import subprocess
import sys
import textwrap

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

# The backends besides TensorFlow, for tests that run a claim on each (PyTorch only where installed).
JAX_AND_TORCH = [
    "jax",
    pytest.param(
        "torch",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("torch") is None, reason="PyTorch is not installed"
        ),
    ),
]


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

"""Provenance: what produced a result (versions, machine, time, command), recorded one way.

Run folders, export reports and benchmarks all write this record next to their figures, so two
results can be told apart by their setup. Versions come from package metadata, which imports
nothing: asking for them never loads TensorFlow, JAX or PyTorch.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["provenance", "versions", "machine", "cpu_name", "memory_gib", "utc_now"]

PACKAGES = (
    "keras",
    "tensorflow",
    "tensorflow-datasets",
    "jax",
    "jaxlib",
    "torch",
    "torchvision",
    "numpy",
    "ai-edge-litert",
)


def versions() -> dict[str, str]:
    """Python, this library and each installed package of `PACKAGES` (absent ones are left out)."""
    from keras_resnet._version import __version__

    found = {"python": platform.python_version(), "keras_resnet": __version__}
    for package in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package)
    return found


def provenance(*, backend: str | None = None) -> dict:
    """Versions, Keras backend, machine, UTC time and command line of this process."""
    return {
        "date": utc_now(),
        "command": " ".join(sys.argv),
        "backend": backend or _keras_backend(),
        "versions": versions(),
        **machine(),
    }


def machine() -> dict:
    """Platform, CPU model, logical cores and memory: the machine part of every record."""
    return {
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "memory_gib": memory_gib(),
    }


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def cpu_name() -> str:
    """The CPU model as /proc/cpuinfo names it (elsewhere what `platform` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _keras_backend() -> str:
    """The backend of the Keras already imported, else the one it would pick (no import)."""
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return keras.backend.backend()
    return os.environ.get("KERAS_BACKEND", "tensorflow")

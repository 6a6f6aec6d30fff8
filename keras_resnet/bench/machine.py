"""What a benchmark figure was measured on: CPU model, cores, memory, load average, GPU, versions.

Throughput means little without the machine and the software under it, and on a shared machine
the load average says how far to trust it, so every report records these next to its numbers.
Versions come from package metadata, which imports nothing (TensorFlow, JAX and PyTorch stay
unloaded in the parent process).
"""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
from importlib import metadata

PACKAGES = ("keras", "tensorflow", "jax", "jaxlib", "torch", "torchvision", "numpy")


def machine_info() -> dict:
    """CPU model, logical cores (and how many this process may use), memory, load, GPUs."""
    from keras_resnet._utils.provenance import cpu_name as _cpu_name

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    gpus = gpu_names()
    return {
        "cpu": _cpu_name(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "memory_gib": memory_gib(),
        "load_average": load_average(),
        "platform": platform.platform(),
        "gpus": gpus,
        "accelerator": ", ".join(gpus) if gpus else "none (CPU only)",
    }


def load_average() -> list[float] | None:
    """1-, 5- and 15-minute load averages (runnable processes; above the core count = contended)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as file:
            for line in file:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def gpu_names() -> list[str]:
    """NVIDIA GPU names from `nvidia-smi` ([] when there is none or the driver does not answer)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        done = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def library_versions() -> dict:
    """python plus every package of `PACKAGES` that is installed (absent ones are left out)."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")

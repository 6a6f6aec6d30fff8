"""What a benchmark figure was measured on: CPU model, cores, memory, load average, GPU, versions.

Throughput means little without the machine and the software under it, and on a shared machine
the load average says how far to trust it, so every report records these next to its numbers.
CPU, memory, versions and time come from `_utils.provenance`, like every other record; this adds
what only benchmarks need (usable cores, load, GPUs).
"""

from __future__ import annotations

import os
import shutil
import subprocess

from keras_resnet._utils.provenance import machine


def machine_info() -> dict:
    """CPU model, logical cores (and how many this process may use), memory, load, GPUs."""
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    gpus = gpu_names()
    return {
        **machine(),
        "usable_cpus": usable,
        "load_average": load_average(),
        "gpus": gpus,
        "accelerator": ", ".join(gpus) if gpus else "none (CPU only)",
    }


def load_average() -> list[float] | None:
    """1-, 5- and 15-minute load averages (runnable processes; above the core count = contended)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def gpu_names() -> list[str]:
    """NVIDIA GPU names from `nvidia-smi` ([] when there is none or the driver does not answer)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        done = subprocess.run(
            [smi, "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]

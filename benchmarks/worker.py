"""Run one benchmark job in a fresh interpreter with a chosen Keras backend, and read its result.

Keras fixes its backend when it is first imported, so figures for TensorFlow, JAX and PyTorch come
from one subprocess each (`KERAS_BACKEND` set in its environment). The child runs
`python -m benchmarks.worker JOB OPTIONS_JSON`, prints progress lines as it goes and one
`RESULT {json}` line at the end; a child that fails or runs out of time yields a
`{"status": "failed", "error": ...}` entry instead of an exception, so one broken backend never
loses the other figures of a run.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from keras_resnet.errors import InvalidInputError

JOBS = {
    "resnet50_comparison": "benchmarks.cpu:resnet50_comparison",
    "resnet20_training": "benchmarks.cpu:resnet20_training",
    "jax_training": "benchmarks.gpu:jax_training",
    "torchvision_training": "benchmarks.gpu:torchvision_training",
    "gradient_norm_overhead": "benchmarks.overhead:gradient_norm_overhead",
    "export_overhead": "benchmarks.overhead:export_overhead",
    "runtime_export": "benchmarks.runtime_jobs:export_files",
    "runtime_keras": "benchmarks.runtime_jobs:keras_runtime",
    "runtime_file": "benchmarks.runtime_jobs:file_runtime",
    "torchvision_inference": "benchmarks/torchvision_runtime.py",  # a script: run by file name
}
RESULT_PREFIX = "RESULT "


def run_job(
    job: str,
    *,
    backend: str,
    options: dict,
    timeout: float,
    echo=print,
    python: str | None = None,
    env: dict | None = None,
) -> dict:
    """Run `job` with `options` under `backend` in a subprocess; its result dict, or a failure.

    `python` is the interpreter (default this one; a script job may name another virtualenv's)
    and `env` adds variables to the child's environment.
    """
    if job not in JOBS:
        raise InvalidInputError(f"unknown benchmark job {job!r}; known: {', '.join(JOBS)}")
    root = str(Path(__file__).resolve().parents[1])  # the clone: the folder holding benchmarks/
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
        **(env or {}),
    }
    python = python or sys.executable
    target = JOBS[job]
    if target.endswith(".py"):
        command = [python, os.path.join(root, target), json.dumps(options)]
    else:
        command = [python, "-m", "benchmarks.worker", job, json.dumps(options)]
    result, expired = None, threading.Event()
    with tempfile.TemporaryFile("w+") as stderr:
        try:
            child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
        except OSError as err:
            return _failed(job, backend, f"could not start {python}: {err}")

        def expire() -> None:
            expired.set()
            child.kill()

        timer = threading.Timer(timeout, expire)
        timer.start()
        try:
            for line in child.stdout or ():
                if line.startswith(RESULT_PREFIX):
                    result = json.loads(line[len(RESULT_PREFIX) :])
                elif line.strip():
                    echo(f"  [{backend}] {line.rstrip()}")
            returncode = child.wait()
        finally:
            timer.cancel()
            if child.poll() is None:  # interrupted while reading: do not leave it running
                child.kill()
                child.wait()
        stderr.seek(0)
        tail = [line for line in stderr.read().splitlines() if line.strip()][-3:]
    if expired.is_set():
        return _failed(job, backend, f"timed out after {timeout:.0f} s")
    if returncode != 0 or result is None:
        return _failed(job, backend, f"exit code {returncode}: " + " | ".join(tail))
    return result


def _failed(job: str, backend: str, error: str) -> dict:
    return {"status": "failed", "job": job, "backend": backend, "error": error}


def main(argv: list[str]) -> int:
    """Child side: run JOBS[argv[0]](**json(argv[1])) and print its result as one line."""
    job, options = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    module, _, function = JOBS[job].partition(":")
    result = getattr(importlib.import_module(module), function)(**options)
    print(RESULT_PREFIX + json.dumps({"status": "done", **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

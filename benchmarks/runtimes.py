"""`python -m benchmarks.runtimes`: which runtime to ship for CPU inference, in one run.

Times ResNet-50 (224x224, 1000 classes) and ResNet-20 (32x32, 10 classes) at batch 1 and 32 through
every runtime this library exports to (Keras 3 on TensorFlow, JAX and PyTorch; LiteRT float32 and
int8; ONNX Runtime), beside keras.applications.ResNet50 and torchvision's resnet50 (eager and
`torch.compile`; run with another virtualenv's interpreter, `--torch-python`, since PyPI's
torchvision needs its own torch). ResNet-20 has no twin in either library: those cells are n/a.
Random weights and uniform [0, 1) pixels throughout: only the speed is measured. Each runtime runs
in its own process (`worker`), one after another, with the same threads (`--threads`, default
every CPU the process may use: intra-op N, inter-op 1, process pinned to N CPUs); inside a process
the cells' repeats interleave (`cells.time_cells`). Writes OUT/runtimes.json and OUT/runtimes.md
(`runtime_report`), with the machine, load averages, versions, date and the exact command.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import sys
import tempfile

from keras_resnet._utils.provenance import utc_now, versions
from keras_resnet.errors import InvalidInputError, KerasResNetError

MODELS = {"resnet50": {"image_size": 224, "classes": 1000}, "resnet20": {"image_size": 32, "classes": 10}}
BATCHES = (1, 32)
RUNTIMES = {
    "keras_tensorflow": {"label": "Keras 3, TensorFlow", "job": "runtime_keras", "backend": "tensorflow"},
    "keras_jax": {"label": "Keras 3, JAX", "job": "runtime_keras", "backend": "jax"},
    "keras_torch": {"label": "Keras 3, PyTorch", "job": "runtime_keras", "backend": "torch"},
    "litert_float32": {"label": "LiteRT float32", "job": "runtime_file", "file": "model_float32.tflite"},
    "litert_int8": {"label": "LiteRT int8", "job": "runtime_file", "file": "model_int8.tflite"},
    "onnxruntime": {"label": "ONNX Runtime", "job": "runtime_file", "file": "model.onnx"},
    "keras_applications": {
        "label": "keras.applications.ResNet50 (TensorFlow)",
        "job": "runtime_keras",
        "backend": "tensorflow",
        "models": ("resnet50",),
    },
    "torchvision_eager": {
        "label": "torchvision, eager",
        "job": "torchvision_inference",
        "models": ("resnet50",),
    },
    "torchvision_compile": {
        "label": "torchvision, torch.compile",
        "job": "torchvision_inference",
        "models": ("resnet50",),
    },
}
LIBRARY = ("keras_tensorflow", "keras_jax", "keras_torch", "litert_float32", "litert_int8", "onnxruntime")
SIZES = {
    "full": {"repeats": 5, "warmup": 5, "iterations": None, "seconds": 2.0, "calibration_images": 32},
    "quick": {"repeats": 1, "warmup": 1, "iterations": 2, "seconds": 0.0, "calibration_images": 4},
}
DEFAULT_TIMEOUT = 1800.0


def usable_cpus() -> int:
    """How many CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def thread_env(threads: int) -> dict:
    """The environment every child gets, so that thread pools made at import are sized alike."""
    n = str(threads)
    return {
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
        "TF_NUM_INTRAOP_THREADS": n,
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def plan_cells(runtime: str, models, batches, files: dict | None = None) -> tuple[list, dict]:
    """(cells to time, {cell: n/a entry}) for `runtime`: the models it has, at every batch."""
    from benchmarks.runtime_report import cell_name

    spec, todo, missing = RUNTIMES[runtime], [], {}
    for model in models:
        for batch in batches:
            name = cell_name(model, batch)
            if model not in spec.get("models", MODELS):
                missing[name] = {"status": "n/a", "reason": f"{spec['label']} has no {model}"}
                continue
            cell = {"name": name, "model": model, "batch": batch, **MODELS[model]}
            if "file" in spec:
                cell["path"] = files[model][spec["file"]]["path"]
            todo.append(cell)
    return todo, missing


def run_runtimes(
    *,
    models=tuple(MODELS),
    batches=BATCHES,
    runtimes=tuple(RUNTIMES),
    quick: bool = False,
    threads: int | None = None,
    torch_python: str | None = None,
    out: str = "examples/results",
    command: str = "",
    timeout: float = DEFAULT_TIMEOUT,
    echo=print,
) -> dict:
    """Time every runtime in `runtimes` on every (model, batch) cell; write OUT/runtimes.{json,md}."""
    from functools import partial

    from benchmarks import machine, runtime_report, worker

    unknown = [name for name in (*models, *runtimes) if name not in {**MODELS, **RUNTIMES}]
    if unknown or not models or not batches or not runtimes or min(batches) < 1:
        raise InvalidInputError(
            f"choose models among {', '.join(MODELS)}, runtimes among {', '.join(RUNTIMES)} and "
            f"batches >= 1; got unknown {unknown or 'none'}, batches {list(batches)}"
        )
    threads = threads or usable_cpus()
    size = SIZES["quick" if quick else "full"]
    timing = {k: size[k] for k in ("repeats", "warmup", "iterations", "seconds")}
    result = {
        "command": command or "python -m benchmarks.runtimes" + (" --quick" if quick else ""),
        "date": utc_now(),
        "quick": quick,
        "machine": machine.machine_info(),
        "load_average_start": machine.load_average(),
        "versions": _versions(),
        "threads": threads,
        "timing": timing,
        "method": f"each runtime in its own process, one after another; median of {timing['repeats']} "
        "interleaved repeats per cell, "
        + (f"{timing['iterations']} calls each" if timing["iterations"] else f"each ~{timing['seconds']} s")
        + f", after {timing['warmup']} warm-up call(s); random weights, uniform [0, 1) pixels",
        "models": {m: MODELS[m] for m in models},
        "batches": list(batches),
        "cells": [runtime_report.cell_name(m, b) for m in models for b in batches],
        "runtimes": {},
    }
    run_job = partial(worker.run_job, echo=echo, timeout=timeout, env=thread_env(threads))
    folder = tempfile.mkdtemp(prefix="keras-resnet-runtimes-")  # ours: removed at the end
    try:
        files = _export(runtimes, models, folder, threads, size, run_job, echo)
        result["exports"] = _without_paths(files)
        for name in runtimes:
            echo(f"runtime {name}")
            result["runtimes"][name] = _run_one(
                name, models, batches, files, torch_python, {**timing, "threads": threads}, run_job
            )
            result["runtimes"][name]["threads_asked"] = threads
            venv = result["runtimes"][name].get("versions", {})
            if "torchvision" in venv:
                result["versions"]["torch/torchvision (venv)"] = f"{venv['torch']}/{venv['torchvision']}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result["load_average_end"] = machine.load_average()
    json_path, md_path = runtime_report.write_report(result, out)
    echo(result["recommendation"]["text"])
    echo(f"wrote {json_path} and {md_path}")
    return result


def _versions() -> dict:
    """The usual versions, plus the ONNX tools this comparison runs."""
    from importlib import metadata

    found = versions()
    for package in ("onnxruntime", "onnx", "tf2onnx"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[package] = metadata.version(package)
    return found


def _export(runtimes, models, folder, threads, size, run_job, echo) -> dict:
    """The exported files the chosen runtimes need, or {"status": "failed", ...}."""
    names = sorted({RUNTIMES[r]["file"] for r in runtimes if "file" in RUNTIMES[r]})
    if not names:
        return {}
    echo(f"exporting {', '.join(names)} for {', '.join(models)}")
    done = run_job(
        "runtime_export",
        backend="tensorflow",
        options={
            "models": {m: MODELS[m] for m in models},
            "out": folder,
            "names": names,
            "threads": threads,
            "calibration_images": size["calibration_images"],
        },
    )
    return done["files"] if done.get("status") == "done" else done


def _without_paths(files: dict) -> dict:
    """The export record as kept: sizes and parity, not the paths of the removed temporary files."""
    if files.get("status") == "failed":
        return files
    return {
        model: {name: {k: v for k, v in row.items() if k != "path"} for name, row in rows.items()}
        for model, rows in files.items()
    }


def _run_one(name, models, batches, files, torch_python, timing, run_job) -> dict:
    """One runtime's entry: its job's result (or why it did not run) and its n/a cells; `timing`
    holds the job's threads, repeats, warm-up, iterations and seconds."""
    spec = RUNTIMES[name]
    entry = {
        "label": spec["label"],
        "library": name in LIBRARY,
        "quantized": name == "litert_int8",
    }
    if "file" in spec and files.get("status") == "failed":
        return {**entry, "status": "failed", "error": f"export failed: {files.get('error')}", "cells": {}}
    todo, missing = plan_cells(name, models, batches, files)
    if spec["job"] == "torchvision_inference" and not torch_python:
        why = "pass --torch-python with a venv that has torchvision"
        return {**entry, "status": "not run (no torchvision)", "reason": why, "cells": missing}
    if not todo:
        return {**entry, "status": "done", "cells": missing}
    done = run_job(
        spec["job"],
        backend=spec.get("backend", "tensorflow"),
        options={"runtime": name, "cells": todo, **timing},
        python=torch_python if spec["job"] == "torchvision_inference" else None,
    )
    return {**entry, **done, "cells": {**done.get("cells", {}), **missing}}


def build_parser() -> argparse.ArgumentParser:
    """The options of `python -m benchmarks.runtimes`."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.runtimes",
        description="Time ResNet-50 and ResNet-20 inference on this CPU through every runtime this "
        "library exports to, beside torchvision and keras.applications; write runtimes.json and .md.",
    )
    parser.add_argument("--quick", action="store_true", help="1 repeat of 2 calls: a smoke test")
    parser.add_argument("--models", default=",".join(MODELS), help="comma list (default: all)")
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)), help="comma list of batch sizes")
    parser.add_argument("--runtimes", default=",".join(RUNTIMES), help="comma list (default: all)")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: usable CPUs)")
    parser.add_argument("--torch-python", default=None, help="python of a venv with torchvision")
    parser.add_argument("--out", default="examples/results", help="folder for runtimes.json and .md")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per subprocess")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the comparison the arguments ask for; the command line is recorded with the figures."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    try:
        run_runtimes(
            models=tuple(m for m in args.models.split(",") if m),
            batches=tuple(int(b) for b in args.batches.split(",") if b),
            runtimes=tuple(r for r in args.runtimes.split(",") if r),
            quick=args.quick,
            threads=args.threads,
            torch_python=args.torch_python,
            out=args.out,
            timeout=args.timeout,
            command=shlex.join(["python", "-m", "benchmarks.runtimes", *argv]),
        )
    except (KerasResNetError, ValueError) as err:
        print(f"python -m benchmarks.runtimes: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

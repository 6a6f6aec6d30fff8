"""Training throughput (images/s) of ResNet-20 (32x32, batch 128) and ResNet-50 (224x224, batch 32)
on the TensorFlow and JAX backends, one subprocess per backend (Keras picks its backend at import).

    python examples/scripts/throughput.py                # writes examples/results/throughput.{json,md}
    python examples/scripts/throughput.py --quick --out /tmp/tp   # seconds-long smoke run

Each measurement compiles the model with the paper's optimizer (SGD momentum 0.9, L2 1e-4 on
kernels), runs `warmup` steps (tracing/XLA compilation) and then times `steps` training steps of
`model.fit` on one fixed in-memory NumPy batch repeated, so the input pipeline costs ~nothing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FULL = [
    {"model": "resnet20", "size": 32, "batch": 128, "classes": 10, "warmup": 2, "steps": 10},
    {"model": "resnet50", "size": 224, "batch": 32, "classes": 1000, "warmup": 1, "steps": 3},
]
QUICK = [
    {"model": "resnet20", "size": 32, "batch": 8, "classes": 10, "warmup": 1, "steps": 2},
    {"model": "resnet50", "size": 64, "batch": 2, "classes": 10, "warmup": 1, "steps": 1},
]


def measure(case: dict) -> dict:
    """Images/s of `case` on the current backend (run inside the per-backend subprocess)."""
    import keras
    import numpy as np

    from keras_resnet import recipes
    from keras_resnet.training import default_model_builder

    keras.utils.set_random_seed(0)
    recipe = recipes.resolve_recipe("paper-cifar", model=case["model"], batch_size=case["batch"])
    shape = (case["size"], case["size"], 3)
    model = default_model_builder(
        case["model"],
        classes=case["classes"],
        input_shape=shape,
        normalization=((127.5,) * 3, (73.9,) * 3),
        kernel_regularizer=recipes.kernel_regularizer(recipe),
    )
    model.compile(
        optimizer=recipes.make_optimizer(recipe, recipe.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
    )
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (case["batch"], *shape)).astype("float32")
    labels = rng.integers(0, case["classes"], case["batch"]).astype("int32")

    def fit(steps, **kwargs):  # the same batch `steps` times, as NumPy (no tf.data on JAX)
        x, y = np.concatenate([images] * steps), np.concatenate([labels] * steps)
        model.fit(x, y, batch_size=case["batch"], epochs=1, shuffle=False, verbose=0, **kwargs)

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = time.perf_counter() - self.start

    start = time.perf_counter()
    fit(case["warmup"])
    warmup_seconds = time.perf_counter() - start
    timer = Timer()
    fit(case["steps"], callbacks=[timer])
    return {
        **case,
        "backend": keras.backend.backend(),
        "input": list(shape),
        "images_per_second": case["batch"] * case["steps"] / timer.seconds,
        "seconds_per_step": timer.seconds / case["steps"],
        "warmup_seconds": warmup_seconds,
        "params": int(model.count_params()),
    }


def worker(cases: list[dict]) -> None:
    """Subprocess entry: measure every case, print one JSON line per result."""
    import keras

    versions = {"keras": keras.__version__, "backend": keras.backend.backend()}
    from importlib import metadata

    for package in ("tensorflow", "jax", "jaxlib", "numpy"):  # metadata: no import, no side effects
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    print("VERSIONS " + json.dumps(versions), flush=True)
    for case in cases:
        print("RESULT " + json.dumps(measure(case)), flush=True)


def run_backend(backend: str, cases: list[dict], timeout: int) -> tuple[list[dict], dict, str]:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    command = [sys.executable, __file__, "--worker", json.dumps(cases)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    results, versions = [], {}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            results.append(json.loads(line[7:]))
        elif line.startswith("VERSIONS "):
            versions = json.loads(line[9:])
    error = "" if done.returncode == 0 else done.stderr.strip().splitlines()[-1:]
    return results, versions, " ".join(error)


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cpu_count": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "accelerator": "none (CPU only)"}


def write_report(report: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Training throughput",
        "",
        f"- date: {report['date']}",
        f"- machine: {report['machine']['cpu']}, {report['machine']['cpu_count']} cores "
        f"({report['machine']['accelerator']}); {report['note']}",
        f"- command: `{report['command']}`",
        f"- versions: " + "; ".join(f"{b}: " + ", ".join(f"{k} {v}" for k, v in vs.items())
                                    for b, vs in report["versions"].items()),
        "",
        "| backend | model | input | batch | timed steps | images/s | s/step | warm-up s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['backend']} | {r['model']} | {'x'.join(map(str, r['input']))} | {r['batch']} | "
            f"{r['steps']} | {r['images_per_second']:.1f} | {r['seconds_per_step']:.3f} | {r['warmup_seconds']:.1f} |"
        )
    for backend, error in report["errors"].items():
        lines.append(f"\n{backend} failed: {error}")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny batches and 1-2 steps: a smoke test")
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--out", default=str(ROOT / "examples" / "results" / "throughput"),
                        help="path without suffix; .json and .md are written")
    parser.add_argument("--models", default="resnet20,resnet50", help="which of resnet20,resnet50 to measure")
    parser.add_argument("--builder", help="module:function to build instead of the named models (tests)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per backend")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    wanted = args.models.split(",")
    cases = [case for case in (QUICK if args.quick else FULL) if case["model"] in wanted]
    if not cases:
        parser.error(f"--models must name resnet20 and/or resnet50, got {args.models!r}")
    if args.builder:
        cases = [{**case, "model": args.builder} for case in cases]
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(["python", "examples/scripts/throughput.py", *(argv or sys.argv[1:])]),
        "note": "CPU shared with other jobs while measuring: numbers are lower bounds",
        "versions": {},
        "results": [],
        "errors": {},
    }
    for backend in args.backends.split(","):
        results, versions, error = run_backend(backend, cases, args.timeout)
        report["results"] += results
        report["versions"][backend] = versions
        if error:
            report["errors"][backend] = error
        for r in results:
            print(f"{backend:<10} {r['model']:<9} {r['batch']:>4} x {r['input'][0]}px: "
                  f"{r['images_per_second']:8.1f} images/s")
    write_report(report, Path(args.out))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

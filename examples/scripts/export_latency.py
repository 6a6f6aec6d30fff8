"""
Title: Export latency: Keras vs LiteRT float32 vs LiteRT int8
Author: keras-resnet contributors
Date created: 2026-11-23
Description: Per-image CPU latency of ResNet-20 (32x32) and ResNet-50 (224x224), one run.

The same untrained network (latency does not depend on the weights' values) is timed three ways at
batch 1: `model.predict_on_batch` in Keras, and the LiteRT interpreter on the float32 and the
full-integer int8 `.tflite` files written by `keras_resnet.export.litert.export_tflite`. Results go to
`examples/results/export_latency.json` and a markdown table `export_latency.md`, with the machine,
date, versions and the exact command, so the numbers can be reproduced or questioned.

Run from the repository root:

    PYTHONPATH=. python examples/scripts/export_latency.py

`--quick` times ResNet-20 only, with a few repeats (the test suite runs it so the script never rots).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet._utils.provenance import utc_now

RESULTS = Path(__file__).resolve().parents[1] / "results"
MODELS = {"resnet20": (32, 32, 3), "resnet50": (224, 224, 3)}
IMAGENET_NORMALIZATION = ([123.68, 116.78, 103.94], [58.40, 57.12, 57.38])
GOAL_SPEEDUP = 2.0

"""
## Settings

One thread everywhere by default: the numbers compare runtimes, not how well each one spreads over
a shared machine's cores.
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="ResNet-20 only, a few repeats (smoke test)")
    parser.add_argument("--out-dir", type=Path, default=RESULTS, help="where the .json and .md go")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for Keras and LiteRT")
    parser.add_argument("--repeats", type=int, default=50, help="timed runs per model and runtime")
    parser.add_argument(
        "--calibration-images",
        type=int,
        default=64,
        help="random images to calibrate int8 (ranges only matter for accuracy, not speed)",
    )
    return parser.parse_args(argv)


def limit_tensorflow_threads(threads: int) -> int:
    """Ask TensorFlow for `threads` intra-op threads; return what it uses (0 = all cores)."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already started in this process (e.g. under pytest)
        pass
    return tf.config.threading.get_intra_op_parallelism_threads()


"""
## Timing one model three ways
"""


def time_model(name: str, input_shape, *, threads: int, repeats: int, calibration_images: int) -> dict:
    import keras

    import keras_resnet as kr
    from keras_resnet.export.litert import LiteRTRunner, export_tflite
    from keras_resnet.export.runners import KerasRunner

    keras.utils.set_random_seed(0)
    model = kr.build(
        name,
        classes=1000 if input_shape[0] >= 224 else 10,
        input_shape=input_shape,
        normalization=IMAGENET_NORMALIZATION,
    )
    images = np.random.default_rng(0).uniform(0, 255, (calibration_images, *input_shape)).astype(np.float32)
    row = {
        "model": name,
        "input": "x".join(map(str, input_shape)),
        "params": model.count_params(),
        "keras_ms": KerasRunner(model).latency_ms(images[0], repeats=repeats),
    }
    with tempfile.TemporaryDirectory() as folder:
        for quantize in ("float32", "int8"):
            path = Path(folder) / f"{name}_{quantize}.tflite"
            export_tflite(model, path, quantize=quantize, representative_images=images)
            runner = LiteRTRunner(path, num_threads=threads)
            row[f"litert_{quantize}_ms"] = runner.latency_ms(images[0], repeats=repeats)
            row[f"litert_{quantize}_bytes"] = path.stat().st_size
    row["int8_speedup_vs_float32"] = row["litert_float32_ms"] / row["litert_int8_ms"]
    row["litert_float32_speedup_vs_keras"] = row["keras_ms"] / row["litert_float32_ms"]
    return row


def machine_info(tf_threads: int, litert_threads: int) -> dict:
    from keras_resnet._utils.provenance import provenance

    record = provenance()
    found = record["versions"]
    return {
        "platform": record["platform"],
        "processor": record["cpu"],
        "cpu_count": record["cpu_count"],
        "load_average_1m": os.getloadavg()[0],
        "python": found["python"],
        "keras": found.get("keras"),
        "backend": record["backend"],
        "tensorflow": found.get("tensorflow"),
        "ai_edge_litert": found.get("ai-edge-litert"),
        "tensorflow_intra_op_threads": tf_threads,
        "litert_threads": litert_threads,
    }


"""
## Writing the results
"""


def markdown(results: dict) -> str:
    machine = results["machine"]
    lines = [
        "# Export latency (CPU, batch 1, mean ms per image)",
        "",
        f"Date: {results['date']}  ",
        f"Command: `{results['command']}`  ",
        f"Machine: {machine['platform']}, {machine['cpu_count']} CPUs ({machine['processor']}), "
        f"1-minute load average {machine['load_average_1m']:.2f} at the start (shared machine)  ",
        f"Versions: Python {machine['python']}, Keras {machine['keras']} ({machine['backend']}), "
        f"TensorFlow {machine['tensorflow']}, ai-edge-litert {machine['ai_edge_litert']}  ",
        f"Threads: TensorFlow intra-op {machine['tensorflow_intra_op_threads']} (0 = all cores), "
        f"LiteRT {machine['litert_threads']}; {results['repeats']} timed runs after 3 warm-up runs",
        "",
        "| model | input | Keras predict_on_batch | LiteRT float32 | LiteRT int8 | int8 speed-up vs float32 "
        "| float32 file | int8 file |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {row['model']} | {row['input']} | {row['keras_ms']:.2f} | {row['litert_float32_ms']:.2f} "
            f"| {row['litert_int8_ms']:.2f} | {row['int8_speedup_vs_float32']:.2f}x "
            f"| {row['litert_float32_bytes'] / 2**20:.2f} MB | {row['litert_int8_bytes'] / 2**20:.2f} MB |"
        )
    met = [row["model"] for row in results["rows"] if row["int8_speedup_vs_float32"] >= GOAL_SPEEDUP]
    missed = [row["model"] for row in results["rows"] if row["model"] not in met]
    lines += [
        "",
        f"Goal: LiteRT int8 at least {GOAL_SPEEDUP:g}x faster than LiteRT float32. "
        f"Met: {', '.join(met) or 'none'}. Missed: {', '.join(missed) or 'none'}. "
        "One run on a shared machine: expect a few tens of percent of noise between runs.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    repeats = 3 if args.quick else args.repeats
    calibration = 4 if args.quick else args.calibration_images
    tf_threads = limit_tensorflow_threads(args.threads)
    models = {"resnet20": MODELS["resnet20"]} if args.quick else MODELS
    results = {
        "date": utc_now(),
        "command": " ".join(["PYTHONPATH=. python examples/scripts/export_latency.py", *argv]),
        "machine": machine_info(tf_threads, args.threads),
        "repeats": repeats,
        "rows": [],
    }
    for name, shape in models.items():
        results["rows"].append(
            time_model(name, shape, threads=args.threads, repeats=repeats, calibration_images=calibration)
        )
    write_json(args.out_dir / "export_latency.json", results)
    write_text(args.out_dir / "export_latency.md", markdown(results))
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()

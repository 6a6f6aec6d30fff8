"""
Title: ONNX parity: ResNet-20 through SavedModel, LiteRT and ONNX Runtime in one export report
Author: keras-resnet contributors
Date created: 2026-12-07
Description: Train ResNet-20 briefly on digits, export it to every format, report parity and latency.

ResNet-20 (its own normalization layer, so every file takes raw pixels 0..255) is trained for two
epochs on scikit-learn's digits (8x8 grey upscaled to 32x32x3), then `kr.export_model(...,
formats="saved_model,tflite,onnx")` writes a SavedModel, a float32 `.tflite` and `model.onnx`, runs
each on the digits test split and compares it with Keras: max |difference| in probability, top-1
agreement, accuracy and ms/image (batch 1, one thread). The report goes to
`examples/results/onnx_parity_resnet20.json` and a table to `onnx_parity_resnet20.md`, with the
machine and its load average. Needs the extra: pip install "keras-paper-resnets[onnx]".

Run from the repository root:

    PYTHONPATH=. python examples/scripts/onnx_parity.py

`--quick` skips the training (random weights) and checks 16 images, to prove the script works.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "results"


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = np.repeat(np.repeat(data.images, 4, axis=1), 4, axis=2)[..., None].repeat(3, axis=-1)
    images = (images * (255.0 / 16.0)).astype(np.float32)
    return train_test_split(images, data.target, test_size=0.2, stratify=data.target, random_state=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="random weights, 16 images, results to a temp dir"
    )
    args = parser.parse_args(argv)
    import keras

    import keras_resnet as kr
    from keras_resnet._utils.atomic import write_json, write_text
    from keras_resnet.export.parity import format_table

    keras.utils.set_random_seed(0)
    x_train, x_test, y_train, y_test = digits()
    mean, std = x_train.mean(axis=(0, 1, 2)), x_train.std(axis=(0, 1, 2))
    model = kr.resnet20(normalization=(mean.tolist(), std.tolist()))
    if not args.quick:
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0)
    else:
        x_test, y_test = x_test[:16], y_test[:16]
    results = Path(tempfile.mkdtemp()) if args.quick else RESULTS
    with tempfile.TemporaryDirectory() as folder:
        report = kr.export_model(
            model,
            Path(folder) / "export",
            formats="saved_model,tflite,onnx",
            validation_data=(x_test, y_test),
            latency_repeats=5 if args.quick else 50,
            verbose=False,
        )
    report["load_average"] = list(os.getloadavg())
    report["command"] = "PYTHONPATH=. python examples/scripts/onnx_parity.py" + (
        " --quick" if args.quick else ""
    )
    keras_row = {
        "file": "keras",
        "accuracy": report["keras"]["accuracy"],
        "latency_ms": report["keras"]["latency_ms"],
    }
    table = format_table([keras_row, *report["files"]])
    machine = report["machine"]
    text = (
        f"# ONNX parity: ResNet-20 on digits ({len(x_test)} test images)\n\n"
        f"`{report['command']}`; {machine['cpu']}, {machine['cpu_count']} cores; load average {report['load_average'][0]:.2f}\n\n```\n{table}\n```\n"
    )
    write_json(results / "onnx_parity_resnet20.json", report)
    write_text(results / "onnx_parity_resnet20.md", text)
    print(text)
    print("wrote", results / "onnx_parity_resnet20.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""
Title: Ship a ResNet to phones: TFLite (LiteRT) export with proof of parity
Author: keras-resnet developers
Date created: 2026/11/23
Last modified: 2026/12/07
Description: Export ResNet-20 to float32, float16 and int8 .tflite in one call and run them with LiteRT.
Accelerator: None
Quick mode: 2 to 4 minutes on a CPU
Full mode: about a minute on a 2-core CPU (15 epochs of ResNet-20 on digits, then three exports)
"""

"""
## What you get

`kr.export_model(model, out_dir, ...)` writes a SavedModel and/or one `.tflite` file per
quantisation through Keras' own exporters, runs every file it wrote on held-out images with the
LiteRT interpreter, and reports for each: size, largest difference from the Keras model, top-1
agreement, accuracy and latency. The folder appears atomically (a half-written export is never
left behind) and `export_report.json` records it all.

We train the paper's ResNet-20 on scikit-learn's bundled digits (offline), export it three ways,
and then run the `.tflite` files ourselves, as an Android or iOS app would.
"""

import json
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from ai_edge_litert.interpreter import Interpreter

import keras_resnet as kr
from keras_resnet.data.pipelines import load_datasets
from keras_resnet.training.config import resolve_config
from keras_resnet.training.fit import train

QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"  # CI and a fast first look: tiny version
# examples_output/ at the repository's root wherever this runs from (beside examples/ as a script or
# a notebook opened there; in the working folder elsewhere, such as Colab).
HERE = Path(globals().get("__file__", "notebook")).resolve().parent
ROOT = next((p for p in (HERE, *HERE.parents) if (p / "pyproject.toml").is_file()), HERE)
OUT = str(ROOT / "examples_output" / "export_tflite")
os.makedirs(OUT, exist_ok=True)

"""
## Train

The library's `train` runs the paper's CIFAR recipe into a resumable run folder (checkpoints,
history, test metrics). The model takes raw 0..255 pixels: its first layer normalises them, so
the exported files do too. `kr.load_model_for_export(run_dir)` takes the run's best checkpoint,
the epoch with the highest validation accuracy, which need not be the last: the two test
accuracies printed can differ by an image or two, and the export's table below is the
second's.
"""

run_dir = os.path.join(OUT, "run")
config = resolve_config(
    {"model": "resnet20", "dataset": "digits", "epochs": 1 if QUICK else 15}, out=run_dir, resume=True
)
metrics = train(config, out=run_dir, resume=True, verbose=0)
exported = metrics["test_best_checkpoint"] or metrics["test"]
print(
    f"test accuracy after {metrics['epochs_trained']} epochs: {metrics['test']['accuracy']:.4f} (last "
    f"weights), {exported['accuracy']:.4f} (best.keras, the checkpoint exported below)"
)
model = kr.load_model_for_export(run_dir)

"""
## Calibration data for int8

Full-integer int8 stores every weight *and* every activation in 8 bits. The converter must know
the range of each activation tensor to pick its scale, so it runs the model on a few hundred
**representative** images and records the ranges: this is calibration. The images must be real
training images, preprocessed exactly as the model sees them (here: raw pixels, because the
normalisation is inside the model). Random noise would give activation ranges the real data never
has, and the int8 model would lose accuracy.
"""

datasets = load_datasets("digits", batch_size=100, augment=False)
representative = np.concatenate([x for x, _ in datasets.train.take(1 if QUICK else 3).as_numpy_iterator()])
test_batches = list(datasets.test.as_numpy_iterator())
x_test = np.concatenate([x for x, _ in test_batches])
y_test = np.concatenate([y for _, y in test_batches])
print("calibration images:", representative.shape, " test images:", x_test.shape)

"""
## Export in one call

`quantize` picks the TFLite variants; the parity check runs each file on the test images.
"""

report = kr.export_model(
    model,
    os.path.join(OUT, "export"),
    formats=("tflite",),
    quantize=("float32", "float16", "int8"),
    representative_data=representative,
    validation_data=(x_test, y_test),
    overwrite=True,
    latency_repeats=5 if QUICK else 50,
)
print(
    json.dumps(
        {
            row["file"]: {k: row[k] for k in ("size_bytes", "max_abs_diff", "top1_agreement")}
            for row in report["files"]
        },
        indent=2,
    )
)

"""
The printed table (also in `export_report.json`) compares each file with the Keras model on the
same test images. Expect float32 to match Keras to about 1e-6 (the same arithmetic), float16 to
about 1e-3 on the probabilities, and int8 to agree with Keras on nearly every prediction with a
file about a quarter of float32's size. The full run on record
(`examples/results/full_mode/export_tflite.txt`) gave 8.94e-07, 2.22e-03 and 7.72e-02 as the
largest differences, 100.0 % top-1 agreement for all three files, and an int8 file of 301.7 KiB
against float32's 1.0 MiB. The repository's latency figures, with the command that produced them,
are in `examples/results/export_latency.md`.

## Run a .tflite file yourself

This is all a phone app does: load the file, look at the input's dtype and quantisation, feed an
image, read the probabilities. For the int8 file with float input and output (the default here),
the conversion to and from int8 happens inside the file.
"""


def run_tflite(path, images):
    interpreter = Interpreter(model_path=path, num_threads=1)
    input_detail = interpreter.get_input_details()[0]
    output_detail = interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(input_detail["index"], [len(images), *images.shape[1:]])
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_detail["index"], images.astype(input_detail["dtype"]))
    start = time.perf_counter()
    interpreter.invoke()
    seconds = time.perf_counter() - start
    return interpreter.get_tensor(output_detail["index"]), seconds, input_detail["dtype"]


keras_probabilities = model.predict(x_test, verbose=0)
rows = []
for row in report["files"]:
    path = os.path.join(OUT, "export", row["file"])
    probabilities, seconds, dtype = run_tflite(path, x_test)
    rows.append(
        (
            row["file"],
            os.path.getsize(path) / 1024,
            np.dtype(dtype).name,
            float(np.mean(probabilities.argmax(1) == y_test)),
            float(np.mean(probabilities.argmax(1) == keras_probabilities.argmax(1))),
            1000 * seconds / len(x_test),
        )
    )
print(f"{'file':<22}{'KiB':>8}{'input':>9}{'accuracy':>10}{'agrees w/ Keras':>17}{'ms/image':>10}")
for name, kib, dtype, acc, agree, ms in rows:
    print(f"{name:<22}{kib:>8.0f}{dtype:>9}{acc:>10.4f}{agree:>17.4f}{ms:>10.3f}")
print(f"{'keras':<22}{'':>8}{'float32':>9}{np.mean(keras_probabilities.argmax(1) == y_test):>10.4f}")

"""
## Look at a few predictions of the int8 file
"""

int8_probabilities, _, _ = run_tflite(os.path.join(OUT, "export", "model_int8.tflite"), x_test[:8])
fig, axes = plt.subplots(1, 8, figsize=(12, 2))
for ax, image, probabilities, label in zip(axes, x_test[:8], int8_probabilities, y_test[:8]):
    ax.imshow(image[..., 0], cmap="gray")
    ax.set_title(f"{probabilities.argmax()} (true {label})", fontsize=9)
    ax.axis("off")
plt.show()

"""
## From the command line

`keras-resnet export RUN_DIR --quantize float32,float16,int8 --representative-npz calib.npz` does
the same for a run folder or a `.keras` file; `saved_models/README.md` describes the output layout.
"""

"""
Title: The paper's CIFAR-10 recipe: ResNet-20 to ResNet-110
Author: keras-resnet developers
Date created: 2026/11/23
Last modified: 2026/12/01
Description: He et al. 2015, Table 6: ResNet-20 to 110 on CIFAR-10 with the paper's recipe, resumable.
Accelerator: GPU
Quick mode: about 2 minutes on a CPU (mocked CIFAR-10, one short epoch)
Full mode: 182 epochs: about 1 to 2 hours for ResNet-20 on a Colab GPU (an estimate, not measured here); days on a CPU
"""

"""
## The experiment

Section 4.2 of *Deep Residual Learning* trains ResNets of depth 6n+2 on CIFAR-10 with one recipe:

| | the paper | here (`--recipe paper-cifar`) |
|---|---|---|
| optimiser | SGD, momentum 0.9 | same |
| learning rate | 0.1, divided by 10 at 32k and 48k iterations, stop at 64k | 0.1 per 128 images, divided by 10 at 50 % and 75 % of the epochs |
| batch, weight decay | 128, 1e-4 | same (L2 on conv and dense kernels, not on BN) |
| data | 45k/5k train/validation split; 4-pixel pad, random 32x32 crop, horizontal flip; per-pixel mean subtracted | same split and augmentation; per-channel mean and std normalisation inside the model |
| warm-up | ResNet-110 at lr 0.01 until training error < 80 % (about 400 iterations) | same rule (lr/10 until the running training error is below 80 %, checked after every batch), for nets of depth >= 110 and for plain nets |

64k iterations of batch 128 on 45k images is about 182 epochs. The paper's test errors:
ResNet-20 8.75 %, ResNet-32 7.51 %, ResNet-44 7.17 %, ResNet-56 6.97 %, ResNet-110 6.43 %.

On a Colab GPU, ResNet-20 takes well under an hour. Pick a deeper model with `MODEL`.

**Quick mode** (`QUICK = True` in the parameter cell, or `KERAS_RESNET_QUICK=1` as CI sets it): the same code runs on a few mocked CIFAR-10
images (`tensorflow_datasets.testing.mock_data`) for one short epoch: it proves the pipeline,
not the accuracy.
"""

import contextlib
import os
from pathlib import Path

import matplotlib.pyplot as plt

from keras_resnet.training.config import resolve_config
from keras_resnet.training.fit import train
from keras_resnet.training.run_folder import RunFolder

QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"  # CI and a fast first look: mocked data
MODEL = "resnet20"  # resnet32, resnet44, resnet56, resnet110 (the paper's Table 6)
PAPER_TEST_ERROR = {"resnet20": 8.75, "resnet32": 7.51, "resnet44": 7.17, "resnet56": 6.97, "resnet110": 6.43}
"""
## Where the runs go

A long run should outlive the Colab runtime. Mount Google Drive first (the Files panel's "Mount
Drive" button, or `from google.colab import drive; drive.mount("/content/drive")`) and the run
goes to `MyDrive/keras-resnet`; otherwise it goes to `examples_output` at the repository's root
(the working folder outside a clone).
Set `OUTPUT_DIR` to choose another folder. The run folder is resumable: when a runtime is
recycled, run the notebook again with the same settings and training continues from the last
finished epoch (the library's `resume`). Quick runs always stay in `examples_output`.
"""

DRIVE = "/content/drive/MyDrive"
# examples_output/ at the repository's root wherever this runs from (beside examples/ as a script or
# a notebook opened there; in the working folder elsewhere, such as Colab).
HERE = Path(globals().get("__file__", "notebook")).resolve().parent
ROOT = next((p for p in (HERE, *HERE.parents) if (p / "pyproject.toml").is_file()), HERE)
OUTPUT_DIR = (
    os.path.join(DRIVE, "keras-resnet")
    if os.path.isdir(DRIVE) and not QUICK
    else str(ROOT / "examples_output")
)
OUT = os.path.join(OUTPUT_DIR, "cifar10_paper_recipe", MODEL)
print("runs go to", OUT)

"""
## Data

`tfds:cifar10` loads CIFAR-10 through TensorFlow Datasets. The first full run downloads it
(`download=True`, about 160 MB). In quick mode `mock_data` replaces the files with random images
of the right shapes, so nothing is downloaded.
"""


def cifar10_source():
    if not QUICK:
        return contextlib.nullcontext()
    import tensorflow_datasets as tfds

    return tfds.testing.mock_data(num_examples=256)


options = {
    "model": MODEL,
    "dataset": "tfds:cifar10",
    "recipe": "paper-cifar",
    "epochs": 1 if QUICK else 182,
    "batch_size": 128,
    "download": not QUICK,
    "seed": 0,
}
if QUICK:
    options["data_dir"] = os.path.join(OUT, "mock_tfds")  # mock_data never touches ~/tensorflow_datasets
else:
    options["mixed_precision"] = "mixed_bfloat16" if os.environ.get("COLAB_TPU_ADDR") else "mixed_float16"
    options["jit_compile"] = True
config = resolve_config(options, out=OUT, resume=True)
print(config)

"""
## Train

`train` writes a resumable run folder: the resolved recipe and library versions
(`config.json`), `history.csv`, best and last checkpoints, and the test metrics. If the Colab
runtime is recycled, run this cell again: it continues from the last finished epoch.
"""

with cifar10_source():
    metrics = train(config, out=OUT, resume=True, verbose=2)

"""
## Result against the paper
"""

error = 100 * (1 - metrics["test"]["accuracy"])
print(
    f"{MODEL}: test error {error:.2f} % on {metrics['test']['examples']} images "
    f"after {metrics['epochs_trained']} epochs; the paper reports {PAPER_TEST_ERROR[MODEL]} %"
)

history = RunFolder(OUT).read_history()
epochs = [row["epoch"] + 1 for row in history]
plt.figure(figsize=(7, 4))
plt.plot(epochs, [100 * (1 - row["accuracy"]) for row in history], label="training error")
plt.plot(epochs, [100 * (1 - row["val_accuracy"]) for row in history], label="validation error")
plt.axhline(PAPER_TEST_ERROR[MODEL], color="gray", linestyle=":", label="paper's test error")
plt.xlabel("epoch")
plt.ylabel("error (%)")
plt.legend()
plt.show()

"""
In quick mode the numbers are meaningless (random mock images, one epoch). In a full run the
training error falls in three steps, at the start and at the two learning-rate drops (epochs 91
and 137), and the test error should land within a few tenths of a point of the paper's.
"""

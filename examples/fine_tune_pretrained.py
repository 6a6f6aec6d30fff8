"""
Title: Fine-tune a pretrained ResNet on your own image folder and ship it with its labels
Author: keras-resnet developers
Date created: 2026/12/01
Last modified: 2026/12/01
Description: Pretrained backbone, new head, frozen BN: fit an image folder, export int8 with labels.
Accelerator: GPU
Quick mode: 1 to 3 minutes on a CPU (random source weights, 64x64 images, one epoch)
Full mode: an estimate: about 10 minutes on a GPU (ResNet-50 weights, 128x128 images, 5 epochs)
"""

"""
## Setup

`kr.resnet18(weights="timm")` downloads the ResNet-18 weights timm publishes (ResNet Strikes
Back, A1 procedure), builds our ResNet-18 with the options they were trained with (v1.5), ports
every tensor with its name and shape checked, and puts timm's preprocessing (the ImageNet mean
and standard deviation) inside the model: it takes raw RGB pixels, 0-255. Other sources:
`"torchvision"`, `"keras.applications"` and `"imagenet"` (the best published top-1 for the model).

**Quick mode** (`KERAS_RESNET_QUICK=1`, as CI runs it offline) and any run without network use
**random weights** in the same architecture, with the same preprocessing layer: the code is the
same, but the accuracy is that of a random backbone. With network, full mode uses the real weights.
"""

import os

QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

import keras_resnet as kr
from keras_resnet.data.digits import digits_arrays
from keras_resnet.models.pretrained.registry import IMAGENET_MEAN_STD

IMAGE_SIZE = 64 if QUICK else 128
IMAGES_PER_CLASS = 8 if QUICK else 120
EPOCHS = 1 if QUICK else 5
keras.utils.set_random_seed(0)

"""
## A folder dataset

Your data is usually a folder with one subfolder per class. We make one from scikit-learn's
bundled handwritten digits (no download): `digits_folder/train/<digit>/*.png` and
`digits_folder/test/<digit>/*.png`, under `examples_output/fine_tune_pretrained/` like everything
this example writes.
"""

# examples_output/ at the repository's root wherever this runs from (beside examples/ as a script or
# a notebook opened there; in the working folder elsewhere, such as Colab).
HERE = Path(globals().get("__file__", "notebook")).resolve().parent
ROOT = next((p for p in (HERE, *HERE.parents) if (p / "pyproject.toml").is_file()), HERE)
OUT = ROOT / "examples_output" / "fine_tune_pretrained"

images, labels, names = digits_arrays(IMAGE_SIZE)
root = OUT / "digits_folder"
written = {}
for index, (image, label) in enumerate(zip(images, labels)):
    split = "test" if index % 5 == 0 else "train"
    folder = root / split / names[label]
    written[folder] = written.get(folder, 0) + 1
    if written[folder] <= IMAGES_PER_CLASS:
        folder.mkdir(parents=True, exist_ok=True)
        tf.io.write_file(str(folder / f"{index}.png"), tf.io.encode_png(image))

train = keras.utils.image_dataset_from_directory(
    root / "train", image_size=(IMAGE_SIZE, IMAGE_SIZE), batch_size=32, seed=0
)
test = keras.utils.image_dataset_from_directory(
    root / "test", image_size=(IMAGE_SIZE, IMAGE_SIZE), batch_size=32, shuffle=False
)
class_names = tuple(train.class_names)
print(f"classes: {class_names}")

"""
## The pretrained backbone

`include_top=False, pooling="avg"`: the network up to its 512 pooled features, without the
ImageNet classifier. The weights are fetched once into the Keras cache (`~/.keras/models`) and
checked against the source's hash; without network the error names the URL and the path where a
downloaded file is picked up.
"""

shape = (IMAGE_SIZE, IMAGE_SIZE, 3)
try:
    if QUICK:
        raise kr.OfflineError("quick mode uses random weights")
    backbone = kr.resnet18(weights="timm", include_top=False, pooling="avg", input_shape=shape)
    WEIGHTS = "timm"
except kr.OfflineError as err:
    print(f"random weights: {err}")
    backbone = kr.resnet18(
        include_top=False, pooling="avg", input_shape=shape, normalization=IMAGENET_MEAN_STD
    )
    WEIGHTS = "random"
print(f"backbone weights: {WEIGHTS}; first layer: {backbone.layers[1].name} (preprocessing inside)")

"""
## A new head, BatchNorm frozen

`backbone.trainable = False` freezes every weight, and in Keras 3 it also puts every
BatchNormalization layer in inference mode: they normalise with the ImageNet statistics and do
not update them, even inside `fit`. The head is a dense layer on the pooled features, added to
the same functional graph so the exported model is one flat graph starting with the
preprocessing layer.
"""

backbone.trainable = False
outputs = keras.layers.Dense(len(class_names), activation="softmax", name="digits")(backbone.output)
classifier = keras.Model(backbone.input, outputs, name="resnet18_digits")
classifier.compile(
    optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
bn = classifier.get_layer("conv1_bn")
mean_before = keras.ops.convert_to_numpy(bn.moving_mean).copy()
classifier.fit(train, epochs=EPOCHS, verbose=2)
moved = np.abs(keras.ops.convert_to_numpy(bn.moving_mean) - mean_before).max()
loss, accuracy = classifier.evaluate(test, verbose=0)
print(f"test accuracy {accuracy:.2%} (weights={WEIGHTS}); conv1_bn moving mean moved by {moved}")
assert moved == 0

"""
## Export int8 with its labels

`export_model` writes a SavedModel and a full-integer int8 `.tflite` file calibrated on training
images, checks each against Keras, and writes `labels.txt` (the class names, one per line) beside
them. `kr.save_model` writes a `.keras` file with the labels inside it. Neither needs any
preprocessing code on the device: the normalisation is part of the model.
"""

calibration = np.concatenate([x.numpy() for x, _ in train])[:64]
report = kr.export_model(
    classifier,
    OUT / "fine_tuned_export",
    quantize=("int8",),
    representative_data=calibration,
    labels=class_names,
    overwrite=True,
    latency_repeats=2,
)
kr.save_model(classifier, OUT / "fine_tuned.keras", class_names=class_names)
print((OUT / "fine_tuned_export" / "labels.txt").read_text().split())

"""
## Predict on an image

`kr.load` takes a `.tflite` file, a SavedModel, a `.keras` file, a run folder or a name with a
weight source (`"resnet50:torchvision"`), and returns the same predictor; the command line is
`keras-resnet predict examples_output/fine_tune_pretrained/fine_tuned_export/model_int8.tflite
examples_output/fine_tune_pretrained/digits_folder/test/3`.
"""

image = sorted((root / "test" / "3").glob("*.png"))[0]
for source in (OUT / "fine_tuned_export" / "model_int8.tflite", OUT / "fine_tuned.keras"):
    best = kr.load(source).predict(image, top=3)[0]["top"]
    print(source.name, [(entry["label"], round(entry["probability"], 3)) for entry in best])

"""
Title: Bring keras.applications ResNet-50 weights in and fine-tune with a frozen backbone
Author: keras-resnet developers
Date created: 2026/11/23
Last modified: 2026/12/01
Description: Port keras.applications ResNet50 weights, check outputs match, fine-tune with BN frozen.
Accelerator: GPU
Quick mode: about 2 minutes on a CPU
Full mode: a few minutes on a Colab GPU (an estimate; downloads the 100 MB ImageNet weights)
"""

"""
## Setup

`keras.applications.ResNet50` is the original (v1) ResNet-50 with ImageNet weights. This
library's ResNet-50 built with `kr.KERAS_APPLICATIONS_OPTIONS["v1"]` (stride on the first 1x1
of a bottleneck, biases on the convolutions, BatchNorm epsilon 1.001e-5) has the same layers
under the same names, so `kr.from_keras_applications` copies the weights by name, checking
every shape.

In full mode this example downloads the ImageNet weights (`weights="imagenet"`, about 100 MB; a
Colab GPU runtime is the comfortable place to run it). Quick mode (`KERAS_RESNET_QUICK=1`, as
CI runs it offline) uses randomly initialised weights, 32x32 images and a handful of digits:
the same code, checking the mechanics rather than the accuracy.
"""

import os

QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import keras_resnet as kr
from keras_resnet.data.pipelines import load_datasets

WEIGHTS = None if QUICK else "imagenet"
IMAGE_SIZE = 32 if QUICK else 96  # ResNet-50 downsamples 32x: 32 is its smallest input
TRAIN_IMAGES = 32 if QUICK else None  # None: all 1,257 training digits
EPOCHS = 1 if QUICK else 5
BATCH_SIZE = 16 if QUICK else 64
keras.utils.set_random_seed(0)

"""
## The source: keras.applications ResNet50

Without its ImageNet classifier (`include_top=False`) and with global average pooling, so it
maps an image to a 2048-dimensional feature vector and accepts any input size of at least
32x32. If the weights cannot be downloaded (no internet), the example says so and goes on
with random weights.
"""

shape = (IMAGE_SIZE, IMAGE_SIZE, 3)
try:
    source = keras.applications.ResNet50(weights=WEIGHTS, include_top=False, pooling="avg", input_shape=shape)
except Exception as err:  # keras.utils.get_file raises a bare Exception when the fetch fails
    print(f"could not load weights={WEIGHTS!r} ({err}); continuing with random weights")
    WEIGHTS = None
    source = keras.applications.ResNet50(weights=None, include_top=False, pooling="avg", input_shape=shape)
print(f"keras.applications ResNet50, weights={WEIGHTS}: {source.count_params():,} parameters")

"""
## The target: this library's ResNet-50 in the keras.applications layout

The same arguments as keras.applications (`include_top`, `pooling`, `input_shape`) plus the
layout options. `from_keras_applications` returns the layers it copied; with `strict=True` (the
default) it refuses if any weighted layer on either side has no twin of the same shapes.
"""

target = kr.resnet50(
    include_top=False, pooling="avg", input_shape=shape, **kr.KERAS_APPLICATIONS_OPTIONS["v1"]
)
report = kr.from_keras_applications(source, target)
print(f"copied {len(report['copied'])} weighted layers; {target.count_params():,} parameters in the target")

"""
Same weights should give the same outputs. Both models see the same images, preprocessed the
way the ImageNet weights expect (`keras.applications.resnet.preprocess_input`: RGB to BGR and
the ImageNet channel means subtracted), in inference mode.
"""

data = load_datasets("digits", batch_size=256, augment=False)


def arrays(dataset, limit=None):
    """(images resized to IMAGE_SIZE and preprocessed for the ImageNet weights, labels)."""
    images, labels = zip(*((np.asarray(x), np.asarray(y)) for x, y in dataset))
    x, y = np.concatenate(images)[:limit], np.concatenate(labels)[:limit]
    x = keras.ops.convert_to_numpy(keras.ops.image.resize(x, (IMAGE_SIZE, IMAGE_SIZE)))
    return keras.applications.resnet.preprocess_input(x), y


x_train, y_train = arrays(data.train, TRAIN_IMAGES)
x_test, y_test = arrays(data.test, 64 if QUICK else None)
expected = source.predict(x_test[:16], verbose=0)
actual = target.predict(x_test[:16], verbose=0)
print(
    f"features: max |ours - keras.applications| = {np.abs(actual - expected).max():.2e} "
    f"(largest feature {np.abs(expected).max():.2f})"
)
np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4)

"""
The printed difference is at the level of float32 rounding: the two networks compute the same
function. From here on, `target` is a drop-in replacement, with this library's options
(stochastic depth, SE, other shortcuts) available for a new model to be trained from it.

## BatchNorm when the backbone is frozen

To train a new head on a small dataset, freeze the backbone: `backbone.trainable = False`. For
BatchNormalization this means more than "no gradient updates". In Keras 3 (as since TF 2.0),
a `BatchNormalization` layer with `trainable=False` **runs in inference mode**: it normalises
with its stored moving mean and variance, not the statistics of the current batch, and does not
update those moving statistics, even inside `fit` where `training=True`. That is what fine-tuning
needs: a small, differently distributed dataset must not overwrite the ImageNet statistics the
convolutions were trained with.

The Keras transfer-learning guide also calls the backbone with `training=False` in the new
model, so that BatchNorm stays in inference mode even if the backbone is later unfrozen for a
second, low learning-rate fine-tuning pass. First, the mechanism on one layer: call the backbone
in training mode, once trainable and once frozen, and see whether the first BatchNorm's moving
mean moves.
"""

bn = target.get_layer("conv1_bn")
batch = x_train[:BATCH_SIZE]
for trainable in (True, False):
    target.trainable = trainable
    before = keras.ops.convert_to_numpy(bn.moving_mean).copy()
    target(batch, training=True)
    change = np.abs(keras.ops.convert_to_numpy(bn.moving_mean) - before).max()
    print(
        f"backbone.trainable={trainable}: call with training=True changes conv1_bn's "
        f"moving mean by up to {change:.3g}"
    )

"""
The trainable backbone updated its moving mean from the batch; the frozen one left it exactly
as it was (a change of 0).

## Fine-tuning a new head

A new classifier on the frozen backbone's features: only the `Dense` layer's weights train.
"""

target.trainable = False
inputs = keras.Input(shape)
features = target(inputs, training=False)
outputs = keras.layers.Dense(data.info.classes, activation="softmax", name="digits")(features)
classifier = keras.Model(inputs, outputs, name="resnet50_digits")
print(
    f"{len(classifier.trainable_weights)} trainable weight tensors "
    f"({sum(int(np.prod(w.shape)) for w in classifier.trainable_weights):,} numbers), "
    f"{len(classifier.non_trainable_weights)} frozen"
)

classifier.compile(
    optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
moving_means = {
    layer.name: keras.ops.convert_to_numpy(layer.moving_mean).copy()
    for layer in target.layers
    if isinstance(layer, keras.layers.BatchNormalization)
}
kernel_before = keras.ops.convert_to_numpy(target.get_layer("conv5_block3_3_conv").kernel).copy()
classifier.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=2)

moved = max(
    np.abs(keras.ops.convert_to_numpy(target.get_layer(name).moving_mean) - mean).max()
    for name, mean in moving_means.items()
)
kernel_moved = np.abs(
    keras.ops.convert_to_numpy(target.get_layer("conv5_block3_3_conv").kernel) - kernel_before
).max()
print(
    f"after fit: largest change in any of the {len(moving_means)} BatchNorm moving means "
    f"{moved:.3g}; in the last conv kernel {kernel_moved:.3g}"
)
assert moved == 0 and kernel_moved == 0

loss, accuracy = classifier.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {accuracy:.2%} on {len(y_test)} digits (weights={WEIGHTS})")

"""
Both printed changes are 0: `fit` trained the head and left every backbone weight and every
BatchNorm statistic as it was. The test accuracy is that of a linear classifier on the
backbone's features: in quick mode (random backbone, one short epoch) expect little better than
chance; with the ImageNet weights the features carry over to digits even though they are
nothing like ImageNet photos. To go further, unfreeze the last stage
(`conv5_block*` layers) and fit again with a learning rate ten times smaller, keeping the
backbone called with `training=False` so its BatchNorm statistics stay those of ImageNet.
"""

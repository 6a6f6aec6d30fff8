"""A tiny residual net with the model-builder interface of `keras_resnet.models.resnet.build`.

Tests use it where the real networks would only make them slower: it takes raw 0..255 pixels, has
the "normalization" layer, a "predictions" Dense (logits) and a float32 "predictions_activation"
(softmax, or `classifier_activation`: None for a model that outputs logits).
"""

import keras


def tiny_resnet(
    name="tiny",
    *,
    classes=10,
    input_shape=(32, 32, 3),
    normalization=None,
    kernel_regularizer=None,
    width=16,
    residual=True,
    classifier_activation="softmax",
    **unused,
):
    inputs = keras.Input(input_shape)
    x = inputs
    if normalization is not None:
        mean, std = normalization
        x = keras.layers.Normalization(mean=list(mean), variance=[s * s for s in std], name="normalization")(
            x
        )
    conv = dict(padding="same", use_bias=False, kernel_regularizer=kernel_regularizer)
    x = keras.layers.Conv2D(width, 3, strides=2, name="stem_conv", **conv)(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name="stem_bn")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.MaxPooling2D(2, name="stem_pool")(x)
    y = keras.layers.Conv2D(width, 3, name="block_1_conv", **conv)(x)
    y = keras.layers.BatchNormalization(momentum=0.9, name="block_1_bn")(y)
    y = keras.layers.ReLU()(y)
    y = keras.layers.Conv2D(width, 3, name="block_2_conv", **conv)(y)
    y = keras.layers.BatchNormalization(momentum=0.9, name="block_2_bn")(y)
    x = keras.layers.ReLU()(keras.layers.Add()([x, y]) if residual else y)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(classes, kernel_regularizer=kernel_regularizer, name="predictions")(x)
    outputs = keras.layers.Activation(
        classifier_activation or "linear", dtype="float32", name="predictions_activation"
    )(x)
    return keras.Model(inputs, outputs, name=name)


def tiny_plain(name="tiny_plain", **options):
    """`tiny_resnet` without its shortcut: the plain twin."""
    return tiny_resnet(name, residual=False, **options)

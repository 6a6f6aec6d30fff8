"""Weights into our models: from keras.applications layer by layer, same weights in, same outputs
out (<= 1e-4), and a copy into a different architecture refused with the fix."""

import keras
import numpy as np
import pytest

import keras_resnet as kr

CASES = {  # keras.applications constructor -> (our name, options that match its layout)
    "ResNet50": ("resnet50", "v1"),
    "ResNet101": ("resnet101", "v1"),
    "ResNet152": ("resnet152", "v1"),
    "ResNet50V2": ("resnet50_v2", "v2"),
    "ResNet101V2": ("resnet101_v2", "v2"),
    "ResNet152V2": ("resnet152_v2", "v2"),
}
SHAPE = (64, 64, 3)


def _randomise_batchnorm(model, rng):
    """Non-trivial BN statistics, so a wrong epsilon or a swapped variable would show."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma.shape),
                    rng.normal(0, 0.1, beta.shape),
                    rng.normal(0, 0.1, mean.shape),
                    rng.uniform(0.5, 1.5, var.shape),
                ]
            )


@pytest.mark.parametrize(
    "constructor",
    # ResNet-50 and -50 V2 in the fast tier; the deeper ones repeat their blocks (slow tier).
    [c if c.startswith("ResNet50") else pytest.param(c, marks=pytest.mark.slow) for c in CASES],
)
def test_outputs_match_keras_applications_after_copying_weights(constructor, rng):
    ours, layout = CASES[constructor]
    source = getattr(keras.applications, constructor)(
        weights=None, input_shape=SHAPE, classifier_activation=None
    )
    target = kr.build(
        ours, input_shape=SHAPE, classifier_activation=None, **kr.KERAS_APPLICATIONS_OPTIONS[layout]
    )
    assert target.count_params() == source.count_params()
    _randomise_batchnorm(source, rng)
    report = kr.from_keras_applications(source, target)
    assert len(report["copied"]) == len([l for l in source.layers if l.weights])
    images = rng.uniform(-1, 1, (2, *SHAPE)).astype("float32")
    expected = keras.ops.convert_to_numpy(source(images, training=False))
    actual = keras.ops.convert_to_numpy(target(images, training=False))
    assert np.abs(expected).max() > 1e-2  # a meaningful comparison, not two tiny numbers
    assert np.abs(actual - expected).max() <= 1e-4


def test_resnet50_keras_applications_layout_has_its_25_6_million_parameters():
    model = kr.resnet50(**kr.KERAS_APPLICATIONS_OPTIONS["v1"])
    assert model.count_params() == 25_636_712


def test_copy_into_a_different_architecture_is_refused_with_the_fix():
    source = keras.applications.ResNet50(weights=None, input_shape=SHAPE)
    target = kr.resnet50(input_shape=SHAPE)  # v1.5 without conv bias: shapes differ
    with pytest.raises(ValueError, match="KERAS_APPLICATIONS_OPTIONS"):
        kr.from_keras_applications(source, target)


def test_non_strict_copy_keeps_a_new_classifier_head(rng):
    source = keras.applications.ResNet50(weights=None, input_shape=SHAPE, include_top=False)
    target = kr.resnet50(input_shape=SHAPE, classes=5, **kr.KERAS_APPLICATIONS_OPTIONS["v1"])
    report = kr.from_keras_applications(source, target, strict=False)
    assert report["not_in_source"] == ["predictions"]
    np.testing.assert_array_equal(
        target.get_layer("conv1_conv").get_weights()[0], source.get_layer("conv1_conv").get_weights()[0]
    )

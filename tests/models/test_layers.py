"""The package's own layers: option A's zero-padding shortcut and stochastic depth, and the names
`.keras` files know them by."""

import keras
import numpy as np

import keras_resnet as kr


def test_zero_pad_shortcut_subsamples_and_pads_with_zeros(rng):
    x = rng.normal(size=(1, 4, 4, 2)).astype("float32")
    y = keras.ops.convert_to_numpy(kr.ZeroPadShortcut(stride=2, channels=5)(x))
    assert y.shape == (1, 2, 2, 5)
    np.testing.assert_array_equal(y[..., :2], x[:, ::2, ::2, :])
    assert not y[..., 2:].any()


def test_stochastic_depth_is_the_identity_at_inference_and_random_in_training(rng):
    layer = kr.StochasticDepth(0.5, seed=1)
    x = np.ones((64, 2, 2, 1), "float32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x, training=False)), x)
    dropped = keras.ops.convert_to_numpy(layer(x, training=True))
    assert set(np.unique(dropped)) == {0.0, 2.0}


def test_layers_keep_their_registered_names():
    """Saved files name these classes; renaming them would orphan every file saved before."""
    assert keras.saving.get_registered_name(kr.ZeroPadShortcut) == "keras_resnet>ZeroPadShortcut"
    assert keras.saving.get_registered_name(kr.StochasticDepth) == "keras_resnet>StochasticDepth"

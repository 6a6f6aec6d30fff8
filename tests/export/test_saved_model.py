"""SavedModel claims: the serving signatures match Keras (probabilities and logits) and take raw
float or uint8 images with any batch size."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.export.conftest import EXPORTS, row


@pytest.mark.parametrize("export", EXPORTS)
def test_saved_model_matches_keras_probabilities_and_logits(export, request):
    export = request.getfixturevalue(export)
    model, images = export["model"], export["images"]
    logits_model = keras.Model(model.input, model.get_layer("predictions").output)
    loaded = tf.saved_model.load(str(export["out"] / "saved_model"))  # keep a reference while serving
    served = loaded.serve(tf.constant(images))
    assert np.max(np.abs(served["probabilities"].numpy() - model.predict(images, verbose=0))) <= 1e-4
    assert np.max(np.abs(served["logits"].numpy() - logits_model.predict(images, verbose=0))) <= 1e-4
    assert row(export["report"], "saved_model")["max_abs_diff"] <= 1e-4


def test_saved_model_serves_uint8_and_float_raw_images_with_dynamic_batch(resnet20_export):
    loaded = tf.saved_model.load(str(resnet20_export["out"] / "saved_model"))
    pixels = resnet20_export["images"][:5].round().astype(np.uint8)
    expected = resnet20_export["model"].predict(pixels.astype(np.float32), verbose=0)
    for batch in (1, 5):
        from_uint8 = loaded.serve_uint8(tf.constant(pixels[:batch]))["probabilities"].numpy()
        from_float = loaded.serve(tf.constant(pixels[:batch].astype(np.float32)))["probabilities"].numpy()
        np.testing.assert_allclose(from_uint8, from_float, atol=1e-6)
        np.testing.assert_allclose(from_float, expected[:batch], atol=1e-4)
    assert set(loaded.signatures) >= {"serve", "serve_uint8", "serving_default"}

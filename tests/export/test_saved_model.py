"""SavedModel claims: the serving signatures match Keras (probabilities and logits) and take raw
float or uint8 images with any batch size; with class names, `classify` returns Keras' top-k
classes with their names."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_resnet.errors import InvalidInputError
from keras_resnet.export.api import export_model
from tests.export.conftest import EXPORTS, random_images, row, tiny_classifier


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.parametrize("classes", [3, 7])
def test_classify_signature_returns_the_top_k_classes_keras_predicts_with_their_names(classes, tmp_path):
    keras.utils.set_random_seed(classes)
    model = tiny_classifier(classes=classes)
    names = [f"class {i}" for i in range(classes)]
    images = random_images(6)
    report = export_model(
        model, tmp_path / "export", formats="saved_model", validation_data=images, labels=names, verbose=False
    )
    k = min(5, classes)
    loaded = tf.saved_model.load(str(tmp_path / "export" / "saved_model"))  # keep a reference while serving
    classified = loaded.classify(tf.constant(images))
    indices = classified["top_k_indices"].numpy()
    probabilities = classified["top_k_probabilities"].numpy()
    expected = model.predict(images, verbose=0)
    assert indices.shape == probabilities.shape == classified["top_k_names"].shape == (len(images), k)
    assert classified["top_k_indices"].dtype == tf.int32
    # the returned probabilities are Keras' k largest, in order, at the returned indices
    np.testing.assert_allclose(probabilities, -np.sort(-expected, axis=1)[:, :k], atol=1e-5)
    np.testing.assert_allclose(np.take_along_axis(expected, indices, axis=1), probabilities, atol=1e-5)
    decoded = [[name.decode("utf-8") for name in row] for row in classified["top_k_names"].numpy()]
    assert decoded == [[names[i] for i in row] for row in indices]
    assert "classify" in row(report, "saved_model")["signatures"]
    assert (tmp_path / "export" / "labels.txt").read_text().splitlines() == names


def test_class_names_that_do_not_match_the_outputs_are_refused_before_writing(tmp_path):
    with pytest.raises(InvalidInputError, match="3 class names were given for a model with 10 classes"):
        export_model(tiny_classifier(), tmp_path / "export", labels=["a", "b", "c"], verbose=False)
    assert not (tmp_path / "export").exists()

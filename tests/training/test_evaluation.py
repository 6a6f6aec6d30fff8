"""One scoring rule for every score the tool reports: logits and probabilities give the same loss
and accuracy, and which one a model outputs is read from its classifier activation."""

import numpy as np
import pytest

from keras_resnet.models.resnet import ResNet
from keras_resnet.training.evaluation import cross_entropy_and_accuracy, outputs_probabilities

TINY = {
    "stage_blocks": (1,),
    "stage_widths": (4,),
    "stem": "cifar",
    "shortcut": "A",
    "input_shape": (8, 8, 3),
}


def test_logits_and_their_softmax_score_the_same():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(32, 5)) * 3
    labels = rng.integers(0, 5, 32)
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = exp / exp.sum(axis=1, keepdims=True)
    from_logits = cross_entropy_and_accuracy(logits, labels, probabilities=False)
    from_probabilities = cross_entropy_and_accuracy(probabilities, labels, probabilities=True)
    assert from_logits["loss"] == pytest.approx(from_probabilities["loss"], rel=1e-9)
    assert from_logits["accuracy"] == from_probabilities["accuracy"]
    assert from_logits["finite"] and from_probabilities["finite"]


def test_a_non_finite_output_scores_nan_not_an_error():
    scores = cross_entropy_and_accuracy(np.array([[np.nan, 1.0]]), np.array([0]), probabilities=True)
    assert scores["finite"] is False and np.isnan(scores["loss"]) and np.isnan(scores["accuracy"])


@pytest.mark.parametrize(
    ("activation", "probabilities"), [("softmax", True), (None, False), ("linear", False)]
)
def test_whether_a_model_outputs_probabilities_is_read_from_its_classifier_activation(
    activation, probabilities
):
    model = ResNet(**TINY, classes=3, classifier_activation=activation)
    assert outputs_probabilities(model) is probabilities

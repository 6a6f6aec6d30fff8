"""Claims about `keras_resnet.gradients.depth`: one depth, the paper's layer count."""

import keras
import pytest

import keras_resnet as kr
from keras_resnet.gradients.depth import layer_depths, select_layers
from keras_resnet.models.specs import MODEL_SPECS


@pytest.mark.parametrize("name", ["resnet20", "plain20", "resnet50"])
def test_classifier_depth_is_the_paper_depth(name):
    depths = layer_depths(getattr(kr, name)())
    assert depths["predictions"] == MODEL_SPECS[name].depth
    keras.backend.clear_session()


def test_resnet20_classifier_is_20_deep_and_resnet50_is_50_deep():
    assert layer_depths(kr.resnet20())["predictions"] == 20
    assert layer_depths(kr.resnet50())["predictions"] == 50
    keras.backend.clear_session()


def test_batchnorm_takes_its_conv_depth_and_a_projection_the_units_first_conv_depth():
    depths = layer_depths(kr.resnet50())
    assert depths["conv1_conv"] == 1 and depths["conv1_bn"] == 1
    assert depths["conv2_block1_1_conv"] == depths["conv2_block1_0_conv"] == 2
    assert depths["conv2_block1_3_bn"] == depths["conv2_block1_add"] == 4
    keras.backend.clear_session()


def test_a_model_without_a_graph_counts_kernels_in_layer_order():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.first, self.norm = keras.layers.Dense(3), keras.layers.BatchNormalization()
            self.second = keras.layers.Dense(2)

        def call(self, x):
            return self.second(self.norm(self.first(x)))

    model = Subclassed()
    model(keras.ops.zeros((1, 4)))
    names = [layer.name for layer in model.layers]
    assert [layer_depths(model)[n] for n in names] == [1, 1, 2]


def test_select_layers_keeps_matching_weighted_layers_with_their_depth():
    import re

    model = kr.resnet20()
    slots = select_layers(model, [re.compile("^conv1_"), re.compile("predictions")])
    assert [(s.name, s.depth) for s in slots] == [("conv1_conv", 1), ("conv1_bn", 1), ("predictions", 20)]
    paths = [path for _, weights in [(s.name, s.weights) for s in slots] for path, _ in weights]
    assert "predictions/kernel" in paths
    keras.backend.clear_session()

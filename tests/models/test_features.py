"""`feature_pyramid`: stage features keyed "P{l}" at stride 2**l, in every version, equal to the
full model's own activations, sharing its weights, and trainable under a head on every backend."""

import keras
import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.models.features import feature_pyramid, pyramid_layers
from tests.conftest import run_on_backend

IMAGENET_SIZE = 64  # small inputs: strides 4-32 give 16, 8, 4 and 2 pixels
VERSIONS = ["v1", "v1.5", "v2"]


def _stage_inputs(model, levels):
    """What the network itself feeds on from each stage: the next stage's first conv reads the
    stage's (activated) output in every version; the last stage's feeds the classifier's pooling."""
    last_stage = max(
        int(name[4]) for name in (layer.name for layer in model.layers) if name.startswith("conv")
    )
    names = {layer.name for layer in model.layers}
    first = [f"conv{stage}_block1_1_pad" for stage in range(3, last_stage + 1)]  # a strided 3x3 pads first
    tensors = [
        model.get_layer(name if name in names else name.replace("_pad", "_conv")).input for name in first
    ]
    return dict(zip(levels, [*tensors, model.get_layer("avg_pool").input]))


@pytest.mark.parametrize("depth", [18, pytest.param(50, marks=pytest.mark.slow)])
@pytest.mark.parametrize("version", VERSIONS)
def test_imagenet_family_features_are_p2_to_p5_at_strides_4_to_32(depth, version):
    model = kr.imagenet_resnet(depth, version=version, input_shape=(IMAGENET_SIZE, IMAGENET_SIZE, 3))
    pyramid = feature_pyramid(model)
    widths = [64, 128, 256, 512] if depth == 18 else [256, 512, 1024, 2048]
    expected = {
        f"P{level}": (None, IMAGENET_SIZE >> level, IMAGENET_SIZE >> level, widths[level - 2])
        for level in (2, 3, 4, 5)
    }
    assert {key: tuple(t.shape) for key, t in pyramid.output.items()} == expected


def test_cifar_family_features_are_p0_to_p2_at_strides_1_to_4():
    pyramid = feature_pyramid(kr.resnet20())
    shapes = {key: tuple(t.shape) for key, t in pyramid.output.items()}
    assert shapes == {"P0": (None, 32, 32, 16), "P1": (None, 16, 16, 32), "P2": (None, 8, 8, 64)}


def test_v2_features_are_taken_after_the_bn_relu_that_follows_each_stage():
    assert pyramid_layers(kr.resnet18(version="v2", input_shape=(64, 64, 3))) == {
        "P2": "conv3_block1_preact_relu",
        "P3": "conv4_block1_preact_relu",
        "P4": "conv5_block1_preact_relu",
        "P5": "post_relu",
    }
    assert pyramid_layers(kr.resnet18(input_shape=(64, 64, 3)))["P2"] == "conv2_block2_out"


@pytest.mark.parametrize(
    ("name", "options", "levels"),
    [
        pytest.param("resnet18", {"version": "v1.5"}, ["P2", "P3", "P4", "P5"], marks=pytest.mark.slow),
        pytest.param("resnet50", {"version": "v1"}, ["P2", "P3", "P4", "P5"], marks=pytest.mark.slow),
        pytest.param("resnet50_v2", {}, ["P2", "P3", "P4", "P5"], marks=pytest.mark.slow),
        ("resnet20", {}, ["P0", "P1", "P2"]),
        ("preact_resnet110", {"stage_blocks": (2, 2, 2)}, ["P0", "P1", "P2"]),
    ],
)
def test_features_equal_the_full_models_own_activations(name, options, levels, rng):
    shape = (32, 32, 3) if name in ("resnet20", "preact_resnet110") else (64, 64, 3)
    model = kr.build(name, input_shape=shape, **options)
    x = rng.uniform(0, 255, (2, *shape)).astype("float32")
    features = feature_pyramid(model).predict(x, verbose=0)
    reference = keras.Model(model.input, _stage_inputs(model, levels)).predict(x, verbose=0)
    assert sorted(features) == levels
    for level in levels:
        np.testing.assert_allclose(features[level], reference[level], rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_downsample_last_features_stay_at_their_stride():
    model = kr.resnet50(**kr.KERAS_APPLICATIONS_OPTIONS["v2"], include_top=False, input_shape=(64, 64, 3))
    shapes = {key: tuple(t.shape)[1:3] for key, t in feature_pyramid(model).output.items()}
    assert shapes == {"P2": (16, 16), "P3": (8, 8), "P4": (4, 4), "P5": (2, 2)}


def test_pyramid_shares_the_models_layers_and_weights(rng):
    model = kr.resnet20()
    pyramid = feature_pyramid(model)
    own = {id(layer) for layer in model.layers}
    assert all(id(layer) in own for layer in pyramid.layers)
    x = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    before = pyramid.predict(x, verbose=0)["P2"]
    bn = model.get_layer("conv4_block3_2_bn")
    bn.beta.assign(bn.beta + 1.0)
    assert not np.allclose(pyramid.predict(x, verbose=0)["P2"], before)


def test_pretrained_style_model_keeps_its_normalization_in_front(rng):
    model = kr.resnet20(normalization=([125.3, 123.0, 113.9], [63.0, 62.1, 66.7]), include_top=False)
    pyramid = feature_pyramid(model)
    assert "normalization" in [layer.name for layer in pyramid.layers]
    x = rng.uniform(0, 255, (1, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(pyramid.predict(x, verbose=0)["P2"], model.predict(x, verbose=0), atol=1e-5)


def test_headless_and_pooled_models_give_the_same_levels():
    headless = feature_pyramid(kr.resnet20(include_top=False, pooling="avg"))
    assert list(headless.output) == ["P0", "P1", "P2"]


def test_levels_keeps_only_the_named_features():
    pyramid = feature_pyramid(kr.resnet18(input_shape=(64, 64, 3)), levels=("P3", "P4", "P5"))
    assert list(pyramid.output) == ["P3", "P4", "P5"]


def test_unknown_level_is_refused_with_the_models_levels():
    with pytest.raises(kr.InvalidInputError, match=r"levels \['P6'\].*\['P0', 'P1', 'P2'\]"):
        feature_pyramid(kr.resnet20(), levels=["P6"])


def test_a_model_that_is_not_a_resnet_is_refused_in_one_line():
    other = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="conv")])
    with pytest.raises(kr.InvalidInputError, match="not a ResNet built by keras-resnet") as err:
        feature_pyramid(other)
    assert "\n" not in str(err.value)
    with pytest.raises(kr.InvalidInputError, match="needs a Keras model"):
        feature_pyramid("resnet50")


TRAIN_A_HEAD = """
    import keras
    import numpy as np
    import keras_resnet as kr
    keras.utils.set_random_seed(0)
    model = kr.resnet20(include_top=False)
    pyramid = kr.feature_pyramid(model)
    features = pyramid(pyramid.input)
    up = [keras.layers.UpSampling2D(2 ** l)(features[f"P{l}"]) if l else features["P0"] for l in range(3)]
    mask = keras.layers.Conv2D(2, 1)(keras.layers.Concatenate()(up))
    segmenter = keras.Model(pyramid.input, mask)
    segmenter.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    y = (x[..., 0] > 127).astype("int32")
    kernel = model.get_layer("conv2_block1_1_conv").kernel
    before = keras.ops.convert_to_numpy(kernel).copy()
    loss = float(segmenter.train_on_batch(x, y))
    moved = not np.allclose(keras.ops.convert_to_numpy(kernel), before)
    print("ok", np.isfinite(loss), moved)
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_one_training_step_of_a_segmentation_head_trains_the_backbone(backend):
    pytest.importorskip(backend if backend != "tensorflow" else "tensorflow")
    assert run_on_backend(backend, TRAIN_A_HEAD).stdout.split()[-3:] == ["ok", "True", "True"]

"""The named models against the papers: parameter counts, multiply-accumulates, the depth table."""

import keras
import pytest

import keras_resnet as kr

# torchvision's counts for 1000 classes (v1.5, option B, no conv bias): He et al. 2015, Table 1.
IMAGENET_TRAINABLE_PARAMS = {
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "resnet101": 44_549_160, "resnet152": 60_192_808,
}
# The paper's CIFAR-10 family, option A (section 4.2, Table 6).
CIFAR_TRAINABLE_PARAMS = {
    "resnet20": 269_722, "resnet32": 464_154, "resnet44": 658_586, "resnet56": 853_018,
    "resnet110": 1_727_962,
}
# Multiply-accumulates at 224x224 (the paper's "FLOPs": 1.8, 3.6, 3.8, 7.6, 11.3 G for v1).
IMAGENET_GMACS = {"resnet18": 1.82, "resnet34": 3.67, "resnet50": 4.1, "resnet101": 7.83,
                  "resnet152": 11.56}


@pytest.fixture(scope="module")
def imagenet_models():
    return {name: kr.build(name) for name in IMAGENET_TRAINABLE_PARAMS}


@pytest.mark.parametrize("name", IMAGENET_TRAINABLE_PARAMS)
def test_imagenet_trainable_params_match_torchvision(imagenet_models, name):
    stats = kr.model_stats(imagenet_models[name])
    assert stats["trainable_params"] == IMAGENET_TRAINABLE_PARAMS[name]


@pytest.mark.parametrize("name", IMAGENET_GMACS)
def test_imagenet_macs_match_the_paper_within_2_percent(imagenet_models, name):
    macs = kr.model_stats(imagenet_models[name])["macs"]
    assert macs / 1e9 == pytest.approx(IMAGENET_GMACS[name], rel=0.02)


@pytest.mark.parametrize("name", CIFAR_TRAINABLE_PARAMS)
def test_cifar_trainable_params_match_the_paper(name):
    assert kr.model_stats(kr.build(name))["trainable_params"] == CIFAR_TRAINABLE_PARAMS[name]


def test_resnet20_has_about_41_million_macs():
    assert kr.model_stats(kr.resnet20())["macs"] / 1e6 == pytest.approx(41, rel=0.02)


@pytest.mark.slow
def test_resnet1202_has_about_19_4_million_params():
    assert kr.model_stats(kr.resnet1202())["trainable_params"] == pytest.approx(19.4e6, rel=0.01)


def test_plain_nets_have_the_same_layers_minus_the_shortcuts():
    plain, residual = kr.plain20(), kr.resnet20()
    assert kr.model_stats(plain)["trainable_params"] == CIFAR_TRAINABLE_PARAMS["resnet20"]
    assert not [layer for layer in plain.layers if isinstance(layer, keras.layers.Add)]
    assert len([layer for layer in residual.layers if isinstance(layer, keras.layers.Add)]) == 9


def test_every_depth_counts_its_weighted_layers():
    for name, spec in kr.MODEL_SPECS.items():
        digits = "".join(ch for ch in name.split("_v2")[0] if ch.isdigit())
        assert spec.depth == int(digits), name


def test_cifar_resnet_builds_any_6n_plus_2_depth():
    model = kr.cifar_resnet(38)
    assert kr.model_stats(model)["trainable_params"] > CIFAR_TRAINABLE_PARAMS["resnet32"]


def test_custom_three_stage_net_on_64x64_inputs():
    model = kr.ResNet(stage_blocks=(2, 2, 2), stage_widths=(64, 128, 256), stem="cifar",
                      input_shape=(64, 64, 3), classes=100, name="resnet_64_128_256")
    assert model.output.shape == (None, 100)
    assert model.get_layer("conv4_block2_out").output.shape == (None, 16, 16, 256)


def test_list_models_has_every_family():
    names = kr.list_models()
    for expected in ("resnet18", "resnet200", "resnet20", "resnet1202", "plain56", "plain34",
                     "resnet152_v2", "preact_resnet164", "preact_resnet1001"):
        assert expected in names
        assert callable(getattr(kr, expected))


def test_keras_applications_arguments_are_honoured():
    features = kr.resnet18(include_top=False, pooling="max", input_shape=(64, 64, 3))
    assert features.output.shape == (None, 512)
    assert features.layers[-1].name == "max_pool"
    logits = kr.resnet20(classes=7, classifier_activation=None, name="mine")
    assert logits.name == "mine" and logits.output.shape == (None, 7)
    assert logits.get_layer("predictions_activation").get_config()["activation"] == "linear"
    spatial = kr.resnet50(include_top=False, input_shape=(None, None, 3))
    assert spatial.output.shape == (None, None, None, 2048)
    tensor = keras.Input((32, 32, 3))
    assert kr.resnet20(input_tensor=tensor).inputs[0] is tensor


def test_layer_names_follow_keras_applications():
    names = {layer.name for layer in kr.resnet50().layers}
    for expected in ("conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pool",
                     "conv2_block1_0_conv", "conv2_block1_0_bn", "conv2_block1_1_conv",
                     "conv3_block4_2_conv", "conv5_block3_3_bn", "conv5_block3_add",
                     "conv5_block3_out", "avg_pool", "predictions"):
        assert expected in names
    v2 = {layer.name for layer in kr.resnet50_v2().layers}
    assert {"conv2_block1_preact_bn", "conv5_block3_out", "post_bn", "post_relu"} <= v2


def test_normalization_option_makes_the_model_take_raw_pixels(rng):
    model = kr.resnet20(normalization=([120.0, 110.0, 100.0], [60.0, 50.0, 40.0]))
    layer = model.get_layer("normalization")
    images = rng.uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    normalised = keras.ops.convert_to_numpy(layer(images))
    assert normalised[..., 0].mean() == pytest.approx((images[..., 0].mean() - 120) / 60, abs=1e-4)

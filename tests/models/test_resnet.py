"""`ResNet(...)` and `build(name)`: stages, heads, keras.applications arguments and layer names,
and bad options refused before anything is built with an error that names the valid choices."""

import keras
import pytest

import keras_resnet as kr


def test_cifar_resnet_builds_any_6n_plus_2_depth():
    model = kr.cifar_resnet(38)
    assert kr.model_stats(model)["trainable_params"] > 464_154  # ResNet-32's count


def test_custom_three_stage_net_on_64x64_inputs():
    model = kr.ResNet(
        stage_blocks=(2, 2, 2),
        stage_widths=(64, 128, 256),
        stem="cifar",
        input_shape=(64, 64, 3),
        classes=100,
        name="resnet_64_128_256",
    )
    assert model.output.shape == (None, 100)
    assert model.get_layer("conv4_block2_out").output.shape == (None, 16, 16, 256)


def test_list_models_has_every_family():
    names = kr.list_models()
    for expected in (
        "resnet18",
        "resnet200",
        "resnet20",
        "resnet1202",
        "plain56",
        "plain34",
        "resnet152_v2",
        "preact_resnet164",
        "preact_resnet1001",
    ):
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
    for expected in (
        "conv1_pad",
        "conv1_conv",
        "conv1_bn",
        "conv1_relu",
        "pool1_pool",
        "conv2_block1_0_conv",
        "conv2_block1_0_bn",
        "conv2_block1_1_conv",
        "conv3_block4_2_conv",
        "conv5_block3_3_bn",
        "conv5_block3_add",
        "conv5_block3_out",
        "avg_pool",
        "predictions",
    ):
        assert expected in names
    v2 = {layer.name for layer in kr.resnet50_v2().layers}
    assert {"conv2_block1_preact_bn", "conv5_block3_out", "post_bn", "post_relu"} <= v2


def test_normalization_option_makes_the_model_take_raw_pixels(rng):
    model = kr.resnet20(normalization=([120.0, 110.0, 100.0], [60.0, 50.0, 40.0]))
    layer = model.get_layer("normalization")
    images = rng.uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    normalised = keras.ops.convert_to_numpy(layer(images))
    assert normalised[..., 0].mean() == pytest.approx((images[..., 0].mean() - 120) / 60, abs=1e-4)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: kr.build("resnet21"), "unknown model 'resnet21'.*resnet20"),
        (lambda: kr.resnet20(version="v3"), "version must be one of 'v1', 'v1.5', 'v2'; got 'v3'"),
        (lambda: kr.resnet20(shortcut="E"), "shortcut must be one of 'A', 'B', 'C', 'D'; got 'E'"),
        (lambda: kr.resnet20(stem="tiny"), "stem must be one of 'imagenet', 'cifar', 'deep'; got 'tiny'"),
        (lambda: kr.resnet20(block="triple"), "block must be one of 'basic', 'bottleneck'; got 'triple'"),
        (lambda: kr.resnet20(downsample="middle"), "downsample must be one of 'first', 'last'"),
        (
            lambda: kr.resnet20(pooling="min", include_top=False),
            "pooling must be one of None, 'avg', 'max'; got 'min'",
        ),
        (lambda: kr.resnet20(data_format="nhwc"), "data_format must be one of 'channels_last'"),
        (lambda: kr.resnet20(classes=0), "classes must be a positive integer"),
        (lambda: kr.resnet20(classes=True), "classes must be a positive integer"),
        (lambda: kr.resnet20(pooling="avg"), "only applies with include_top=False"),
        (lambda: kr.resnet20(stochastic_depth_rate=1.0), r"stochastic_depth_rate must be in \[0, 1\)"),
        (lambda: kr.plain20(stochastic_depth_rate=0.1), "plain net has none"),
        (lambda: kr.resnet20(se_ratio=2.0), r"se_ratio must be in \(0, 1\]; got 2.0"),
        (lambda: kr.resnet20(width_multiplier=0), "width_multiplier must be positive"),
        (lambda: kr.resnet20(stage_blocks=(3, 3)), "one entry per stage"),
        (lambda: kr.resnet50(input_shape=(16, 16, 3)), "smaller than the network's total stride 32"),
        (lambda: kr.resnet20(input_shape=(32, 32)), "input_shape must be"),
        (lambda: kr.resnet18(shortcut="A", width_multiplier=0.5), "shortcut 'A' can only add"),
        (lambda: kr.resnet20(normalization=([0.0], [1.0])), "3 means and 3 positive stds"),
    ],
)
def test_bad_options_are_refused_with_the_valid_choices(call, message):
    with pytest.raises(ValueError, match=message):
        call()

"""Bad input is refused early with a ValueError that names the valid choices or the fix."""

import pytest

import keras_resnet as kr


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: kr.build("resnet21"), "unknown model 'resnet21'.*resnet20"),
        (lambda: kr.imagenet_resnet(42), "depth must be one of 18, 34, 50, 101, 152, 200; got 42"),
        (lambda: kr.cifar_resnet(22), "6n\\+2"),
        (lambda: kr.cifar_resnet(165, block="bottleneck"), "9n\\+2"),
        (lambda: kr.resnet20(version="v3"), "version must be one of 'v1', 'v1.5', 'v2'; got 'v3'"),
        (lambda: kr.resnet20(shortcut="E"), "shortcut must be one of 'A', 'B', 'C', 'D'; got 'E'"),
        (lambda: kr.resnet20(stem="tiny"), "stem must be one of"),
        (lambda: kr.resnet20(block="triple"), "block must be one of"),
        (lambda: kr.resnet20(pooling="min", include_top=False), "pooling must be one of"),
        (lambda: kr.resnet50(input_shape=(16, 16, 3)), "smaller than the network's total stride 32"),
        (lambda: kr.resnet20(input_shape=(32, 32)), "input_shape must be"),
        (lambda: kr.resnet20(classes=0), "classes must be a positive integer"),
        (lambda: kr.resnet20(pooling="avg"), "only applies with include_top=False"),
        (lambda: kr.plain20(stochastic_depth_rate=0.1), "plain net has none"),
        (lambda: kr.resnet20(stochastic_depth_rate=1.0), r"\[0, 1\)"),
        (lambda: kr.resnet20(se_ratio=2.0), "se_ratio"),
        (lambda: kr.resnet18(shortcut="A", width_multiplier=0.5), "shortcut 'A' can only add"),
        (lambda: kr.resnet20(normalization=([0.0], [1.0])), "3 means and 3 positive stds"),
    ],
)
def test_bad_options_raise_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.fixture(scope="module")
def saved_resnet20(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "resnet20.weights.h5"
    kr.resnet20().save_weights(path)
    return path


def test_weights_file_round_trips_into_the_same_architecture(saved_resnet20):
    source = kr.resnet20()
    source.load_weights(saved_resnet20)
    model = kr.resnet20(weights=str(saved_resnet20))
    assert all((a == b).all() for a, b in zip(model.get_weights(), source.get_weights()))


def test_weights_for_other_input_channels_are_refused(saved_resnet20):
    with pytest.raises(ValueError, match="input channels 1"):
        kr.resnet20(input_shape=(32, 32, 1), weights=str(saved_resnet20))


def test_weights_of_another_architecture_are_refused(saved_resnet20):
    with pytest.raises(ValueError, match="does not match resnet32"):
        kr.resnet32(weights=str(saved_resnet20))


def test_weights_file_with_a_wrong_suffix_is_refused(tmp_path):
    path = tmp_path / "weights.txt"
    path.write_text("not weights")
    with pytest.raises(ValueError, match=r"\.weights\.h5 or \.keras"):
        kr.resnet20(weights=str(path))

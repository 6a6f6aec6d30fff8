"""Parameter and multiply-accumulate counts of the named models against torchvision and the papers."""

import keras
import pytest

import keras_resnet as kr

# torchvision's counts for 1000 classes (v1.5, option B, no conv bias): He et al. 2015, Table 1.
IMAGENET_TRAINABLE_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
}
# The paper's CIFAR-10 family, option A (section 4.2, Table 6).
CIFAR_TRAINABLE_PARAMS = {
    "resnet20": 269_722,
    "resnet32": 464_154,
    "resnet44": 658_586,
    "resnet56": 853_018,
    "resnet110": 1_727_962,
}
# Multiply-accumulates at 224x224 (the paper's "FLOPs": 1.8, 3.6, 3.8, 7.6, 11.3 G for v1).
IMAGENET_GMACS = {"resnet18": 1.82, "resnet34": 3.67, "resnet50": 4.1, "resnet101": 7.83, "resnet152": 11.56}


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

"""The spec table: depth is derived from the blocks, invalid depths name the formula, and each net
is credited to the paper whose architecture it is."""

import pytest

import keras_resnet as kr
from keras_resnet.models.specs import HE_2015, HE_2016, cifar_spec, imagenet_spec


def test_every_depth_counts_its_weighted_layers():
    for name, spec in kr.MODEL_SPECS.items():
        digits = "".join(ch for ch in name.split("_v2")[0] if ch.isdigit())
        assert spec.depth == int(digits), name


def test_pre_activation_nets_are_credited_to_the_2016_paper():
    for name, spec in kr.MODEL_SPECS.items():
        if spec.options.get("version") == "v2":
            assert spec.paper == HE_2016, name
    assert kr.MODEL_SPECS["resnet50_v2"].paper == (
        "He et al. 2016, Identity Mappings in Deep Residual Networks"
    )
    assert kr.MODEL_SPECS["resnet200"].paper == HE_2016


def test_original_nets_are_credited_to_the_2015_table_they_come_from():
    assert kr.MODEL_SPECS["resnet50"].paper == f"{HE_2015}, Table 1"
    assert kr.MODEL_SPECS["plain34"].paper == f"{HE_2015}, Table 1"
    assert kr.MODEL_SPECS["resnet110"].paper == f"{HE_2015}, section 4.2"


def test_plain_nets_are_the_only_ones_without_shortcuts():
    assert {n for n, s in kr.MODEL_SPECS.items() if not s.residual} == {
        "plain20",
        "plain32",
        "plain44",
        "plain56",
        "plain110",
        "plain18",
        "plain34",
    }


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda: imagenet_spec(42), "ImageNet ResNet depth must be one of 18, 34, 50, 101, 152, 200; got 42"),
        (lambda: kr.imagenet_resnet(42), "depth must be one of 18, 34, 50, 101, 152, 200"),
        (lambda: cifar_spec(20, block="triple"), "block must be one of 'basic', 'bottleneck'; got 'triple'"),
        (lambda: kr.cifar_resnet(22), r"6n\+2"),
        (lambda: kr.cifar_resnet(165, block="bottleneck"), r"9n\+2"),
    ],
)
def test_invalid_depths_name_the_valid_ones(call, message):
    with pytest.raises(ValueError, match=message):
        call()

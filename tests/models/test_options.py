"""`ResNetOptions` is the one description of an architecture: every `ResNet` option is a field with
a default and a docstring line, it is checked once when made, and `ResNet(...)`, `build`, the
named constructors and `name:key=value` labels all go through it."""

import dataclasses

import pytest

import keras_resnet as kr
from keras_resnet.errors import InvalidInputError
from keras_resnet.models.option_text import parse_model_variant
from keras_resnet.models.options import FIELDS, ResNetOptions, field_docs

TINY = {"stage_blocks": (1, 1), "stage_widths": (4, 8), "stem": "cifar", "shortcut": "A"}


def test_every_field_has_a_docstring_line_and_every_option_of_resnet_is_a_field():
    assert set(field_docs()) == set(FIELDS)
    assert all(doc and "\n" not in doc for doc in field_docs().values())
    builder = set(kr.ResNet.__signature__.parameters) - {
        "options",
        "weights",
        "input_tensor",
        "input_shape",
        "name",
    }
    assert builder == set(FIELDS)


def test_options_are_frozen_and_sequences_become_tuples():
    options = ResNetOptions(stage_blocks=[1, 1], stage_widths=[4, 8], stem="cifar", shortcut="A")
    assert options.stage_blocks == (1, 1) and options.strides == (1, 2) and options.total_stride == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.block = "bottleneck"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"block": "wide"}, "block must be one of 'basic', 'bottleneck'"),
        ({"stochastic_depth_rate": 1.5}, r"stochastic_depth_rate must be in \[0, 1\)"),
        ({"classes": 0}, "classes must be a positive integer"),
        ({"include_top": True, "pooling": "avg"}, "only applies with include_top=False"),
        ({"normalization": ((0.5,), (0.0,))}, "stds must be positive"),
    ],
)
def test_an_invalid_option_fails_the_same_way_from_options_resnet_and_build(change, message):
    with pytest.raises(InvalidInputError, match=message):
        ResNetOptions(**{**TINY, **change})
    with pytest.raises(InvalidInputError, match=message):
        kr.ResNet(**TINY, **change, input_shape=(8, 8, 3))
    with pytest.raises(InvalidInputError, match=message):
        kr.build("resnet20", **change)


def test_an_unknown_option_is_named_with_the_valid_ones():
    with pytest.raises(TypeError, match="unknown architecture option 'blok'"):
        ResNetOptions.from_kwargs(blok="basic")


def test_a_model_label_is_checked_by_the_options_of_its_named_model():
    assert parse_model_variant("resnet20:se_ratio=0.25,version=v2") == (
        "resnet20",
        {"se_ratio": 0.25, "version": "v2"},
    )
    with pytest.raises(InvalidInputError, match="stochastic_depth_rate must be in"):
        parse_model_variant("resnet20:stochastic_depth_rate=2")
    with pytest.raises(InvalidInputError, match="unknown model option 'stage_blocks'"):
        parse_model_variant("resnet20:stage_blocks=3")  # a sequence is set in Python, not in a label


def test_resnet_takes_an_options_object_and_keywords_replace_its_fields():
    options = ResNetOptions.for_model("resnet20")
    assert options.stage_blocks == (3, 3, 3) and options.shortcut == "A" and options.classes == 10
    model = kr.ResNet(options, stage_blocks=(1, 1, 1), classes=4, input_shape=(32, 32, 3))
    assert model.output_shape == (None, 4)
    assert sum(1 for layer in model.layers if layer.name.endswith("_add")) == 3

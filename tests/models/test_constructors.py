"""The named constructors are the spec table: one per row, with that row's defaults in the signature
`help()` and IDEs show, a docstring written from the row, and the same model `build(name)` gives."""

import inspect

import pytest

import keras_resnet as kr
from keras_resnet.models import constructors
from keras_resnet.models.constructors import Constructor
from keras_resnet.models.options import KERAS_APPLICATIONS_ARGUMENTS


def test_there_is_one_constructor_per_row_of_the_table():
    named = {
        n
        for n, v in vars(constructors).items()
        if inspect.isfunction(v) and v.__module__ == constructors.__name__ and not n.startswith("_")
    }
    aliases = set(constructors.KERAS_APPLICATIONS_NAMES)
    assert named - aliases == set(kr.MODEL_SPECS) == set(kr.list_models())
    assert all(getattr(constructors, a).__name__ in kr.MODEL_SPECS for a in aliases)
    assert set(constructors.__all__) == {
        "Constructor",
        "KERAS_APPLICATIONS_DIFFERENCES",
        *kr.MODEL_SPECS,
        *aliases,
    }


def test_the_protocol_states_every_option_of_the_builder():
    """`Constructor` writes the signature out once for static type checkers; it must stay
    `ResNet`'s (every `ResNetOptions` field and the keras.applications arguments)."""
    protocol = inspect.signature(Constructor.__call__, eval_str=True).parameters
    builder = {n: p for n, p in inspect.signature(kr.ResNet).parameters.items() if n != "options"}
    assert list(protocol)[0] == "self"
    protocol = {n: p for n, p in protocol.items() if n != "self"}
    assert set(protocol) == set(builder)
    for name, parameter in protocol.items():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameter.annotation == builder[name].annotation, name
        assert parameter.default is Ellipsis, name
    assert list(protocol)[: len(KERAS_APPLICATIONS_ARGUMENTS)] == list(KERAS_APPLICATIONS_ARGUMENTS)


@pytest.mark.parametrize("name", list(kr.MODEL_SPECS))
def test_signature_defaults_are_the_row_of_the_table(name):
    constructor = getattr(kr, name)
    spec = kr.MODEL_SPECS[name]
    parameters = inspect.signature(constructor).parameters
    builder = {n: p for n, p in inspect.signature(kr.ResNet).parameters.items() if n != "options"}
    assert set(parameters) == set(builder)
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    expected = {n: p.default for n, p in builder.items()}
    expected.update(spec.builder_kwargs(), name=name)
    assert {n: p.default for n, p in parameters.items()} == expected
    assert list(parameters)[: len(KERAS_APPLICATIONS_ARGUMENTS)] == list(KERAS_APPLICATIONS_ARGUMENTS)


@pytest.mark.parametrize("name", list(kr.MODEL_SPECS))
def test_docstring_is_written_from_the_row(name):
    constructor = getattr(kr, name)
    spec = kr.MODEL_SPECS[name]
    first = " ".join(constructor.__doc__.split("\n\n")[0].split())  # the summary paragraph
    assert first.startswith(f"{spec.depth}-layer ")
    assert f"{spec.block} blocks {'-'.join(map(str, spec.stage_blocks))}" in first
    assert f"widths {'-'.join(map(str, spec.stage_widths))}" in first
    assert first.endswith(f"({spec.paper}).")
    assert ("CIFAR" in first) == (spec.stem == "cifar")
    assert ("plain (no shortcuts)" in first) == (not spec.residual)
    assert ("pre-activation" in first) == (spec.options.get("version") == "v2")
    for argument in (*KERAS_APPLICATIONS_ARGUMENTS, "stochastic_depth_rate", "normalization"):
        assert argument in constructor.__doc__


def test_resnet50_v2_is_credited_to_identity_mappings_not_the_2015_table():
    summary = " ".join(kr.resnet50_v2.__doc__.split("\n\n")[0].split())
    assert "Identity Mappings in Deep Residual Networks" in summary
    assert "Table 1" not in kr.resnet50_v2.__doc__


@pytest.mark.parametrize("name", list(kr.MODEL_SPECS))
def test_constructor_names_itself_where_it_lives(name):
    constructor = getattr(kr, name)
    assert constructor.__name__ == constructor.__qualname__ == name
    assert constructor.__module__ == "keras_resnet.models.constructors"
    assert getattr(constructors, name) is constructor


def test_resnet20_defaults_are_the_cifar_papers():
    parameters = inspect.signature(kr.resnet20).parameters
    assert parameters["classes"].default == 10
    assert parameters["input_shape"].default == (32, 32, 3)
    assert parameters["shortcut"].default == "A"
    assert parameters["name"].default == "resnet20"
    assert inspect.signature(kr.resnet50).parameters["classes"].default == 1000
    assert inspect.signature(kr.resnet50_v2).parameters["version"].default == "v2"


def test_help_shows_the_arguments():
    text = inspect.getdoc(kr.resnet50)
    assert "include_top" in text and "weights" in text
    import pydoc

    rendered = pydoc.render_doc(kr.resnet50, renderer=pydoc.plaintext)
    assert "resnet50(*, include_top: bool = True" in rendered
    assert "classes: int = 1000" in rendered


def test_constructor_builds_what_build_builds():
    by_constructor = kr.resnet20(classes=3, stochastic_depth_rate=0.1)
    by_name = kr.build("resnet20", classes=3, stochastic_depth_rate=0.1)
    assert by_constructor.name == by_name.name == "resnet20"
    assert [l.name for l in by_constructor.layers] == [l.name for l in by_name.layers]
    assert by_constructor.count_params() == by_name.count_params()


def test_arguments_are_keyword_only_and_unknown_ones_are_named():
    with pytest.raises(TypeError, match="positional"):
        kr.resnet20(False)
    with pytest.raises(TypeError, match=r"resnet20\(\) got an unexpected keyword argument 'clases'"):
        kr.resnet20(clases=10)

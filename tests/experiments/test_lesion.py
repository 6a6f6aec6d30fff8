"""The lesion study (Veit et al. 2016): deleting a residual unit's branch leaves exactly its
shortcut; units are found by their `Add`, downsampling units marked; the plain contrast passes a
unit's input on; draws are seeded and recorded; bad input is one line."""

import json

import keras
import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.cli import main
from keras_resnet.errors import InvalidInputError
from keras_resnet.experiments.lesion import lesion_study, run_lesion
from keras_resnet.experiments.units import delete_units, find_units


def _hand_made_residual(shortcut_first: bool):
    """x -> h = Dense(x); y = h + F(h), F = Dense(relu) . Dense; out = Dense(y): the unit by hand."""
    inputs = keras.Input((5,))
    h = keras.layers.Dense(4, name="h")(inputs)
    f = keras.layers.Dense(4, activation="relu", name="f1")(h)
    f = keras.layers.Dense(4, name="f2")(f)
    y = keras.layers.Add(name="anything")([h, f] if shortcut_first else [f, h])
    return keras.Model(inputs, keras.layers.Dense(3, name="head")(y))


@pytest.mark.parametrize("shortcut_first", [True, False])
def test_deleting_a_units_branch_leaves_exactly_the_shortcut(shortcut_first):
    model = _hand_made_residual(shortcut_first)
    (unit,) = find_units(model)
    assert unit.residual and not unit.downsampling and unit.shortcut_input == (0 if shortcut_first else 1)
    x = np.random.default_rng(0).normal(size=(6, 5)).astype("float32")
    h_kernel, h_bias = model.get_layer("h").get_weights()
    head_kernel, head_bias = model.get_layer("head").get_weights()
    by_hand = (x @ h_kernel + h_bias) @ head_kernel + head_bias  # y = h: the branch is gone
    lesioned = delete_units(model, [unit])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(lesioned(x)), by_hand, rtol=1e-5, atol=1e-6)
    assert lesioned.get_layer("head") is model.get_layer("head")  # same layers, same weights


def test_deleting_an_identity_unit_of_a_resnet_hands_its_input_to_the_rest():
    model = kr.cifar_resnet(8, input_shape=(16, 16, 3), classes=4, classifier_activation=None)
    units = find_units(model)
    unit = units[0]  # conv2_block1: 16 -> 16 channels, stride 1, identity shortcut
    assert not unit.downsampling
    add = model.get_layer(unit.output_layer)
    unit_input = add.input[unit.shortcut_input]
    head = keras.Model(model.input, unit_input)
    rest = keras.Model(model.get_layer("conv2_block1_out").output, model.output)
    x = np.random.default_rng(1).normal(size=(3, 16, 16, 3)).astype("float32")
    expected = rest(np.maximum(head(x), 0.0))  # the unit's final ReLU of its (non-negative) input
    lesioned = delete_units(model, [unit])
    np.testing.assert_allclose(lesioned(x), expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(model(x), expected, atol=1e-6)  # the intact net does use the branch


@pytest.mark.parametrize(
    "options",
    [{}, {"version": "v2"}, {"shortcut": "B"}, {"shortcut": "C", "version": "v2"}],
    ids=["v1-A", "v2-A", "v1-B", "v2-C"],
)
def test_units_are_found_by_their_add_and_downsampling_units_are_marked(options):
    model = kr.cifar_resnet(20, input_shape=(16, 16, 3), classes=4, **options)
    units = find_units(model)
    assert [u.index for u in units] == list(range(1, 10))
    assert [u.index for u in units if u.downsampling] == [4, 7]  # first unit of stages 2 and 3
    assert all(u.residual and u.deletable for u in units)
    everything = delete_units(model, units)  # every branch gone: stem, shortcuts, head
    convs = [layer for layer in everything.layers if isinstance(layer, keras.layers.Conv2D)]
    shortcut_convs = [layer for layer in convs if layer.kernel.shape[:2] == (1, 1)]
    assert len(convs) == 1 + len(shortcut_convs)  # only the stem and projection shortcuts remain


def test_the_plain_contrast_passes_a_units_input_on_and_cannot_delete_downsampling_units():
    model = kr.cifar_resnet(8, input_shape=(16, 16, 3), classes=4, residual=False, classifier_activation=None)
    units = find_units(model)
    assert [(u.residual, u.downsampling, u.deletable) for u in units] == [
        (False, False, True),
        (False, True, False),
        (False, True, False),
    ]
    rest = keras.Model(model.get_layer("conv2_block1_out").output, model.output)
    head = keras.Model(model.input, model.get_layer(units[0].input_layer).output)
    x = np.random.default_rng(2).normal(size=(2, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(delete_units(model, units[:1])(x), rest(head(x)), rtol=1e-5, atol=1e-6)
    with pytest.raises(InvalidInputError, match="changes the shape"):
        delete_units(model, units[1:2])
    deep = kr.cifar_resnet(14, input_shape=(16, 16, 3), classes=4, residual=False, classifier_activation=None)
    first, second = find_units(deep)[:2]  # consecutive: the second's input is the first's output
    rest = keras.Model(deep.get_layer("conv2_block2_out").output, deep.output)
    head = keras.Model(deep.input, deep.get_layer(first.input_layer).output)
    np.testing.assert_allclose(delete_units(deep, [first, second])(x), rest(head(x)), rtol=1e-5, atol=1e-6)


def test_a_model_without_units_is_refused():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(x)))
    with pytest.raises(InvalidInputError, match="no residual units"):
        find_units(model)


def test_random_deletions_are_seeded_recorded_and_drawn_from_non_downsampling_units():
    model = kr.cifar_resnet(14, input_shape=(16, 16, 3), classes=4)  # 6 units, 2 downsampling
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 255, size=(8, 16, 16, 3)).astype("float32")
    labels = rng.integers(0, 4, size=8)
    first = lesion_study(model, images, labels, draws=2, counts=[1, 4], seed=7, verbose=0)
    again = lesion_study(model, images, labels, draws=2, counts=[1, 4], seed=7, verbose=0)
    assert first == again
    assert [u["downsampling"] for u in first["units"]] == [False, False, True, False, True, False]
    pool = {u["index"] for u in first["units"] if not u["downsampling"]}
    assert [r["count"] for r in first["random"]] == [1, 4]
    for row in first["random"]:
        assert len(row["draws"]) == (1 if row["count"] == len(pool) else 2)
        for draw in row["draws"]:
            assert len(draw["deleted"]) == row["count"] and set(draw["deleted"]) <= pool
            assert 0.0 <= draw["error"] <= 100.0
    assert first["seed"] == 7 and first["kind"] == "residual"


@pytest.mark.slow
def test_run_lesion_writes_figures_and_tables_for_residual_and_plain(tmp_path, monkeypatch):
    for name, residual in (("res", True), ("plain", False)):
        model = kr.cifar_resnet(8, input_shape=(8, 8, 1), classes=3, residual=residual)
        model.save(tmp_path / f"{name}.keras")
    targets = [tmp_path / "res.keras", tmp_path / "plain.keras"]
    result = run_lesion(targets, out=tmp_path / "out", dataset="synthetic:8x8x1:3", draws=1, verbose=0)
    assert (tmp_path / "out" / "lesion_single.png").stat().st_size > 10_000
    assert (tmp_path / "out" / "lesion_random.png").stat().st_size > 10_000
    saved = json.loads((tmp_path / "out" / "lesion.json").read_text())["studies"]
    assert [s["kind"] for s in saved.values()] == ["residual", "plain"]
    assert "passing its input straight" in saved["plain"]["deletion"]
    assert "| res | residual |" in result["table"] and "n/a" in result["table"]

    def must_not_run(*args, **kwargs):
        raise AssertionError("a finished study was computed again")

    monkeypatch.setattr("keras_resnet.experiments.lesion.lesion_study", must_not_run)
    again = run_lesion(targets, out=tmp_path / "out", dataset="synthetic:8x8x1:3", draws=1, verbose=0)
    assert again["table"] == result["table"]  # both studies reused from lesion.json


def test_bad_input_is_one_line(tmp_path, capsys):
    model = kr.cifar_resnet(8, input_shape=(8, 8, 1), classes=3)
    model.save(tmp_path / "m.keras")
    assert main(["lesion", str(tmp_path / "m.keras")]) == 2
    assert "pass --dataset" in capsys.readouterr().err
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"train_config": {"model": "resnet8"}}))
    assert main(["lesion", str(run)]) == 2
    error = capsys.readouterr().err.strip()
    assert "records no dataset" in error and len(error.splitlines()) == 1
    assert main(["lesion", str(tmp_path / "missing.keras"), "--dataset", "digits"]) == 2
    assert "does not exist" in capsys.readouterr().err

"""Loss landscapes (Li et al. 2018): filter-normalised directions, the origin is the trained model's
loss, non-finite points are recorded, the weights come back unchanged, bad grids are one line."""

import json

import keras
import numpy as np
import pytest

from keras_resnet.cli import main
from keras_resnet.errors import InvalidInputError
from keras_resnet.experiments.landscape import filter_normalized_direction, loss_landscape, run_landscape


def _tiny_cnn(seed=0):
    """Conv-BN-ReLU, pool, dense softmax: every kind of weight the directions treat differently."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, use_bias=True, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="dense")(x))


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 8, 8, 1)).astype("float32"), rng.integers(0, 3, size=n)


def test_filter_normalisation_gives_each_direction_filter_the_norm_of_its_weight_filter():
    rng = np.random.default_rng(0)
    conv, dense, bias, gamma = rng.normal(size=(3, 3, 2, 5)), rng.normal(size=(6, 4)), np.ones(4), np.ones(5)
    conv[..., 2] = 0.0  # a dead filter stays dead
    d_conv, d_dense, d_bias, d_gamma = filter_normalized_direction([conv, dense, bias, gamma], rng)
    np.testing.assert_allclose(
        np.linalg.norm(d_conv.reshape(-1, 5), axis=0), np.linalg.norm(conv.reshape(-1, 5), axis=0)
    )
    np.testing.assert_allclose(np.linalg.norm(d_dense, axis=0), np.linalg.norm(dense, axis=0))
    assert not np.allclose(d_conv / np.linalg.norm(d_conv), conv / np.linalg.norm(conv))  # random, not w
    assert not d_bias.any() and not d_gamma.any()  # biases and BatchNorm parameters stay put


def test_the_landscape_at_the_origin_is_model_evaluates_loss_and_the_weights_come_back():
    model = _tiny_cnn()
    images, labels = _data()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images, labels, epochs=1, verbose=0)  # BatchNorm moving statistics away from 0 / 1
    loss, accuracy = model.evaluate(images, labels, verbose=0)
    before = [w.copy() for w in model.get_weights()]
    result = loss_landscape(model, images, labels, grid=3, span=0.5, seed=1, batch_size=10, verbose=0)
    assert result["origin"]["loss"] == pytest.approx(loss, rel=1e-5)
    assert result["origin"]["accuracy"] == pytest.approx(accuracy)
    assert result["loss"].shape == (3, 3) and result["seed"] == 1
    assert not np.allclose(result["loss"], loss)  # the other points do move the weights
    for now, then in zip(model.get_weights(), before):
        np.testing.assert_array_equal(now, then)


def test_one_direction_gives_a_slice_through_the_origin():
    model, (images, labels) = _tiny_cnn(), _data()
    result = loss_landscape(model, images, labels, grid=5, span=1.0, one_d=True, verbose=0)
    assert result["mode"] == "1d" and result["loss"].shape == (5,)
    assert result["coordinates"] == pytest.approx([-1.0, -0.5, 0.0, 0.5, 1.0])
    assert all(record["beta"] == 0.0 for record in result["records"])


def test_a_non_finite_grid_point_is_recorded_not_raised(tmp_path, monkeypatch):
    _tiny_cnn().save(tmp_path / "tiny.keras")
    result = run_landscape(
        [tmp_path / "tiny.keras"],
        out=tmp_path / "out",
        dataset="synthetic:8x8x1:3",
        grid=3,
        span=1e38,
        verbose=0,
    )
    (only,) = result["results"].values()
    assert only["non_finite"] and np.isfinite(only["origin"]["loss"])
    folder = tmp_path / "out" / "tiny"
    rows = (folder / "landscape.csv").read_text().splitlines()
    assert rows[0] == "alpha,beta,loss,accuracy,finite" and any(row.endswith(",False") for row in rows)
    saved = json.loads((folder / "landscape.json").read_text())  # strict JSON: NaN saved as null
    assert any(r["loss"] is None for r in saved["records"]) and saved["seed"] == 0
    assert "non-finite points" in (folder / "summary.txt").read_text()
    assert (folder / "landscape.png").stat().st_size > 10_000

    def must_not_run(*args, **kwargs):
        raise AssertionError("a finished landscape was computed again")

    monkeypatch.setattr("keras_resnet.experiments.landscape.loss_landscape", must_not_run)
    again = run_landscape(
        [tmp_path / "tiny.keras"],
        out=tmp_path / "out",
        dataset="synthetic:8x8x1:3",
        grid=3,
        span=1e38,
        verbose=0,
    )
    np.testing.assert_array_equal(again["results"]["tiny"]["loss"], only["loss"])  # NaN included


@pytest.mark.parametrize("grid", [1, 4, 0])
def test_a_grid_without_a_centre_point_is_refused(grid):
    model, (images, labels) = _tiny_cnn(), _data(4)
    with pytest.raises(InvalidInputError, match="odd integer >= 3"):
        loss_landscape(model, images, labels, grid=grid, verbose=0)


def test_bad_landscape_input_is_one_line(tmp_path, capsys):
    _tiny_cnn().save(tmp_path / "tiny.keras")
    assert (
        main(["landscape", str(tmp_path / "tiny.keras"), "--dataset", "synthetic:8x8x1:3", "--grid", "1"])
        == 2
    )
    error = capsys.readouterr().err.strip()
    assert error.startswith("keras-resnet landscape: error: grid must be") and len(error.splitlines()) == 1
    assert main(["landscape", str(tmp_path / "tiny.keras"), "--span", "0", "--dataset", "digits"]) == 2
    assert "span must be a positive number" in capsys.readouterr().err

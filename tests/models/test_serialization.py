"""Every named model builds, runs and survives `.keras` save/load with identical outputs."""

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import keras_resnet as kr

FAST_ROUND_TRIPS = {
    "resnet18",
    "resnet50",
    "resnet50_v2",
    "resnet20",
    "plain20",
    "plain18",
    "preact_resnet110",
}
"""One net per block kind, stem, version and plain/residual in the fast tier; the deeper nets only
repeat their layers, and round-trip in the slow tier."""


def _small_input_shape(name):
    return (64, 64, 3) if kr.MODEL_SPECS[name].stem == "imagenet" else (32, 32, 3)


def assert_round_trip(model, tmp_path, rng):
    """Save to .keras, load with no custom_objects, and get the same outputs in both modes.

    Saved before any call, so both copies start from the same stochastic-depth RNG state. In
    training mode BN normalises with batch statistics, so outputs must be finite; in inference
    mode an untrained very deep net may overflow (moving statistics are still 0 and 1), so there
    the two copies need only agree, NaN for NaN. Stochastic depth draws fresh random masks in
    training mode (its RNG state, like Dropout's, is not saved), so there only inference compares.
    """
    images = rng.uniform(0, 1, (2, *model.input.shape[1:])).astype("float32")
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    random = any(isinstance(layer, kr.StochasticDepth) for layer in model.layers)
    for training in (False,) if random else (False, True):
        expected = keras.ops.convert_to_numpy(model(images, training=training))
        actual = keras.ops.convert_to_numpy(reloaded(images, training=training))
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, equal_nan=True)
    assert np.isfinite(keras.ops.convert_to_numpy(reloaded(images, training=True))).all()
    return reloaded


@pytest.mark.parametrize(
    "name",
    [
        n if n in FAST_ROUND_TRIPS else pytest.param(n, marks=pytest.mark.slow)
        for n in kr.list_models()
        if n != "preact_resnet1001"
    ],
)
def test_named_model_builds_runs_and_round_trips(name, tmp_path, rng):
    model = kr.build(name, input_shape=_small_input_shape(name))
    assert model.name == name
    reloaded = assert_round_trip(model, tmp_path, rng)
    assert reloaded.output.shape == (None, kr.MODEL_SPECS[name].classes)


@pytest.mark.slow
def test_preact_resnet1001_builds_and_runs(rng):
    """Built and run, not round-tripped: its layers are preact_resnet164's and its depth is below
    resnet1202's (both round-trip above), while its .keras round trip costs ~5 CPU-minutes."""
    model = kr.preact_resnet1001()
    images = rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    probabilities = keras.ops.convert_to_numpy(model(images, training=True))
    assert probabilities.shape == (2, 10) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


architecture_options = st.fixed_dictionaries(
    {
        "block": st.sampled_from(["basic", "bottleneck"]),
        "stage_blocks": st.lists(st.integers(1, 2), min_size=2, max_size=3).map(tuple),
        "version": st.sampled_from(["v1", "v1.5", "v2"]),
        "shortcut": st.sampled_from(["A", "B", "C", "D"]),
        "stem": st.sampled_from(["imagenet", "cifar", "deep"]),
        "residual": st.booleans(),
        "downsample": st.sampled_from(["first", "last"]),
        "zero_init_residual": st.booleans(),
        "se_ratio": st.sampled_from([None, 0.25]),
        "width_multiplier": st.sampled_from([0.5, 1.0]),
        "conv_bias": st.booleans(),
        "stochastic_depth_rate": st.sampled_from([0.0, 0.2]),
        "classes": st.integers(1, 12),
    }
)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(options=architecture_options)
def test_any_valid_option_combination_builds_and_round_trips(options, tmp_path_factory):
    if not options["residual"]:
        options["stochastic_depth_rate"] = 0.0
    widths = (8, 16, 32)[: len(options["stage_blocks"])]
    model = kr.ResNet(stage_widths=widths, stem_width=4, input_shape=(32, 32, 3), name="prop", **options)
    assert model.output.shape == (None, options["classes"])
    assert_round_trip(model, tmp_path_factory.mktemp("prop"), np.random.default_rng(1))

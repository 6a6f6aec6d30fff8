"""He et al. 2016's ablations compute what the paper's equations say, on hand-made inputs.

Shortcut variants (Fig. 2): x_{l+1} = h(x) + F(x) with h the identity, 0.5 x (and F halved too),
gates g(x) = sigmoid(1x1 conv(x) + b_g), a 1x1 conv, or dropout. Unit orders (Fig. 4) place BN and
ReLU around the addition; full pre-activation leaves the identity path untouched.
"""

import itertools

import keras
import numpy as np
import pytest

from keras_resnet.errors import InvalidInputError
from keras_resnet.models.blocks import BlockOptions, join_paths, residual_unit
from keras_resnet.models.option_text import is_model_variant, parse_model_variant
from keras_resnet.models.resnet import ResNet
from keras_resnet.models.variants import SHORTCUT_VARIANTS, UNIT_ORDERS
from tests.conftest import run_on_backend

C = 4
SHAPE = (5, 5, C)


def _joined(variant: str, gate_bias: float = -6.0) -> keras.Model:
    """A model (x, F) -> h(x) + F as `variant` joins them on an identity shortcut."""
    x, branch = keras.Input(SHAPE), keras.Input(SHAPE)
    options = BlockOptions(shortcut_variant=variant, gate_bias=gate_bias)
    out = join_paths(x, x, branch, options=options, name="unit")
    model = keras.Model([x, branch], out)
    for layer in model.layers:
        if layer.name == "unit_gate":  # g(x) = sigmoid(b_g): the gate's own input cannot move it
            layer.kernel.assign(np.zeros(layer.kernel.shape))
    return model


@pytest.fixture
def pair(rng):
    return rng.normal(size=(2, *SHAPE)).astype("float32"), rng.normal(size=(2, *SHAPE)).astype("float32")


def test_identity_adds_the_branch_to_the_input(pair):
    x, f = pair
    np.testing.assert_allclose(_joined("identity").predict([x, f], verbose=0), x + f, atol=1e-6)


def test_constant_scaling_halves_both_paths(pair):
    x, f = pair
    np.testing.assert_allclose(_joined("scaled").predict([x, f], verbose=0), 0.5 * x + 0.5 * f, atol=1e-6)


def test_constant_scaling_of_the_shortcut_only_halves_the_input(pair):
    x, f = pair
    np.testing.assert_allclose(_joined("scaled_shortcut").predict([x, f], verbose=0), 0.5 * x + f, atol=1e-6)


@pytest.mark.parametrize(("bias", "passes"), [(-60.0, "shortcut"), (60.0, "branch")])
def test_exclusive_gating_with_a_saturated_gate_passes_only_one_path(pair, bias, passes):
    x, f = pair
    out = _joined("gated", gate_bias=bias).predict([x, f], verbose=0)
    np.testing.assert_allclose(out, x if passes == "shortcut" else f, atol=1e-6)


def test_exclusive_gating_weighs_the_paths_by_g_and_one_minus_g(pair):
    x, f = pair
    g = 1 / (1 + np.exp(1.5))
    out = _joined("gated", gate_bias=-1.5).predict([x, f], verbose=0)
    np.testing.assert_allclose(out, (1 - g) * x + g * f, atol=1e-5)


@pytest.mark.parametrize(("bias", "expected"), [(-60.0, "x + F"), (60.0, "F")])
def test_shortcut_only_gating_never_scales_the_branch(pair, bias, expected):
    x, f = pair
    out = _joined("gated_shortcut", gate_bias=bias).predict([x, f], verbose=0)
    np.testing.assert_allclose(out, x + f if expected == "x + F" else f, atol=1e-6)


def test_dropout_shortcut_keeps_or_drops_each_input_in_training_and_halves_it_at_inference(pair):
    x, f = pair
    model = _joined("dropout")
    np.testing.assert_allclose(model.predict([x, f], verbose=0), 0.5 * x + f, atol=1e-6)
    shortcut = keras.ops.convert_to_numpy(model([x, f], training=True)) - f
    kept = np.isclose(shortcut, x, atol=1e-6)
    dropped = np.isclose(shortcut, 0.0, atol=1e-6)
    assert np.all(kept | dropped)
    assert 0.3 < kept.mean() < 0.7  # about half of 200 elements, expectation 0.5 x


def test_conv_shortcut_is_a_1x1_convolution_of_the_input(rng):
    x = keras.Input(SHAPE)
    options = BlockOptions(shortcut_variant="conv")
    out = residual_unit(x, branch=[(C, 3, 1), (C, 3, 1)], options=options, name="unit")
    model = keras.Model(x, out)
    model.get_layer("unit_0_conv").kernel.assign(2 * np.eye(C).reshape(1, 1, C, C))
    model.get_layer("unit_2_bn").gamma.assign(np.zeros(C))  # F = 0: only h(x) = W x is left
    data = rng.normal(size=(2, *SHAPE)).astype("float32")
    np.testing.assert_allclose(model.predict(data, verbose=0), np.maximum(2 * data, 0), atol=1e-5)
    assert "unit_0_bn" not in [layer.name for layer in model.layers]  # the paper's 1x1 conv has no BN


def _unit(order: str, *, zero_last: bool = False) -> keras.Model:
    x = keras.Input(SHAPE)
    options = BlockOptions(unit_order=order, zero_init_residual=zero_last)
    return keras.Model(x, residual_unit(x, branch=[(C, 3, 1), (C, 3, 1)], options=options, name="unit"))


TOKENS = {"Conv2D": "conv", "BatchNormalization": "BN", "Activation": "ReLU"}


@pytest.mark.parametrize("order", UNIT_ORDERS)
def test_each_unit_order_is_wired_as_its_figure_draws_it(order):
    """The layers of one unit, in order, spell the figure: e.g. Fig. 4(b) conv-BN-ReLU-conv, add, BN-ReLU."""
    model = _unit(order)
    tokens = [TOKENS.get(type(layer).__name__, "add") for layer in model.layers[1:]]
    text = "-".join(tokens).replace("-add-", ", add, ").replace("-add", ", add")
    assert text == UNIT_ORDERS[order].figure.split(": ")[1]


def test_full_preactivation_leaves_the_identity_path_untouched(rng):
    data = rng.normal(size=(2, *SHAPE)).astype("float32")  # negative values too: no ReLU may touch x
    model = _unit("full_preact", zero_last=True)
    np.testing.assert_array_equal(model.predict(data, verbose=0), data)


def test_original_unit_rectifies_the_identity_after_the_addition(rng):
    data = rng.normal(size=(2, *SHAPE)).astype("float32")
    np.testing.assert_array_equal(
        _unit("original", zero_last=True).predict(data, verbose=0), np.maximum(data, 0)
    )


def test_bn_after_addition_normalises_the_sum(rng):
    model = _unit("bn_after_add")
    summed = keras.Model(model.input, model.get_layer("unit_add_bn").output)
    data = rng.normal(loc=3.0, scale=2.0, size=(8, *SHAPE)).astype("float32")
    out = keras.ops.convert_to_numpy(summed(data, training=True))
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1.0, atol=1e-2)


def test_relu_before_addition_makes_the_branch_non_negative(rng):
    data = rng.normal(size=(2, *SHAPE)).astype("float32")
    out = _unit("relu_before_add").predict(data, verbose=0)
    assert np.all(out - data >= -1e-6)  # F(x) >= 0: the unit can only add
    assert np.any(out < 0)  # and no ReLU follows the sum, so x passes with its sign


def test_relu_only_preactivation_feeds_the_branch_rectified_x_and_keeps_x(rng):
    data = rng.normal(size=(2, *SHAPE)).astype("float32")
    model = _unit("relu_preact")
    branch_of = lambda x: model.predict(x, verbose=0) - x  # noqa: E731
    np.testing.assert_allclose(branch_of(data), branch_of(np.maximum(data, 0)), atol=1e-5)
    np.testing.assert_array_equal(_unit("relu_preact", zero_last=True).predict(data, verbose=0), data)


def test_variants_change_identity_units_only_downsampling_keeps_its_shortcut():
    model = ResNet(**TINY, shortcut_variant="gated")
    names = [layer.name for layer in model.layers]
    assert "conv2_block1_gate" in names  # 8 -> 8 channels, stride 1: an identity shortcut, gated
    assert "conv3_block1_gate" not in names and "conv3_block1_0_shortcut" in names  # option A kept


TINY = dict(
    block="basic",
    stage_blocks=(1, 1),
    stage_widths=(8, 16),
    stem="cifar",
    shortcut="A",
    input_shape=(8, 8, 3),
    classes=3,
)


@pytest.mark.parametrize(("variant", "order"), list(itertools.product(SHORTCUT_VARIANTS, UNIT_ORDERS)))
def test_every_combination_builds_saves_and_reloads(tmp_path, rng, variant, order):
    model = ResNet(**TINY, shortcut_variant=variant, unit_order=order)
    path = tmp_path / "model.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    data = rng.normal(size=(2, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0), atol=1e-6)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"shortcut_variant": "gate"}, "shortcut_variant must be one of"),
        ({"unit_order": "post"}, "unit_order must be one of"),
        ({"version": "v2", "unit_order": "original"}, "version 'v2' is unit_order 'full_preact'"),
        ({"residual": False, "shortcut_variant": "scaled"}, "a plain net"),
        ({"shortcut": "C", "shortcut_variant": "gated"}, "shortcut 'C' projects in every unit"),
    ],
)
def test_undefined_combinations_fail_in_one_line(options, message):
    with pytest.raises(InvalidInputError, match=message) as err:
        ResNet(**{**TINY, "shortcut": options.pop("shortcut", "A")}, **options)
    assert "\n" not in str(err.value)


def test_model_variant_text_names_a_spec_and_its_options():
    assert parse_model_variant("resnet110:shortcut_variant=gated,gate_bias=-6") == (
        "resnet110",
        {"shortcut_variant": "gated", "gate_bias": -6.0},
    )
    assert parse_model_variant("resnet56:unit_order=bn_after_add,zero_init_residual=true")[1] == {
        "unit_order": "bn_after_add",
        "zero_init_residual": True,
    }
    assert not is_model_variant("my_models:build") and not is_model_variant("resnet20")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("resnet111:shortcut_variant=gated", "unknown model 'resnet111'"),
        ("resnet110:shortcut_varient=gated", "unknown model option 'shortcut_varient'"),
        ("resnet110:shortcut_variant=gate", "shortcut_variant must be one of"),
        ("resnet110:gate_bias=minus6", "gate_bias must be a number"),
        ("resnet110:zero_init_residual=maybe", "zero_init_residual must be true or false"),
        ("resnet110:gate_bias=1,gate_bias=2", "given twice"),
        ("resnet110:shortcut_variant=", "expected key=value"),
    ],
)
def test_bad_model_variant_text_fails_in_one_line(text, message):
    with pytest.raises(InvalidInputError, match=message) as err:
        parse_model_variant(text)
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_a_gated_bn_after_addition_net_trains_saves_and_reloads_on_jax(tmp_path):
    code = f"""
        import numpy as np, keras
        from keras_resnet.models.resnet import ResNet
        model = ResNet(block="basic", stage_blocks=(1, 1), stage_widths=(8, 16), stem="cifar",
                       shortcut="A", input_shape=(8, 8, 3), classes=3, shortcut_variant="gated",
                       unit_order="bn_after_add")
        model.compile("sgd", "sparse_categorical_crossentropy")
        x = np.random.default_rng(0).normal(size=(4, 8, 8, 3)).astype("float32")
        model.fit(x, np.arange(4) % 3, epochs=1, verbose=0)
        model.save("{tmp_path / "jax.keras"}")
        again = keras.saving.load_model("{tmp_path / "jax.keras"}")
        np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
        print(keras.backend.backend(), "ok")
    """
    assert run_on_backend("jax", code).stdout.split()[-2:] == ["jax", "ok"]

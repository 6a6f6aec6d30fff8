"""Residual units behave as the papers say: identity at zero init, shortcut options, strides."""

import keras
import numpy as np
import pytest

import keras_resnet as kr


def _units(model):
    """Residual units by shortcut kind: identity, projection (1x1 conv) or zero-padding."""
    names = {layer.name for layer in model.layers}
    units = sorted({n.rsplit("_", 1)[0] for n in names if "_block" in n and n.endswith("_out")})
    projection = [u for u in units if f"{u}_0_conv" in names]
    identity = [u for u in units if u not in projection and f"{u}_0_shortcut" not in names]
    return identity, projection


def _unit_input(model, unit):
    first = (
        f"{unit}_preact_bn"
        if model.get_layer(f"{unit}_out").__class__ is keras.layers.Add
        else f"{unit}_1_conv"
    )
    return model.get_layer(first).input


@pytest.mark.parametrize(
    "name,shape", [("resnet20", (32, 32, 3)), ("resnet50", (64, 64, 3)), ("resnet50_v2", (64, 64, 3))]
)
def test_zero_init_residual_makes_every_identity_unit_return_its_input(name, shape, rng):
    """He et al.: if F(x) = 0 then H(x) = x. With zero-initialised branches, exactly so."""
    model = kr.build(name, input_shape=shape, zero_init_residual=True)
    images = rng.normal(size=(2, *shape)).astype("float32")
    identity, projection = _units(model)
    assert identity and (projection or name == "resnet20")
    wanted = {u: (_unit_input(model, u), model.get_layer(f"{u}_out").output) for u in identity}
    for unit in projection:
        shortcut = model.get_layer(f"{unit}_0_bn" if "v2" not in name else f"{unit}_0_conv")
        wanted[unit] = (shortcut.output, model.get_layer(f"{unit}_out").output)
    probe = keras.Model(model.input, {u: list(io) for u, io in wanted.items()})
    outputs = probe(images, training=False)
    for unit, (before, after) in outputs.items():
        before, after = keras.ops.convert_to_numpy(before), keras.ops.convert_to_numpy(after)
        if unit in projection and "v2" not in name:
            before = np.maximum(before, 0)  # post-activation units end on a ReLU
        np.testing.assert_allclose(after, before, atol=1e-6, err_msg=unit)


def test_option_a_shortcuts_are_parameter_free():
    model = kr.resnet20()
    assert not [l for l in model.layers if l.name.endswith("_0_conv")]
    pads = [l for l in model.layers if isinstance(l, kr.ZeroPadShortcut)]
    assert [l.name for l in pads] == ["conv3_block1_0_shortcut", "conv4_block1_0_shortcut"]
    assert all(not l.weights for l in pads)


def _projection_count(model):
    return len([l for l in model.layers if l.name.endswith("_0_conv")])


def test_option_b_projects_only_where_the_shape_changes():
    assert _projection_count(kr.resnet20(shortcut="B")) == 2
    assert _projection_count(kr.resnet50(input_shape=(64, 64, 3))) == 4


def test_option_c_projects_in_every_unit():
    assert _projection_count(kr.resnet20(shortcut="C")) == 9
    assert kr.model_stats(kr.resnet34(shortcut="C"))["trainable_params"] > 21_797_672


def test_option_d_average_pools_before_the_projection():
    model = kr.resnet50(shortcut="D", input_shape=(64, 64, 3))
    pools = [l.name for l in model.layers if isinstance(l, keras.layers.AveragePooling2D)]
    assert pools == ["conv3_block1_0_pool", "conv4_block1_0_pool", "conv5_block1_0_pool"]
    assert model.get_layer("conv3_block1_0_conv").strides == (1, 1)


def test_v1_strides_the_first_1x1_and_v1_5_the_3x3():
    v1 = kr.resnet50(version="v1", input_shape=(64, 64, 3))
    v15 = kr.resnet50(input_shape=(64, 64, 3))
    assert v1.get_layer("conv3_block1_1_conv").strides == (2, 2)
    assert v1.get_layer("conv3_block1_2_conv").strides == (1, 1)
    assert v15.get_layer("conv3_block1_1_conv").strides == (1, 1)
    assert v15.get_layer("conv3_block1_2_conv").strides == (2, 2)
    assert kr.model_stats(v1)["trainable_params"] == kr.model_stats(v15)["trainable_params"]


def test_downsample_last_moves_the_stride_to_the_previous_stage():
    model = kr.resnet50_v2(downsample="last", input_shape=(64, 64, 3))
    assert model.get_layer("conv2_block3_2_conv").strides == (2, 2)
    assert model.get_layer("conv5_block3_2_conv").strides == (1, 1)
    assert isinstance(model.get_layer("conv2_block3_0_shortcut"), kr.ZeroPadShortcut)


def test_preactivation_units_add_without_a_final_relu():
    model = kr.preact_resnet110()
    assert isinstance(model.get_layer("conv2_block1_out"), keras.layers.Add)
    assert isinstance(model.get_layer("conv2_block1_preact_bn"), keras.layers.BatchNormalization)
    assert model.get_layer("post_relu").output.shape == (None, 8, 8, 64)


@pytest.mark.parametrize("name,params_m", [("preact_resnet110", 1.7), ("preact_resnet164", 1.7)])
def test_preactivation_cifar_nets_match_the_2016_paper_size(name, params_m):
    assert kr.model_stats(kr.build(name))["trainable_params"] / 1e6 == pytest.approx(params_m, rel=0.03)


def test_stochastic_depth_follows_the_linear_rule():
    model = kr.resnet20(stochastic_depth_rate=0.5)
    rates = [l.rate for l in model.layers if isinstance(l, kr.StochasticDepth)]
    assert len(rates) == 9
    np.testing.assert_allclose(rates, [0.5 * k / 9 for k in range(1, 10)])


def test_squeeze_excitation_adds_a_gate_per_unit():
    model = kr.resnet20(se_ratio=0.25)
    gates = [l for l in model.layers if l.name.endswith("_se_excite")]
    assert len(gates) == 9
    assert model.get_layer("conv2_block1_se_reduce").filters == 4


def test_width_multiplier_scales_every_stage():
    model = kr.resnet20(width_multiplier=2)
    assert model.get_layer("conv4_block3_out").output.shape[-1] == 128


def test_conv_bias_and_bn_options_reach_the_layers():
    model = kr.resnet20(conv_bias=True, bn_momentum=0.97, bn_epsilon=1e-3)
    assert model.get_layer("conv2_block1_1_conv").use_bias
    bn = model.get_layer("conv2_block1_1_bn")
    assert (bn.momentum, bn.epsilon) == (0.97, 1e-3)


def test_kernel_regularizer_reaches_every_conv_and_dense_kernel():
    model = kr.resnet20(kernel_regularizer=keras.regularizers.L2(1e-4))
    kernels = [l for l in model.layers if isinstance(l, (keras.layers.Conv2D, keras.layers.Dense))]
    assert all(l.kernel_regularizer is not None for l in kernels)
    assert len(model.losses) == len(kernels)


def test_deep_stem_uses_three_3x3_convs():
    model = kr.resnet50(stem="deep", input_shape=(64, 64, 3))
    assert [model.get_layer(f"conv1_{i}_conv").kernel_size for i in (1, 2, 3)] == [(3, 3)] * 3
    assert model.get_layer("pool1_pool").output.shape == (None, 16, 16, 64)

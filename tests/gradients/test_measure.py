"""Claims about `keras_resnet.gradients.measure`: stateless loss gradients on every backend."""

import textwrap

import keras
import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.gradients.measure import count_nonfinite, loss_and_gradients
from tests.conftest import run_on_backend


def tiny_net(**options):
    keras.utils.set_random_seed(0)
    return kr.ResNet(
        stem="cifar", stage_blocks=(1, 1), stage_widths=(4, 8), input_shape=(8, 8, 3), classes=3, **options
    )


def tiny_batch(n=4):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 8, 8, 3)).astype("float32"), rng.integers(0, 3, size=n)


def test_gradients_match_plain_gradient_tape():
    import tensorflow as tf

    model, (x, y) = tiny_net(), tiny_batch()
    loss, grads, _ = loss_and_gradients(model, x, y)
    with tf.GradientTape() as tape:
        probs = model(x, training=True)
        reference_loss = keras.losses.sparse_categorical_crossentropy(y, probs)
        reference_loss = tf.reduce_mean(reference_loss)
    reference = tape.gradient(reference_loss, [v.value for v in model.trainable_variables])
    assert loss == pytest.approx(float(reference_loss), rel=1e-5)
    for g, r in zip(grads, reference):
        assert np.linalg.norm(g) == pytest.approx(float(tf.norm(r)), rel=1e-5, abs=1e-12)


def test_a_models_first_gradient_eager_and_its_later_ones_traced_are_the_same():
    model, (x, y) = tiny_net(), tiny_batch()
    first, second, third = (loss_and_gradients(model, x, y) for _ in range(3))
    for later in (second, third):
        assert later.loss == pytest.approx(first.loss, rel=1e-5)
        for g, h in zip(first.gradients, later.gradients):
            np.testing.assert_allclose(h, g, rtol=1e-4, atol=1e-7)


def test_measuring_many_models_once_each_draws_no_retracing_warning(caplog):
    x, y = tiny_batch()
    with caplog.at_level("WARNING", logger="tensorflow"):
        for width in range(4, 11):  # seven different models, as a depth table measures
            keras.utils.set_random_seed(0)
            model = kr.ResNet(
                stem="cifar", stage_blocks=(1,), stage_widths=(width,), input_shape=(8, 8, 3), classes=3
            )
            loss_and_gradients(model, x, y)
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]


def test_gradients_leave_bn_statistics_and_rng_state_untouched():
    model = tiny_net(stochastic_depth_rate=0.5)
    state = [keras.ops.convert_to_numpy(v).copy() for v in model.non_trainable_variables]
    assert any("seed_generator" in v.path for v in model.non_trainable_variables)
    loss_and_gradients(model, *tiny_batch())
    after = [keras.ops.convert_to_numpy(v) for v in model.non_trainable_variables]
    assert all(np.array_equal(a, b) for a, b in zip(state, after))


def test_loss_scale_is_divided_out_of_gradients():
    model, (x, y) = tiny_net(), tiny_batch()
    _, plain, _ = loss_and_gradients(model, x, y)
    _, scaled, scale = loss_and_gradients(model, x, y, loss_scale=1024.0)
    assert scale == 1024.0
    for a, b in zip(plain, scaled):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-7)


def test_loss_scale_is_read_from_a_loss_scale_optimizer():
    model, (x, y) = tiny_net(), tiny_batch()
    model.compile(
        optimizer=keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), initial_scale=256.0),
        loss="sparse_categorical_crossentropy",
    )
    assert loss_and_gradients(model, x, y).loss_scale == 256.0


def test_nonfinite_gradients_are_counted():
    assert count_nonfinite([np.array([1.0, np.nan]), np.array([[np.inf, 0.0]])]) == 2


def test_model_without_trainable_weights_is_refused():
    model = tiny_net()
    model.trainable = False
    with pytest.raises(ValueError, match="no trainable weights"):
        loss_and_gradients(model, *tiny_batch())


# The small net and batch of `tiny_net` / `tiny_batch`, with its gradients, for a fresh interpreter
# on another backend; each backend's test appends its own reference check.
SMALL_NET_GRADIENTS = """
import keras, numpy as np
import keras_resnet as kr
from keras_resnet.gradients.measure import loss_and_gradients
keras.utils.set_random_seed(0)
model = kr.ResNet(stem="cifar", stage_blocks=(1, 1), stage_widths=(4, 8), input_shape=(8, 8, 3),
                  classes=3)
rng = np.random.default_rng(0)
x, y = rng.normal(size=(4, 8, 8, 3)).astype("float32"), rng.integers(0, 3, size=4)
loss, grads, _ = loss_and_gradients(model, x, y)
"""


def run_small_net_check(backend, check):
    run_on_backend(backend, SMALL_NET_GRADIENTS + textwrap.dedent(check))


@pytest.mark.slow
def test_jax_gradients_match_jax_grad():
    run_small_net_check(
        "jax",
        """
        import jax
        nt = [v.value for v in model.non_trainable_variables]
        def f(tv):
            probs, _ = model.stateless_call(tv, nt, x, training=True)
            return keras.losses.sparse_categorical_crossentropy(y, probs).mean()
        ref_loss, ref = jax.jit(jax.value_and_grad(f))([v.value for v in model.trainable_variables])
        assert abs(loss - float(ref_loss)) <= 1e-5 * abs(float(ref_loss))
        for g, r in zip(grads, ref):
            n, m = np.linalg.norm(g), float(np.linalg.norm(np.asarray(r)))
            assert abs(n - m) <= 1e-5 * m + 1e-12, (n, m)
        """,
    )


@pytest.mark.slow
def test_gradients_are_the_same_inside_a_mirrored_strategy_over_two_devices():
    # Keras divides a reduced loss by the replica count inside a strategy scope; the measurement
    # must not, and must read mirrored variables outside a replica context.
    run_on_backend(
        "tensorflow",
        """
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        import keras, numpy as np
        import keras_resnet as kr
        from keras_resnet.gradients.measure import loss_and_gradients
        keras.utils.set_random_seed(0)
        with strategy.scope():
            model = kr.ResNet(stem="cifar", stage_blocks=(1, 1), stage_widths=(4, 8),
                              input_shape=(8, 8, 3), classes=3)
            model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(4, 8, 8, 3)).astype("float32"), rng.integers(0, 3, size=4)
        loss_and_gradients(model, x, y)  # a model's first measurement runs eagerly; compare traced ones
        outside = loss_and_gradients(model, x, y)
        with strategy.scope():
            inside = loss_and_gradients(model, x, y)
        assert abs(inside.loss - outside.loss) <= 1e-6 * outside.loss, (inside.loss, outside.loss)
        for a, b in zip(inside.gradients, outside.gradients):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-9)
        from keras_resnet.gradients.callback import GradientNormCallback
        try:  # the optimizer sees per-replica shares there: train mode must say so, not mislead
            GradientNormCallback(mode="train").set_model(model)
            raise AssertionError("train mode accepted a two-replica strategy")
        except ValueError as err:
            assert "use mode='probe'" in str(err), err
        """,
    )


@pytest.mark.slow
def test_jax_gradients_take_a_tensorflow_batch():
    # tf.data hands the probe batch over as TensorFlow tensors, whatever the Keras backend.
    run_small_net_check(
        "jax",
        """
        import tensorflow as tf
        from_tf = loss_and_gradients(model, tf.constant(x), tf.constant(y))
        assert abs(from_tf.loss - loss) <= 1e-6 * loss
        for a, b in zip(from_tf.gradients, grads):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
        """,
    )


@pytest.mark.slow
def test_torch_gradients_match_autograd():
    run_small_net_check(
        "torch",
        """
        import torch
        ref_loss = keras.losses.sparse_categorical_crossentropy(y, model(x, training=True)).mean()
        ref = torch.autograd.grad(ref_loss, [v.value for v in model.trainable_variables])
        for g, r in zip(grads, ref):
            m = float(r.norm())
            assert abs(np.linalg.norm(g) - m) <= 1e-5 * m + 1e-12
        """,
    )

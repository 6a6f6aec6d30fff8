"""Claims about `GradientNormCallback`: it measures the right norms and never changes training."""

import csv

import keras
import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.gradients.callback import LOG_KEYS, GradientNormCallback
from tests.conftest import JAX_AND_TORCH, run_on_backend


def tiny_net(**options):
    keras.utils.set_random_seed(0)
    model = kr.ResNet(
        stem="cifar", stage_blocks=(1, 1), stage_widths=(4, 8), input_shape=(8, 8, 3), classes=3, **options
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
    return model


def tiny_data(n=16):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 8, 8, 3)).astype("float32"), rng.integers(0, 3, size=n)


def fit(model, callbacks, epochs=2):
    x, y = tiny_data()
    keras.utils.set_random_seed(1)
    return model.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks)


def test_callback_norms_equal_a_gradient_tape_reference():
    import tensorflow as tf

    model = tiny_net()
    x, y = tiny_data()
    probe = (x[:4], y[:4])
    callback = GradientNormCallback(probe=probe)
    fit(model, [callback], epochs=1)
    with tf.GradientTape() as tape:  # at the weights the callback saw: after the last step
        loss = tf.reduce_mean(
            keras.losses.sparse_categorical_crossentropy(probe[1], model(probe[0], training=True))
        )
    grads = tape.gradient(loss, [v.value for v in model.trainable_variables])
    by_path = {v.path: float(tf.norm(g)) for v, g in zip(model.trainable_variables, grads)}
    rows = {r["weight"]: r for r in callback.weight_records}
    assert set(rows) == set(by_path)
    for path, norm in by_path.items():
        assert rows[path]["grad_norm"] == pytest.approx(norm, rel=1e-5, abs=1e-12)
    stem = next(r for r in callback.records if r["layer"] == "conv1_conv")
    assert stem["depth"] == 1  # the first kernel-bearing layer (gradients.depth)
    assert stem["grad_norm"] == pytest.approx(by_path["conv1_conv/kernel"], rel=1e-5)
    global_norm = np.sqrt(sum(n**2 for n in by_path.values()))
    assert callback.global_records[-1]["global_norm"] == pytest.approx(global_norm, rel=1e-5)


def test_probe_mode_does_not_change_training():
    plain_model = tiny_net(stochastic_depth_rate=0.2)
    plain = fit(plain_model, [])
    watched_model = tiny_net(stochastic_depth_rate=0.2)
    x, y = tiny_data()
    watched = fit(watched_model, [GradientNormCallback(probe=(x[:4], y[:4]), every_n_batches=2)])
    assert watched.history["loss"] == plain.history["loss"]
    for a, b in zip(plain_model.variables, watched_model.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_history_has_gradient_scalars_from_the_first_epoch():
    x, y = tiny_data()
    history = fit(tiny_net(), [GradientNormCallback(probe=(x[:4], y[:4]))])
    for key in LOG_KEYS:
        assert len(history.history[key]) == 2, key
        assert np.isfinite(history.history[key][0])
    assert history.history["grad_nonfinite"] == [0.0, 0.0]
    assert history.history["grad_min_layer_norm"][0] <= history.history["grad_max_layer_norm"][0]


def test_every_n_batches_records_one_row_per_layer_and_step_and_writes_csv(tmp_path):
    model = tiny_net()
    x, y = tiny_data()
    callback = GradientNormCallback(
        probe=(x[:4], y[:4]), every_n_batches=2, layers=["conv1_", "predictions"], output_dir=tmp_path
    )
    fit(model, [callback])  # 4 batches an epoch: steps 2, 4 then 6, 8
    assert sorted({r["step"] for r in callback.records}) == [2, 4, 6, 8]
    assert {r["layer"] for r in callback.records} == {"conv1_conv", "conv1_bn", "predictions"}
    with open(tmp_path / "gradient_norms.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 3
    assert list(rows[0]) == ["step", "epoch", "layer", "depth", "grad_norm", "weight_norm", "ratio"]
    assert [p.name for p in tmp_path.iterdir()] == ["gradient_norms.csv"]


def test_tensorboard_gets_per_layer_norm_scalars_and_gradient_histograms(tmp_path):
    pytest.importorskip("tensorboard")
    import tensorflow as tf

    model = tiny_net()
    x, y = tiny_data()
    callback = GradientNormCallback(probe=(x[:4], y[:4]), tensorboard_dir=tmp_path / "tb")
    fit(model, [callback], epochs=2)
    scalars, histograms = {}, {}
    for path in (tmp_path / "tb").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                tensor = tf.make_ndarray(value.tensor)
                if value.metadata.plugin_data.plugin_name == "scalars":
                    scalars[(value.tag, event.step)] = float(tensor)
                else:
                    histograms[(value.tag, event.step)] = tensor  # rows (left, right, count)
    expected = {(f"grad_norm/{r['layer']}", r["step"]): r["grad_norm"] for r in callback.records}
    assert scalars.keys() == expected.keys()
    assert {step for _, step in expected} == {4, 8}  # two epoch ends of four steps each
    for key, norm in expected.items():
        assert scalars[key] == pytest.approx(norm, rel=1e-6)
    stem = callback.model.get_layer("conv1_conv").kernel
    assert histograms[("gradients/conv1_conv", 8)][:, 2].sum() == np.prod(stem.shape)
    layers = len({r["layer"] for r in callback.records})
    assert histograms[("grad_norm_log10", 8)][:, 2].sum() == layers


class WeightSteps(keras.callbacks.Callback):
    """Each step's weight change per weight path: SGD without momentum moves w by -lr * gradient."""

    def on_train_batch_begin(self, batch, logs=None):
        self._before = {v.path: keras.ops.convert_to_numpy(v).copy() for v in self.model.trainable_variables}

    def on_train_batch_end(self, batch, logs=None):
        self.steps = getattr(self, "steps", [])
        self.steps.append(
            {
                v.path: keras.ops.convert_to_numpy(v) - self._before[v.path]
                for v in self.model.trainable_variables
            }
        )


def plain_sgd_net(lr=0.05):
    model = tiny_net()
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="sparse_categorical_crossentropy")
    return model


def test_train_mode_records_the_gradients_the_optimizer_applied():
    lr, model = 0.05, plain_sgd_net(0.05)
    steps, callback = WeightSteps(), GradientNormCallback(mode="train", every_n_batches=1)
    fit(model, [steps, callback], epochs=1)
    assert [g["step"] for g in callback.global_records] == [1, 2, 3, 4]
    for step, moved in enumerate(steps.steps, start=1):
        rows = {r["weight"]: r for r in callback.weight_records if r["step"] == step}
        assert set(rows) == set(moved)
        for path, delta in moved.items():
            applied = np.linalg.norm(delta.astype("float64")) / lr
            assert rows[path]["grad_norm"] == pytest.approx(applied, rel=2e-3, abs=1e-6)
    assert callback.global_records[-1]["skipped_steps"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_train_mode_records_the_applied_gradients_on_jax_and_torch(backend):
    # jax.jit traces the step once: the tap's values must travel as optimizer state.
    run_on_backend(
        backend,
        """
        import keras, numpy as np
        from tests.gradients.test_callbacks import WeightSteps, fit, plain_sgd_net
        from keras_resnet.gradients.callback import GradientNormCallback
        model = plain_sgd_net(0.05)
        steps, callback = WeightSteps(), GradientNormCallback(mode="train", every_n_batches=1)
        fit(model, [steps, callback], epochs=1)
        for step, moved in enumerate(steps.steps, start=1):
            rows = {r["weight"]: r["grad_norm"] for r in callback.weight_records if r["step"] == step}
            applied = {p: np.linalg.norm(d.astype("float64")) / 0.05 for p, d in moved.items()}
            np.testing.assert_allclose([rows[p] for p in applied], list(applied.values()),
                                       rtol=2e-3, atol=1e-6)
        """,
    )


def test_train_mode_tap_is_not_saved_and_installs_once(tmp_path):
    model = plain_sgd_net()
    fit(model, [], epochs=1)
    callback = GradientNormCallback(mode="train", every_n_batches=3)
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)
    history = fit(model, [callback, checkpoint])
    assert [g["step"] for g in callback.global_records] == [6, 8, 9, 12]  # every 3rd step, epoch ends
    assert len(history.history["grad_global_norm"]) == 2
    traced = model.train_function
    again = GradientNormCallback(mode="train")
    fit(model, [again], epochs=1)
    assert model.train_function is traced and again.source.tap is callback.source.tap  # no second trace
    fresh = plain_sgd_net()
    fit(fresh, [], epochs=1)
    fresh.load_weights(tmp_path / "w.weights.h5")  # the tap's variables were not saved
    assert int(keras.ops.convert_to_numpy(fresh.optimizer.iterations)) == 12
    own = len(fresh.optimizer.variables)
    callback.source.tap.remove()
    assert len(model.optimizer.variables) == own and "apply" not in vars(model.optimizer)


def test_train_mode_norms_are_of_the_unscaled_gradients_under_mixed_float16():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        lr, model = 0.05, plain_sgd_net(0.05)
    finally:
        keras.config.set_dtype_policy(previous)
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    steps, callback = WeightSteps(), GradientNormCallback(mode="train", every_n_batches=1)
    fit(model, [steps, callback], epochs=1)
    applied = [s for s in steps.steps if any(np.any(d != 0) for d in s.values())]
    assert callback.global_records[-1]["skipped_steps"] == len(steps.steps) - len(applied)
    assert applied, "every step was skipped; nothing to compare"
    last = {r["weight"]: r for r in callback.weight_records if r["step"] == 4}
    for path, delta in applied[-1].items():  # the tap holds the last applied step's gradients
        norm = np.linalg.norm(delta.astype("float64")) / lr
        assert last[path]["grad_norm"] == pytest.approx(norm, rel=2e-2, abs=1e-4)


def test_from_dataset_takes_the_first_batch_as_probe():
    x, y = tiny_data()
    callback = GradientNormCallback.from_dataset([(x[:4], y[:4]), (x[4:8], y[4:8])])
    np.testing.assert_array_equal(callback.probe[0], x[:4])


def test_from_dataset_caps_the_probe_at_probe_size_examples():
    x, y = tiny_data()
    callback = GradientNormCallback.from_dataset([(x, y)], probe_size=3)
    np.testing.assert_array_equal(callback.probe[0], x[:3])
    np.testing.assert_array_equal(callback.probe[1], y[:3])
    assert len(GradientNormCallback.from_dataset([(x, y)], probe_size=None).probe[0]) == len(x)
    with pytest.raises(ValueError, match="probe_size"):
        GradientNormCallback.from_dataset([(x, y)], probe_size=0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"probe": None}, "needs a probe batch"),
        ({"mode": "sometimes"}, "mode must be one of"),
        ({"every_n_batches": 0}, "every_n_batches must be"),
        ({"every_n_batches": 1.5}, "every_n_batches must be"),
        ({"probe": (np.zeros((0, 8, 8, 3)), np.zeros((0,)))}, "empty"),
        ({"probe": (np.zeros((4, 8, 8, 3)), np.zeros((3,)))}, "disagree"),
        ({"layers": []}, "selects no layer"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs, message):
    x, y = tiny_data()
    with pytest.raises(ValueError, match=message):
        GradientNormCallback(**{"probe": (x[:4], y[:4]), **kwargs})


def test_empty_dataset_is_refused():
    with pytest.raises(ValueError, match="empty"):
        GradientNormCallback.from_dataset([])


@pytest.mark.parametrize(
    "probe_shape, layers, model_options, message",
    [
        ((4, 16, 16, 3), None, {}, "per-sample shape"),
        ((4, 8, 8, 3), ["no_such_layer"], {}, "matches no layer"),
        ((4, 8, 8, 3), None, {"frozen": True}, "no trainable weights"),
    ],
)
def test_bad_probe_layers_or_model_fail_before_training(probe_shape, layers, model_options, message):
    model = tiny_net()
    if model_options.get("frozen"):
        model.trainable = False
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = tiny_data()
    callback = GradientNormCallback(probe=(np.zeros(probe_shape, "float32"), y[:4]), layers=layers)
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[callback])
    assert model.optimizer.iterations.numpy() == 0

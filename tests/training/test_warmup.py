"""The paper's warm-up: lr/10 until the training error is below 80 %, then the full rate."""

import keras
import numpy as np
import pytest

from keras_resnet.training import compiling, recipes
from keras_resnet.training.warmup import EndWarmupBelowError, ErrorGatedWarmup
from tests.conftest import JAX_AND_TORCH, run_on_backend

# A softmax regression on sklearn's digits: its training error starts near 90 % (chance) and falls
# below 80 % within a few batches, so the warm-up has something to wait for.
FIT_WITH_GATE = """
import keras, numpy as np
from sklearn.datasets import load_digits
from keras_resnet.training import compiling, recipes

digits = load_digits()
x, y = digits.data.astype("float32") / 16.0, digits.target
recipe = recipes.resolve_recipe("paper-cifar", model="plain20", batch_size=32)
schedule = compiling.make_schedule(recipe, steps_per_epoch=len(x) // 32, epochs=4)
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, kernel_initializer="zeros")])
model.compile(optimizer=compiling.make_optimizer(recipe, schedule),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
rates = []

class RecordRate(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

gate = compiling.warmup_callbacks(recipe, schedule, verbose=False)
model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=[RecordRate(), *gate])
end = gate[0].end_step
assert end is not None and 1 <= end < len(rates), (end, len(rates))
lr = recipe.learning_rate  # 0.1 * 32 / 128
assert np.allclose(rates[:end], lr / 10) and np.allclose(rates[end:], lr), rates
"""


def _optimizer_with_gate(last_step=99):
    base = keras.optimizers.schedules.PiecewiseConstantDecay([last_step], [0.1, 0.01])
    schedule = ErrorGatedWarmup(base, factor=0.1, last_step=last_step)
    return schedule, schedule.attach(keras.optimizers.SGD(learning_rate=schedule))


def test_the_gate_divides_the_rate_by_ten_until_cleared_and_never_past_the_first_drop():
    schedule, optimizer = _optimizer_with_gate(last_step=99)
    assert float(schedule(0)) == pytest.approx(0.01) and float(schedule(99)) == pytest.approx(0.01)
    assert float(schedule(100)) == pytest.approx(0.01)  # the first drop, not 0.001: warm-up is over
    schedule.warming_up.assign(0.0)
    assert float(schedule(0)) == pytest.approx(0.1) and float(schedule(100)) == pytest.approx(0.01)
    assert any(v is schedule.warming_up for v in optimizer.variables)


@pytest.mark.slow
def test_warm_up_ends_at_the_first_batch_below_80_percent_training_error_on_tensorflow():
    run_on_backend("tensorflow", FIT_WITH_GATE)


@pytest.mark.slow
@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_warm_up_ends_at_the_first_batch_below_80_percent_training_error_on(backend):
    # JAX traces the train step once: the flag must travel as optimizer state, not a constant.
    run_on_backend(backend, FIT_WITH_GATE)


def test_the_flag_is_saved_with_the_optimizer_so_a_resumed_run_does_not_warm_up_again(tmp_path):
    recipe = recipes.resolve_recipe("paper-cifar", model="plain20", batch_size=128)

    def compiled():
        schedule = compiling.make_schedule(recipe, steps_per_epoch=10, epochs=4)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        model.compile(optimizer=compiling.make_optimizer(recipe, schedule), loss="mse")
        model.optimizer.build(model.trainable_variables)
        return model, schedule

    model, schedule = compiled()
    schedule.warming_up.assign(0.0)
    model.save_weights(tmp_path / "backup.weights.h5")
    model.save(tmp_path / "model.keras")  # the schedule serialises with the optimizer
    resumed, resumed_schedule = compiled()
    assert float(resumed.optimizer.learning_rate) == pytest.approx(0.01)
    resumed.load_weights(tmp_path / "backup.weights.h5")
    assert float(resumed.optimizer.learning_rate) == pytest.approx(0.1)
    restored = ErrorGatedWarmup.from_config(schedule.get_config())
    assert (restored.factor, restored.last_step) == (schedule.factor, schedule.last_step)


def test_bad_warm_up_set_ups_are_refused_before_training():
    base = keras.optimizers.schedules.PiecewiseConstantDecay([9], [0.1, 0.01])
    with pytest.raises(ValueError, match="attach"):
        EndWarmupBelowError(ErrorGatedWarmup(base, last_step=9))
    schedule, optimizer = _optimizer_with_gate()
    with pytest.raises(ValueError, match="max_error must be in"):
        EndWarmupBelowError(schedule, max_error=80)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer=optimizer, loss="mse")
    with pytest.raises(ValueError, match="no 'accuracy' metric"):
        model.fit(
            np.zeros((8, 4)), np.zeros((8, 3)), epochs=1, verbose=0, callbacks=[EndWarmupBelowError(schedule)]
        )

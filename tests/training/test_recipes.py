"""The training recipes: the paper's CIFAR numbers, the ImageNet recipe, weight decay as the paper's
L2, and `compile_with_recipe`, the one call that sets a model up for `model.fit`."""

import keras
import numpy as np
import pytest
from tiny_model import tiny_resnet

import keras_resnet as kr
from keras_resnet.training import recipes
from keras_resnet.training.warmup import EndWarmupBelowError

# Recipes -------------------------------------------------------------------------------------


def _lr_at(schedule, step):
    return float(keras.ops.convert_to_numpy(schedule(step)))


def test_paper_cifar_lr_is_0_1_per_128_images_dropping_tenfold_at_half_and_three_quarters():
    recipe = recipes.resolve_recipe("paper-cifar", model="resnet20", batch_size=256)
    assert recipe.learning_rate == pytest.approx(0.2) and recipe.momentum == 0.9
    assert recipe.weight_decay == 1e-4 and recipe.warmup_epochs == 0
    schedule = recipes.make_schedule(recipe, steps_per_epoch=10, epochs=100)
    lrs = [_lr_at(schedule, step) for step in (0, 499, 501, 749, 751, 999)]
    assert lrs == pytest.approx([0.2, 0.2, 0.02, 0.02, 0.002, 0.002])


def test_paper_cifar_warms_resnet110_and_plain_nets_up_until_the_training_error_is_below_80_percent():
    for model, gate in (
        ("resnet20", None),
        ("resnet56", None),
        ("resnet110", 0.8),
        ("resnet1202", 0.8),
        ("plain20", 0.8),
    ):
        recipe = recipes.resolve_recipe("paper-cifar", model=model, batch_size=128)
        assert (recipe.warmup_until_error, recipe.warmup_epochs) == (gate, 0)
    fixed = recipes.resolve_recipe("paper-cifar", model="resnet110", batch_size=128, warmup_epochs=1)
    assert fixed.warmup_until_error is None
    schedule = recipes.make_schedule(fixed, steps_per_epoch=391, epochs=164)
    assert _lr_at(schedule, 0) == pytest.approx(0.01) and _lr_at(schedule, 390) == pytest.approx(0.01)
    assert _lr_at(schedule, 392) == pytest.approx(0.1)
    off = recipes.resolve_recipe("paper-cifar", model="resnet110", batch_size=128, warmup_epochs=0)
    assert _lr_at(recipes.make_schedule(off, steps_per_epoch=391, epochs=164), 0) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="not both"):
        recipes.resolve_recipe(
            "paper-cifar", model="resnet110", batch_size=128, warmup_epochs=1, warmup_until_error=0.8
        )
    with pytest.raises(ValueError, match="must be in"):
        recipes.resolve_recipe("paper-cifar", model="resnet20", batch_size=128, warmup_until_error=1.5)
    with pytest.raises(ValueError, match="warms up linearly"):
        recipes.resolve_recipe("imagenet", model="resnet50", batch_size=256, warmup_until_error=0.8)


def test_imagenet_recipe_warms_up_linearly_then_decays_along_a_cosine_with_label_smoothing():
    recipe = recipes.resolve_recipe("imagenet", model="resnet50", batch_size=512)
    assert recipe.learning_rate == pytest.approx(0.2) and recipe.label_smoothing == 0.1
    schedule = recipes.make_schedule(recipe, steps_per_epoch=100, epochs=90)
    assert _lr_at(schedule, 250) == pytest.approx(0.1, rel=1e-3)  # half-way up the 5-epoch ramp
    assert _lr_at(schedule, 500) == pytest.approx(0.2, rel=1e-3)
    assert _lr_at(schedule, 500 + 4250) == pytest.approx(0.1, rel=1e-3)  # half-way down the cosine
    assert _lr_at(schedule, 9000) == pytest.approx(0.0, abs=1e-6)
    loss, metrics, one_hot = recipes.make_loss_and_metrics(recipe, classes=1000)
    assert one_hot and isinstance(loss, keras.losses.CategoricalCrossentropy)
    assert [m.name for m in metrics] == ["accuracy", "top5_accuracy"]


def test_recipe_options_can_be_overridden_and_bad_values_are_refused():
    recipe = recipes.resolve_recipe(
        "paper-cifar", model="resnet20", batch_size=64, lr=0.05, weight_decay=5e-4
    )
    assert (recipe.learning_rate, recipe.weight_decay) == (0.05, 5e-4)
    with pytest.raises(
        ValueError, match="recipe must be one of 'paper-cifar', 'imagenet', 'fine-tune'; got 'adam'"
    ):
        recipes.resolve_recipe("adam", model="resnet20", batch_size=128)
    with pytest.raises(ValueError, match="learning rate must be > 0"):
        recipes.resolve_recipe("paper-cifar", model="resnet20", batch_size=128, lr=0)
    with pytest.raises(ValueError, match="momentum must be in"):
        recipes.resolve_recipe("paper-cifar", model="resnet20", batch_size=128, momentum=1.5)
    too_long = recipes.resolve_recipe("paper-cifar", model="resnet20", batch_size=128, warmup_epochs=6)
    with pytest.raises(ValueError, match="reaches the first lr drop"):
        recipes.make_schedule(too_long, steps_per_epoch=10, epochs=10)


def test_weight_decay_is_an_l2_whose_gradient_is_wd_times_w_as_in_the_paper():
    recipe = recipes.resolve_recipe("paper-cifar", model="resnet20", batch_size=128)
    regularizer = recipes.kernel_regularizer(recipe)
    w = keras.ops.convert_to_tensor(np.linspace(-1, 1, 12, dtype="float32"))
    import tensorflow as tf

    with tf.GradientTape() as tape:
        tape.watch(w)
        penalty = regularizer(w)
    np.testing.assert_allclose(tape.gradient(penalty, w).numpy(), 1e-4 * w.numpy(), rtol=1e-5)
    assert (
        recipes.kernel_regularizer(
            recipes.resolve_recipe("paper-cifar", model="resnet20", batch_size=128, weight_decay=0)
        )
        is None
    )


def test_weight_decay_reaches_conv_and_dense_kernels_but_not_batchnorm_or_biases():
    regularizer = keras.regularizers.L2(5e-5)
    model = tiny_resnet(classes=10, input_shape=(32, 32, 3), kernel_regularizer=regularizer)
    model(np.zeros((1, 32, 32, 3), "float32"))
    kernels = [
        layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
    ]
    assert len(model.losses) == len(kernels) == 4
    expected = sum(5e-5 * float(np.sum(keras.ops.convert_to_numpy(k.kernel) ** 2)) for k in kernels)
    assert float(sum(keras.ops.convert_to_numpy(loss) for loss in model.losses)) == pytest.approx(
        expected, rel=1e-4
    )
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            assert layer.gamma_regularizer is None and layer.beta_regularizer is None
        if isinstance(layer, keras.layers.Dense):
            assert layer.bias_regularizer is None


def test_resnet20_built_for_training_decays_every_conv_and_dense_kernel_and_nothing_else():
    from keras_resnet.training.config import default_model_builder

    model = default_model_builder(
        "resnet20",
        classes=10,
        input_shape=(32, 32, 3),
        normalization=((0.0,) * 3, (1.0,) * 3),
        kernel_regularizer=keras.regularizers.L2(5e-5),
    )
    model(np.zeros((1, 32, 32, 3), "float32"))
    kernels = [
        layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
    ]
    assert len(kernels) == 20 and len(model.losses) == 20  # 19 convs + the classifier
    assert all(layer.kernel_regularizer is not None for layer in kernels)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            assert layer.gamma_regularizer is None and layer.beta_regularizer is None
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            assert layer.bias_regularizer is None
    assert model.get_layer("normalization") is not None


def test_compile_with_recipe_sets_up_the_paper_recipe_for_model_fit_in_one_call(rng):
    model = kr.plain20()  # plain nets warm up at lr/10 until the training error is below 80 %
    plan = kr.compile_with_recipe(model, "paper-cifar", batch_size=64, steps_per_epoch=10, epochs=4)
    assert plan.recipe.learning_rate == pytest.approx(0.05) and not plan.one_hot
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD) and optimizer.momentum == pytest.approx(0.9)
    assert [type(c) for c in plan.callbacks] == [EndWarmupBelowError]
    assert float(keras.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(0.005)  # warming up
    kernels = [
        layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
    ]
    assert kernels and all(layer.kernel.regularizer is not None for layer in kernels)
    assert all(float(layer.kernel.regularizer.l2) == pytest.approx(5e-5) for layer in kernels)
    assert not any(
        w.regularizer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
        for w in layer.weights
    )
    x = rng.uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    history = model.fit(x, np.arange(8) % 10, epochs=1, verbose=0, callbacks=plan.callbacks)
    assert np.isfinite(history.history["loss"][0]) and "accuracy" in history.history

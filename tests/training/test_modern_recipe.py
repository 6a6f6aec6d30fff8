"""The `modern` recipe: each switch (cosine with linear warm-up, label smoothing, weight EMA, MixUp,
CutMix, RandAugment, no decay on BatchNorm and biases) changes the compiled training as it says."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from tiny_model import tiny_resnet

from keras_resnet.errors import InvalidInputError
from keras_resnet.training import compiling, modern, recipes
from keras_resnet.training.callbacks import EmaWeightsSwap

OFF = dict(ema=False, mixup_alpha=0.0, cutmix_alpha=0.0, rand_augment=0.0, label_smoothing=0.0)


def _compiled(steps_per_epoch=10, epochs=20, **overrides):
    model = tiny_resnet(classes=10, normalization=((127.5,) * 3, (73.9,) * 3))
    compiled = compiling.compile_with_recipe(
        model, "modern", batch_size=128, steps_per_epoch=steps_per_epoch, epochs=epochs, **overrides
    )
    model.optimizer.build(model.trainable_variables)
    return model, compiled


def _lr_at(schedule, step):
    return float(keras.ops.convert_to_numpy(schedule(step)))


def test_modern_resolves_to_torchvision_reference_values_scaled_to_the_batch():
    recipe = recipes.resolve_recipe("modern", model="resnet20", batch_size=128)
    assert recipe.learning_rate == pytest.approx(0.5 * 128 / 1024)
    assert (recipe.schedule, recipe.warmup, recipe.warmup_epochs) == ("cosine", "linear", 5.0)
    switches = recipe.switches
    assert (recipe.label_smoothing, switches.ema, switches.ema_momentum) == (0.1, True, None)
    assert (switches.mixup_alpha, switches.cutmix_alpha, switches.rand_augment) == (0.2, 1.0, 0.1)
    assert set(modern.MODERN_DEFAULTS) >= {"lr", "warmup_epochs", *modern.SWITCH_NAMES}


def test_every_switch_turns_off_and_the_other_recipes_take_them_too():
    off = recipes.resolve_recipe("modern", model="resnet20", batch_size=128, **OFF)
    assert off.switches == modern.Switches(ema_momentum=None) and not off.one_hot
    paper = recipes.resolve_recipe("paper-cifar", model="resnet20", batch_size=128, mixup_alpha=0.4)
    assert paper.switches.mixup_alpha == 0.4 and paper.one_hot and not paper.switches.ema


@pytest.mark.parametrize(
    "option, value", [("mixup_alpha", -1.0), ("rand_augment", 1.5), ("ema_momentum", 1.0)]
)
def test_out_of_range_switches_are_refused_naming_the_option(option, value):
    with pytest.raises(InvalidInputError, match="must be"):
        recipes.resolve_recipe("modern", model="resnet20", batch_size=128, **{option: value})


def test_lr_is_zero_at_step_0_peaks_at_the_end_of_warm_up_and_decays_to_zero_by_cosine():
    recipe = recipes.resolve_recipe("modern", model="resnet20", batch_size=128)
    schedule = compiling.make_schedule(recipe, steps_per_epoch=10, epochs=20)  # warm-up: 50 steps
    peak = recipe.learning_rate
    assert _lr_at(schedule, 0) == pytest.approx(0.0)
    assert _lr_at(schedule, 25) == pytest.approx(peak / 2, rel=1e-5)  # linear
    assert _lr_at(schedule, 50) == pytest.approx(peak, rel=1e-5)
    assert _lr_at(schedule, 125) == pytest.approx(peak / 2, rel=1e-4)  # cosine half-way
    assert _lr_at(schedule, 200) == pytest.approx(0.0, abs=1e-7)


def test_ema_adds_average_variables_to_the_optimizer_and_a_swap_callback_only_when_on():
    model, compiled = _compiled(steps_per_epoch=10)
    optimizer = model.optimizer
    assert optimizer.use_ema and optimizer.ema_momentum == pytest.approx(0.9)  # one epoch's horizon
    averages = [v for v in optimizer.variables if "average" in v.path]
    assert len(averages) == len(model.trainable_variables)
    assert compiled.recipe.switches.ema_momentum == pytest.approx(0.9)  # recorded in config.json
    assert any(isinstance(c, EmaWeightsSwap) for c in compiled.callbacks)

    model, compiled = _compiled(ema=False)
    assert not model.optimizer.use_ema
    assert not [v for v in model.optimizer.variables if "average" in v.path]
    assert not any(isinstance(c, EmaWeightsSwap) for c in compiled.callbacks)


def test_an_explicit_ema_momentum_is_used_as_given():
    model, compiled = _compiled(ema_momentum=0.999)
    assert model.optimizer.ema_momentum == pytest.approx(0.999)


def test_label_smoothing_is_in_the_loss_and_needs_one_hot_labels():
    model, compiled = _compiled()
    assert isinstance(model.loss, keras.losses.CategoricalCrossentropy)
    assert model.loss.label_smoothing == pytest.approx(0.1) and compiled.one_hot
    model, compiled = _compiled(**OFF)
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy) and not compiled.one_hot


def test_only_conv_and_dense_kernels_are_decayed_never_batchnorm_or_biases():
    model, _ = _compiled()
    decayed = {layer.name for layer in model.layers if getattr(layer, "kernel_regularizer", None)}
    assert decayed == {"stem_conv", "block_1_conv", "block_2_conv", "predictions"}
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            assert layer.gamma_regularizer is None and layer.beta_regularizer is None
        assert getattr(layer, "bias_regularizer", None) is None
    assert len(model.losses) == len(decayed)  # one L2 term per kernel, nothing else


# The input pipeline (tf.data) ----------------------------------------------------------------


def _first_train_batch(**options):
    pytest.importorskip("tensorflow")
    from keras_resnet.data.pipelines import load_datasets, numpy_batches

    datasets = load_datasets("synthetic:16x16x3:4", batch_size=32, seed=0, pipeline="tfdata", **options)
    return next(iter(numpy_batches(datasets.train)))


def test_mixup_makes_one_hot_labels_that_mix_two_classes_and_mixes_the_images():
    plain_images, labels = _first_train_batch()
    images, mixed = _first_train_batch(mixup_alpha=0.2)
    assert mixed.shape == (32, 4) and np.allclose(mixed.sum(axis=1), 1.0)
    assert ((mixed > 0.01) & (mixed < 0.99)).any()  # some labels are mixtures
    assert not np.array_equal(images, plain_images) and labels.ndim == 1


def test_cutmix_pastes_patches_whose_area_is_the_label_weight():
    plain_images, labels = _first_train_batch(augment=False)  # no zero padding: every pixel differs
    images, mixed = _first_train_batch(augment=False, cutmix_alpha=1.0)
    assert mixed.shape == (32, 4) and np.allclose(mixed.sum(axis=1), 1.0)
    pasted = (images != plain_images).any(axis=-1).mean(axis=(1, 2))  # pasted fraction per image
    kept = mixed[np.arange(32), labels]  # the own class's label weight
    from_other_class = kept < 0.999  # (a patch from an image of the same class keeps weight 1)
    assert from_other_class.any()
    # Keras weighs by the box's area in continuous coordinates; whole pixels differ from it by
    # up to a row and a column (1/16 each here).
    np.testing.assert_allclose(pasted[from_other_class], 1 - kept[from_other_class], atol=0.13)


def test_rand_augment_changes_training_images_but_not_labels_or_evaluation():
    pytest.importorskip("tensorflow")
    from keras_resnet.data.pipelines import load_datasets, numpy_batches

    plain = load_datasets("synthetic:16x16x3:4", batch_size=32, seed=0, pipeline="tfdata")
    options = dict(batch_size=32, seed=0, pipeline="tfdata")
    augmented = load_datasets("synthetic:16x16x3:4", **options, rand_augment=0.1)
    (x0, y0), (x1, y1) = (next(iter(numpy_batches(d.train))) for d in (plain, augmented))
    assert np.array_equal(y0, y1) and not np.allclose(x0, x1)
    (t0, _), (t1, _) = (next(iter(numpy_batches(d.test))) for d in (plain, augmented))
    assert np.array_equal(t0, t1)


def test_the_numpy_pipeline_refuses_mixup_cutmix_and_rand_augment_in_one_line():
    from keras_resnet.data.pipelines import load_datasets

    options = dict(batch_size=32, pipeline="numpy", mixup_alpha=0.2, rand_augment=0.1)
    with pytest.raises(
        InvalidInputError, match="RandAugment, MixUp run in the tfdata pipeline only"
    ) as error:
        load_datasets("synthetic:16x16x3:4", **options)
    assert "\n" not in str(error.value) and "tfdata" in str(error.value)


# End to end ------------------------------------------------------------------------------------


class Interrupt(Exception):
    pass


class WeightsAtEpochBegin(keras.callbacks.Callback):
    """Records the weights an epoch starts training from, then stops the run."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.weights = epoch, None

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.weights = [np.array(w) for w in self.model.get_weights()]
            raise Interrupt


@pytest.mark.slow
def test_a_resumed_ema_run_trains_on_from_the_live_weights_not_the_average(tmp_path):
    pytest.importorskip("tensorflow")
    from keras_resnet.training.config import TrainConfig
    from keras_resnet.training.fit import train

    config = TrainConfig(
        model="tiny", dataset="synthetic:16x16x3:4", epochs=3, batch_size=128, recipe="modern",
        warmup_epochs=0.5, mixup_alpha=0.0, cutmix_alpha=0.0, rand_augment=0.0, gradient_norms=False,
    )  # fmt: skip
    out = str(tmp_path / "run")
    first, resumed = WeightsAtEpochBegin(2), WeightsAtEpochBegin(2)
    with pytest.raises(Interrupt):  # the backup of epoch 2 holds the average in the model
        train(config, out=out, build_model=tiny_resnet, verbose=0, extra_callbacks=[first])
    with pytest.raises(Interrupt):
        train(config, out=out, resume=True, build_model=tiny_resnet, verbose=0, extra_callbacks=[resumed])
    for live, again in zip(first.weights, resumed.weights):
        np.testing.assert_array_equal(live, again)


@pytest.mark.slow
def test_train_with_the_modern_recipe_records_every_switch_and_scores_the_average(tmp_path):
    pytest.importorskip("tensorflow")
    out = tmp_path / "modern"
    command = [
        *(sys.executable, "-m", "keras_resnet", "train", "--model", "resnet20"),
        *("--dataset", "synthetic:16x16x3:4", "--recipe", "modern", "--epochs", "1"),
        *("--warmup-epochs", "0.5", "--batch-size", "32"),
        *("--out", str(out), "--no-export", "--no-gradient-norms", "--verbose", "0"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((out / "config.json").read_text())
    recipe, switches = config["recipe"], config["recipe"]["switches"]
    assert recipe["name"] == "modern" and switches["ema"] and 0 < switches["ema_momentum"] < 1
    assert (switches["mixup_alpha"], switches["cutmix_alpha"], switches["rand_augment"]) == (0.2, 1.0, 0.1)
    assert recipe["label_smoothing"] == 0.1 and recipe["schedule"] == "cosine"
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 <= metrics["test"]["accuracy"] <= 1

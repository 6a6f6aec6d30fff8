"""Fine-tuning from pretrained weights (`train --weights`, the fine-tune recipe), offline.

The weights are a random-weight torchvision-layout ResNet-18 saved as `.safetensors` (the same
loader a downloaded torchvision or timm file goes through) and, once, a test-only registry entry
whose cached file carries that hash; the data is a generated folder of a few dozen images. The
claims: the backbone is frozen in the head phase and trains after it, BatchNorm statistics never
move, config.json records the source, the sha256 of the file loaded and the schedule, `--resume`
is right in either phase, the export's labels are the folder's classes, and `compare` takes
pretrained weights.
"""

import csv
import dataclasses
import hashlib
import json
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_resnet.cli import main
from keras_resnet.errors import InvalidInputError, MissingFileError
from keras_resnet.training import recipes
from keras_resnet.training.config import TrainConfig, check_config, resolve_config
from keras_resnet.training.fine_tune import build_fine_tune_model, segments, set_phase
from keras_resnet.training.fit import train

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
sys.path.insert(0, str(FIXTURES))

from seeded_state import seeded_state  # noqa: E402

CLASSES = ("cat", "dog", "owl")
SIZE = (32, 32)


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """A random-weight torchvision ResNet-18 state dict as .safetensors."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    layout = json.loads((FIXTURES / "torch_layouts.json").read_text())["layouts"]["torchvision/resnet18"]
    path = tmp_path_factory.mktemp("weights") / "resnet18-random.safetensors"
    safetensors_numpy.save_file(seeded_state(layout), str(path))
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """folder:DIR with 12 small PNGs in each of three class folders, told apart by brightness."""
    from PIL import Image

    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for index, name in enumerate(CLASSES):
        (root / name).mkdir()
        for i in range(12):
            pixels = rng.integers(0, 80, (40, 48, 3)) + index * 80
            Image.fromarray(pixels.astype("uint8")).save(root / name / f"{i}.png")
    return root


def _config(weights_file, photos, **overrides):
    options = dict(
        model="resnet18",
        dataset=f"folder:{photos}",
        image_size=SIZE,
        epochs=2,
        batch_size=8,
        recipe="fine-tune",
        weights=str(weights_file),
        seed=0,
    )
    return TrainConfig(**{**options, **overrides})


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _history(run):
    with open(Path(run) / "history.csv") as file:
        return list(csv.DictReader(file))


class Watch(keras.callbacks.Callback):
    """What trains in each epoch, and the weights a frozen backbone and frozen BN must keep."""

    def __init__(self):
        super().__init__()
        self.trainable, self.snapshots = [], []

    def _snapshot(self):
        bn = self.model.get_layer("conv2_block1_1_bn")
        return {
            "conv1": self.model.get_layer("conv1_conv").get_weights()[0].copy(),
            "head": self.model.get_layer("predictions").get_weights()[0].copy(),
            "bn_mean": np.asarray(bn.moving_mean).copy(),
            "bn_var": np.asarray(bn.moving_variance).copy(),
        }

    def on_train_begin(self, logs=None):
        if not self.snapshots:
            self.snapshots.append(self._snapshot())

    def on_epoch_begin(self, epoch, logs=None):
        self.trainable.append(len(self.model.trainable_weights))

    def on_epoch_end(self, epoch, logs=None):
        self.snapshots.append(self._snapshot())


class Interrupt(Exception):
    pass


class StopAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Interrupt


# The recipe, without training ------------------------------------------------------------------


def test_fine_tune_recipe_defaults_are_the_documented_ones():
    recipe = recipes.resolve_recipe("fine-tune", model="resnet50", batch_size=256)
    assert (recipe.learning_rate, recipe.head_learning_rate) == (0.01, 0.1)
    assert (recipe.freeze_epochs, recipe.batchnorm, recipe.optimizer) == (1, "frozen", "sgd")
    assert (recipe.momentum, recipe.weight_decay, recipe.label_smoothing) == (0.9, 0.0, 0.1)
    assert (recipe.schedule, recipe.warmup_epochs) == ("cosine", 0.0)
    halved = recipes.resolve_recipe("fine-tune", model="resnet50", batch_size=128)
    assert (halved.learning_rate, halved.head_learning_rate) == (0.005, 0.05)


def test_every_fine_tune_default_can_be_overridden():
    recipe = recipes.resolve_recipe(
        "fine-tune", model="resnet50", batch_size=64, lr=0.1, head_lr=0.2, freeze_epochs=0, batchnorm="train"
    )
    assert (recipe.learning_rate, recipe.head_learning_rate, recipe.freeze_epochs, recipe.batchnorm) == (
        0.1,
        0.2,
        0,
        "train",
    )


def test_weights_without_a_recipe_pick_fine_tune_and_a_recipe_given_wins(tmp_path):
    picked = resolve_config(
        {"model": "resnet18", "weights": "imagenet"}, out=str(tmp_path / "a"), resume=False
    )
    assert picked.recipe == "fine-tune"
    given = {"model": "resnet18", "weights": "imagenet", "recipe": "imagenet"}
    assert resolve_config(given, out=str(tmp_path / "b"), resume=False).recipe == "imagenet"
    assert (
        resolve_config({"model": "resnet18"}, out=str(tmp_path / "c"), resume=False).recipe == "paper-cifar"
    )


def test_the_fine_tune_recipe_without_weights_is_refused_saying_what_to_give():
    with pytest.raises(InvalidInputError, match="give --weights"):
        check_config(TrainConfig(model="resnet18", recipe="fine-tune"))


def test_phases_split_the_remaining_epochs_at_the_unfreeze():
    assert segments(0, 3, 1) == [("head", 0, 1), ("full", 1, 3)]
    assert segments(1, 3, 1) == [("full", 1, 3)]
    assert segments(2, 3, 1) == [("full", 2, 3)]
    assert segments(0, 2, 0) == [("full", 0, 2)]
    assert segments(0, 2, 5) == [("head", 0, 2)]  # more frozen epochs than epochs: a linear probe


# The model -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_backbone_holds_the_files_weights_under_a_new_head_sized_to_the_classes(weights_file):
    from safetensors.numpy import load_file

    model, loaded = build_fine_tune_model(
        "resnet18", weights=str(weights_file), classes=3, input_shape=(*SIZE, 3)
    )
    state = load_file(str(weights_file))
    kernel = model.get_layer("conv1_conv").get_weights()[0]
    np.testing.assert_array_equal(kernel, np.transpose(state["conv1.weight"], (2, 3, 1, 0)))
    assert model.output.shape[-1] == 3 and model.layers[1].name == "normalization"
    assert (loaded.source, loaded.layout, loaded.sha256) == ("file", "torch", _sha256(weights_file))
    set_phase(model, "head")
    assert [w.path for w in model.trainable_weights] == ["predictions/kernel", "predictions/bias"]
    set_phase(model, "full")
    trainable = [w.path for w in model.trainable_weights]
    assert "conv1_conv/kernel" in trainable and not any("_bn/" in path for path in trainable)
    set_phase(model, "full", batchnorm="train")
    assert any("_bn/gamma" in w.path for w in model.trainable_weights)


# A fine-tune run -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def watched_run(tmp_path_factory, weights_file, photos):
    out = tmp_path_factory.mktemp("runs") / "fine-tune"
    watch = Watch()
    metrics = train(_config(weights_file, photos), out=str(out), verbose=0, extra_callbacks=[watch])
    return out, metrics, watch


@pytest.mark.slow
def test_the_backbone_is_frozen_in_the_head_epoch_and_trains_after_it(watched_run):
    _, _, watch = watched_run
    start, after_head, after_full = watch.snapshots
    assert watch.trainable[0] == 2 and watch.trainable[1] > 2  # head kernel + bias, then the net
    np.testing.assert_array_equal(after_head["conv1"], start["conv1"])
    assert not np.array_equal(after_head["head"], start["head"])
    assert not np.array_equal(after_full["conv1"], after_head["conv1"])


@pytest.mark.slow
def test_batchnorm_moving_statistics_never_change(watched_run):
    _, _, watch = watched_run
    for snapshot in watch.snapshots[1:]:
        np.testing.assert_array_equal(snapshot["bn_mean"], watch.snapshots[0]["bn_mean"])
        np.testing.assert_array_equal(snapshot["bn_var"], watch.snapshots[0]["bn_var"])


@pytest.mark.slow
def test_config_records_the_source_the_hash_of_the_file_loaded_and_the_freeze_schedule(
    watched_run, weights_file
):
    out, metrics, _ = watched_run
    config = json.loads((out / "config.json").read_text())
    assert config["weights"]["source"] == "file" and config["weights"]["path"] == str(weights_file)
    assert config["weights"]["sha256"] == _sha256(weights_file)
    assert config["freeze_schedule"]["freeze_epochs"] == 1
    assert config["freeze_schedule"]["head_phase"]["epochs"] == [1, 1]
    assert config["freeze_schedule"]["full_phase"]["epochs"] == [2, 2]
    assert config["recipe"]["name"] == "fine-tune" and config["recipe"]["batchnorm"] == "frozen"
    assert config["train_config"]["weights"] == str(weights_file)
    assert metrics["epochs_trained"] == 2 and config["dataset"]["class_names"] == list(CLASSES)


@pytest.mark.slow
def test_resume_is_right_in_the_head_phase_and_in_the_full_phase(tmp_path, weights_file, photos):
    config = _config(weights_file, photos, epochs=3)
    reference = tmp_path / "reference"
    train(config, out=str(reference), verbose=0)
    out = tmp_path / "interrupted"
    with pytest.raises(Interrupt):  # stopped after the head epoch, before the unfreeze
        train(config, out=str(out), verbose=0, extra_callbacks=[StopAt(1)])
    watch = Watch()
    with pytest.raises(Interrupt):  # resumed, then stopped inside the full phase
        train(config, out=str(out), resume=True, verbose=0, extra_callbacks=[watch, StopAt(2)])
    assert len(set(watch.trainable)) == 1 and watch.trainable[0] > 2  # the full phase's, at once
    watch = Watch()
    metrics = train(config, out=str(out), resume=True, verbose=0, extra_callbacks=[watch])
    assert len(watch.trainable) == 1 and watch.trainable[0] > 2
    assert metrics["epochs_trained"] == 3
    rows, expected = _history(out), _history(reference)
    assert [r["epoch"] for r in rows] == ["0", "1", "2"]
    # The head lr, then the full phase's cosine from its start: the optimizer and schedule resumed.
    assert [r["learning_rate"] for r in rows] == [r["learning_rate"] for r in expected]
    recipe = recipes.resolve_recipe("fine-tune", model="resnet18", batch_size=8)
    assert float(rows[0]["learning_rate"]) == pytest.approx(recipe.head_learning_rate)
    assert float(rows[1]["learning_rate"]) == pytest.approx(recipe.learning_rate)
    assert 0 < float(rows[2]["learning_rate"]) < recipe.learning_rate


# The command line ------------------------------------------------------------------------------


@pytest.mark.slow
def test_train_with_weights_picks_fine_tune_and_exports_the_folders_class_names(
    tmp_path, weights_file, photos
):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--model",
            "resnet18",
            "--weights",
            str(weights_file),
            "--dataset",
            f"folder:{photos}",
            "--image-size",
            "32,32",
            "--epochs",
            "2",
            "--batch-size",
            "8",
            "--export-quantize",
            "float32",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    config = json.loads((out / "config.json").read_text())
    assert config["recipe"]["name"] == "fine-tune" and config["weights"]["sha256"] == _sha256(weights_file)
    assert (out / "export" / "labels.txt").read_text().split() == list(CLASSES)


@pytest.mark.slow
def test_a_named_source_loads_through_the_registry_and_records_its_file(
    tmp_path, monkeypatch, weights_file, photos
):
    from keras_resnet.models.pretrained import registry
    from keras_resnet.models.pretrained.fetch import cache_path

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("KERAS_RESNET_OFFLINE", "1")  # proves nothing is downloaded
    entry = dataclasses.replace(
        registry.resolve("resnet18", "torchvision"),
        source="test.random",
        url="https://example.invalid/resnet18-random.safetensors",
        file_hash=_sha256(weights_file),
        hash_kind="sha256",
    )
    monkeypatch.setitem(registry.WEIGHT_SOURCES, entry.source, {entry.model: entry})
    cache_path(entry).parent.mkdir(parents=True)
    cache_path(entry).write_bytes(weights_file.read_bytes())
    out = tmp_path / "run"
    train(_config(weights_file, photos, weights="test.random", epochs=1), out=str(out), verbose=0)
    record = json.loads((out / "config.json").read_text())["weights"]
    assert (record["source"], record["path"]) == ("test.random", str(cache_path(entry)))
    assert record["sha256"] == _sha256(weights_file) and record["url"] == entry.url
    assert (record["resize"], record["crop"]) == (entry.resize, entry.crop)


@pytest.mark.slow
def test_compare_trains_from_scratch_and_from_pretrained_weights_in_one_call(tmp_path, weights_file, photos):
    from keras_resnet.experiments.degradation import compare_models

    pretrained = f"resnet18:weights={weights_file}"
    result = compare_models(
        ["resnet18", pretrained],
        dataset=f"folder:{photos}",
        epochs=2,
        batch_size=8,
        image_size=SIZE,
        out=str(tmp_path / "compare"),
        gradient_norms=False,
    )
    assert [row["model"] for row in result["rows"]] == ["resnet18", pretrained]
    folders = sorted(p.name for p in (tmp_path / "compare").iterdir() if p.is_dir())
    configs = {
        name: json.loads((tmp_path / "compare" / name / "config.json").read_text()) for name in folders
    }
    recipes_used = sorted(config["recipe"]["name"] for config in configs.values())
    assert recipes_used == ["fine-tune", "paper-cifar"]
    assert (tmp_path / "compare" / "comparison.png").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_a_keras_file_of_ours_gives_its_backbone_and_its_normalisation(tmp_path, suffix):
    import keras_resnet as kr

    statistics = ((10.0, 20.0, 30.0), (2.0, 3.0, 4.0))
    saved = kr.resnet18(input_shape=(64, 64, 3), classes=5, normalization=statistics)
    path = tmp_path / f"saved{suffix}"
    saved.save(path) if suffix == ".keras" else saved.save_weights(path)
    model, loaded = build_fine_tune_model("resnet18", weights=str(path), classes=3, input_shape=(*SIZE, 3))
    for name in ("conv1_conv", "conv5_block2_2_bn"):
        for ours, theirs in zip(model.get_layer(name).get_weights(), saved.get_layer(name).get_weights()):
            np.testing.assert_array_equal(ours, theirs)
    assert model.output.shape[-1] == 3 and (loaded.layout, loaded.sha256) == ("keras", _sha256(path))
    if suffix == ".keras":  # a weights file does not hold the normalisation: ImageNet's is assumed
        np.testing.assert_allclose(np.asarray(loaded.normalization), statistics, rtol=1e-6)


@pytest.mark.parametrize(
    ("weights", "error", "message"),
    [
        ("imagnet", InvalidInputError, "did you mean 'imagenet'"),
        ("keras.applications", InvalidInputError, "publishes no weights for 'resnet18'"),
        ("missing/resnet18.safetensors", MissingFileError, "does not exist"),
    ],
)
def test_bad_weights_are_refused_before_any_data_is_read(weights, error, message):
    with pytest.raises(error, match=message):
        check_config(
            TrainConfig(model="resnet18", dataset="folder:/nowhere", weights=weights, recipe="fine-tune")
        )

"""Named weight sources: the file is looked up in the Keras cache and hash-checked, the source's
preprocessing is inside the model (raw RGB 0-255 in), offline fails at once naming URL and path,
and every bad input is one clear error.

The registry entries here are test-only: they carry the hash of a file made from random weights,
so the cache lookup, hash check and port that users run are the ones tested, with no download.
"""

import dataclasses
import hashlib
import json
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.errors import (
    ArchitectureMismatchError,
    CorruptFileError,
    InvalidInputError,
    OfflineError,
)
from keras_resnet.models.pretrained import registry
from keras_resnet.models.pretrained.fetch import cache_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
sys.path.insert(0, str(FIXTURES))

from seeded_state import seeded_images, seeded_state  # noqa: E402

LAYOUTS = json.loads((FIXTURES / "torch_layouts.json").read_text())["layouts"]
LOGITS = np.load(FIXTURES / "torch_logits.npz")
SHAPE = (64, 64, 3)


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


def _register(monkeypatch, **fields):
    base = registry.resolve(fields.pop("like"), fields.pop("source_like"))
    entry = dataclasses.replace(base, **fields)
    monkeypatch.setitem(registry.WEIGHT_SOURCES, entry.source, {entry.model: entry})
    return entry


def _sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _torch_entry(monkeypatch, keras_home):
    """A test source for resnet18 whose cached file is the seeded random torchvision state."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    made = keras_home.parent / "random-resnet18.safetensors"
    safetensors_numpy.save_file(seeded_state(LAYOUTS["torchvision/resnet18"]), str(made))
    entry = _register(
        monkeypatch,
        like="resnet18",
        source_like="torchvision",
        source="test.random",
        url="https://example.invalid/random-resnet18.safetensors",
        file_hash=_sha256(made),
        hash_kind="sha256",
    )
    return entry, made


def test_imagenet_with_an_empty_cache_fails_at_once_naming_url_and_path(keras_home, monkeypatch):
    monkeypatch.setenv("KERAS_RESNET_OFFLINE", "1")
    start = time.perf_counter()
    with pytest.raises(OfflineError) as caught:
        kr.resnet50(weights="imagenet")
    assert time.perf_counter() - start < 2.0
    message = str(caught.value)
    entry = registry.resolve("resnet50", "imagenet")
    assert "\n" not in message and entry.url in message and str(cache_path(entry)) in message
    assert str(keras_home) in message


def test_a_file_placed_where_the_error_said_loads_and_computes_the_sources_logits(keras_home, monkeypatch):
    monkeypatch.setenv("KERAS_RESNET_OFFLINE", "1")  # proves nothing is downloaded
    entry, made = _torch_entry(monkeypatch, keras_home)
    with pytest.raises(OfflineError, match="put it at"):
        kr.resnet18(weights="test.random", input_shape=SHAPE)
    cache_path(entry).parent.mkdir(parents=True)
    made.rename(cache_path(entry))
    model = kr.resnet18(weights="test.random", input_shape=SHAPE, classifier_activation=None)
    mean, std = (np.asarray(v, "float32") for v in entry.normalization)
    pixels = np.transpose(seeded_images(), (0, 2, 3, 1)) * std + mean  # raw RGB 0-255 in
    expected = LOGITS["torchvision/resnet18"]
    actual = np.asarray(model(pixels, training=False))
    assert np.abs(actual - expected).max() <= 1e-4 * max(1.0, float(np.abs(expected).max()))


def test_a_cached_file_with_another_hash_is_refused_not_overwritten(keras_home, monkeypatch):
    entry, _ = _torch_entry(monkeypatch, keras_home)
    target = cache_path(entry)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"half a download")
    with pytest.raises(CorruptFileError, match="does not match the sha256 published"):
        kr.resnet18(weights="test.random", input_shape=SHAPE)
    assert target.read_bytes() == b"half a download"


@pytest.mark.slow
def test_keras_applications_weights_take_rgb_with_the_caffe_preprocessing_inside(
    keras_home, monkeypatch, rng
):
    source = keras.applications.ResNet50(weights=None, input_shape=SHAPE, classifier_activation=None)
    for layer in source.layers:  # BN statistics that a swapped variable or epsilon would show
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [rng.uniform(0.5, 1.0, gamma.shape), beta, mean, rng.uniform(0.5, 1.5, var.shape)]
            )
    made = keras_home.parent / "random-resnet50.weights.h5"
    source.save_weights(made)
    entry = _register(
        monkeypatch,
        like="resnet50",
        source_like="keras.applications",
        source="test.keras",
        url="https://example.invalid/random-resnet50.weights.h5",
        file_hash=hashlib.md5(made.read_bytes()).hexdigest(),
    )
    cache_path(entry).parent.mkdir(parents=True)
    made.rename(cache_path(entry))
    model = kr.resnet50(weights="test.keras", input_shape=SHAPE, classifier_activation=None)
    pixels = rng.uniform(0, 255, (2, *SHAPE)).astype("float32")
    expected = np.asarray(source(keras.applications.resnet.preprocess_input(pixels.copy()), training=False))
    actual = np.asarray(model(pixels, training=False))
    assert np.abs(expected).max() > 1.0
    assert np.abs(actual - expected).max() <= 1e-4 * max(1.0, float(np.abs(expected).max()))


@pytest.mark.parametrize(
    "call,error,message",
    [
        (
            lambda: kr.resnet50(weights="torchvison"),
            InvalidInputError,
            "unknown weight source.*'torchvision'",
        ),
        (lambda: kr.resnet50_v2(weights="timm"), InvalidInputError, "publishes no weights for 'resnet50_v2'"),
        (lambda: kr.resnet18(weights="keras.applications"), InvalidInputError, "no weights for 'resnet18'"),
        (lambda: kr.resnet50(weights="timm", version="v1"), ArchitectureMismatchError, "need version='v1.5'"),
        (lambda: kr.resnet50(weights="imagenet", classes=10), ArchitectureMismatchError, "classes=10"),
        (lambda: kr.ResNet(weights="timm", input_shape=SHAPE), InvalidInputError, "needs a named model"),
    ],
)
def test_bad_sources_are_one_line_errors(call, error, message):
    with pytest.raises(error, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


def test_a_truncated_weights_file_is_refused(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "resnet18.safetensors"
    safetensors_numpy.save_file(seeded_state(LAYOUTS["torchvision/resnet18"]), str(path))
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(CorruptFileError, match="truncated"):
        kr.resnet18(weights=str(path), input_shape=SHAPE)


def test_a_weights_file_of_another_architecture_is_refused_by_tensor_name(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "resnet34.safetensors"
    safetensors_numpy.save_file(seeded_state(LAYOUTS["torchvision/resnet34"]), str(path))
    with pytest.raises(ArchitectureMismatchError, match=r"not used \(\d+\): layer1.2.bn1"):
        kr.resnet18(weights=str(path), input_shape=SHAPE)


def test_a_pth_file_that_is_no_checkpoint_is_refused_by_the_torch_free_reader(tmp_path, monkeypatch):
    path = tmp_path / "resnet18.pth"
    path.write_bytes(b"not read")
    monkeypatch.setitem(sys.modules, "torch", None)  # .pth files are read without PyTorch
    with pytest.raises(CorruptFileError, match="resnet18.pth' is not a PyTorch checkpoint.*truncated"):
        kr.resnet18(weights=str(path), input_shape=SHAPE)

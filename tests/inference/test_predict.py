"""`predict` gives the same answer whatever form the model takes: a name with a weight source, a
`.keras` file, a run folder, an exported SavedModel and a float32 `.tflite` file agree on the top-5
(SavedModel and .tflite to 1e-5 in probability), with the ImageNet class names travelling along;
bad input is a one-line error and a non-zero exit."""

import dataclasses
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.cli import main
from keras_resnet.models.pretrained import registry
from keras_resnet.models.pretrained.fetch import cache_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
sys.path.insert(0, str(FIXTURES))

from seeded_state import seeded_state  # noqa: E402

LAYOUT = json.loads((FIXTURES / "torch_layouts.json").read_text())["layouts"]["torchvision/resnet18"]


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Every SOURCE kind for one model: resnet18 with seeded random torchvision weights."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    import tensorflow as tf

    root = tmp_path_factory.mktemp("predict")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KERAS_HOME", str(root / "keras"))
        made = root / "random.safetensors"
        safetensors_numpy.save_file(seeded_state(LAYOUT), str(made))
        entry = dataclasses.replace(
            registry.resolve("resnet18", "torchvision"),
            source="test.random",
            url="https://example.invalid/random-resnet18.safetensors",
            file_hash=hashlib.sha256(made.read_bytes()).hexdigest(),
            hash_kind="sha256",
        )
        patch.setitem(registry.WEIGHT_SOURCES, entry.source, {entry.model: entry})
        cache_path(entry).parent.mkdir(parents=True)
        made.rename(cache_path(entry))
        named = kr.load("resnet18:test.random")
        model = named.runner.model
        kr.save_model(model, root / "resnet18.keras")
        run = root / "run"
        (run / "checkpoints").mkdir(parents=True)
        model.save(run / "checkpoints" / "best.keras")  # as training saves it: names in config.json
        config = {"train_config": {}, "dataset": {"class_names": list(model.class_names)}}
        (run / "config.json").write_text(json.dumps(config))
        rng = np.random.default_rng(0)
        check = rng.uniform(0, 255, (2, 224, 224, 3)).astype("float32")
        kr.export_model(model, root / "export", validation_data=check, latency_repeats=1, verbose=False)
        images = root / "images"
        images.mkdir()
        for i, (h, w) in enumerate([(300, 260), (224, 400), (500, 500)]):
            pixels = (rng.uniform(0, 1, (h, w, 3)) * np.linspace(0, 255, w)[None, :, None]).astype("uint8")
            tf.io.write_file(str(images / f"image{i}.png"), tf.io.encode_png(pixels))
        yield {
            "name": "resnet18:test.random",
            "keras": str(root / "resnet18.keras"),
            "run": str(run),
            "saved_model": str(root / "export" / "saved_model"),
            "tflite": str(root / "export" / "model_float32.tflite"),
            "images": images,
        }


@pytest.mark.slow
def test_every_source_kind_gives_the_same_top5_with_imagenet_names(sources):
    loaded = {kind: kr.load(sources[kind]) for kind in ("name", "keras", "run", "saved_model", "tflite")}
    results = {kind: model.predict(sources["images"], top=5) for kind, model in loaded.items()}
    reference = results["name"]
    assert reference[0]["top"][0]["label"] in loaded["keras"].class_names
    for kind, result in results.items():
        for got, want in zip(result, reference):
            assert [t["index"] for t in got["top"]] == [t["index"] for t in want["top"]], kind
            assert [t["label"] for t in got["top"]] == [t["label"] for t in want["top"]], kind
            if kind in ("saved_model", "tflite"):
                diff = max(abs(a["probability"] - b["probability"]) for a, b in zip(got["top"], want["top"]))
                assert diff <= 1e-5, kind


@pytest.mark.slow
def test_the_export_carries_the_class_names(sources):
    labels = (Path(sources["saved_model"]).parent / "labels.txt").read_text().splitlines()
    assert len(labels) == 1000 and labels[0] == "tench"


@pytest.mark.slow
def test_predict_cli_prints_json_top_k(sources, capsys):
    assert (
        main(["predict", sources["tflite"], str(sources["images"] / "image0.png"), "--top", "3", "--json"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert len(printed) == 1 and len(printed[0]["top"]) == 3


@pytest.mark.slow
def test_plain_keras_loads_our_files_or_says_to_import_keras_resnet(sources, tmp_path):
    """A pretrained model is built from Keras' own layers (its preprocessing is a Normalization
    layer), so plain Keras loads it; a model with our custom layers fails, naming keras_resnet."""
    import subprocess

    custom = tmp_path / "option_a.keras"
    kr.resnet20(shortcut="A").save(custom)
    code = f"""
import sys, keras
print(keras.saving.load_model({sources["keras"]!r}).name, "keras_resnet" in sys.modules)
try:
    keras.saving.load_model({str(custom)!r})
except Exception as err:
    print("refused:", str(err)[:2000].replace("\\n", " "))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines[0] == "resnet18 False", result.stderr[-500:]
    assert "make sure they are all imported" in lines[1] and "keras_resnet" in lines[1]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["resnet50:nope", "x.png"], "unknown weight source 'nope'"),
        (["resnet50_v2:timm", "x.png"], "publishes no weights for 'resnet50_v2'"),
        (["resnet18:torchvision", "x.png", "--top", "0"], "--top must be an integer >= 1"),
    ],
)
def test_bad_predict_arguments_are_one_line_errors(argv, message, capsys):
    assert main(["predict", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


@pytest.mark.slow
def test_an_unreadable_image_or_a_folder_with_a_corrupt_one_is_named(sources, tmp_path, capsys):
    bad = tmp_path / "folder" / "broken.png"
    bad.parent.mkdir()
    bad.write_bytes(b"\x89PNG not really")
    for target in (bad, bad.parent):
        assert main(["predict", sources["tflite"], str(target)]) == 2
        err = capsys.readouterr().err.strip()
        assert "is not a readable image" in err and "broken.png" in err and "\n" not in err

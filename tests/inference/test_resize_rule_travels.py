"""The image resize rule travels with the model: the export's outputs.json, a `.keras` file and a
named source carry it, predict uses it, and a file without a record keeps the documented rule
(ImageNet's 0.875 crop from 128 px up, the whole image below).

The claim is made visible with a framed image: an 80x80 picture whose outer 8 pixels are a red
frame around a 64x64 centre. With the rule "centre_crop:0.8" at 64 px the shorter side is resized to
64/0.8 = 80 (no change) and the centre 64x64 kept, so the frame is cut off exactly: the model sees
the same pixels as for the centre alone. The whole-image rule squeezes the frame in.
"""

import dataclasses
import json

import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.errors import CorruptFileError, InvalidInputError
from keras_resnet.inference.images import read_images
from keras_resnet.models.outputs import OUTPUTS_FILE
from keras_resnet.models.pretrained import registry
from keras_resnet.models.resizing import (
    WHOLE,
    ImageRule,
    centre_crop,
    default_rule,
    keras_file_rule,
    parse_rule,
)

SIZE = (64, 64)
CROP = centre_crop(0.8)


@pytest.fixture(scope="module")
def framed():
    """(80x80 image with an 8-px red frame, its 64x64 centre)."""
    rng = np.random.default_rng(5)
    image = np.zeros((80, 80, 3), np.uint8)
    image[..., 0] = 255
    centre = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    image[8:72, 8:72] = centre
    return image, centre


def test_the_crop_rule_cuts_the_frame_off_and_the_whole_rule_keeps_it(framed):
    image, centre = framed
    _, cropped = read_images(image, SIZE, rule=CROP)
    assert np.array_equal(cropped[0], centre.astype(np.float32))
    _, whole = read_images(image, SIZE, rule=WHOLE)
    assert whole[0, 0, 32, 0] > 200 and whole[0, 0, 32, 1] < 60  # the frame, squeezed in


def test_a_source_rule_is_its_crop_over_its_resize_at_any_size():
    torchvision = registry.resolve("resnet50", "torchvision").image_rule
    assert torchvision == centre_crop(224 / 232)
    assert torchvision.plan(480, 640, (224, 224)) == (232, 309, 4, 42)  # shorter side 232, centre crop
    assert torchvision.plan(480, 640, SIZE) == (66, 88, 1, 12)  # 64 / (224/232) = 66.3 -> 66
    assert registry.resolve("resnet50", "timm").image_rule == centre_crop(224 / 236)
    assert registry.resolve("resnet50", "keras.applications").image_rule == centre_crop(0.875)


def test_record_less_files_keep_the_documented_rule():
    assert default_rule((224, 224)) == centre_crop(0.875) and default_rule((128, 200)) == centre_crop(0.875)
    assert default_rule((127, 300)) == WHOLE and default_rule(SIZE) == WHOLE
    assert centre_crop(0.875).plan(300, 400, (224, 224)) == (256, 341, 16, 58)


def test_rules_round_trip_through_their_records_and_the_command_line():
    for rule in (WHOLE, CROP, centre_crop(224 / 232)):
        assert ImageRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    assert WHOLE.to_dict() == {"resize": "whole"}
    assert CROP.to_dict() == {"resize": "centre_crop", "crop_fraction": 0.8}
    assert parse_rule("whole") == WHOLE and parse_rule("centre_crop:0.8") == CROP


@pytest.mark.parametrize("text", ["centre_crop", "centre_crop:1.5", "centre_crop:x", "crop:0.8", "whole:1"])
def test_a_bad_rule_on_the_command_line_says_what_is_valid(text):
    with pytest.raises(InvalidInputError, match="'whole' or 'centre_crop:FRACTION'"):
        parse_rule(text)


@pytest.mark.parametrize("record", [{"resize": "squash"}, {"resize": "centre_crop"}, "whole", None])
def test_a_damaged_record_is_named(record):
    with pytest.raises(CorruptFileError, match="outputs.json"):
        ImageRule.from_dict(record, where="outputs.json")


def _seen(predictor, image):
    """The probabilities predict gives for `image` (prepared by the predictor's rule), by class."""
    top = predictor.predict(image, top=5)[0]["top"]
    return np.array([t["probability"] for t in sorted(top, key=lambda t: t["index"])])


def _fed(predictor, pixels):
    """The probabilities for `pixels` fed to the model as they are."""
    return predictor.probabilities(pixels[None].astype(np.float32))[0]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny 64-px model exported to a float32 .tflite with the crop rule, and the same without a record."""
    pytest.importorskip("tensorflow")
    import keras

    from tests.tiny_model import tiny_resnet

    keras.utils.set_random_seed(0)
    model = tiny_resnet(classes=5, input_shape=(*SIZE, 3), normalization=((127.5,) * 3, (64.0,) * 3))
    head = model.get_layer("predictions")
    head.set_weights([head.get_weights()[0] * 8.0, head.get_weights()[1]])
    root = tmp_path_factory.mktemp("resize_rule")
    options = dict(formats=("tflite",), quantize=("float32",), latency_repeats=1, verbose=False)
    kr.export_model(model, root / "crop", image_rule=CROP, **options)
    kr.export_model(model, root / "plain", **options)
    return {"model": model, "crop": root / "crop", "plain": root / "plain"}


@pytest.mark.slow
def test_the_export_records_the_rule_per_file_and_predict_on_the_tflite_uses_it(exported, framed):
    image, centre = framed
    records = json.loads((exported["crop"] / OUTPUTS_FILE).read_text())["files"]
    assert records["model_float32.tflite"]["image"] == CROP.to_dict()
    predictor = kr.load(exported["crop"] / "model_float32.tflite")
    assert predictor.image_rule == CROP
    assert _seen(predictor, image) == pytest.approx(_fed(predictor, centre), abs=1e-6)  # frame cut off


@pytest.mark.slow
def test_an_export_without_a_record_keeps_the_documented_rule(exported, framed):
    image, centre = framed
    assert (
        "image"
        not in json.loads((exported["plain"] / OUTPUTS_FILE).read_text())["files"]["model_float32.tflite"]
    )
    predictor = kr.load(exported["plain"] / "model_float32.tflite")
    assert predictor.image_rule == WHOLE  # 64 px: below 128, the whole image
    assert np.abs(_seen(predictor, image) - _fed(predictor, centre)).max() > 1e-3


@pytest.mark.slow
def test_a_keras_file_carries_its_rule_inside_and_a_plain_one_gets_the_documented_rule(exported, tmp_path):
    model = exported["model"]
    with_rule = kr.save_model(model, tmp_path / "crop.keras", image_rule=CROP)
    plain = kr.save_model(model, tmp_path / "plain.keras")
    assert keras_file_rule(with_rule) == CROP and keras_file_rule(plain) is None
    assert kr.load(with_rule).image_rule == CROP and kr.load(plain).image_rule == WHOLE
    report = kr.export_model(
        with_rule, tmp_path / "export", formats=("tflite",), latency_repeats=1, verbose=False
    )
    assert report and kr.load(tmp_path / "export" / "model_float32.tflite").image_rule == CROP


@pytest.mark.slow
def test_a_named_source_predicts_with_its_registry_entrys_rule(tmp_path, monkeypatch):
    """`model:source` takes the entry's resize/crop: 232 -> 224, as torchvision's V2 weights."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    import hashlib
    import sys
    from pathlib import Path

    from keras_resnet.models.pretrained.fetch import cache_path

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    sys.path.insert(0, str(fixtures))
    from seeded_state import seeded_state

    layout = json.loads((fixtures / "torch_layouts.json").read_text())["layouts"]["torchvision/resnet18"]
    weights = tmp_path / "resnet18-random.safetensors"
    safetensors_numpy.save_file(seeded_state(layout), str(weights))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("KERAS_RESNET_OFFLINE", "1")
    entry = dataclasses.replace(
        registry.resolve("resnet18", "torchvision"),
        source="test.random",
        url="https://example.invalid/resnet18-random.safetensors",
        file_hash=hashlib.sha256(weights.read_bytes()).hexdigest(),
        hash_kind="sha256",
        resize=232,
    )
    monkeypatch.setitem(registry.WEIGHT_SOURCES, entry.source, {entry.model: entry})
    cache_path(entry).parent.mkdir(parents=True)
    cache_path(entry).write_bytes(weights.read_bytes())
    predictor = kr.load("resnet18:test.random")
    assert predictor.image_rule == centre_crop(224 / 232)
    assert predictor.image_rule.plan(300, 400, predictor.image_size) == (232, 309, 4, 42)

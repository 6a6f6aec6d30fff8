"""The journey users come for, offline and end to end: a folder of photos holding one truncated JPEG,
fine-tuned from a torchvision-layout `.pth` with PyTorch unimportable, exported to float32 and int8
with its labels, then classified by every artifact kind with the same answer.

The claims (issue 22, "Must show" 1): `train` refuses the folder naming the bad file; with
`--skip-bad-images` ResNet-18 at 64x64 fine-tunes through its unfreeze without PyTorch imported;
the export carries the folder's class names; `predict` on the run, the `.keras`, the SavedModel and
the float32 `.tflite` gives Keras' top-1 and probabilities within 1e-5; the int8 `.tflite` gives
float32's top-1 (on 95 % of the images at least: a near-tie may flip) and probabilities within
0.02 of float32's on average over the folder's images.
Per image the int8 file can differ by more: measured 0.035-0.036 at most (5-7 of 42 images above
0.02, mean 0.0095-0.0098), the same when calibrated on every image, so the test bounds the worst
image at 0.05; the 0.02 bound per probability holds for the small models of tests/inference.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(FIXTURES))

from seeded_state import seeded_state  # noqa: E402
from torch_zip import save_state_dict  # noqa: E402

CLASSES = ("cat", "dog", "owl")
IMAGES_PER_CLASS = 14
# Runs the CLI, then proves PyTorch stayed out; torch is hidden too, so an import would fail loudly.
WITHOUT_TORCH = (
    "import sys; from keras_resnet.cli import main; code = main(sys.argv[1:]); "
    "assert 'torch' not in sys.modules, 'torch was imported'; sys.exit(code)"
)


def _train(args, cwd):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(FIXTURES / "hidden_packages"), str(ROOT)]),
        "HIDDEN_PACKAGES": "torch",
    }
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, "train", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    """The photos, the `.pth`, the refused run's result and the finished run folder."""
    from PIL import Image

    root = tmp_path_factory.mktemp("journey")
    photos = root / "photos"
    rng = np.random.default_rng(0)
    for index, name in enumerate(CLASSES):
        (photos / name).mkdir(parents=True)
        for i in range(IMAGES_PER_CLASS):  # classes told apart by their dominant colour
            pixels = rng.integers(0, 90, (72, 80, 3))
            pixels[..., index] += 150
            Image.fromarray(pixels.astype("uint8")).save(photos / name / f"{i:02d}.jpg", quality=92)
    whole = (photos / "cat" / "00.jpg").read_bytes()
    (photos / "cat" / "cut.jpg").write_bytes(whole[: len(whole) // 2])  # an interrupted download
    layout = json.loads((FIXTURES / "torch_layouts.json").read_text())["layouts"]["torchvision/resnet18"]
    weights = root / "resnet18-random.pth"
    save_state_dict(seeded_state(layout), weights)
    run = root / "run"
    args = [
        "--model", "resnet18", "--weights", str(weights), "--dataset", f"folder:{photos}",
        "--image-size", "64,64", "--epochs", "2", "--freeze-epochs", "1", "--batch-size", "8",
        "--export-quantize", "float32,int8", "--no-gradient-norms", "--out", str(run),
    ]  # fmt: skip
    refused = _train(args, root)
    finished = _train([*args, "--skip-bad-images"], root)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return {"photos": photos, "refused": refused, "run": run, "root": root}


def test_train_refuses_the_folder_naming_the_truncated_jpeg_in_one_line(journey):
    refused = journey["refused"]
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert refused.returncode == 2
    assert len(lines) == 1 and "cut.jpg" in lines[0] and "--skip-bad-images" in lines[0], refused.stderr


def test_skip_bad_images_fine_tunes_through_the_unfreeze_without_pytorch(journey):
    run = journey["run"]
    config = json.loads((run / "config.json").read_text())
    assert config["recipe"]["name"] == "fine-tune"
    assert config["weights"]["path"].endswith(".pth")
    assert "cut.jpg" in (run / "skipped_images.txt").read_text()
    with open(run / "history.csv") as history:
        assert len(history.read().strip().splitlines()) == 1 + 2  # header, the head epoch, the full epoch
    schedule = config["freeze_schedule"]
    assert schedule["head_phase"]["epochs"] == [1, 1] and schedule["full_phase"]["epochs"] == [2, 2]


def test_the_export_carries_the_folders_class_names_and_output_records(journey):
    export = journey["run"] / "export"
    assert (export / "labels.txt").read_text().split() == list(CLASSES)
    records = json.loads((export / "outputs.json").read_text())["files"]
    assert {"model_float32.tflite", "model_int8.tflite"} <= set(records)


@pytest.fixture(scope="module")
def answers(journey):
    """{kind: {image: {label: probability}}} for every artifact kind, on held-out style images."""
    run = journey["run"]
    images = sorted(path for path in journey["photos"].glob("*/*.jpg") if path.name != "cut.jpg")
    sources = {
        "keras": run / "checkpoints" / "best.keras",
        "run": run,
        "saved_model": run / "export" / "saved_model",
        "float32": run / "export" / "model_float32.tflite",
        "int8": run / "export" / "model_int8.tflite",
    }
    answers = {}
    for kind, source in sources.items():
        results = kr.load(source).predict(images, top=len(CLASSES))
        answers[kind] = {r["image"]: {t["label"]: t["probability"] for t in r["top"]} for r in results}
    return answers


@pytest.mark.parametrize("kind", ["run", "saved_model", "float32"])
def test_predict_on_every_float_artifact_gives_keras_top1_and_probabilities_within_1e5(answers, kind):
    for image, keras_probabilities in answers["keras"].items():
        probabilities = answers[kind][image]
        assert max(probabilities, key=probabilities.get) == max(
            keras_probabilities, key=keras_probabilities.get
        )
        assert set(probabilities) == set(keras_probabilities) == set(CLASSES)  # names travel everywhere
        for label in CLASSES:
            assert abs(probabilities[label] - keras_probabilities[label]) <= 1e-5, (kind, image, label)


def test_the_int8_tflite_gives_float32s_top1_and_probabilities_within_002_on_average(answers):
    differences, agree = [], []
    for image, float_probabilities in answers["float32"].items():
        int8_probabilities = answers["int8"][image]
        agree.append(
            max(int8_probabilities, key=int8_probabilities.get)
            == max(float_probabilities, key=float_probabilities.get)
        )
        assert sum(int8_probabilities.values()) == pytest.approx(1.0, abs=0.02)  # never softmax twice
        differences.append(
            max(abs(int8_probabilities[label] - float_probabilities[label]) for label in CLASSES)
        )
    assert np.mean(differences) <= 0.02 and max(differences) <= 0.05, (np.mean(differences), max(differences))
    assert np.mean(agree) >= 0.95  # a near-tie may flip


def test_the_predict_command_prints_the_folders_class_names_from_the_int8_file(journey, capsys):
    image = next((journey["photos"] / "owl").glob("1*.jpg"))
    assert main(["predict", str(journey["run"] / "export" / "model_int8.tflite"), str(image), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert sorted(entry["label"] for entry in result[0]["top"]) == sorted(CLASSES)

"""Light prediction: with TensorFlow and Keras made unimportable (what a device with only
ai-edge-litert, Pillow and NumPy looks like), `python -m keras_resnet predict model.tflite IMAGE
--json` and `kr.load("model.tflite").predict(...)` work and give what the full environment gives;
an empty PNG is named in one full line, exit 2."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import keras_resnet as kr
from keras_resnet.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HIDER = ROOT / "tests" / "fixtures" / "hidden_packages"  # its sitecustomize hides HIDDEN_PACKAGES

SESSION = """
    import json, sys
    import numpy as np
    import keras_resnet as kr

    for name in ("tensorflow", "keras"):
        try:
            __import__(name)
            raise SystemExit(f"{name} is importable")
        except ImportError:
            pass
    model, image = sys.argv[1], sys.argv[2]
    results = kr.load(model).predict([image, np.load(sys.argv[3])], top=3)
    heavy = sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras", "jax", "torch"})
    print("RESULT", json.dumps({"results": results, "heavy": heavy}))
"""


def light_run(args, tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HIDER), str(ROOT)]),
        "HIDDEN_PACKAGES": "tensorflow,keras",
    }
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    folder = tmp_path_factory.mktemp("light")
    pixels = np.random.default_rng(3).integers(0, 256, (45, 60, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(folder / "photo.png")
    np.save(folder / "photo.npy", pixels)
    return folder / "photo.png"


@pytest.mark.parametrize("file", ["model_float32.tflite", "model_int8.tflite"])
def test_tflite_predict_runs_with_tensorflow_and_keras_unimportable(exports, image, tmp_path, file):
    model = str(exports["softmax"] / file)
    want = kr.load(model).predict([image, np.load(image.with_suffix(".npy"))], top=3)

    cli = light_run(["-m", "keras_resnet", "predict", model, str(image), "--top", "3", "--json"], tmp_path)
    assert cli.returncode == 0, cli.stderr[-3000:]
    assert json.loads(cli.stdout) == want[:1]

    api = light_run(
        ["-c", textwrap.dedent(SESSION), model, str(image), str(image.with_suffix(".npy"))], tmp_path
    )
    assert api.returncode == 0, api.stderr[-3000:]
    outcome = json.loads(api.stdout.split("RESULT ", 1)[1])
    assert want[1]["image"] == "array[1]" and outcome == {"results": want, "heavy": []}


def test_an_empty_png_is_named_in_one_full_line_exit_2(exports, tmp_path, capsys):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    assert main(["predict", str(exports["softmax"] / "model_int8.tflite"), str(empty)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(empty) in err
    assert err.rstrip().endswith("replace or remove it")  # the whole message, not cut off mid-word


def test_an_empty_png_is_named_without_tensorflow_too(exports, tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    result = light_run(
        ["-m", "keras_resnet", "predict", str(exports["logits"] / "model_int8.tflite"), "empty.png"], tmp_path
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "'empty.png' is not a readable image" in result.stderr

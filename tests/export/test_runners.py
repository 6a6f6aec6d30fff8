"""Runner claims: one loop times batch 1 and batches a prediction for every format, and the latency
script, which times Keras and LiteRT through it, writes its JSON and markdown."""

from __future__ import annotations

import json

import numpy as np
import pytest

from keras_resnet.export.runners import KerasRunner, Runner
from tests.conftest import load_example_script
from tests.export.conftest import random_images, tiny_classifier

# ---------------------------------------------------------------- latency benchmark


@pytest.mark.slow
def test_latency_benchmark_quick_mode_writes_json_and_markdown(tmp_path):
    script = load_example_script("export_latency")
    results = script.main(["--quick", "--out-dir", str(tmp_path)])
    written = json.loads((tmp_path / "export_latency.json").read_text())
    assert written["rows"] == results["rows"] and len(written["rows"]) == 1
    assert {"keras_ms", "litert_float32_ms", "litert_int8_ms"} <= set(written["rows"][0])
    assert "| model |" in (tmp_path / "export_latency.md").read_text()


class CountingRunner(Runner):
    """A runner that records the batch sizes it is asked to run."""

    def __init__(self):
        self.batches = []

    def run_batch(self, images):
        self.batches.append(len(images))
        return np.zeros((len(images), 3), np.float32)


def test_runner_times_batch_1_after_warmup_and_predicts_in_batches():
    runner = CountingRunner()
    assert runner.latency_ms(random_images(1)[0], repeats=5, warmup=2) >= 0
    assert runner.batches == [1] * 7
    runner.batches.clear()
    assert runner.predict(random_images(10), batch_size=4).shape == (10, 3)
    assert runner.batches == [4, 4, 2]


def test_keras_runner_predicts_what_the_model_predicts():
    model = tiny_classifier()
    images = random_images(5)
    np.testing.assert_allclose(
        KerasRunner(model).predict(images, batch_size=2), model.predict(images, verbose=0), atol=1e-6
    )

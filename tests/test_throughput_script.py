"""The kept throughput script runs end to end (--quick: tiny batches, one or two steps; ResNet-20 on
TensorFlow only, to keep CI short: the full run measures both models on both backends)."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_throughput_quick_run_writes_json_and_markdown_with_positive_images_per_second(tmp_path):
    out = tmp_path / "throughput"
    command = [sys.executable, os.path.join(ROOT, "examples", "scripts", "throughput.py"),
               "--quick", "--backends", "tensorflow", "--models", "resnet20", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads(out.with_suffix(".json").read_text())
    assert [r["model"] for r in report["results"]] == ["resnet20"]
    assert all(r["images_per_second"] > 0 and r["backend"] == "tensorflow" for r in report["results"])
    assert report["versions"]["tensorflow"]["keras"] and report["machine"]["cpu_count"] >= 1
    assert "| tensorflow | resnet20 | 32x32x3 | 8 |" in out.with_suffix(".md").read_text()

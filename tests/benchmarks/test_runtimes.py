"""`python -m benchmarks.runtimes` (which runtime to ship for CPU): the ratios, the recommendation
and the table are computed from the figures alone (tested on synthetic results), the cells a
runtime cannot run are n/a, the torchvision cells say why they did not run, and a --quick run of
ResNet-20 through every runtime of this library writes both files."""

import json
import os
import subprocess
import sys

import pytest

from benchmarks import cells, runtime_report, runtimes
from keras_resnet.errors import InvalidInputError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _runtime(label, ms_by_cell, *, library=True, quantized=False):
    return {
        "label": label,
        "library": library,
        "quantized": quantized,
        "status": "done",
        "call": "run(x)",
        "cells": {
            cell: {"ms_per_batch": ms, "images_per_second": int(cell.split("@")[1]) * 1000 / ms}
            for cell, ms in ms_by_cell.items()
        },
    }


def _synthetic():
    """Two cells; int8 wins both, ONNX is the best float one, torchvision is fastest nowhere."""
    return {
        "command": "python -m benchmarks.runtimes",
        "date": "2026-12-07T10:00:00+00:00",
        "quick": False,
        "machine": {"cpu": "Test CPU", "cpu_count": 2, "usable_cpus": 2, "memory_gib": 8.0},
        "load_average_start": [0.1, 0.2, 0.3],
        "load_average_end": [0.4, 0.5, 0.6],
        "threads": 2,
        "method": "synthetic",
        "versions": {"keras": "3"},
        "models": {"resnet50": {"image_size": 224, "classes": 1000}},
        "cells": ["resnet50@1", "resnet50@32"],
        "runtimes": {
            "keras_tensorflow": _runtime("Keras TF", {"resnet50@1": 40.0, "resnet50@32": 800.0}),
            "litert_int8": _runtime(
                "LiteRT int8", {"resnet50@1": 10.0, "resnet50@32": 400.0}, quantized=True
            ),
            "onnxruntime": _runtime("ONNX Runtime", {"resnet50@1": 20.0, "resnet50@32": 500.0}),
            "torchvision_eager": _runtime(
                "torchvision", {"resnet50@1": 30.0, "resnet50@32": 600.0}, library=False
            ),
        },
        "exports": {"resnet50": {"model_int8.tflite": {"size_bytes": 26_000_000, "max_abs_diff": 0.01}}},
    }


def test_each_cell_ratio_is_its_time_over_the_fastest_runtime_of_that_model_and_batch():
    result = runtime_report.add_ratios(_synthetic())
    assert result["fastest"] == {"resnet50@1": "litert_int8", "resnet50@32": "litert_int8"}
    assert result["ratios"]["resnet50@1"]["keras_tensorflow"] == pytest.approx(4.0)
    assert result["ratios"]["resnet50@32"]["onnxruntime"] == pytest.approx(1.25)
    assert result["ratios"]["resnet50@32"]["litert_int8"] == 1.0


def test_recommendation_names_the_fastest_library_runtime_and_the_best_unquantized_one():
    recommendation = runtime_report.recommend(runtime_report.add_ratios(_synthetic()))
    assert recommendation["runtime"] == "litert_int8" and recommendation["best_float"] == "onnxruntime"
    assert recommendation["geometric_mean_ratios"]["onnxruntime"] == pytest.approx((2.0 * 1.25) ** 0.5)
    assert recommendation["text"].startswith("Ship LiteRT int8 for CPU inference: 1.00x")
    assert (
        "fastest in 2 of 2" in recommendation["text"]
        and "unquantized, ONNX Runtime (1.58x)" in recommendation["text"]
    )


def test_recommendation_follows_the_numbers_and_says_when_a_reference_is_faster():
    result = _synthetic()
    result["runtimes"]["litert_int8"]["cells"]["resnet50@1"]["ms_per_batch"] = 90.0
    result["runtimes"]["torchvision_eager"]["cells"]["resnet50@1"]["ms_per_batch"] = 5.0
    recommendation = runtime_report.recommend(runtime_report.add_ratios(result))
    assert recommendation["runtime"] == "onnxruntime"
    assert "faster elsewhere: torchvision" in recommendation["text"]


def test_a_runtime_that_failed_or_missed_a_cell_does_not_compete():
    result = _synthetic()
    result["runtimes"]["litert_int8"]["status"] = "failed"
    del result["runtimes"]["onnxruntime"]["cells"]["resnet50@32"]
    recommendation = runtime_report.recommend(runtime_report.add_ratios(result))
    assert recommendation["runtime"] == "keras_tensorflow"
    result["runtimes"]["keras_tensorflow"]["status"] = "failed"
    assert runtime_report.recommend(runtime_report.add_ratios(result))["runtime"] is None


def test_markdown_table_has_a_row_per_runtime_a_column_per_cell_and_the_fastest_in_bold(tmp_path):
    result = _synthetic()
    result["runtimes"]["keras_applications"] = {
        "label": "keras.applications",
        "status": "not run (no torchvision)",
        "reason": "pass --torch-python",
        "cells": {"resnet50@1": {"status": "n/a"}},
    }
    json_path, md_path = runtime_report.write_report(result, tmp_path)
    markdown = md_path.read_text()
    assert json.loads(json_path.read_text())["recommendation"]["runtime"] == "litert_int8"
    assert "| runtime | call | resnet50 224x224, batch 1 | resnet50 224x224, batch 32 |" in markdown
    assert (
        "| LiteRT int8 | `run(x)` | **10.0 ms · 100 img/s · 1.00x** | **400.0 ms · 80 img/s · 1.00x** |"
        in markdown
    )
    assert "| Keras TF | `run(x)` | 40.0 ms · 25 img/s · 4.00x | 800.0 ms · 40 img/s · 2.00x |" in markdown
    assert "| keras.applications | - | n/a | not run (no torchvision) |" in markdown
    assert "load average (1, 5, 15 min) at start [0.1, 0.2, 0.3], at end [0.4, 0.5, 0.6]" in markdown
    assert "**Recommendation:** Ship LiteRT int8" in markdown and "Test CPU, 2 logical cores" in markdown
    assert "model_int8.tflite 26.0 MB" in markdown


def test_resnet20_has_no_torchvision_or_keras_applications_twin_so_its_cells_are_na():
    todo, missing = runtimes.plan_cells("torchvision_eager", ("resnet50", "resnet20"), (1, 32))
    assert [cell["name"] for cell in todo] == ["resnet50@1", "resnet50@32"]
    assert set(missing) == {"resnet20@1", "resnet20@32"} and missing["resnet20@1"]["status"] == "n/a"
    files = {"resnet20": {"model.onnx": {"path": "/x/model.onnx"}}}
    todo, missing = runtimes.plan_cells("onnxruntime", ("resnet20",), (1,), files)
    assert todo == [
        {
            "name": "resnet20@1",
            "model": "resnet20",
            "batch": 1,
            "image_size": 32,
            "classes": 10,
            "path": "/x/model.onnx",
        }
    ]
    assert not missing


def test_unknown_runtime_or_model_is_refused_before_any_work(tmp_path):
    with pytest.raises(InvalidInputError, match="runtimes among"):
        runtimes.run_runtimes(runtimes=("tensorrt",), out=str(tmp_path))
    with pytest.raises(InvalidInputError, match="unknown \\['resnet7'\\]"):
        runtimes.run_runtimes(models=("resnet7",), out=str(tmp_path))
    assert not list(tmp_path.iterdir())


def test_time_cells_interleaves_repeats_and_reports_the_median_per_batch():
    order = []
    calls = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    results = cells.time_cells(
        calls, batch_sizes={"a": 1, "b": 4}, repeats=3, warmup=2, iterations=2, say=lambda _: None
    )
    assert order == ["a", "a", "b", "b"] + ["a", "a", "b", "b"] * 3
    assert results["b"]["repeats"] == 3 and results["b"]["iterations"] == 2
    assert results["b"]["images_per_second"] == pytest.approx(4000.0 / results["b"]["ms_per_batch"])


@pytest.mark.slow
def test_quick_run_times_resnet20_through_every_library_runtime_and_writes_both_files(tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.runtimes",
            "--quick",
            "--models",
            "resnet20",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads((tmp_path / "runtimes.json").read_text())
    assert result["command"] == f"python -m benchmarks.runtimes --quick --models resnet20 --out {tmp_path}"
    assert len(result["load_average_start"]) == 3 and len(result["load_average_end"]) == 3
    for name in runtimes.LIBRARY:
        entry = result["runtimes"][name]
        assert entry["status"] == "done", entry
        assert all(entry["cells"][cell]["ms_per_batch"] > 0 for cell in ("resnet20@1", "resnet20@32"))
    assert result["runtimes"]["torchvision_compile"]["status"] == "not run (no torchvision)"
    assert result["runtimes"]["keras_applications"]["cells"]["resnet20@1"]["status"] == "n/a"
    assert result["recommendation"]["runtime"] in runtimes.LIBRARY
    assert result["recommendation"]["text"] in (tmp_path / "runtimes.md").read_text()

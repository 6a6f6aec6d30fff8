"""`python -m benchmarks` (from a clone; the wheel does not ship it) in its --quick mode (tiny
sizes, one repeat: the figures mean nothing, the fields must all be there) and the pieces that
decide what gets reported: GPU peaks, MFU, skips and failures recorded instead of raised."""

import json
import os
import subprocess
import sys

import pytest

from benchmarks import cpu, gpu, run_bench, worker
from benchmarks.__main__ import main
from keras_resnet.cli import main as cli_main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _bench(args, tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", *args, "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads((tmp_path / "benchmarks.json").read_text()), (tmp_path / "BENCHMARKS.md").read_text()


def _positive_rate(summary):
    return (
        summary["images_per_second"] > 0 and len(summary["samples_images_per_second"]) == summary["repeats"]
    )


@pytest.mark.slow
def test_quick_cpu_suite_records_every_figure_machine_and_command(tmp_path):
    report, markdown = _bench(["--suite", "cpu", "--quick", "--backends", "tensorflow,torch"], tmp_path)
    assert report["command"].startswith("python -m benchmarks --suite cpu --quick")
    assert report["quick"] and report["date"] and report["versions"]["keras"] and report["versions"]["python"]
    machine = report["machine"]
    assert machine["cpu"] and machine["cpu_count"] >= 1 and machine["memory_gib"] > 0
    assert len(machine["load_average"]) == 3 and len(report["load_average_end"]) == 3
    r50 = report["cpu"]["resnet50"]
    assert r50["status"] == "done" and r50["backend"] == "tensorflow"
    assert set(r50["models"]) == set(cpu.RESNET50_MODELS)
    for model in r50["models"].values():
        assert model["macs"] > 0 and model["params"] > 0
        assert _positive_rate(model["train"]) and _positive_rate(model["inference"])
    for kind in ("train", "inference"):
        assert all(value > 0 for value in r50["ratios"][kind].values())
    assert r50["ratios"]["macs_ours_vs_keras_applications"] > 1.0  # v1.5 strides the bigger conv
    assert "ours_same_padding" in r50["diagnostics"]  # ours_xla needs graph mode: not in --quick
    tf20 = report["cpu"]["resnet20"]["tensorflow"]
    assert tf20["status"] == "done" and _positive_rate(tf20)
    torch20 = report["cpu"]["resnet20"]["torch"]
    assert torch20["status"] in ("done", "skipped")
    pipeline = report["pipeline"]
    assert _positive_rate(pipeline) and pipeline["ratio"] > 0
    grads, export = report["overhead"]["gradient_norms"], report["overhead"]["export"]
    assert grads["status"] == "done", grads
    assert set(grads["median_epoch_seconds"]) == {"baseline", "probe_each_epoch", "train_every_n"}
    assert export["status"] == "done", export
    assert [row["file"] for row in export["files"]] == [
        "saved_model",
        "model_float32.tflite",
        "model_int8.tflite",
    ]
    assert all(row["latency_ms"] > 0 and row["size_bytes"] > 0 for row in export["files"])
    assert "gpu" not in report
    for heading in (
        "## CPU: ResNet-50",
        "## CPU: ResNet-20",
        "## Input pipeline",
        "## Gradient-norm callback and export overhead",
        "model_int8.tflite",
    ):
        assert heading in markdown
    assert report["command"] in markdown


@pytest.mark.slow
def test_quick_gpu_suite_runs_the_jax_training_step_on_cpu(tmp_path):
    report, markdown = _bench(["--suite", "gpu", "--quick"], tmp_path)
    result = report["gpu"]["keras"]["resnet20_batch4"]
    assert result["status"] == "done", result
    assert _positive_rate(result) and result["macs"] > 0 and result["dtype_policy"] == "mixed_bfloat16"
    assert "## GPU" in markdown and "cpu" not in report


def test_full_gpu_suite_without_a_gpu_is_skipped_and_says_so():
    def never(*args, **kwargs):
        raise AssertionError("no job may run without a GPU")

    result = gpu.gpu_suite(quick=False, gpus=[], run_job=never, timeout=1)
    assert result["status"] == "skipped" and "no NVIDIA GPU" in result["reason"]


@pytest.mark.parametrize(
    "name, tflops",
    [
        ("NVIDIA H100 80GB HBM3", 989),
        ("NVIDIA H100 PCIe", 756),
        ("NVIDIA H200", 989),
        ("NVIDIA A100-SXM4-80GB", 312),
    ],
)
def test_peak_bf16_flops_knows_the_table_gpus(name, tflops):
    assert gpu.peak_bf16_flops(name) == tflops * 1e12


def test_unknown_gpu_has_no_peak_so_no_mfu():
    assert gpu.peak_bf16_flops("NVIDIA GeForce GTX 1080") is None
    assert gpu.model_flops_utilisation(1000.0, 4_000_000_000, None) is None


def test_mfu_is_three_passes_of_two_flops_per_mac_over_peak():
    # 5,000 images/s x 3 x 4.1 GMACs x 2 = 123 TFLOP/s, 12.4 % of an H100 SXM's 989.
    assert gpu.model_flops_utilisation(5000.0, 4.1e9, 989e12) == pytest.approx(0.1244, abs=1e-4)


def test_missing_backend_package_is_recorded_as_skipped(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    result = cpu.cpu_suite(quick=True, backend="torch", backends=("torch",), run_job=None, timeout=1)
    assert (
        result["resnet50"]["status"] == "skipped" and "torch is not installed" in result["resnet50"]["reason"]
    )
    assert result["resnet20"]["torch"]["status"] == "skipped"


def test_a_failing_job_becomes_a_failed_entry_not_an_exception():
    result = worker.run_job(
        "resnet20_training", backend="jax", options={"no_such_option": 1}, timeout=300, echo=lambda line: None
    )
    assert result["status"] == "failed" and "no_such_option" in result["error"]


def test_bench_rejects_an_unknown_backend_with_exit_2(tmp_path, capsys):
    assert main(["--backends", "tensorflow,mxnet", "--out", str(tmp_path)]) == 2
    assert "python -m benchmarks: error: backends must be among" in capsys.readouterr().err
    assert not (tmp_path / "benchmarks.json").exists()


def test_keras_resnet_bench_says_how_to_run_the_benchmarks_from_a_clone(capsys):
    assert cli_main(["bench", "--suite", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "not part of the installed package" in err and "python -m benchmarks --suite cpu" in err


def test_overhead_suite_replaces_only_its_section_and_records_its_own_command(tmp_path, monkeypatch):
    from benchmarks import overhead, report

    earlier = {
        "command": "python -m benchmarks --suite cpu",
        "date": "2026-01-01",
        "quick": False,
        "suite": "cpu",
        "machine": {
            "cpu": "x",
            "cpu_count": 2,
            "usable_cpus": 2,
            "memory_gib": 1.0,
            "accelerator": "none",
            "load_average": [0, 0, 0],
            "gpus": [],
        },
        "versions": {"keras": "3"},
        "note": "n",
        "pipeline": {"status": "skipped", "reason": "r"},
        "overhead": {"gradient_norms": {"status": "failed", "error": "old"}},
    }
    (tmp_path / report.JSON_NAME).write_text(json.dumps(earlier))
    section = {
        "gradient_norms": {"status": "failed", "error": "new"},
        "export": {"status": "failed", "error": "new"},
    }
    monkeypatch.setattr(overhead, "overhead_figures", lambda **kwargs: section)  # the jobs: tested above
    run_bench(
        suite="overhead",
        out=str(tmp_path),
        command="python -m benchmarks --suite overhead",
        echo=lambda *_: None,
    )
    written = json.loads((tmp_path / report.JSON_NAME).read_text())
    assert written["command"] == earlier["command"] and written["pipeline"] == earlier["pipeline"]
    assert written["overhead"]["gradient_norms"]["error"] == "new"
    assert written["overhead"]["command"] == "python -m benchmarks --suite overhead"
    markdown = (tmp_path / report.MARKDOWN_NAME).read_text()
    assert "Re-measured by `python -m benchmarks --suite overhead`" in markdown and "new" in markdown


def test_run_bench_rejects_an_unknown_suite():
    with pytest.raises(ValueError, match="suite must be one of 'cpu', 'gpu', 'overhead', 'all'; got"):
        run_bench(suite="tpu")

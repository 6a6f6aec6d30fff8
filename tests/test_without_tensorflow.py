"""Training without TensorFlow: on JAX (and PyTorch where installed) with TensorFlow not importable,
`train`, `evaluate`, `gradient-flow` and `compare` work through the NumPy input pipeline, record
gradient norms, and skip TensorBoard and the export with a one-line notice each."""

import csv
import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import JAX_AND_TORCH

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
NO_TENSORFLOW = os.path.join(TESTS, "fixtures", "no_tensorflow")  # its sitecustomize hides TF

SESSION = """
    import contextlib, io, json, sys
    from keras_resnet.cli import main

    try:
        import tensorflow
        raise SystemExit("tensorflow is importable")
    except ImportError:
        pass
    out = sys.argv[1]
    tiny = ["--model", "tiny_model:tiny_resnet"]
    train = ["train", *tiny, "--epochs", "2", "--batch-size", "128", "--out", f"{out}/run",
             "--progress", "none"]
    codes = [main(train)]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        codes.append(main(["evaluate", f"{out}/run", "--json"]))
    codes += [
        main(["gradient-flow", "--depths", "8", "--batch-size", "8", "--out", f"{out}/flow"]),
        main(["compare", "tiny_model:tiny_resnet", "tiny_model:tiny_plain", "--epochs", "1",
              "--batch-size", "128", "--out", f"{out}/compare", "--verbose", "0"]),
    ]
    evaluated = json.loads(printed.getvalue())
    outcome = {"codes": codes, "tensorflow": "tensorflow" in sys.modules, "evaluated": evaluated}
    print("RESULT", json.dumps(outcome))
"""


@pytest.mark.parametrize("backend", JAX_AND_TORCH)
def test_train_evaluate_gradient_norms_and_experiments_run_with_tensorflow_not_importable(tmp_path, backend):
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": os.pathsep.join([NO_TENSORFLOW, ROOT, TESTS, os.environ.get("PYTHONPATH", "")]),
        # The four commands build the same tiny models: a step JAX compiled before is read back.
        "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax_cache"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SESSION), str(tmp_path)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    outcome = json.loads(result.stdout.split("RESULT ", 1)[1])
    evaluated = outcome.pop("evaluated")
    assert outcome == {"codes": [0, 0, 0, 0], "tensorflow": False}
    notices = [line for line in result.stdout.splitlines() if line.startswith("note:")]
    assert any("no SavedModel/TFLite export" in line for line in notices), result.stdout
    assert any("no logs/ folder" in line for line in notices), result.stdout

    run = tmp_path / "run"
    config = json.loads((run / "config.json").read_text())
    assert config["dataset"]["pipeline"] == "numpy" and config["environment"]["backend"] == backend
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs_trained"] == 2 and metrics["test"]["examples"] == 360
    assert not (run / "export").exists() and not (run / "logs").exists()
    with open(run / "gradient_norms.csv") as file:
        rows = list(csv.DictReader(file))
    assert {int(row["epoch"]) for row in rows} == {0, 1}
    assert all(float(row["grad_norm"]) > 0 for row in rows)
    assert evaluated["accuracy"] == pytest.approx(metrics["test"]["accuracy"])  # last checkpoint
    assert (tmp_path / "flow" / "gradient_flow.json").is_file()
    assert (tmp_path / "compare" / "comparison.png").is_file()

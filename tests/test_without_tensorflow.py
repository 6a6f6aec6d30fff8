"""Training without TensorFlow, two ways.

1. The documented install, exactly as written ("Training without TensorFlow": its `pip install`
   lines, read from README.md or docs/), in a fresh virtual environment where `import tensorflow`
   fails: `train`, `evaluate` and `gradient-flow` through the installed `keras-resnet` command, on
   JAX and (torch added, as the test environment pins it) on PyTorch.
2. Inside this environment with TensorFlow hidden (tests/fixtures/hidden_packages): `train`,
   `evaluate`, `gradient-flow` and `compare` work through the NumPy input pipeline on JAX and
   PyTorch, record gradient norms, and skip TensorBoard and the export with a one-line notice each.

Both are end-to-end (they train in subprocesses): the `slow` tier.
"""

import csv
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import JAX_AND_TORCH, source_copy

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
HIDER = os.path.join(TESTS, "fixtures", "hidden_packages")  # its sitecustomize hides HIDDEN_PACKAGES
pytestmark = pytest.mark.slow


def readme_install_lines() -> list[str]:
    """The `pip install` lines of the "Training without TensorFlow" section's first bash block, from
    README.md or, where the README links to it, the docs page that holds it; comments cut."""
    for page in [Path(ROOT, "README.md"), *sorted(Path(ROOT, "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        heading = re.search(r"^#+ Training without TensorFlow$", text, flags=re.MULTILINE)
        if heading:
            block = text[heading.end() :].split("```bash\n", 1)[1].split("```", 1)[0]
            lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
            return [line for line in lines if line.startswith("pip install")]
    raise AssertionError("no 'Training without TensorFlow' section in README.md or docs/")


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=900, **kwargs)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_readmes_tensorflow_free_install_trains_evaluates_and_draws_gradient_flow_on_jax_and_torch(
    tmp_path,
):
    lines = readme_install_lines()
    assert any(line.endswith("--no-deps .") for line in lines), lines  # the package, from a clone
    assert not any("tensorflow" in line for line in lines), lines
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KERAS_BACKEND")}
    env.update(TF_CPP_MIN_LOG_LEVEL="2", PIP_DISABLE_PIP_VERSION_CHECK="1")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    clone = source_copy(tmp_path)
    for line in lines:  # `pip install ...` as the venv's pip, in the clone (`.` is the package)
        _run([str(python), "-m", *shlex.split(line)], cwd=clone, env=env)
    hidden = subprocess.run([str(python), "-c", "import tensorflow"], capture_output=True, text=True)
    assert "No module named 'tensorflow'" in hidden.stderr, hidden.stderr

    work = tmp_path / "work"  # not the clone: nothing imported from a checkout
    work.mkdir()
    (work / "tiny_model.py").write_text(Path(TESTS, "tiny_model.py").read_text())
    extra = tomllib.loads(Path(ROOT, "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (torch,) = [spec for spec in extra["test"] if spec.startswith("torch")]
    command = str(venv / "bin" / "keras-resnet")
    for backend in ("jax", "torch"):
        if backend == "torch":  # the README's "On JAX or PyTorch": PyTorch instead of JAX's wheel
            _run([str(python), "-m", "pip", "install", torch], env=env)
        run_env = {**env, "KERAS_BACKEND": backend, "PYTHONPATH": str(work)}
        run = work / f"run-{backend}"
        train = [command, "train", "--model", "tiny_model:tiny_resnet", "--epochs", "1", "--out", str(run)]
        trained = _run([*train, "--batch-size", "128"], cwd=work, env=run_env)
        assert "no SavedModel/TFLite export" in trained.stdout + trained.stderr
        evaluated = json.loads(_run([command, "evaluate", str(run), "--json"], cwd=work, env=run_env).stdout)
        flow = ["gradient-flow", "--depths", "8", "--batch-size", "8", "--out", str(work / f"flow-{backend}")]
        _run([command, *flow], cwd=work, env=run_env)

        config = json.loads((run / "config.json").read_text())
        assert config["environment"]["backend"] == backend and config["dataset"]["pipeline"] == "numpy"
        assert json.loads((run / "metrics.json").read_text())["epochs_trained"] == 1
        assert evaluated["examples"] == 360 and 0.0 <= evaluated["accuracy"] <= 1.0
        assert (work / f"flow-{backend}" / "gradient_flow.json").is_file()


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
        codes.append(main(["evaluate", f"{out}/run", "--checkpoint", "last", "--json"]))
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
        "PYTHONPATH": os.pathsep.join([HIDER, ROOT, TESTS, os.environ.get("PYTHONPATH", "")]),
        "HIDDEN_PACKAGES": "tensorflow",
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
    assert config["environment"]["devices"]  # PyTorch has no keras.distribution: torch names them
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

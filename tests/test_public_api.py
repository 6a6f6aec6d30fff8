"""The public API: every name in `kr.__all__` resolves, and importing the package, asking the CLI
for help or its version, loads neither Keras nor TensorFlow; TensorFlow's C++ log lines stay hidden."""

import subprocess
import sys

import pytest

import keras_resnet as kr


@pytest.mark.parametrize("name", kr.__all__)
def test_every_public_name_resolves(name):
    assert getattr(kr, name) is not None
    assert name in dir(kr)


def test_an_unknown_name_is_an_attribute_error_that_names_it():
    with pytest.raises(AttributeError, match="no attribute 'resnet21'"):
        kr.resnet21  # noqa: B018


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


LOADED = "import sys; print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))"


def test_importing_the_package_loads_neither_keras_nor_tensorflow():
    result = _run(f"import keras_resnet; {LOADED}")
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["train", "--help"], ["models"]])
def test_cli_help_version_and_models_load_neither_keras_nor_tensorflow(argv):
    code = (
        f"from keras_resnet.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass\n{LOADED}"
    )
    result = _run(code)
    assert result.returncode == 0 and result.stdout.strip().endswith("[]"), result.stderr


def test_version_is_the_package_version():
    result = subprocess.run(
        [sys.executable, "-m", "keras_resnet", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == f"keras-resnet {kr.__version__}"


@pytest.mark.slow  # the CLI in subprocesses, with TensorFlow
def test_tensorflow_log_lines_are_hidden_unless_verbose():
    """`summary` loads Keras on TensorFlow, whose C++ logger writes lines such as `I0000 ...
    port.cc:...] oneDNN custom operations are on` to stderr; only --native-logs shows them."""
    env_code = "import sys; from keras_resnet.cli import main; sys.exit(main(sys.argv[1:]))"
    quiet = _run(env_code, "summary", "resnet20")
    assert quiet.returncode == 0 and "269,722 trainable" in quiet.stdout
    assert "I0000" not in quiet.stderr and "absl::InitializeLog" not in quiet.stderr, quiet.stderr
    loud = _run(env_code, "--native-logs", "summary", "resnet20")
    assert loud.returncode == 0 and "269,722 trainable" in loud.stdout
    assert "I0000" in loud.stderr or "absl::InitializeLog" in loud.stderr, loud.stderr

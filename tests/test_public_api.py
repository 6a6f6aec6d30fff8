"""The public API: every name in `kr.__all__` is the documented object of its home module, the
keras.applications names are our constructors, a misspelt name suggests the right one, and
importing the package, asking the CLI for help or its version, loads neither Keras nor TensorFlow;
TensorFlow's C++ log lines stay hidden."""

import ast
import importlib
import inspect
import subprocess
import sys

import pytest

import keras_resnet as kr
from keras_resnet import errors


@pytest.mark.parametrize("name", [name for name in kr.__all__ if name != "__version__"])
def test_every_public_name_is_the_documented_object_of_its_home_module(name):
    home = importlib.import_module(kr._HOME[name])
    value = getattr(kr, name)
    assert value is getattr(home, name), f"kr.{name} is not {home.__name__}.{name}"
    assert name in dir(kr)
    if inspect.isclass(value) or callable(value):
        assert value.__module__.startswith("keras_resnet."), value.__module__
        assert inspect.getdoc(value), f"kr.{name} has no docstring"
    else:  # a table: a docstring right below its assignment in the home module
        assert _attribute_docstring(home, name), f"{home.__name__}.{name} has no docstring below it"


def _attribute_docstring(module, name: str) -> str | None:
    body = ast.parse(inspect.getsource(module)).body
    for statement, following in zip(body, body[1:]):
        targets = getattr(statement, "targets", [getattr(statement, "target", None)])
        named = any(isinstance(t, ast.Name) and t.id == name for t in targets)
        if named and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            return following.value.value
    return None


@pytest.mark.parametrize(
    ("keras_name", "ours"),
    [
        ("ResNet18", "resnet18"),
        ("ResNet34", "resnet34"),
        ("ResNet50", "resnet50"),
        ("ResNet101", "resnet101"),
        ("ResNet152", "resnet152"),
        ("ResNet50V2", "resnet50_v2"),
        ("ResNet101V2", "resnet101_v2"),
        ("ResNet152V2", "resnet152_v2"),
    ],
)
def test_keras_applications_name_is_the_very_same_constructor(keras_name, ours):
    assert getattr(kr, keras_name) is getattr(kr, ours)
    assert keras_name in kr.__all__


def test_constructor_docstring_names_the_defaults_that_differ_from_keras_applications():
    doc = inspect.getdoc(kr.ResNet50)
    assert "weights=None" in doc and '"v1.5"' in doc and "keras.applications" in doc
    assert set(kr.KERAS_APPLICATIONS_DIFFERENCES) >= {"weights", "version", "conv_bias", "bn_epsilon"}


def test_public_exceptions_are_exactly_those_of_errors_module():
    public = [name for name in kr.__all__ if kr._HOME.get(name) == "keras_resnet.errors"]
    assert public == errors.__all__


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("resnet5O", "resnet50"), ("Resnet50", "resnet50"), ("ResNet5OV2", "ResNet50V2"), ("bulid", "build")],
)
def test_a_misspelt_name_is_an_attribute_error_that_suggests_the_public_name(typed, meant):
    with pytest.raises(AttributeError, match=f"no attribute '{typed}'; did you mean '{meant}'\\?"):
        getattr(kr, typed)


def test_a_name_like_nothing_public_is_an_attribute_error_without_a_suggestion():
    with pytest.raises(AttributeError) as caught:
        kr.zzz_not_here  # noqa: B018
    assert str(caught.value) == "module 'keras_resnet' has no attribute 'zzz_not_here'"


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

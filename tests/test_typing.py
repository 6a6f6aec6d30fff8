"""Type annotations: every public function and class is fully annotated, and mypy is clean on the
package (configured in pyproject.toml's [tool.mypy]).

"Public" is `keras_resnet.__all__` plus the CLI entry `keras_resnet.cli.main`. "Fully annotated":
every parameter (self and cls aside, `*args`/`**kwargs` included) has an annotation and the
callable has a return annotation (`__init__` may leave it out); for a class, that holds for its
`__init__` and for every public method and property it defines itself.
"""

import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import keras_resnet as kr
from keras_resnet.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]


def _unannotated(qualname: str, function) -> list[str]:
    signature = inspect.signature(function)
    missing = [
        f"{qualname}({name})"
        for name, parameter in signature.parameters.items()
        if name not in ("self", "cls") and parameter.annotation is inspect.Parameter.empty
    ]
    if signature.return_annotation is inspect.Signature.empty and not qualname.endswith("__init__"):
        missing.append(f"{qualname} -> return")
    return missing


def _class_members(name: str, cls: type) -> list[tuple[str, object]]:
    members = []
    for attribute, value in vars(cls).items():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            value = value.fget
        if inspect.isfunction(value) and (attribute == "__init__" or not attribute.startswith("_")):
            members.append((f"{name}.{attribute}", value))
    return members


def public_callables() -> list[tuple[str, object]]:
    """(qualified name, function) for every public function, constructor, method and property."""
    found = [("keras_resnet.cli.main", cli_main)]
    for name in kr.__all__:
        value = getattr(kr, name)
        if inspect.isclass(value):
            found += _class_members(name, value)
        elif callable(value):
            found.append((name, value))
    return found


def test_the_public_api_has_callables_to_check():
    names = {name for name, _ in public_callables()}
    assert {"resnet50", "compile_with_recipe", "export_model", "keras_resnet.cli.main"} <= names
    assert "ExportCallback.__init__" in names and "StochasticDepth.call" in names


def test_every_public_function_and_class_is_fully_annotated():
    unannotated = sorted(
        entry for name, function in public_callables() for entry in _unannotated(name, function)
    )
    assert not unannotated, f"public callables lacking annotations: {unannotated}"


@pytest.mark.slow
def test_mypy_is_clean_on_the_package(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        if not os.environ.get("CI"):  # CI installs it with the test extra: there it must run
            pytest.skip("mypy not installed (pip install -e '.[test]')")
        pytest.fail("mypy missing in CI: it belongs to the test extra in pyproject.toml")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "keras_resnet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]

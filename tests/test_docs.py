"""The documentation: the mkdocs site (README.md as home, guide pages, API reference from the docstrings)
builds with warnings as errors, every public module has an API page, and every public name is
documented with its arguments.

The rule for "documented with its arguments": a public callable has a docstring, and every parameter
of its signature (a class's `__init__` parameters) is named in it as a whole word, in the function's
docstring or, for a class, in the class or `__init__` docstring; `**kwargs` is named as `kwargs`. A
public constant has an attribute docstring: a string literal right after its assignment, which is
what mkdocstrings shows.
"""

import ast
import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import keras_resnet as kr

ROOT = Path(__file__).resolve().parents[1]
DOCS_TOOLS = ("mkdocs", "mkdocstrings_handlers.python")


def _docs_tools_missing() -> list[str]:
    return [name for name in DOCS_TOOLS if importlib.util.find_spec(name.split(".")[0]) is None]


@pytest.fixture(scope="module")
def docs_tools():
    missing = _docs_tools_missing()
    if missing and not os.environ.get("CI"):  # CI installs them with the test extra: there they must run
        pytest.skip(f"{', '.join(missing)} not installed (pip install -e '.[test]')")
    assert not missing, f"{missing} missing in CI: they belong to the test extra in pyproject.toml"


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(docs_tools, tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            "mkdocs.yml",
            "--site-dir",
            site,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    api = (site / "api" / "models" / "index.html").read_text(encoding="utf-8")
    assert "zero_init_residual" in api and "stage_blocks" in api  # rendered from the signatures
    figures = sorted(p.name for p in (ROOT / "examples" / "figures").glob("*.png"))
    assert figures and all((site / "figures" / name).is_file() for name in figures)
    for page in ("gradients", "zh/gradients"):  # a guide page and its Chinese version
        html = (site / page / "index.html").read_text(encoding="utf-8")
        assert "figures/gradient_flow_depth_profile.png" in html
    home = (site / "index.html").read_text(encoding="utf-8")  # README.md, its links made site links
    assert "figures/compare_digits.png" in home and 'href="gradients/"' in home


def _documented_modules() -> set[str]:
    pages = (ROOT / "docs" / "api").glob("*.md")
    return {m for page in pages for m in re.findall(r"^::: ([\w.]+)", page.read_text(), re.MULTILINE)}


def test_every_module_of_the_public_api_has_an_api_page():
    public_modules = {getattr(kr, name).__module__ for name in kr.__all__ if callable(getattr(kr, name))}
    public_modules |= {"keras_resnet.models.specs"}  # MODEL_SPECS, KERAS_APPLICATIONS_OPTIONS
    missing = sorted(public_modules - _documented_modules())
    assert not missing, f"no `::: module` line in docs/api/*.md for {missing}"


def _undocumented_arguments(name: str, obj) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    target = obj
    if inspect.isclass(obj):
        if "__init__" not in obj.__dict__:
            return []  # the exception classes: their arguments are their base class's
        doc += "\n" + (inspect.getdoc(obj.__init__) or "")
        target = obj.__init__
    parameters = [p for p in inspect.signature(target).parameters if p not in ("self", "cls")]
    return [f"{name}({p})" for p in parameters if not re.search(rf"\b{re.escape(p)}\b", doc)]


def test_every_public_callable_has_a_docstring_naming_each_argument():
    callables = {name: getattr(kr, name) for name in kr.__all__ if callable(getattr(kr, name))}
    without_docstring = sorted(name for name, obj in callables.items() if not inspect.getdoc(obj))
    assert not without_docstring, f"public names without a docstring: {without_docstring}"
    undocumented = sorted(
        entry for name, obj in callables.items() for entry in _undocumented_arguments(name, obj)
    )
    assert not undocumented, f"arguments that no docstring names: {undocumented}"


def _attribute_docstrings(module_name: str) -> set[str]:
    """Names assigned at module level and followed by a string literal (an attribute docstring)."""
    tree = ast.parse(Path(importlib.util.find_spec(module_name).origin).read_text(encoding="utf-8"))
    documented = set()
    for statement, following in zip(tree.body, tree.body[1:]):
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        else:
            targets = [getattr(statement, "target", None)]
        string = isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
        if string and isinstance(following.value.value, str):
            documented |= {t.id for t in targets if isinstance(t, ast.Name)}
    return documented


def test_every_public_constant_has_an_attribute_docstring():
    constants = [name for name in kr.__all__ if not callable(getattr(kr, name)) and name != "__version__"]
    assert constants, "kr.__all__ names no constant: this test checks nothing"
    missing = [name for name in constants if name not in _attribute_docstrings(kr._HOME[name])]
    assert not missing, f"public constants without a docstring after their assignment: {missing}"

"""What reaches the user when something goes wrong: their mistakes as one line and exit code 2,
the tool's bugs with the whole traceback and where to report them (issue 23, "Must show" 2 and 4).
"""

import ast
import re
from pathlib import Path

import pytest

import keras_resnet.errors as errors
from keras_resnet.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _repository_url() -> str:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]


@pytest.mark.parametrize("bug", [KeyError("stage_blocks"), ValueError("operands could not be broadcast")])
def test_an_unexpected_error_from_deep_inside_shows_its_traceback_then_where_to_report_it(
    monkeypatch, capsys, bug
):
    from keras_resnet.models import specs

    def broken(self):
        raise bug

    spec_class = type(next(iter(specs.MODEL_SPECS.values())))
    monkeypatch.setattr(spec_class, "summary_line", broken)
    assert main(["models"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert f"{type(bug).__name__}: {bug}" in err and "in broken" in err  # where it was raised
    last = err.strip().splitlines()[-1]
    assert "this is a bug" in last and f"{_repository_url()}/issues" in last


def test_a_value_error_raised_while_training_is_not_dressed_up_as_the_users_mistake(
    monkeypatch, capsys, tmp_path
):
    from keras_resnet.data import sources

    def broken(**kwargs):
        raise ValueError("cannot reshape array of size 12 into shape (5,)")

    monkeypatch.setattr(sources, "load_digits", broken)
    args = ["train", "--model", "resnet20", "--epochs", "1", "--no-export", "--out", str(tmp_path / "run")]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "ValueError: cannot reshape array" in err and "in broken" in err
    assert "keras-resnet train: error" not in err


@pytest.mark.parametrize("name", errors.__all__)
def test_every_keras_resnet_error_reaches_the_user_as_one_line_with_exit_code_2(monkeypatch, capsys, name):
    from keras_resnet.cli import models

    error_class = getattr(errors, name)

    def refuse(args):
        raise error_class(f"{name} happened to models.json; do this instead")

    monkeypatch.setattr(models, "_run_models", refuse)
    assert main(["models"]) == 2
    err = capsys.readouterr().err
    assert err == f"keras-resnet models: error: {name} happened to models.json; do this instead\n"


def test_every_keras_resnet_error_is_also_the_matching_built_in_exception():
    for name in errors.__all__:
        error_class = getattr(errors, name)
        assert issubclass(error_class, errors.KerasResNetError)
        built_ins = [c for c in error_class.__mro__[1:] if c.__module__ == "builtins"]
        assert name == "KerasResNetError" or set(built_ins) - {Exception, BaseException, object}, name


# Every `raise ValueError` left in the package, with why it is not about the user's input.
PROGRAMMING_ERRORS = {
    ("gradients/tap.py", "the optimizer applies"): "internal invariant: the tap sees one gradient per weight",
    ("export/parity.py", "outputs have shape"): "internal invariant: an exported file and Keras disagree",
    ("models/weights.py", "skipped[0]"): "caught two lines below and re-raised as ArchitectureMismatchError",
}


def _value_error_raises():
    package = ROOT / "keras_resnet"
    for path in sorted(package.rglob("*.py")):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            call = node.exc if isinstance(node, ast.Raise) else None
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "ValueError":
                yield path.relative_to(package).as_posix(), ast.get_source_segment(source, node)


def test_every_remaining_raise_value_error_is_a_programming_error_not_the_users_mistake():
    unexplained = [
        (file, re.sub(r"\s+", " ", text)[:90])
        for file, text in _value_error_raises()
        if not any(f == file and key in text for f, key in PROGRAMMING_ERRORS)
    ]
    assert unexplained == []

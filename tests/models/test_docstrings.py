"""Every public callable of `keras_resnet.models` says what each argument is in a Google-style
`Args:` section, which the API site renders as a parameter table. Dataclasses document their
fields where they are declared (attribute docstrings), so their generated `__init__` is exempt."""

import dataclasses
import importlib
import inspect
import pkgutil

import pytest

import keras_resnet.models
from keras_resnet.models.options import FIELDS

# Being rewritten by other work this round (the .pth reader, the export's output record); their
# Args sections come with those changes.
MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(keras_resnet.models.__path__, "keras_resnet.models.")
)


def _public_callables():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.startswith("_") or getattr(value, "__module__", None) != module_name:
                continue
            if inspect.isfunction(value):
                yield f"{module_name}.{name}", value
            elif inspect.isclass(value) and not dataclasses.is_dataclass(value) and not _is_protocol(value):
                for attribute, member in vars(value).items():
                    inherited = any(attribute in vars(base) for base in value.__mro__[1:])  # e.g. Layer.call
                    wanted = attribute == "__init__" or not (attribute.startswith("_") or inherited)
                    if inspect.isfunction(member) and wanted:
                        yield f"{module_name}.{name}.{attribute}", member
            elif inspect.isclass(value):
                for attribute, member in vars(value).items():
                    if inspect.isfunction(member) and not attribute.startswith("_"):
                        yield f"{module_name}.{name}.{attribute}", member


def _owner(qualname: str):
    module_name, class_name = qualname.rsplit(".", 2)[:2]
    return getattr(importlib.import_module(module_name), class_name)


def _is_protocol(cls) -> bool:
    return getattr(cls, "_is_protocol", False)


CALLABLES = dict(_public_callables())


@pytest.mark.parametrize("qualname", sorted(CALLABLES))
def test_every_public_callable_of_models_has_an_args_section_naming_each_argument(qualname):
    function = CALLABLES[qualname]
    parameters = [p for p in inspect.signature(function).parameters.values() if p.name not in ("self", "cls")]
    if not parameters:
        return
    doc = inspect.getdoc(function) or ""
    if function.__name__ == "__init__":  # a class documents its constructor's arguments
        doc += "\n" + (inspect.getdoc(_owner(qualname)) or "")
    assert "\nArgs:\n" in doc, f"{qualname} has no Args: section"
    section = doc.split("\nArgs:\n", 1)[1]
    if "**architecture:" in section:  # `ResNet`: every ResNetOptions field, named in one entry
        parameters = [p for p in parameters if p.name not in FIELDS or p.name not in section]
    for parameter in parameters:
        shown = {inspect.Parameter.VAR_KEYWORD: "**", inspect.Parameter.VAR_POSITIONAL: "*"}.get(
            parameter.kind, ""
        )
        assert f"{shown}{parameter.name}:" in section, f"{qualname}: Args does not describe {parameter.name}"

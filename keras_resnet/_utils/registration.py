"""Make the package's saved classes known to Keras without importing Keras at `import keras_resnet`.

`.keras` files name our layers and schedules by their registered names (`keras_resnet>...`), and
Keras only finds registered classes: their modules must have been imported. `import keras_resnet`
stays light, so registration waits for Keras: done at once if Keras is already imported, else
right after Keras' own import finishes. Either way `keras.saving.load_model` reads our files with
no `custom_objects`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Sequence
from typing import Any


def register_when_keras_loads(modules: tuple[str, ...]) -> None:
    """Import `modules` (those defining registered classes) now if Keras is loaded, else after it."""
    if "keras" in sys.modules:
        _register(modules)
    elif not any(isinstance(finder, _AfterKerasImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterKerasImport(modules))


def _register(modules: tuple[str, ...]) -> None:
    for module in modules:
        importlib.import_module(module)


class _AfterKerasImport(importlib.abc.MetaPathFinder):
    """Finds `keras` with the normal machinery and registers our classes once it has executed."""

    def __init__(self, modules: tuple[str, ...]) -> None:
        self.modules = modules

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "keras":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader: Any = spec.loader  # its exec_module is wrapped below, which typeshed does not model
        execute = loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            execute(module)
            if self in sys.meta_path:
                sys.meta_path.remove(self)
            _register(self.modules)

        loader.exec_module = exec_module
        return spec

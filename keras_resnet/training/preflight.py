"""Checks that run before a training run spends time: each cheap, each ending in one clear line.

`train` calls them in order of cost: the output folder and the model options before any data is
loaded, the dataset before the model is built, the free space once the model's size is known, and a
resumed run's checkpoints before the first step. A mistake found here costs seconds, not an epoch.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from keras_resnet._utils import ownership
from keras_resnet.errors import CorruptFileError, InvalidInputError

if TYPE_CHECKING:
    import keras

    from keras_resnet.data.pipelines import DatasetInfo
    from keras_resnet.training.run_folder import RunFolder

__all__ = ["check_output", "check_model_args", "check_dataset", "check_space", "set_aside_corrupt_best"]

# What one epoch's files take beyond the checkpoints: history, config, figures, gradient rows.
SMALL_FILES_BYTES = 4 << 20


def check_output(root: str | os.PathLike) -> None:
    """The run folder can be written: a probe file there, before anything expensive (DiskFullError)."""
    ownership.probe_writable(root)


def check_model_args(model: str, model_args: dict, build_model: Callable[..., Any] | None = None) -> None:
    """Every `--model-arg` is a keyword the model builder takes (InvalidInputError otherwise)."""
    if not model_args:
        return
    builder = build_model or _builder_of(model)
    if builder is None:
        return
    try:
        parameters = inspect.signature(builder).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = sorted(set(model_args) - set(parameters))
    if unknown:
        known = ", ".join(
            name for name, p in parameters.items() if p.kind is p.KEYWORD_ONLY or p.default is not p.empty
        )
        raise InvalidInputError(
            f"unknown model option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for {model}; "
            f"--model-arg takes one of: {known}"
        )


def check_dataset(info: DatasetInfo) -> None:
    """A classifier needs at least two classes (one class trains to a meaningless 100 %)."""
    if info.classes < 2:
        names = ", ".join(map(str, getattr(info, "class_names", ()) or ())) or "one class"
        raise InvalidInputError(
            f"the dataset has {info.classes} class ({names}); a classifier needs at least two: "
            f"add a sub-folder per class"
        )


def check_space(root: str | os.PathLike, model: keras.Model) -> int:
    """The bytes a run's files need (two `.keras` checkpoints with optimizer state, two
    backups, small files); DiskFullError when the folder has less free. Returns the estimate."""
    needed = checkpoint_bytes(model) * 4 + SMALL_FILES_BYTES
    ownership.probe_writable(root, needed_bytes=needed)
    return needed


def checkpoint_bytes(model: keras.Model) -> int:
    """About what one checkpoint of `model` with its optimizer's slots takes on disk."""
    weights = sum(int(_size(w)) * 4 for w in model.weights)
    optimizer = getattr(model, "optimizer", None)
    slots = sum(int(_size(v)) * 4 for v in getattr(optimizer, "variables", [])) if optimizer else 0
    return weights + (slots or weights)  # an optimizer not built yet: one slot per weight (momentum)


def set_aside_corrupt_best(run: RunFolder) -> None:
    """A resumed run whose `best.keras` cannot be read: rename it `best.keras.corrupt` (it is
    kept, not deleted), say so, and let the next best epoch write a new one."""
    from keras_resnet.models.saving import check_keras_file

    if not run.best.is_file():
        return
    try:
        check_keras_file(run.best)
    except CorruptFileError as err:
        aside = run.best.with_name(run.best.name + ".corrupt")
        os.replace(run.best, aside)
        print(f"note: {err}; kept as {aside}, the next best epoch writes a new best.keras")


def _builder_of(model: str):
    if ":" in model:
        module, _, function = model.partition(":")
        try:
            return getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError):
            return None  # the builder's own check names the problem
    from keras_resnet.models.resnet import ResNet

    return ResNet


def _size(variable) -> int:
    count = 1
    for dim in getattr(variable, "shape", ()):
        count *= int(dim or 1)
    return count

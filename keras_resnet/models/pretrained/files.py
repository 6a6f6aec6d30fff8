"""Read a weights file in a source's own format into {name: numpy array} or a keras.applications model.

`.safetensors` (timm, and anyone's torch state dict) is read with the `safetensors` package's numpy
API; a PyTorch `.pth`/`.pt` state dict (torchvision's files) by `pretrained.pth`, a restricted reader
of torch's zip format that runs nothing in the file. Neither needs PyTorch, nor imports it. A
keras.applications `.h5` is read by building that keras.applications model around it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from keras_resnet.errors import CorruptFileError, InvalidInputError, MissingFileError
from keras_resnet.models.pretrained.pth import state_dict_arrays

if TYPE_CHECKING:
    import keras

TORCH_SUFFIXES = (".safetensors", ".pth", ".pt")


def read_torch_state(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """A torchvision/timm state dict from `.safetensors`, `.pth` or `.pt`, as numpy arrays.

    Args:
        path: the weights file (`.pth` is read without PyTorch, see `pth`).
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"weights file {str(path)!r} does not exist")
    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    if path.suffix in (".pth", ".pt"):
        return state_dict_arrays(path)
    raise InvalidInputError(f"{str(path)!r} is not a state dict: expected {', '.join(TORCH_SUFFIXES)}")


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    try:
        from safetensors.numpy import load_file
    except ImportError as err:
        raise InvalidInputError(
            f"reading {str(path)!r} needs the safetensors package: pip install safetensors"
        ) from err
    try:
        return load_file(str(path))
    except Exception as err:  # SafetensorError and friends for truncated or foreign files
        raise CorruptFileError(
            f"{str(path)!r} is not a readable .safetensors file ({str(err).splitlines()[0]}): "
            "it is truncated or of another format; download it again"
        ) from err


def keras_applications_model(
    model_name: str, path: str | os.PathLike, *, include_top: bool = True
) -> keras.Model:
    """The keras.applications twin of our `model_name`, holding the `.h5` weights at `path`.

    Args:
        model_name: one of our names with a keras.applications twin ("resnet50", "resnet50_v2", ...).
        path: the keras.applications `.h5` weights file.
        include_top: whether the file holds the classifier too.
    """
    import keras

    constructor = getattr(keras.applications, _KERAS_APPLICATIONS_NAMES[model_name])
    try:
        return constructor(weights=str(path), include_top=include_top)
    except Exception as err:
        raise CorruptFileError(
            f"{str(path)!r} could not be read as keras.applications {model_name} weights "
            f"({str(err).splitlines()[0] if str(err) else type(err).__name__})"
        ) from err


_KERAS_APPLICATIONS_NAMES = {
    "resnet50": "ResNet50",
    "resnet101": "ResNet101",
    "resnet152": "ResNet152",
    "resnet50_v2": "ResNet50V2",
    "resnet101_v2": "ResNet101V2",
    "resnet152_v2": "ResNet152V2",
}

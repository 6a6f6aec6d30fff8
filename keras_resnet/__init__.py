"""keras-resnet: residual networks (He et al. 2015, 2016) for Keras 3, faithful to the papers.

`import keras_resnet as kr` is light: it imports neither Keras nor TensorFlow. Each public name
below loads its module on first use (PEP 562), so `keras-resnet --help` is instant and the model
builders run on the TensorFlow, JAX and PyTorch backends; TF-only features import TensorFlow when
they are used. The package's layers register with Keras as soon as Keras is imported, so
`keras.saving.load_model` reads our `.keras` files without `custom_objects`.
"""

import difflib
import importlib
import sys
from typing import TYPE_CHECKING, Any

from keras_resnet._utils.registration import register_when_keras_loads
from keras_resnet._version import __version__
from keras_resnet.errors import __all__ as _error_names
from keras_resnet.models.specs import MODEL_SPECS

# Keras walks functional graphs recursively: ResNet-1202 and preact ResNet-1001 (about 5,000 layers)
# need more than Python's default 1,000 frames to build, save, load or clone. Only ever raised.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 30_000))

_PUBLIC = {
    "keras_resnet.models.resnet": ("ResNet",),
    "keras_resnet.models.options": ("ResNetOptions",),
    "keras_resnet.models.named": ("build", "cifar_resnet", "imagenet_resnet", "list_models"),
    "keras_resnet.models.constructors": (
        *MODEL_SPECS,
        *("ResNet18", "ResNet34", "ResNet50", "ResNet101", "ResNet152"),
        *("ResNet50V2", "ResNet101V2", "ResNet152V2"),
        "KERAS_APPLICATIONS_DIFFERENCES",
    ),
    "keras_resnet.models.complexity": ("model_stats",),
    "keras_resnet.models.weights": (
        "from_keras_applications",
        "from_timm",
        "from_torchvision",
        "load_weights_file",
        "port_weights",
    ),
    "keras_resnet.models.specs": ("KERAS_APPLICATIONS_OPTIONS", "MODEL_SPECS"),
    "keras_resnet.models.layers": ("StochasticDepth", "ZeroPadShortcut"),
    "keras_resnet.gradients.callback": ("GradientNormCallback",),
    "keras_resnet.training.recipes": ("compile_with_recipe",),
    "keras_resnet.export.api": ("export_model", "load_model_for_export"),
    "keras_resnet.export.callback": ("ExportCallback",),
    "keras_resnet.inference.predictor": ("Predictor", "load"),
    "keras_resnet.models.labels": ("save_model",),
    "keras_resnet.errors": tuple(_error_names),
}
if TYPE_CHECKING:  # IDEs and type checkers see the objects behind the lazy names
    from keras_resnet.errors import *  # noqa: F403
    from keras_resnet.export.api import export_model, load_model_for_export
    from keras_resnet.export.callback import ExportCallback
    from keras_resnet.gradients.callback import GradientNormCallback
    from keras_resnet.inference.predictor import Predictor, load
    from keras_resnet.models.complexity import model_stats
    from keras_resnet.models.constructors import *  # noqa: F403
    from keras_resnet.models.labels import save_model
    from keras_resnet.models.layers import StochasticDepth, ZeroPadShortcut
    from keras_resnet.models.named import build, cifar_resnet, imagenet_resnet, list_models
    from keras_resnet.models.options import ResNetOptions
    from keras_resnet.models.resnet import ResNet
    from keras_resnet.models.specs import KERAS_APPLICATIONS_OPTIONS
    from keras_resnet.models.weights import (
        from_keras_applications,
        from_timm,
        from_torchvision,
        load_weights_file,
        port_weights,
    )
    from keras_resnet.training.recipes import compile_with_recipe

_HOME = {name: module for module, names in _PUBLIC.items() for name in names}

__all__ = ["__version__", *_HOME]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        close = _nearest_public_name(name)
        hint = f"; did you mean {close!r}?" if close else ""
        raise AttributeError(f"module 'keras_resnet' has no attribute {name!r}{hint}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


_LOOKALIKES = str.maketrans("oil", "011")  # letters typed for the digits they look like


def _nearest_public_name(name: str) -> str | None:
    """The public name `name` most likely misspells: same but for case and lookalike letters
    (`resnet5O`, `Resnet50`), else the closest by difflib; None when nothing is close."""
    folded = {public.casefold().translate(_LOOKALIKES): public for public in reversed(__all__)}
    key = name.casefold().translate(_LOOKALIKES)
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(key, folded, n=1, cutoff=0.75)
    return folded[close[0]] if close else None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# The modules that define classes `.keras` files name (layers, the warm-up schedule).
register_when_keras_loads(("keras_resnet.models.layers", "keras_resnet.training.warmup"))

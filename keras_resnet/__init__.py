"""keras-resnet: residual networks (He et al. 2015, 2016) for Keras 3, faithful to the papers.

Importing this package imports Keras and nothing from TensorFlow itself, so the builders run on
the TensorFlow, JAX and PyTorch backends; TF-only features import TensorFlow when first used.
"""

import sys

# Keras walks functional graphs recursively: ResNet-1202 and preact ResNet-1001 (about 5,000 layers)
# need more than Python's default 1,000 frames to build, save, load or clone. Only ever raised.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 30_000))

from keras_resnet.models.resnet import ResNet, build, cifar_resnet, imagenet_resnet, list_models
from keras_resnet.gradients.callback import GradientNormCallback
from keras_resnet.export.api import export_model, load_model_for_export
from keras_resnet.export.callback import ExportCallback
from keras_resnet.models.layers import StochasticDepth, ZeroPadShortcut
from keras_resnet.models.constructors import *  # noqa: E402,F401,F403 - the named constructors
from keras_resnet.models.constructors import __all__ as _model_names
from keras_resnet.models.specs import KERAS_APPLICATIONS_OPTIONS, MODEL_SPECS
from keras_resnet.models.complexity import model_stats
from keras_resnet.models.weights import from_keras_applications, load_weights_file

__version__ = "0.1.0"
__all__ = [
    "ResNet", "build", "cifar_resnet", "imagenet_resnet", "list_models", "model_stats",
    "from_keras_applications", "load_weights_file", "KERAS_APPLICATIONS_OPTIONS", "MODEL_SPECS",
    "StochasticDepth", "ZeroPadShortcut", "export_model", "load_model_for_export", "ExportCallback",
    "GradientNormCallback",
    *_model_names,
]

"""ONNX files: write them with Keras' own exporter (`model.export(format="onnx")`, tf2onnx on the
TensorFlow backend) and run them with ONNX Runtime, for the same parity report as SavedModel and
LiteRT.

The ONNX tools are an optional extra (`pip install "keras-paper-resnets[onnx]"`): `onnx`,
`onnxruntime` and `tf2onnx`. Asking for an ONNX export without them fails before any work with a
one-line error naming the extra; running a `.onnx` file needs `onnxruntime` alone, and neither
TensorFlow nor Keras. One thing is done around Keras' exporter: a model's `normalization` layer
holds its mean and variance as tensors made when the layer was built, which tf2onnx turns into two
extra graph *inputs* the caller would have to feed. The exported graph therefore starts with a
`Rescaling` layer computing the same (x - mean) / std inside the traced function, where its
constants are baked into the file, followed by the model's own layers from the normalization on.
The parity check compares the file with the original model, so any difference shows in the report.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from keras_resnet.errors import CorruptFileError, InvalidInputError, MissingFileError
from keras_resnet.export.runners import Runner

if TYPE_CHECKING:
    import keras

    from keras_resnet.export.preparation import PreparedModel

ONNX_FILE = "model.onnx"
EXTRA = 'pip install "keras-paper-resnets[onnx]"'
EXPORT_TOOLS = ("onnx", "onnxruntime", "tf2onnx")

__all__ = ["ONNX_FILE", "OnnxRunner", "check_onnx_tools", "check_backend_for_onnx", "export_onnx"]


def check_onnx_tools(tools: tuple[str, ...] = EXPORT_TOOLS, *, purpose: str = "ONNX export") -> None:
    """Refuse, in one line naming the extra, when any of the ONNX `tools` is not installed."""
    missing = [tool for tool in tools if importlib.util.find_spec(tool) is None]
    if missing:
        raise InvalidInputError(
            f"{purpose} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not installed: {EXTRA}"
        )


def check_backend_for_onnx() -> None:
    """ONNX export runs through Keras' exporter on the TensorFlow backend here (tf2onnx)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        raise InvalidInputError(
            f"ONNX export needs the TensorFlow backend here, but Keras is running on "
            f"{keras.backend.backend()!r}. Save the model (model.save('model.keras')) and export it "
            f"with `KERAS_BACKEND=tensorflow keras-resnet export model.keras --formats onnx`."
        )


def export_onnx(prepared: PreparedModel, path: str | Path) -> dict[str, Any]:
    """Write `prepared.exported` as an ONNX file at `path`; return its opset, input and outputs.

    Args:
        prepared: the model as `export.preparation.prepare_model` readies it (float32, with or
            without its preprocessing).
        path: the `.onnx` file to write.
    """
    check_onnx_tools()
    path = Path(path)
    if path.suffix != ".onnx":
        raise InvalidInputError(f"expected a path ending in .onnx, got {str(path)!r}")
    import tensorflow as tf

    model = onnx_ready_model(prepared)
    images = tf.TensorSpec((None, *model.input.shape[1:]), tf.float32, name="images")  # dynamic batch
    with warnings.catch_warnings():  # Keras' tf2onnx patch for NumPy 2 warns about np.object
        warnings.simplefilter("ignore", FutureWarning)
        model.export(str(path), format="onnx", verbose=False, input_signature=[images])
    import onnx

    graph = onnx.load(str(path), load_external_data=False)
    return {
        "opset": max(entry.version for entry in graph.opset_import if entry.domain in ("", "ai.onnx")),
        "inputs": [node.name for node in graph.graph.input],
        "outputs": [node.name for node in graph.graph.output],
    }


def onnx_ready_model(prepared: PreparedModel) -> keras.Model:
    """What Keras' ONNX exporter receives: the exported model, with its `normalization` layer (if
    it is exported) replaced by a `Rescaling` of the same mean and std, named input "images"."""
    import keras

    from keras_resnet.export.preparation import without_preprocessing

    model: Any = prepared.exported
    normalization: Any = None if prepared.strip else prepared.normalization
    if normalization is None:
        return model
    mean = np.reshape(keras.ops.convert_to_numpy(normalization.mean), (-1,)).astype(np.float64)
    variance = np.reshape(keras.ops.convert_to_numpy(normalization.variance), (-1,)).astype(np.float64)
    std = np.maximum(np.sqrt(variance), keras.backend.epsilon())
    images = keras.Input(model.input.shape[1:], name="images")
    scale = keras.layers.Rescaling(
        (1.0 / std).astype(np.float32), offset=(-mean / std).astype(np.float32), name="normalization_onnx"
    )
    body = without_preprocessing(model)
    return keras.Model(images, body(scale(images)), name=model.name)


class OnnxRunner(Runner):
    """An ONNX file run by ONNX Runtime on the CPU, float32 images in, its first output out."""

    def __init__(self, path: str | Path, *, num_threads: int = 1) -> None:
        check_onnx_tools(("onnxruntime",), purpose=f"running {str(path)!r}")
        import onnxruntime

        self.path = Path(path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        try:
            self.session = onnxruntime.InferenceSession(
                str(self.path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # onnxruntime raises its own types for missing or foreign files
            if not self.path.is_file():
                raise MissingFileError(f"no such ONNX file: {str(self.path)!r}") from err
            raise CorruptFileError(
                f"{str(self.path)!r} is not a readable ONNX model ({str(err).splitlines()[0]}); "
                "export it again"
            ) from err
        self._input = self.session.get_inputs()[0]
        self._output = self.session.get_outputs()[0]

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The input's shape, -1 where the file leaves a dimension (the batch) open."""
        return tuple(size if isinstance(size, int) else -1 for size in self._input.shape)

    def run_batch(self, images: np.ndarray) -> np.ndarray:
        batch = np.asarray(images, dtype=np.float32)
        return np.asarray(self.session.run([self._output.name], {self._input.name: batch})[0], np.float32)

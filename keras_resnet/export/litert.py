"""LiteRT (TFLite) files: write them with Keras' own LiteRT exporter, and run them.

`export_tflite` converts a Keras model into one `.tflite` file per quantisation (float32, float16,
dynamic-range int8, full-integer int8), asking the converter for builtin TFLite ops first and only
falling back to select-TF (Flex) ops when builtins cannot express the graph. `LiteRTRunner` runs a
file with the LiteRT interpreter on float images, hiding int8 input/output (de)quantisation, so the
parity check compares like with like.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from keras_resnet._utils.atomic import atomic_path
from keras_resnet._utils.validation import check_choice
from keras_resnet.errors import InvalidInputError
from keras_resnet.export.runners import Runner

if TYPE_CHECKING:
    import keras

QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")
"""float32: no quantisation. float16: float16 weights. dynamic: int8 weights, float activations
(dynamic-range). int8: int8 weights and activations, calibrated on representative images."""


def check_tflite_path(filepath: str | Path) -> Path:
    """The path a .tflite file is written to; anything else is an InvalidInputError before work starts."""
    path = Path(filepath)
    if path.suffix != ".tflite":
        raise InvalidInputError(
            f"expected a path ending in .tflite, got {str(filepath)!r}; "
            f"for example {str(path.with_suffix('.tflite'))!r}"
        )
    return path


def check_backend_for_tflite() -> None:
    """TFLite conversion runs through Keras' LiteRT exporter on the TensorFlow backend only here."""
    import keras

    if keras.backend.backend() != "tensorflow":
        raise InvalidInputError(
            f"TFLite export needs the TensorFlow backend, but Keras is running on "
            f"{keras.backend.backend()!r} (Keras' LiteRT exporter does not support it). Save the model "
            f"(model.save('model.keras')) and export it with KERAS_BACKEND=tensorflow, e.g. "
            f"`KERAS_BACKEND=tensorflow keras-resnet export model.keras`; or export formats=('saved_model',) "
            f"only, which works on this backend."
        )


def _converter_options(
    quantize: str, representative_images: np.ndarray | None, *, int8_io: bool
) -> dict[str, Any]:
    """TFLiteConverter attributes for one quantisation; Keras' exporter sets them on its converter."""
    import tensorflow as tf

    if quantize == "float32":
        return {}
    options: dict[str, Any] = {"optimizations": [tf.lite.Optimize.DEFAULT]}
    if quantize == "float16":
        options["target_spec"] = {"supported_types": [tf.float16]}
    if quantize == "int8":
        images = representative_images
        assert images is not None  # export_tflite refuses int8 without them

        def representative_dataset() -> Iterator[list[np.ndarray]]:
            for image in images:
                yield [image[np.newaxis]]

        options["representative_dataset"] = representative_dataset
        if int8_io:
            options["inference_input_type"] = tf.int8
            options["inference_output_type"] = tf.int8
    return options


def _op_set_tiers(quantize: str) -> list[tuple[str, set]]:
    """Op sets to try in order: builtins only first, select-TF (Flex) ops only if builtins fail."""
    import tensorflow as tf

    builtins, flex = tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS
    if quantize == "int8":
        int8 = tf.lite.OpsSet.TFLITE_BUILTINS_INT8
        return [
            ("builtin_int8", {int8}),
            ("builtin_int8+builtin", {int8, builtins}),
            ("builtin_int8+builtin+select_tf", {int8, builtins, flex}),
        ]
    return [("builtin", {builtins}), ("builtin+select_tf", {builtins, flex})]


def export_tflite(
    model: keras.Model,
    filepath: str | Path,
    *,
    quantize: str = "float32",
    representative_images: np.ndarray | None = None,
    int8_io: bool = False,
    overwrite: bool = False,
) -> dict:
    """Write `model` as one .tflite file through `model.export(format="litert")`; return what it used.

    `representative_images` (N, H, W, C floats, exactly what the model's input receives) calibrates
    int8 and is required for it. `int8_io=True` makes an int8 file take and return int8 tensors.
    The file appears atomically (`keras_resnet._utils.atomic`); an existing file is replaced only
    with `overwrite=True`.
    """
    path = check_tflite_path(filepath)
    if path.exists() and not overwrite:
        raise InvalidInputError(f"{str(path)!r} already exists; pass overwrite=True to replace it")
    check_choice("quantize", quantize, QUANTIZATIONS)
    check_backend_for_tflite()
    if quantize == "int8" and (representative_images is None or len(representative_images) == 0):
        raise InvalidInputError(
            "quantize='int8' needs representative images to calibrate activation ranges: "
            "pass a few hundred real training images (raw pixels, as the model is fed)"
        )
    if int8_io and quantize != "int8":
        raise InvalidInputError(f"int8_io=True applies to quantize='int8' only, got quantize={quantize!r}")
    options = _converter_options(quantize, representative_images, int8_io=int8_io)
    with atomic_path(path) as partial:
        op_set = _convert_with_fewest_op_sets(model, str(partial), quantize, options)
    return {
        "quantize": quantize,
        "op_set": op_set,
        "select_tf_ops": "select_tf" in op_set,
        "int8_io": int8_io,
        "ops": tflite_op_names(path),
    }


def _convert_with_fewest_op_sets(model: keras.Model, partial: str, quantize: str, options: dict) -> str:
    """Convert with the smallest op set that works; return its name. The last failure propagates."""
    tiers = _op_set_tiers(quantize)
    for position, (name, ops) in enumerate(tiers):
        target_spec = {**options.get("target_spec", {}), "supported_ops": ops}
        try:
            model.export(partial, format="litert", verbose=False, **{**options, "target_spec": target_spec})
            return name
        except Exception:
            if position == len(tiers) - 1:
                raise
    raise AssertionError("unreachable")


def tflite_op_names(path: str | Path) -> list[str] | None:
    """Sorted names of the operators a .tflite file uses (Flex ops show as FlexName)."""
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:  # the op list is informative only; the parity check does not need it
        return None
    model = schema.Model.GetRootAs(Path(path).read_bytes(), 0)
    code_names = {
        value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")
    }
    names = set()
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == schema.BuiltinOperator.CUSTOM:
            names.add(code.CustomCode().decode())
        else:
            names.add(code_names.get(builtin, str(builtin)))
    return sorted(names)


def _interpreter_class() -> type:
    """The LiteRT interpreter; `tf.lite.Interpreter` only where ai-edge-litert is missing."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            import tensorflow as tf
        except ImportError:
            raise InvalidInputError(
                "running a .tflite file needs the LiteRT interpreter: pip install ai-edge-litert"
            ) from None
        Interpreter = tf.lite.Interpreter
    return Interpreter


class LiteRTRunner(Runner):
    """A .tflite file ready to run on float images; int8 inputs/outputs are (de)quantised here."""

    def __init__(self, path: str | Path, *, num_threads: int = 1) -> None:
        self.path = Path(path)
        self.interpreter = _interpreter_class()(model_path=str(self.path), num_threads=num_threads)
        self._input = self.interpreter.get_input_details()[0]
        self._output = self.interpreter.get_output_details()[0]
        self._batch: int | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The input's shape, -1 where the file leaves a dimension (the batch) open."""
        return tuple(int(size) for size in self._input["shape_signature"])

    def output_record(self) -> dict:
        """The output tensor's dtype, scale and zero point, as the file declares them (scale 0 for
        a float output): the facts `keras_resnet.models.outputs` records beside the file."""
        scale, zero_point = self._output["quantization"]
        return {"dtype": self.output_dtype.name, "scale": float(scale), "zero_point": int(zero_point)}

    @property
    def input_dtype(self) -> np.dtype:
        return np.dtype(self._input["dtype"])

    @property
    def output_dtype(self) -> np.dtype:
        return np.dtype(self._output["dtype"])

    def _resize(self, batch: int) -> None:
        if batch != self._batch:
            shape = [batch, *self._input["shape_signature"][1:]]
            self.interpreter.resize_tensor_input(self._input["index"], shape)
            self.interpreter.allocate_tensors()
            self._batch = batch

    def _quantize(self, images: np.ndarray) -> np.ndarray:
        if not np.issubdtype(self.input_dtype, np.integer):
            return images.astype(self.input_dtype)
        scale, zero_point = self._input["quantization"]
        info = np.iinfo(self.input_dtype)
        return np.clip(np.round(images / scale + zero_point), info.min, info.max).astype(self.input_dtype)

    def _dequantize(self, values: np.ndarray) -> np.ndarray:
        if not np.issubdtype(self.output_dtype, np.integer):
            return values.astype(np.float32)
        scale, zero_point = self._output["quantization"]
        return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)

    def run_batch(self, images: np.ndarray) -> np.ndarray:
        """Outputs for one batch of float images, as float32."""
        self._resize(len(images))
        self.interpreter.set_tensor(self._input["index"], self._quantize(np.asarray(images)))
        self.interpreter.invoke()
        return self._dequantize(self.interpreter.get_tensor(self._output["index"]))

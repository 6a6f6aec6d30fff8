"""`load(SOURCE)`: one predictor for every kind of model, giving top-k class names and probabilities.

SOURCE is a run folder, a `.keras` file, an exported SavedModel folder (or the export folder
holding `saved_model/`), a `.tflite` or `.onnx` file, or `model:source` such as `resnet50:torchvision`. Each
is run by the export layer's runner for its format, so predictions and parity reports use the
same code; labels come from where the model keeps them (see `labels`), and images from one
Pillow/NumPy path (see `images`), so every format sees the same pixels. A `.tflite` file is loaded
and run without TensorFlow or Keras (ai-edge-litert, Pillow, NumPy); an `.onnx` file likewise, with
ONNX Runtime (the `[onnx]` extra).

Whether the model outputs probabilities or logits is a fact, never a guess from the numbers: a
Keras model's output activation says it (softmax: probabilities; linear: logits), and an export
records it per file in `outputs.json` beside `labels.txt` (`keras_resnet.models.outputs`). Softmax
is applied to logits only; an int8 output is dequantized with the scale and zero point the
`.tflite` file itself declares. A file without a record (exported before the record existed, or
copied without its `outputs.json`) is refused in one line saying how to proceed: export it again,
or state the fact with `outputs="probabilities"` / `--outputs logits`.

How images are resized is a fact of the model too (`keras_resnet.models.resizing`): the rule its
training used, from the export's `outputs.json`, the `.keras` file, or the run's config.json (for a
run folder or one of its checkpoints), and for `model:source` the source's evaluation crop (232 ->
224 for torchvision's ResNet-50). A file without a record gets the documented default (ImageNet's
0.875 centre crop from 128 pixels up, the whole image below).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from keras_resnet.errors import InvalidInputError, MissingFileError
from keras_resnet.export.runners import Runner
from keras_resnet.inference.images import read_images
from keras_resnet.models.labels import folder_labels, keras_file_labels
from keras_resnet.models.outputs import OUTPUT_KINDS, OUTPUTS_FILE, model_record, read_output_record
from keras_resnet.models.resizing import ImageRule, default_rule

__all__ = ["Predictor", "load"]


@dataclasses.dataclass
class Predictor:
    """A model runner with its class names, input size and output kind; `predict` classifies images.

    Args:
        runner: runs a batch of float32 RGB 0-255 images (an `export.runners.Runner`).
        class_names: one name per output, or None (indices are shown instead).
        image_size: (height, width) images are resized and cropped to.
        channels: image channels the model takes (3 for RGB, 1 for grey).
        source: what was loaded (a run folder, a file, or `model:weights`), for messages.
        outputs: what the runner returns, "probabilities" or "logits" (softmax is applied to logits).
        image_rule: how images are resized to `image_size` (the model's record; None: the
            documented default, `resizing.default_rule`).
    """

    runner: Runner
    class_names: tuple[str, ...] | None
    image_size: tuple[int, int]
    channels: int
    source: str
    outputs: str
    image_rule: ImageRule | None = None

    def __post_init__(self):
        if self.image_rule is None:
            self.image_rule = default_rule(self.image_size)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities for a batch of RGB 0-255 images: softmax of logits, probabilities as
        the model gives them (an int8 file's dequantized softmax sums to about 1, in steps of its scale).

        Args:
            images: float32 (N, height, width, channels) pixels at the model's input size.
        """
        outputs = np.asarray(self.runner.predict(images), dtype=np.float64)
        if self.outputs == "logits":
            outputs = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
            outputs /= outputs.sum(axis=-1, keepdims=True)
        return outputs

    def predict(self, images: Any, *, top: int = 5) -> list[dict[str, Any]]:
        """[{"image", "top": [{"index", "label", "probability"}, ...]}], one entry per image.

        Args:
            images: an image file, a folder, a NumPy array (HWC or NHWC, RGB 0-255, uint8 or
                float), a PIL image, or a list mixing them (see `inference.images.read_images`).
                "image" is the file's path, or "array[k]" / "image[k]" for the k-th image given in memory.
            top: how many classes to list per image, most probable first.
        """
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise InvalidInputError(f"top must be an integer >= 1; got {top!r}")
        names, pixels = read_images(images, self.image_size, self.channels, self.image_rule)
        probabilities = self.probabilities(pixels)
        results = []
        for name, row in zip(names, probabilities):
            best = np.argsort(-row, kind="stable")[:top]
            results.append(
                {
                    "image": name,
                    "top": [
                        {"index": int(i), "label": self._label(int(i)), "probability": float(row[i])}
                        for i in best
                    ],
                }
            )
        return results

    def _label(self, index: int) -> str:
        if self.class_names is not None and index < len(self.class_names):
            return self.class_names[index]
        return str(index)


def load(source: str | Path, *, outputs: str | None = None) -> Predictor:
    """The predictor for `source` (see the module docstring).

    Args:
        source: a run folder, `.keras` file, SavedModel folder (or its export folder), `.tflite`
            or `.onnx` file, or `model:weights` such as "resnet50:torchvision".
        outputs: "probabilities" or "logits", only for a file that carries no record of it (an
            older export); a record or a Keras model that says otherwise is an error.
    """
    if outputs is not None and outputs not in OUTPUT_KINDS:
        raise InvalidInputError(f"outputs must be 'probabilities' or 'logits'; got {outputs!r}")
    text = str(source)
    path = Path(text)
    if not path.exists() and ":" in text and "/" not in text:
        model_name, weights = text.split(":", 1)
        return _named(model_name, weights, outputs)
    if not path.exists():
        raise MissingFileError(f"no such model file or folder: {text!r}")
    if path.suffix in (".tflite", ".onnx"):
        return _model_file(path, outputs)
    saved_model = path if (path / "saved_model.pb").is_file() else path / "saved_model"
    if (saved_model / "saved_model.pb").is_file():
        return _saved_model(saved_model, outputs)
    return _keras(path, outputs)


def _keras(path: Path, outputs: str | None) -> Predictor:
    from keras_resnet.export.loading import model_file, recorded_rule
    from keras_resnet.export.runners import KerasRunner
    from keras_resnet.models.saving import load_keras_file
    from keras_resnet.training.run_folder import RunFolder

    file = model_file(path)
    model = load_keras_file(file)
    names = keras_file_labels(file)
    run = RunFolder(path)
    if names is None and path.is_dir() and run.is_run():
        names = tuple(run.read_config().get("dataset", {}).get("class_names") or ()) or None
    kind = _kind(model_record(model), outputs, str(file))
    rule = recorded_rule(path)
    return _predictor(KerasRunner(model), names, tuple(model.input.shape[1:]), str(file), kind, rule)


def _named(model_name: str, source: str, outputs: str | None) -> Predictor:
    from keras_resnet.export.runners import KerasRunner
    from keras_resnet.models.named import build

    model = build(model_name, weights=source)
    text = f"{model_name}:{source}"
    kind = _kind(model_record(model), outputs, text)
    shape, rule = tuple(model.input.shape[1:]), getattr(model, "image_rule", None)
    return _predictor(KerasRunner(model), model.class_names, shape, text, kind, rule)


def _saved_model(folder: Path, outputs: str | None) -> Predictor:
    from keras_resnet.export.saved_model import SavedModelRunner

    runner = SavedModelRunner(folder)
    spec = runner.loaded.signatures["serve"].structured_input_signature[1]
    shape = tuple(next(iter(spec.values())).shape[1:])
    names = folder_labels(folder) or folder_labels(folder.parent)
    record = read_output_record(folder)
    kind = _kind(record, outputs, str(folder), exported=True)
    return _predictor(runner, names, shape, str(folder), kind, _record_rule(record, folder))


def _model_file(path: Path, outputs: str | None) -> Predictor:
    """A `.tflite` file run by LiteRT, or an `.onnx` file run by ONNX Runtime (the [onnx] extra)."""
    runner: Runner
    if path.suffix == ".onnx":
        from keras_resnet.export.onnx import OnnxRunner

        runner = OnnxRunner(path)
    else:
        from keras_resnet.export.litert import LiteRTRunner

        runner = LiteRTRunner(path)
    record = read_output_record(path)
    kind = _kind(record, outputs, str(path), exported=True)
    rule = _record_rule(record, path)
    return _predictor(runner, folder_labels(path.parent), runner.input_shape[1:], str(path), kind, rule)


def _record_rule(record: dict | None, file: Path) -> ImageRule | None:
    """The resize rule in a file's outputs.json record, or None (an export older than the rule)."""
    if record is None or record.get("image") is None:
        return None
    return ImageRule.from_dict(record["image"], where=f"{OUTPUTS_FILE} beside {str(file)!r}")


def _kind(record: dict | None, given: str | None, source: str, *, exported: bool = False) -> str:
    """ "probabilities" or "logits": the record's fact, else what the caller states, else an error."""
    if record is not None and record.get("input") == "normalised":
        raise InvalidInputError(
            f"{source} takes normalised images (exported with include_preprocessing=False) but predict "
            "feeds raw pixels 0-255; export the model with its preprocessing (the default)"
        )
    fact = None if record is None else record.get("outputs")
    if fact is not None and given is not None and fact != given:
        raise InvalidInputError(
            f"{source} outputs {fact}, as its record says; outputs={given!r} contradicts it"
        )
    if fact is not None or given is not None:
        return str(fact or given)
    say = "say which with --outputs probabilities|logits (Python: kr.load(..., outputs=...))"
    if record is None and exported:
        raise InvalidInputError(
            f"{source} carries no record of whether it outputs probabilities or logits (no entry in "
            f"{OUTPUTS_FILE} beside it: exported by an older keras-resnet, or copied without it); "
            f"export the model again, or {say}"
        )
    raise InvalidInputError(
        f"{source} ends in a {record.get('activation') if record else None!r} activation, neither "
        f"softmax (probabilities) nor linear (logits); {say}"
    )


def _predictor(runner, names, shape: tuple, source: str, outputs: str, rule=None) -> Predictor:
    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise InvalidInputError(
            f"{source} does not take (height, width, 1 or 3) images; its input is {shape}"
        )
    height, width, channels = (s if s and s > 0 else 224 for s in shape)
    names = tuple(names) if names else None
    return Predictor(runner, names, (height, width), channels, source, outputs, rule)

"""`load(SOURCE)`: one predictor for every kind of model, giving top-k class names and probabilities.

SOURCE is a run folder, a `.keras` file, an exported SavedModel folder (or the export folder
holding `saved_model/`), a `.tflite` file, or `model:source` such as `resnet50:torchvision`. Each
is run by the export layer's runner for its format, so predictions and parity reports use the
same code; labels come from where the model keeps them (see `labels`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from keras_resnet.errors import InvalidInputError, MissingFileError
from keras_resnet.export.runners import Runner
from keras_resnet.inference.images import read_images
from keras_resnet.models.labels import folder_labels, keras_file_labels

__all__ = ["Predictor", "load"]


@dataclasses.dataclass
class Predictor:
    """A model runner with its class names and input size; `predict` classifies image files.

    Args:
        runner: runs a batch of float32 RGB 0-255 images (an `export.runners.Runner`).
        class_names: one name per output, or None (indices are shown instead).
        image_size: (height, width) images are resized and cropped to.
        channels: image channels the model takes (3 for RGB, 1 for grey).
        source: what was loaded (a run folder, a file, or `model:weights`), for messages.
    """

    runner: Runner
    class_names: tuple[str, ...] | None
    image_size: tuple[int, int]
    channels: int
    source: str

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities for a batch of RGB 0-255 images (softmax applied to logits)."""
        outputs = np.asarray(self.runner.predict(images), dtype=np.float64)
        sums = outputs.sum(axis=-1)
        if outputs.min() < 0 or not np.allclose(sums, 1.0, atol=1e-3):  # logits, not probabilities
            outputs = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
            outputs /= outputs.sum(axis=-1, keepdims=True)
        return outputs

    def predict(self, paths: str | Path | Sequence[str | Path], *, top: int = 5) -> list[dict[str, Any]]:
        """[{"image", "top": [{"index", "label", "probability"}, ...]}] for image files or folders."""
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise InvalidInputError(f"top must be an integer >= 1; got {top!r}")
        files, images = read_images(
            [paths] if isinstance(paths, (str, Path)) else paths, self.image_size, self.channels
        )
        probabilities = self.probabilities(images)
        results = []
        for path, row in zip(files, probabilities):
            best = np.argsort(-row, kind="stable")[:top]
            results.append(
                {
                    "image": str(path),
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


def load(source: str | Path) -> Predictor:
    """The predictor for `source` (see the module docstring)."""
    text = str(source)
    path = Path(text)
    if not path.exists() and ":" in text and "/" not in text:
        return _named(*text.split(":", 1))
    if not path.exists():
        raise MissingFileError(f"no such model file or folder: {text!r}")
    if path.suffix == ".tflite":
        return _tflite(path)
    saved_model = path if (path / "saved_model.pb").is_file() else path / "saved_model"
    if (saved_model / "saved_model.pb").is_file():
        return _saved_model(saved_model)
    return _keras(path)


def _keras(path: Path) -> Predictor:
    from keras_resnet.export.loading import model_file
    from keras_resnet.export.runners import KerasRunner
    from keras_resnet.models.saving import load_keras_file
    from keras_resnet.training.run_folder import RunFolder

    file = model_file(path)
    model = load_keras_file(file)
    names = keras_file_labels(file)
    run = RunFolder(path)
    if names is None and path.is_dir() and run.is_run():
        names = tuple(run.read_config().get("dataset", {}).get("class_names") or ()) or None
    return _predictor(KerasRunner(model), names, tuple(model.input.shape[1:]), str(file))


def _named(model_name: str, source: str) -> Predictor:
    from keras_resnet.export.runners import KerasRunner
    from keras_resnet.models.named import build

    model = build(model_name, weights=source)
    return _predictor(
        KerasRunner(model), model.class_names, tuple(model.input.shape[1:]), f"{model_name}:{source}"
    )


def _saved_model(folder: Path) -> Predictor:
    from keras_resnet.export.saved_model import SavedModelRunner

    runner = SavedModelRunner(folder)
    spec = runner.loaded.signatures["serve"].structured_input_signature[1]
    shape = tuple(next(iter(spec.values())).shape[1:])
    names = folder_labels(folder) or folder_labels(folder.parent)
    return _predictor(runner, names, shape, str(folder))


def _tflite(path: Path) -> Predictor:
    from keras_resnet.export.litert import LiteRTRunner

    runner = LiteRTRunner(path)
    shape = tuple(int(s) for s in runner._input["shape_signature"][1:])
    return _predictor(runner, folder_labels(path.parent), shape, str(path))


def _predictor(runner, names, shape: tuple, source: str) -> Predictor:
    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise InvalidInputError(
            f"{source} does not take (height, width, 1 or 3) images; its input is {shape}"
        )
    height, width, channels = (s if s and s > 0 else 224 for s in shape)
    return Predictor(runner, tuple(names) if names else None, (height, width), channels, source)

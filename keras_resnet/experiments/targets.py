"""What the lesion and landscape studies examine: a trained model and a fixed set of its images.

A target is a run folder (its checkpoint, scored on the dataset and splits it was trained on) or a
`.keras` file with a dataset spec. The images come as NumPy arrays, unaugmented, so every deletion
or grid point is scored on the very same examples. `score_arrays` gives the mean cross-entropy
(without the L2 term) and the accuracy, in inference mode, batch by batch.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from keras_resnet.errors import InvalidInputError, MissingFileError
from keras_resnet.training.run_folder import RunFolder

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Target", "load_target", "score_arrays"]

SPLITS = ("train", "validation", "test")


@dataclasses.dataclass
class Target:
    """A loaded model, a label for figures, and the (images, labels) it is scored on."""

    label: str
    model: object
    images: object
    labels: np.ndarray
    source: str
    dataset: str
    split: str

    def describe(self) -> dict:
        return {
            "label": self.label,
            "source": self.source,
            "dataset": self.dataset,
            "split": self.split,
            "examples": int(len(self.labels)),
        }


def load_target(
    target,
    *,
    dataset: str | None = None,
    split: str = "test",
    examples: int | None = None,
    checkpoint: str = "last",
    data_dir: str | None = None,
) -> Target:
    """Load a run folder or a `.keras` file and the first `examples` images of `split` (all: None).

    A run folder's dataset options are its own unless `dataset` is given; a `.keras` file needs
    `dataset`. The training split is read without augmentation.
    """
    from keras_resnet.models.saving import load_keras_file

    if split not in SPLITS:
        raise InvalidInputError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    if examples is not None and (isinstance(examples, bool) or examples < 1):
        raise InvalidInputError(f"examples must be a positive integer or None; got {examples!r}")
    path, options = Path(target), None
    if path.is_dir():
        run = RunFolder(path)
        options = _recorded_data(run)
        model_path, label = None, path.name
    elif path.is_file() and path.suffix == ".keras":
        model_path, label = path, path.stem
    elif not path.exists():
        raise MissingFileError(f"{target} does not exist (expected a run folder or a .keras file)")
    else:
        raise InvalidInputError(f"{target} is neither a run folder nor a .keras file")
    spec = dataset or (options or {}).get("spec")
    if spec is None:
        what = "run folder records no dataset" if options is not None else "is a .keras file"
        raise InvalidInputError(f"{target} {what}: pass --dataset SPEC to say which images to score on")
    model_path = model_path or run.checkpoint(checkpoint)
    model = load_keras_file(model_path)
    images, labels = _split_arrays(model, spec, split, options, data_dir=data_dir)
    if len(labels) == 0:
        raise InvalidInputError(
            f"dataset {spec!r} has no {split} images: pass a --dataset with a {split} split"
        )
    if examples is not None:
        images, labels = images[:examples], labels[:examples]
    return Target(label, model, images, labels, str(model_path), spec, split)


def _recorded_data(run: RunFolder) -> dict:
    """The run's dataset options; {} when the run folder records none."""
    try:
        return run.dataset_options()
    except KeyError:
        return {}


def _split_arrays(model, spec: str, split: str, options: dict | None, *, data_dir):
    import numpy as np

    from keras_resnet.data.pipelines import load_datasets

    options = options or {}
    data = load_datasets(
        spec,
        batch_size=1,
        eval_batch_size=256,
        augment=False,
        data_dir=data_dir or options.get("data_dir"),
        image_size=options.get("image_size") or tuple(model.input_shape[1:3]),
        validation_fraction=options.get("validation_fraction", 0.1),
        skip_bad_images=options.get("skip_bad_images", False),
    )
    expected = tuple(model.input_shape[1:])
    if tuple(data.info.image_shape) != expected:
        raise InvalidInputError(
            f"{spec} images are {tuple(data.info.image_shape)} but the model expects {expected}"
        )
    pipeline = {"train": data.train, "validation": data.validation, "test": data.test}[split]
    batches = [(np.asarray(batch[0]), np.asarray(batch[1])) for batch in _numpy_batches(pipeline)]
    if not batches:
        return np.zeros((0, *expected), "float32"), np.zeros((0,), "int64")
    labels = np.concatenate([b[1] for b in batches])
    labels = labels.argmax(axis=-1) if labels.ndim > 1 else labels  # one-hot labels -> class ids
    return np.concatenate([b[0] for b in batches]), labels.astype("int64")


def _numpy_batches(pipeline):
    """(images, labels, ...) batches as NumPy from a tf.data pipeline or a Keras PyDataset."""
    if hasattr(pipeline, "as_numpy_iterator"):
        return pipeline.as_numpy_iterator()
    return (pipeline[index] for index in range(len(pipeline)))


def score_arrays(model, images, labels, *, batch_size: int = 256, compiled: bool = False) -> dict:
    """Mean cross-entropy and accuracy of `model` on the arrays, in inference mode.

    `compiled=False` calls the model eagerly (no tracing: right for a model used once, as each
    lesioned net is); `compiled=True` uses `predict` (traced once: right for a model scored many
    times, as at each landscape grid point). A non-finite output gives loss and accuracy NaN.
    """
    import keras
    import numpy as np

    if compiled:
        outputs = model.predict(images, batch_size=batch_size, verbose=0)
    else:
        outputs = np.concatenate(
            [
                keras.ops.convert_to_numpy(model(images[start : start + batch_size], training=False))
                for start in range(0, len(images), batch_size)
            ]
        )
    outputs = np.asarray(outputs, dtype="float64")
    if not np.all(np.isfinite(outputs)):
        return {"loss": float("nan"), "accuracy": float("nan"), "finite": False}
    probabilities = outputs if _outputs_probabilities(model) else _softmax(outputs)
    # As keras' cross-entropy on probabilities: normalised, clipped to [eps, 1 - eps].
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    epsilon = keras.config.epsilon()
    picked = np.clip(probabilities[np.arange(len(labels)), labels], epsilon, 1.0 - epsilon)
    loss = float(np.mean(-np.log(picked)))
    accuracy = float(np.mean(outputs.argmax(axis=1) == labels))
    return {"loss": loss, "accuracy": accuracy, "finite": bool(np.isfinite(loss))}


def _outputs_probabilities(model) -> bool:
    """Whether the model ends in a softmax (the builder's default) rather than logits."""
    activation = model.layers[-1].get_config().get("activation")
    return activation == "softmax"


def _softmax(logits):
    import numpy as np

    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)

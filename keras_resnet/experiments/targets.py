"""What the lesion and landscape studies examine: a trained model and a fixed set of its images.

A target is a run folder (its checkpoint, scored on the dataset and splits it was trained on) or a
`.keras` file with a dataset spec. The images come as NumPy arrays, unaugmented, so every deletion
or grid point is scored on the very same examples. `score_arrays` gives the mean cross-entropy
(without the L2 term) and the accuracy, in inference mode, batch by batch, by the one scoring rule
of `training.evaluation`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keras_resnet.errors import InvalidInputError, MissingFileError
from keras_resnet.training.evaluation import cross_entropy_and_accuracy, outputs_probabilities
from keras_resnet.training.run_folder import RunFolder

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Target", "load_target", "score_arrays", "study_each"]

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


def study_each(
    targets,
    *,
    study: str,
    settings: dict,
    finished: Callable[[str, dict], dict | None],
    run: Callable[[str, Target, dict], dict],
    load: dict[str, Any],
    verbose: int = 1,
) -> dict[str, dict]:
    """The loop every study runs over its targets: load each, reuse its finished study when one
    was made with the same settings, else run it. Returns label -> study, in the targets' order.

    Args:
        targets: a run folder or `.keras` file, or a list of them.
        study: the study's name, for progress lines ("lesion", "landscape").
        settings: the study's own settings (draws, grid, seed, ...); the target's data, model
            file and that file's modification time are added, so a changed file is studied again.
        finished: (label, settings) -> the study saved for `label` if it was made with
            `settings`, else None.
        run: (label, target, settings) -> the new study (saved by `run`).
        load: `load_target`'s options (dataset, split, examples, checkpoint).
        verbose: 0 for no progress lines.
    """
    targets = [targets] if isinstance(targets, (str, Path)) else list(targets)
    if not targets:
        raise InvalidInputError("give at least one run folder or .keras file")
    studies: dict[str, dict] = {}
    for target in targets:
        loaded = load_target(target, **load)
        label, n = loaded.label, 2
        while label in studies:
            label, n = f"{loaded.label}-{n}", n + 1
        described = {k: v for k, v in loaded.describe().items() if k != "label"}
        full = {**described, "source_modified": os.stat(loaded.source).st_mtime, **settings}
        reused = finished(label, full)
        if verbose:
            what = (
                "reusing its finished study"
                if reused is not None
                else f"{loaded.source}, {len(loaded.labels)}"
            )
            print(f"{study}: {label} ({what}{'' if reused is not None else f' {loaded.split} images'})")
        studies[label] = reused if reused is not None else run(label, loaded, full)
    return studies


def _recorded_data(run: RunFolder) -> dict:
    """The run's dataset options; {} when the run folder records none."""
    try:
        return run.dataset_options()
    except KeyError:
        return {}


def _split_arrays(model, spec: str, split: str, options: dict | None, *, data_dir):
    import numpy as np

    from keras_resnet.data.pipelines import load_datasets, numpy_batches

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
    batches = [(np.asarray(batch[0]), np.asarray(batch[1])) for batch in numpy_batches(pipeline)]
    if not batches:
        return np.zeros((0, *expected), "float32"), np.zeros((0,), "int64")
    labels = np.concatenate([b[1] for b in batches])
    labels = labels.argmax(axis=-1) if labels.ndim > 1 else labels  # one-hot labels -> class ids
    return np.concatenate([b[0] for b in batches]), labels.astype("int64")


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
    return cross_entropy_and_accuracy(outputs, labels, probabilities=outputs_probabilities(model))

"""Score a model on a dataset split: the test metrics of `train` and the `evaluate` command.

Scores come from predictions (accuracy, top-5, mean cross-entropy), so they do not depend on the
loss a model was trained with (label smoothing, L2) and work under any distribution strategy.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from keras_resnet.training import run_folder as runs


def score(model, dataset, *, top5: bool = False) -> dict:
    """Accuracy (and top-5) and mean cross-entropy of `model` on (image, int label) batches.

    Computed from predictions, so it is the same whatever loss (label smoothing, L2) trained it.
    Elements may carry a third item, a weight; weight-0 padding is left out.
    """
    import numpy as np

    labels, weights = [], []
    for batch in dataset.as_numpy_iterator():
        labels.append(batch[1])
        weights.append(batch[2] if len(batch) > 2 else np.ones(len(batch[1])))
    if not labels:
        raise ValueError("the evaluation split is empty")
    real = np.concatenate(weights) > 0  # padding (weight 0) is not scored
    y = np.concatenate(labels)[real]
    # model.predict (not predict_on_batch) splits batches correctly under a distribution strategy.
    images = dataset.map(_images_only)
    p = np.asarray(model.predict(images, verbose=0), dtype="float64")[real]
    result = {
        "examples": int(len(y)),
        "accuracy": float(np.mean(p.argmax(axis=1) == y)),
        "loss": float(np.mean(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0)))),
    }
    if top5 and p.shape[1] > 5:
        top = np.argsort(-p, axis=1)[:, :5]
        result["top5_accuracy"] = float(np.mean((top == y[:, None]).any(axis=1)))
    return result


def evaluate_run(
    target: str,
    *,
    dataset: str | None = None,
    split: str = "test",
    checkpoint: str = "last",
    batch_size: int = 256,
    data_dir: str | None = None,
    download: bool = False,
) -> dict:
    """Score a run folder's checkpoint (`last` or `best`) or a `.keras` file on a dataset split.

    For a run folder the dataset defaults to the one it was trained on.
    """
    from keras_resnet.data.pipelines import load_datasets

    if split not in ("test", "validation"):
        raise ValueError(f"unknown split {split!r}; choose test or validation")
    if batch_size < 1:
        raise ValueError(f"batch size must be a positive integer, got {batch_size}")
    if checkpoint not in ("last", "best"):
        raise ValueError(f"unknown checkpoint {checkpoint!r}; choose last or best")
    path = Path(target)
    config = None
    if path.is_dir():
        run = runs.RunFolder(path)
        if not run.config.is_file():
            raise ValueError(f"{path} is not a run folder (no config.json)")
        config = runs.read_json(run.config)["train_config"]
        path = run.best if checkpoint == "best" else run.last
        if not path.is_file():
            raise ValueError(f"run has no {checkpoint} checkpoint yet ({path})")
    elif not (path.is_file() and path.suffix == ".keras"):
        raise ValueError(f"{target} is neither a run folder nor a .keras file")
    spec = dataset or (config["dataset"] if config else None)
    if spec is None:
        raise ValueError("pass --dataset to evaluate a .keras file")
    model = load_model(path)
    datasets = load_datasets(
        spec,
        batch_size=1,  # the training pipeline is not used; only its size is checked against this
        eval_batch_size=batch_size,
        data_dir=data_dir or (config["data_dir"] if config else None),
        image_size=_image_size(config, model),
        validation_fraction=config["validation_fraction"] if config else 0.1,
        download=download,
    )
    expected = tuple(model.input_shape[1:])
    if tuple(datasets.info.image_shape) != expected:
        raise ValueError(f"{spec} images are {datasets.info.image_shape} but the model expects {expected}")
    split_data = datasets.test if split == "test" else datasets.validation
    result = score(model, split_data, top5=datasets.info.classes > 5)
    return {"model": str(path), "dataset": spec, "split": split, **result}


def load_model(path):
    """Load a `.keras` file without compiling, with the package's custom layers registered."""
    import importlib

    import keras

    with contextlib.suppress(ImportError):  # registers the package's custom layers, if any
        importlib.import_module("keras_resnet.models.layers")
    return keras.saving.load_model(path, compile=False)


def _image_size(config: dict | None, model) -> tuple[int, int] | None:
    """The run's --image-size, or for a bare .keras file the model's own input size."""
    if config is not None:
        return tuple(config["image_size"]) if config.get("image_size") else None
    return tuple(model.input_shape[1:3])


def _images_only(*example):
    return example[0]

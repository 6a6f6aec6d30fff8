"""Score a model on a dataset split: the test metrics of `train` and the `evaluate` command.

Scores come from predictions (accuracy, top-5, mean cross-entropy), so they do not depend on the
loss a model was trained with (label smoothing, L2) and work under any distribution strategy.
`cross_entropy_and_accuracy` is the one scoring rule (the lesion and landscape studies use it
too); whether outputs are probabilities or logits is read from the model's classifier activation,
never guessed from the numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from keras_resnet._utils.validation import check_choice, check_int
from keras_resnet.errors import InvalidInputError, MissingFileError
from keras_resnet.training import distribution
from keras_resnet.training.run_folder import RunFolder

if TYPE_CHECKING:
    import keras
    import numpy as np


def score(model, dataset, *, top5: bool = False) -> dict:
    """Accuracy (and top-5) and mean cross-entropy of `model` on (image, int label) batches.

    Computed from predictions, so it is the same whatever loss (label smoothing, L2) trained it.
    Elements may carry a third item, a weight; weight-0 padding is left out.
    """
    import numpy as np

    from keras_resnet.data.pipelines import images_only, numpy_batches

    labels, weights = [], []
    for batch in numpy_batches(dataset):
        labels.append(batch[1])
        weights.append(batch[2] if len(batch) > 2 else np.ones(len(batch[1])))
    if not labels:
        raise InvalidInputError("the evaluation split is empty; pass a dataset with images in it")
    real = np.concatenate(weights) > 0  # padding (weight 0) is not scored
    y = np.concatenate(labels)[real]
    # model.predict (not predict_on_batch) splits batches correctly under a distribution strategy;
    # batches of one shape (the last one padded) are traced once per model, not twice.
    with distribution.process_local():
        p = model.predict(images_only(dataset, pad_to=len(labels[0])), verbose=0)
        p = np.asarray(p, dtype="float64")[: len(real)][real]
    scores = cross_entropy_and_accuracy(p, y, probabilities=outputs_probabilities(model))
    result = {"examples": int(len(y)), "accuracy": scores["accuracy"], "loss": scores["loss"]}
    if top5 and p.shape[1] > 5:
        top = np.argsort(-p, axis=1)[:, :5]
        result["top5_accuracy"] = float(np.mean((top == y[:, None]).any(axis=1)))
    return result


def outputs_probabilities(model: keras.Model) -> bool:
    """Whether `model` outputs probabilities (its classifier ends in a softmax, as the builder's
    default) rather than logits: read from its last layer (`models.outputs`), a fact of the model.

    Args:
        model: a Keras model.
    """
    from keras_resnet.models.outputs import output_kind

    return output_kind(model) == "probabilities"


def cross_entropy_and_accuracy(outputs: np.ndarray, labels: np.ndarray, *, probabilities: bool) -> dict:
    """Mean cross-entropy and top-1 accuracy of class scores; NaN both when an output is not finite.

    As Keras' cross-entropy on probabilities: normalised, clipped to [epsilon, 1 - epsilon].

    Args:
        outputs: (examples, classes) probabilities or logits.
        labels: (examples,) integer class ids.
        probabilities: True when `outputs` are probabilities, False for logits (softmax first);
            `outputs_probabilities(model)` says which.
    """
    import keras
    import numpy as np

    outputs, labels = np.asarray(outputs, dtype="float64"), np.asarray(labels)
    if not np.all(np.isfinite(outputs)):
        return {"loss": float("nan"), "accuracy": float("nan"), "finite": False}
    if not probabilities:
        exp = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        outputs_p = exp / exp.sum(axis=1, keepdims=True)
    else:
        outputs_p = outputs / outputs.sum(axis=1, keepdims=True)
    epsilon = keras.config.epsilon()
    picked = np.clip(outputs_p[np.arange(len(labels)), labels], epsilon, 1.0 - epsilon)
    loss = float(np.mean(-np.log(picked)))
    accuracy = float(np.mean(outputs.argmax(axis=1) == labels))
    return {"loss": loss, "accuracy": accuracy, "finite": bool(np.isfinite(loss))}


def evaluate_run(
    target: str,
    *,
    dataset: str | None = None,
    split: str = "test",
    checkpoint: str = "auto",
    batch_size: int = 256,
    data_dir: str | None = None,
    download: bool = False,
) -> dict:
    """Score a run folder's checkpoint or a `.keras` file on a dataset split.

    Args:
        target: a run folder or a `.keras` file.
        dataset: dataset spec; for a run folder, default the one it was trained on (with its
            split options), so it is scored on the same test images.
        split: "test" or "validation".
        checkpoint: for a run folder, "auto" (its best checkpoint, else its last: the rule
            `evaluate`, `predict` and `export` share), "best" or "last".
        batch_size: images per prediction batch.
        data_dir: where tfds data is prepared.
        download: let tfds download the data.
    """
    from keras_resnet.data.pipelines import load_datasets
    from keras_resnet.models.saving import load_keras_file

    check_choice("split", split, ("test", "validation"))
    check_choice("checkpoint", checkpoint, ("auto", "last", "best"))
    check_int("batch size", batch_size)
    path, options = Path(target), None
    if path.is_dir():
        run = RunFolder(path)
        options = run.dataset_options()
        path = run.checkpoint(checkpoint)
    elif not path.exists():
        raise MissingFileError(f"{target} is neither a run folder nor a .keras file (no such path)")
    elif path.suffix != ".keras":
        raise InvalidInputError(f"{target} is neither a run folder nor a .keras file")
    spec = dataset or (options["spec"] if options else None)
    if spec is None:
        raise InvalidInputError(f"pass --dataset to evaluate {target}: a .keras file names no dataset")
    model = load_keras_file(path)
    datasets = load_datasets(
        spec,
        batch_size=1,  # the training pipeline is not used; only its size is checked against this
        eval_batch_size=batch_size,
        data_dir=data_dir or (options["data_dir"] if options else None),
        image_size=options["image_size"] if options else tuple(model.input_shape[1:3]),
        validation_fraction=options["validation_fraction"] if options else 0.1,
        download=download,
        skip_bad_images=bool(options and options.get("skip_bad_images")),
    )
    expected = tuple(model.input_shape[1:])
    if tuple(datasets.info.image_shape) != expected:
        raise InvalidInputError(
            f"{spec} images are {datasets.info.image_shape} but the model expects {expected}"
        )
    classes = model.outputs[0].shape[-1]
    if datasets.info.classes != classes:
        raise InvalidInputError(
            f"{spec} has {datasets.info.classes} classes but the model predicts {classes}; "
            f"evaluate on a dataset with the model's {classes} classes (the one it was trained on)"
        )
    split_data = datasets.test if split == "test" else datasets.validation
    result = score(model, split_data, top5=datasets.info.classes > 5)
    return {"model": str(path), "dataset": spec, "split": split, **result}

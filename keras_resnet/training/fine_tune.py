"""Fine-tuning a pretrained ResNet: its backbone with a new head, the record of what was loaded,
and the freeze schedule (a head-only warm-up with the backbone frozen, then the whole net).

`build_fine_tune_model` builds a named model without its ImageNet classifier, with the weights of
a named source ("imagenet", "torchvision", "timm", "keras.applications") or of a file (a
torchvision/timm `.safetensors`/`.pth`, or one of our `.keras`/`.weights.h5` files), and puts a new
classifier sized to the dataset on top. The source's preprocessing is the model's first layer, so
it takes raw RGB 0-255 pixels, as every pretrained model of the package does. `LoadedWeights`
says which file was loaded, with the sha256 of its bytes, for the run folder.

The schedule follows Kumar et al. 2022 ("Fine-tuning can distort pretrained features", LP-FT) and
the Keras transfer-learning guide: first only the new head trains (a random head's large early
gradients would otherwise run back through, and disturb, the pretrained features), then every
layer trains at a lower learning rate. BatchNorm layers stay frozen throughout (`trainable=False`
also puts a Keras 3 BatchNormalization layer in inference mode): the small batches of a small
dataset would replace ImageNet's statistics with noisy ones. Each phase is its own `compile`: in
Keras, what is trainable is fixed when the train function is built.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keras_resnet.errors import ArchitectureMismatchError, InvalidInputError
from keras_resnet.training import recipes

if TYPE_CHECKING:
    import keras

HEAD_LAYERS = ("predictions", "predictions_activation")
PHASES = ("head", "full")
SAVED_SUFFIXES = (".keras", ".weights.h5")


@dataclasses.dataclass(frozen=True)
class LoadedWeights:
    """What a fine-tune run started from, as config.json records it."""

    source: str  # a registry source ("torchvision", ...) or "file"
    path: str  # the file actually loaded
    sha256: str  # of that file's bytes
    layout: str  # "torch", "keras.applications" or "keras"
    normalization: tuple  # (mean, std) per RGB channel on 0-255 pixels, inside the model
    url: str | None = None
    published_hash: str | None = None  # the source's own hash (md5, sha256 or its prefix)
    resize: int | None = None  # the source's evaluation rule: shorter side, then centre crop
    crop: int | None = None

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["normalization"] = [list(values) for values in self.normalization]
        return data


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 hex digest of the file at `path`, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_fine_tune_model(
    name: str,
    *,
    weights: str,
    classes: int,
    input_shape: tuple,
    kernel_regularizer: Any = None,
    **model_args: Any,
) -> tuple[keras.Model, LoadedWeights]:
    """`name` with `weights` loaded, its classifier replaced by a new one of `classes` outputs.

    Args:
        name: a model name from the spec table (`keras-resnet models`).
        weights: a source name, or the path of a `.safetensors`/`.pth`/`.pt` (torchvision/timm
            layout), `.keras` or `.weights.h5` file.
        classes: outputs of the new head (softmax).
        input_shape: (height, width, channels) of the images.
        kernel_regularizer: put on the new head's kernel (the backbone's kernels get the
            recipe's weight decay from `compile`).
        **model_args: further architecture options (must agree with the source's).

    Returns:
        The model (layers named as `build(name)` names them, head "predictions") and what was loaded.
    """
    from keras_resnet.models.pretrained.registry import is_source_name, looks_like_source_name, resolve

    if is_source_name(weights):
        backbone, loaded = _from_source(name, resolve(name, weights), input_shape, model_args)
    elif looks_like_source_name(weights) and not os.path.exists(weights):
        resolve(name, weights)  # raises: an unknown source, named with the valid ones
        raise AssertionError("unreachable")
    else:
        backbone, loaded = _from_file(name, Path(weights), input_shape, model_args)
    return with_new_head(backbone, classes, kernel_regularizer=kernel_regularizer), loaded


def _from_source(name, entry, input_shape, model_args) -> tuple[keras.Model, LoadedWeights]:
    from keras_resnet.models.named import build
    from keras_resnet.models.pretrained.build import load_entry, pretrained_options
    from keras_resnet.models.pretrained.fetch import fetch

    options = pretrained_options(
        entry, {**model_args, "include_top": False, "pooling": "avg", "input_shape": input_shape}
    )
    path = fetch(entry)
    backbone = build(name, **options)
    load_entry(entry, backbone, path)
    return backbone, LoadedWeights(
        source=entry.source,
        path=str(path),
        sha256=file_sha256(path),
        layout=entry.layout,
        normalization=entry.normalization,
        url=entry.url,
        published_hash=entry.file_hash,
        resize=entry.resize,
        crop=entry.crop,
    )


def _from_file(name, path: Path, input_shape, model_args) -> tuple[keras.Model, LoadedWeights]:
    from keras_resnet.models.named import build
    from keras_resnet.models.pretrained.files import TORCH_SUFFIXES
    from keras_resnet.models.pretrained.registry import IMAGENET_MEAN_STD, TORCH_LAYOUT_OPTIONS

    if not path.is_file():
        from keras_resnet.errors import MissingFileError

        raise MissingFileError(
            f"weights file {str(path)!r} does not exist; give a source (imagenet, torchvision, timm, "
            "keras.applications) or the path of a .safetensors, .pth, .keras or .weights.h5 file"
        )
    base = {"include_top": False, "pooling": "avg", "input_shape": input_shape}
    if path.name.endswith(TORCH_SUFFIXES):
        options = {**TORCH_LAYOUT_OPTIONS, **model_args, "normalization": IMAGENET_MEAN_STD}
        backbone = build(name, **options, **base, weights=str(path))
        layout, normalization = "torch", IMAGENET_MEAN_STD
    elif path.name.endswith(SAVED_SUFFIXES):
        saved, normalization = _saved_model(name, path, model_args)
        backbone = build(name, **model_args, **base, normalization=normalization)
        _copy_backbone(saved, backbone, path)
        layout = "keras"
    else:
        raise InvalidInputError(
            f"weights file {str(path)!r} has an unknown format; give a .safetensors, .pth, .pt, "
            ".keras or .weights.h5 file"
        )
    return backbone, LoadedWeights(
        source="file", path=str(path), sha256=file_sha256(path), layout=layout, normalization=normalization
    )


def _saved_model(name: str, path: Path, model_args: dict) -> tuple[keras.Model, tuple]:
    """The model a `.keras` file holds (with its own normalisation), or `name` built around a
    `.weights.h5` file (its classes read from the file; ImageNet normalisation, which a file of
    weights does not record)."""
    from keras_resnet.models.pretrained.registry import IMAGENET_MEAN_STD

    if path.suffix == ".keras":
        import keras
        import numpy as np

        from keras_resnet.models.saving import load_keras_file

        saved = load_keras_file(path)
        try:
            layer = saved.get_layer("normalization")
        except ValueError:  # no normalisation layer: the model took raw pixels as they are
            return saved, ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
        mean, variance = (np.ravel(keras.ops.convert_to_numpy(v)) for v in (layer.mean, layer.variance))
        return saved, (tuple(float(m) for m in mean), tuple(float(v) ** 0.5 for v in variance))
    from keras_resnet.models.named import build

    classes = _saved_classes(path)
    saved = build(
        name,
        **model_args,
        include_top=classes is not None,
        classes=classes or 1000,
        pooling=None if classes else "avg",
        normalization=IMAGENET_MEAN_STD,
        weights=str(path),
    )
    return saved, IMAGENET_MEAN_STD


def _saved_classes(path: Path) -> int | None:
    """The classifier width a `.weights.h5` file holds (None: it has no `predictions` layer)."""
    import h5py

    from keras_resnet.models.saving import check_weights_file

    check_weights_file(path)
    with h5py.File(path, "r") as file:
        bias = file.get("layers/predictions/vars/1")
        return None if bias is None else int(bias.shape[0])


def _copy_backbone(saved: keras.Model, backbone: keras.Model, path: Path) -> None:
    """Every weighted layer of `backbone` takes its same-named twin's weights from `saved`."""
    problems = []
    for layer in backbone.layers:
        if not layer.weights:
            continue
        try:
            twin = saved.get_layer(layer.name)
        except ValueError:
            problems.append(f"{layer.name} missing")
            continue
        shapes = [tuple(w.shape) for w in layer.weights]
        if [tuple(w.shape) for w in twin.weights] != shapes:
            problems.append(f"{layer.name} {shapes}")
            continue
        layer.set_weights(twin.get_weights())
    if problems:
        raise ArchitectureMismatchError(
            f"{str(path)!r} does not hold this model's backbone ({', '.join(problems[:3])}); build "
            "the architecture the file was saved from (same name and --model-arg options)"
        )


def with_new_head(backbone: keras.Model, classes: int, *, kernel_regularizer: Any = None) -> keras.Model:
    """`backbone` (pooled features out) with a new softmax classifier of `classes` outputs, named
    as the package's own heads ("predictions" logits, then a float32 "predictions_activation")."""
    import keras

    logits = keras.layers.Dense(classes, kernel_regularizer=kernel_regularizer, name=HEAD_LAYERS[0])(
        backbone.output
    )
    outputs = keras.layers.Activation("softmax", dtype="float32", name=HEAD_LAYERS[1])(logits)
    return keras.Model(backbone.input, outputs, name=backbone.name)


def set_phase(model: keras.Model, phase: str, *, batchnorm: str = "frozen") -> None:
    """Make the head alone ("head") or every layer ("full") trainable; BatchNorm layers stay
    frozen, in inference mode, when `batchnorm` is "frozen"."""
    import keras

    model.trainable = True
    for layer in model.layers:
        if layer.name in HEAD_LAYERS:
            layer.trainable = True
        elif isinstance(layer, keras.layers.BatchNormalization) and batchnorm == "frozen":
            layer.trainable = False
        else:
            layer.trainable = phase == "full"


def phase_of_epoch(epoch: int, freeze_epochs: int) -> str:
    """The phase epoch `epoch` (0-based) trains in."""
    return "head" if epoch < freeze_epochs else "full"


def phase_of_backup(epochs_done: int, freeze_epochs: int) -> str:
    """The phase whose model and optimizer a backup after `epochs_done` epochs holds."""
    return phase_of_epoch(max(epochs_done - 1, 0), freeze_epochs)


def segments(initial_epoch: int, epochs: int, freeze_epochs: int) -> list[tuple[str, int, int]]:
    """(phase, first epoch, end epoch) for the epochs still to train, in order."""
    bounds = [("head", 0, min(freeze_epochs, epochs)), ("full", min(freeze_epochs, epochs), epochs)]
    return [
        (phase, max(start, initial_epoch), end)
        for phase, start, end in bounds
        if end > max(start, initial_epoch)
    ]


class FreezeSchedule:
    """Compiles a model for each phase of a fine-tune run: the head phase with SGD at the recipe's
    head learning rate (constant), the full phase with SGD at its learning rate, cosine-decayed
    over the full phase's steps, a fresh optimizer (the head's momentum is of another problem)."""

    def __init__(
        self,
        model,
        recipe,
        *,
        steps_per_epoch: int,
        epochs: int,
        jit_compile="auto",
        loaded: LoadedWeights | None = None,
    ):
        self.model, self.recipe, self.loaded = model, recipe, loaded
        self.steps_per_epoch, self.epochs, self.jit_compile = steps_per_epoch, epochs, jit_compile
        self.phase: str | None = None

    def compile(self, phase: str) -> recipes.CompiledRecipe:
        """Set what trains in `phase` and compile the model for it (a fresh optimizer)."""
        recipe = self.recipe
        set_phase(self.model, phase, batchnorm=recipe.batchnorm)
        if phase == "head":
            schedule = recipe.head_learning_rate
        else:
            full = max(self.epochs - recipe.freeze_epochs, 1)
            schedule = recipes.make_schedule(recipe, steps_per_epoch=self.steps_per_epoch, epochs=full)
        loss, metrics, one_hot = recipes.make_loss_and_metrics(
            recipe, classes=int(self.model.outputs[0].shape[-1])
        )
        recipes.apply_weight_decay(self.model, recipe)
        optimizer = recipes.make_optimizer(recipe, schedule)
        self.model.compile(optimizer=optimizer, loss=loss, metrics=metrics, jit_compile=self.jit_compile)
        self.phase = phase
        return recipes.CompiledRecipe(recipe, recipes.warmup_callbacks(recipe, schedule), one_hot)

    def prepare_restore(self, epochs_done: int) -> None:
        """Compile for the phase a backup after `epochs_done` epochs was written in."""
        phase = phase_of_backup(epochs_done, self.recipe.freeze_epochs)
        if phase != self.phase:
            self.compile(phase)

    def record(self) -> dict:
        """What config.json records: the weights loaded and the freeze schedule."""
        recipe = self.recipe
        schedule = {
            "freeze_epochs": recipe.freeze_epochs,
            "head_phase": {"epochs": [1, min(recipe.freeze_epochs, self.epochs)], "trains": "head only"}
            if recipe.freeze_epochs
            else None,
            "full_phase": {"epochs": [recipe.freeze_epochs + 1, self.epochs], "trains": "every layer"}
            if self.epochs > recipe.freeze_epochs
            else None,
            "batchnorm": recipe.batchnorm,
        }
        return {"weights": self.loaded.to_dict() if self.loaded else None, "freeze_schedule": schedule}

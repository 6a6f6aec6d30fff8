"""What defines a training run: `TrainConfig`, its resolution against a resumed run, its checks,
and the model it names (a name from the spec table or a `module:function` builder of one's own).
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import TYPE_CHECKING, Any

from keras_resnet._utils.validation import check_choice, check_int
from keras_resnet.errors import InvalidInputError
from keras_resnet.training import distribution, recipes
from keras_resnet.training.run_folder import RunFolder

if TYPE_CHECKING:
    import keras

PRECISIONS = ("mixed_float16", "mixed_bfloat16")
RUNTIME_FIELDS = ("data_dir", "download", "jit_compile", "gradient_norms", "pipeline")
"""Fields that may differ when a run is resumed: they do not change what is trained (`pipeline`
changes only which random stream draws the same augmentation, so a run can move between machines
with and without TensorFlow)."""


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run; `None` recipe fields take the recipe's defaults."""

    model: str = "resnet20"
    dataset: str = "digits"
    epochs: int = 30
    batch_size: int = 128
    recipe: str = "paper-cifar"
    lr: float | None = None
    weight_decay: float | None = None
    momentum: float | None = None
    warmup_epochs: float | None = None
    warmup_until_error: float | None = None
    label_smoothing: float | None = None
    weights: str | None = None  # a weight source or file to fine-tune from (None: from scratch)
    freeze_epochs: int | None = None  # head-only epochs with the backbone frozen (fine-tune: 1)
    head_lr: float | None = None  # the head phase's learning rate (fine-tune: 0.1 per 256 images)
    batchnorm: str | None = None  # "frozen" (fine-tune) or "train"
    seed: int = 0
    mixed_precision: str | None = None
    jit_compile: bool = False
    distribute: str | None = None
    data_dir: str | None = None
    download: bool = False
    image_size: tuple[int, int] | None = None
    validation_fraction: float = 0.1
    augment: bool = True
    gradient_norms: bool = True
    pipeline: str = "auto"  # input pipeline: auto, numpy or tfdata (`data.pipelines.PIPELINES`)
    skip_bad_images: bool = False  # folder datasets: train on the images that decode, list the rest
    model_args: dict = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["image_size"] = list(self.image_size) if self.image_size else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """The config of `data`, ignoring keys that are not fields (older runs recorded more)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("image_size"):
            values["image_size"] = tuple(values["image_size"])
        return cls(**values)


def resolve_config(given: dict, *, out: str, resume: bool) -> TrainConfig:
    """The config of a run: `given` options over the defaults, or, when resuming an existing run,
    over the run's saved options (so `--resume` needs no other flag). `weights` without a
    `recipe` picks the fine-tune recipe (a resumed run keeps its own)."""
    run = RunFolder(out)
    base = TrainConfig().to_dict()
    resuming = resume and run.is_run()
    if resuming:
        base = {**base, **run.train_config()}
    unknown = set(given) - set(base)
    if unknown:
        raise InvalidInputError(f"unknown training options: {', '.join(sorted(unknown))}")
    if given.get("weights") is not None and "recipe" not in given and not resuming:
        given = {**given, "recipe": recipes.FINE_TUNE}
    return TrainConfig.from_dict({**base, **given})


def resumed_config(saved: dict, given: TrainConfig) -> TrainConfig:
    """The saved config, refusing a resume whose options differ in what they train."""
    old = TrainConfig.from_dict(saved)
    new_dict, old_dict = given.to_dict(), old.to_dict()
    differing = [k for k in old_dict if k not in RUNTIME_FIELDS and old_dict[k] != new_dict[k]]
    if differing:
        details = ", ".join(f"{k}: run has {old_dict[k]!r}, given {new_dict[k]!r}" for k in differing)
        raise InvalidInputError(
            f"cannot resume with different options ({details}); use the run's options or --overwrite"
        )
    for field in RUNTIME_FIELDS:
        setattr(old, field, getattr(given, field))
    return old


def check_config(config: TrainConfig) -> recipes.ResolvedRecipe:
    """Validate what can be checked without data or disk; returns the resolved recipe."""
    import keras

    check_int("epochs", config.epochs)
    check_int("batch size", config.batch_size)
    check_choice("mixed precision", config.mixed_precision, (None, *PRECISIONS))
    check_choice("pipeline", config.pipeline, ("auto", "numpy", "tfdata"))
    distribution.check_distribute(config.distribute, backend=keras.backend.backend())
    if config.recipe == recipes.FINE_TUNE and config.weights is None:
        raise InvalidInputError(
            "the fine-tune recipe starts from pretrained weights: give --weights (imagenet, "
            "torchvision, timm, keras.applications or a weights file), or choose another --recipe"
        )
    if config.weights is not None:
        _check_weights(config.model, config.weights)
    return recipes.resolve_recipe(
        config.recipe,
        model=config.model,
        batch_size=config.batch_size,
        lr=config.lr,
        weight_decay=config.weight_decay,
        momentum=config.momentum,
        warmup_epochs=config.warmup_epochs,
        warmup_until_error=config.warmup_until_error,
        label_smoothing=config.label_smoothing,
        freeze_epochs=config.freeze_epochs,
        head_lr=config.head_lr,
        batchnorm=config.batchnorm,
    )


def _check_weights(model: str, weights: str) -> None:
    """Refuse, before any data is read, a weight source that does not publish `model`, an unknown
    source name, a missing file, or a builder of one's own (whose layers no source names)."""
    import os

    from keras_resnet.errors import MissingFileError
    from keras_resnet.models.pretrained.registry import is_source_name, looks_like_source_name, resolve

    if ":" in model:
        raise InvalidInputError(
            f"--weights needs a model name from `keras-resnet models`, not the builder {model!r}"
        )
    if is_source_name(weights) or (looks_like_source_name(weights) and not os.path.exists(weights)):
        resolve(model, weights)
    elif not os.path.isfile(weights):
        raise MissingFileError(
            f"weights file {weights!r} does not exist; give a source (imagenet, torchvision, timm, "
            "keras.applications) or the path of a .safetensors, .pth, .keras or .weights.h5 file"
        )


def default_model_builder(name: str, **options: Any) -> keras.Model:
    """`keras_resnet.build(name)`, or `module:function` for a builder of one's own.

    A custom builder takes the same keywords: classes, input_shape, normalization (mean, std),
    kernel_regularizer, plus any --model-arg options.
    """
    if ":" in name:
        module, _, function = name.partition(":")
        try:
            builder = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError) as err:
            raise InvalidInputError(f"cannot import model builder {name!r}: {err}") from None
        return builder(name=function, **options)
    from keras_resnet.models.named import build, list_models

    if name not in list_models():
        raise InvalidInputError(f"unknown model {name!r}; `keras-resnet models` lists the names")
    return build(name, **options)

"""Train a named model on a dataset spec with a recipe, into a resumable run folder.

`train(config, out=...)` wires data (`keras_resnet.data.pipelines`), the model builder, the recipe
(`keras_resnet.training.recipes`), callbacks and the run folder (`keras_resnet.training.run_folder`) together, then scores
the final and best checkpoints on the test split. `make_callbacks` is public so other features
(gradient norms, export) can add theirs through `train(..., extra_callbacks=[...])`.
Scoring lives in `keras_resnet.training.evaluation`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import shutil
import time
from pathlib import Path

from keras_resnet.training import distribution as distribute

from keras_resnet.training import recipes

from keras_resnet._utils.provenance import provenance
from keras_resnet.training import run_folder as runs
from keras_resnet.training.evaluation import load_model, score

PRECISIONS = ("mixed_float16", "mixed_bfloat16")
RUNTIME_FIELDS = ("data_dir", "download", "jit_compile", "gradient_norms", "export", "export_quantize")
"""Config fields that may differ when a run is resumed (they do not change what is trained)."""


class TrainingError(RuntimeError):
    """Training stopped for a reason the user must act on (e.g. the loss became NaN)."""


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
    model_args: dict = dataclasses.field(default_factory=dict)
    export: bool = True
    export_quantize: tuple[str, ...] = ("float32", "int8")

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["image_size"] = list(self.image_size) if self.image_size else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if values.get("image_size"):
            values["image_size"] = tuple(values["image_size"])
        return cls(**values)


def resolve_config(given: dict, *, out: str, resume: bool) -> TrainConfig:
    """The config of a run: `given` options over the defaults, or, when resuming an existing run,
    over the run's saved options (so `--resume` needs no other flag)."""
    config_path = runs.RunFolder(out).config
    base = TrainConfig().to_dict()
    if resume and config_path.is_file():
        base = runs.read_json(config_path)["train_config"]
    unknown = set(given) - set(base)
    if unknown:
        raise ValueError(f"unknown training options: {', '.join(sorted(unknown))}")
    return TrainConfig.from_dict({**base, **given})


def check_config(config: TrainConfig) -> recipes.ResolvedRecipe:
    """Validate what can be checked without data or disk; returns the resolved recipe."""
    import keras

    if not isinstance(config.epochs, int) or config.epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {config.epochs!r}")
    if not isinstance(config.batch_size, int) or config.batch_size < 1:
        raise ValueError(f"batch size must be a positive integer, got {config.batch_size!r}")
    if config.mixed_precision not in (None, *PRECISIONS):
        raise ValueError(f"unknown mixed precision {config.mixed_precision!r}; choose one of: {', '.join(PRECISIONS)}")
    distribute.check_distribute(config.distribute, backend=keras.backend.backend())
    if config.export:
        from keras_resnet.export.api import parse_quantize

        parse_quantize(config.export_quantize)
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
    )


def default_model_builder(name: str, **options):
    """`keras_resnet.models.resnet.build`, or `module:function` for a builder of one's own.

    A custom builder takes the same keywords: classes, input_shape, normalization (mean, std),
    kernel_regularizer, plus any --model-arg options.
    """
    import importlib

    if ":" in name:
        module, _, function = name.partition(":")
        try:
            builder = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError) as err:
            raise ValueError(f"cannot import model builder {name!r}: {err}") from None
        return builder(name=function, **options)
    try:
        from keras_resnet.models.resnet import build, list_models
    except ImportError as err:
        raise ValueError(f"the model builder is not available ({err}); use --model module:function") from None
    if name not in list_models():
        raise ValueError(f"unknown model {name!r}; `keras-resnet models` lists the names")
    return build(name, **options)


def tensorboard_available() -> bool:
    """TensorFlow 2.21 no longer installs TensorBoard; without it the run has no logs/ folder."""
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def make_callbacks(paths: runs.RunFolder, *, best_threshold: float | None = None, loggers=(), extra=()) -> list:
    """The standard callback list of a run, with `loggers` and `extra` placed before the loggers.

    `loggers` (callbacks that add values to the epoch logs, e.g. the gradient-norm probe) come
    first, so their time counts in epoch_seconds. Then EpochStats (it adds learning_rate and
    epoch_seconds to the logs), then `extra`, so the metrics they add are recorded too,
    TerminateOnNaN raising at the first bad batch (so nothing of that epoch is saved), CSVLogger
    appending to history.csv, TensorBoard (when installed), best and last `.keras` checkpoints,
    and the backup.
    """
    import keras

    from keras_resnet.training.checkpoints import AtomicModelCheckpoint, EpochBackup, EpochStats

    tensorboard = []
    if tensorboard_available():
        tensorboard = [keras.callbacks.TensorBoard(log_dir=str(paths.logs), write_graph=False)]
    return [
        *loggers,
        EpochStats(),
        *extra,
        keras.callbacks.TerminateOnNaN(raise_error=True),
        keras.callbacks.CSVLogger(str(paths.history), append=True),
        *tensorboard,
        AtomicModelCheckpoint(
            str(paths.best),
            monitor="val_accuracy",
            mode="max",
            save_best_only=True,
            initial_value_threshold=best_threshold,
        ),
        AtomicModelCheckpoint(str(paths.last)),
        EpochBackup(paths.backup),
    ]


def train(
    config: TrainConfig,
    *,
    out: str,
    resume: bool = False,
    overwrite: bool = False,
    verbose="auto",
    extra_callbacks=(),
    build_model=None,
) -> dict:
    """Train (or continue) the run in `out`; returns the metrics also written to metrics.json.

    `build_model(name, *, classes, input_shape, normalization, kernel_regularizer, **model_args)`
    defaults to the package's builder. With `resume`, the run's saved config is used and any
    differing option is refused; a finished run is not trained again.
    """
    import keras

    from keras_resnet.training.checkpoints import restore_backup
    from keras_resnet.data.pipelines import load_datasets

    paths, saved = runs.open_run_dir(out, resume=resume, overwrite=overwrite)
    if saved is not None:
        config = _resumed_config(saved["train_config"], config)
        if paths.metrics.is_file():
            print(f"run {paths.root} is already complete; nothing to do")
            return runs.read_json(paths.metrics)
    recipe = check_config(config)
    build_model = build_model or default_model_builder
    chief = distribute.is_chief()
    start = time.perf_counter()
    keras.utils.set_random_seed(config.seed)
    with _precision(config.mixed_precision), distribute.distribution_scope(config.distribute) as replicas:
        if config.distribute == "data-parallel" and config.batch_size % replicas:
            raise ValueError(f"batch size {config.batch_size} must be divisible by the {replicas} devices")
        datasets = load_datasets(
            config.dataset,
            batch_size=config.batch_size,
            seed=config.seed,
            augment=config.augment,
            data_dir=config.data_dir,
            image_size=config.image_size,
            validation_fraction=config.validation_fraction,
            download=config.download,
            drop_remainder=config.distribute is not None,
            eval_multiple=replicas if config.distribute == "data-parallel" else 1,
        )
        info = datasets.info
        steps = _steps_per_epoch(info.train_examples, config.batch_size, drop=config.distribute is not None)
        schedule = recipes.make_schedule(recipe, steps_per_epoch=steps, epochs=config.epochs)
        loss, metrics, one_hot = recipes.make_loss_and_metrics(recipe, classes=info.classes)
        model = build_model(
            config.model,
            classes=info.classes,
            input_shape=info.image_shape,
            normalization=(info.mean, info.std),
            kernel_regularizer=recipes.kernel_regularizer(recipe),
            **config.model_args,
        )
        model.compile(
            optimizer=recipes.make_optimizer(recipe, schedule),
            loss=loss,
            metrics=metrics,
            jit_compile=True if config.jit_compile else "auto",
        )
        train_data, val_data = datasets.train, datasets.validation
        if one_hot:
            train_data, val_data = (_one_hot(d, info.classes) for d in (train_data, val_data))
        if not chief:  # a non-chief worker writes into a scratch folder, never the run folder
            paths = runs.RunFolder(Path(paths.root) / f".worker-{_task_index()}")
        runs.init_run_dir(paths, overwrite=overwrite)
        initial_epoch = restore_backup(model, paths.backup) if saved is not None else 0
        runs.truncate_history(paths.history, epochs=initial_epoch)
        history = runs.read_history(paths.history)
        _write_config(paths, config, recipe, info, saved, initial_epoch, replicas, steps)
        if not tensorboard_available():
            print("note: TensorBoard is not installed (pip install tensorboard); no logs/ folder")
        gradients = _gradient_callback(datasets, paths, one_hot) if config.gradient_norms else None
        export = None
        if config.export and chief:  # SavedModel + TFLite of the best checkpoint into <run>/export/
            from keras_resnet.export.callback import run_export_callback

            export = run_export_callback(
                paths.root, quantize=config.export_quantize, spec=config.dataset, data_dir=config.data_dir,
                image_size=config.image_size, validation_fraction=config.validation_fraction,
                download=config.download, verbose=verbose != 0)
        warmup = recipes.warmup_callbacks(recipe, schedule, verbose=verbose != 0)
        callbacks = make_callbacks(
            paths,
            best_threshold=runs.best_value(history, "val_accuracy"),
            loggers=[gradients] if gradients else [],
            extra=[*warmup, *extra_callbacks, *([export] if export else [])],
        )
        try:
            model.fit(
                train_data,
                validation_data=val_data if info.validation_examples else None,
                epochs=config.epochs,
                initial_epoch=initial_epoch,
                callbacks=callbacks,
                verbose=verbose,
                shuffle=False,  # the pipeline shuffles
            )
        except RuntimeError as err:
            if "NaN or Inf loss" not in str(err):
                raise
            done = runs.read_history(paths.history)
            raise TrainingError(
                f"the loss became NaN/Inf in epoch {len(done) + 1}; training stopped. The last good "
                f"checkpoint is {paths.last if done else 'none (no epoch completed)'}. Lower --lr or "
                "add --warmup-epochs, then start again with --overwrite"
            ) from None
        final = score(model, datasets.test, top5=recipe.top5)
        best = score(load_model(paths.best), datasets.test, top5=recipe.top5) if paths.best.is_file() else None
    history = runs.read_history(paths.history)
    result = {
        "test": final,
        "test_best_checkpoint": best,
        "epochs_trained": len(history),
        "best_epoch": _best_epoch(history),
        "train_seconds_total": sum(row.get("epoch_seconds", 0.0) for row in history),
        "session_seconds": time.perf_counter() - start,
        "dataset": info.to_dict(),
    }
    if warmup and warmup[0].end_step is not None:
        result["warmup_end_step"] = warmup[0].end_step
    if export is not None and export.report is not None:
        result["export"] = {"out_dir": export.report["out_dir"], "source": export.report["source"],
                            "files": [row["file"] for row in export.report["files"]]}
    if chief:
        from keras_resnet.experiments.plots import plot_training_curves

        plot_training_curves(history, paths.curves, title=f"{config.model} on {config.dataset}")
        if gradients is not None and gradients.records:
            _plot_gradients(gradients.records, paths, title=f"{config.model} on {config.dataset}")
        runs.write_json(paths.metrics, result)
        shutil.rmtree(paths.backup, ignore_errors=True)
    return result


def _gradient_callback(datasets, paths: runs.RunFolder, one_hot: bool):
    """Per-layer gradient norms at each epoch end on a probe: the first 32 images of the first
    training batch, exactly as `fit` sees them (augmented, one-hot where the recipe uses it),
    from an identical pipeline so that taking it changes nothing `fit` sees. Rows go to
    gradient_norms.csv in the run folder, per-layer TensorBoard summaries to logs/gradients."""
    from keras_resnet.gradients.callback import GradientNormCallback

    probe_data = datasets.new_train()
    if one_hot:
        probe_data = _one_hot(probe_data, datasets.info.classes)
    tensorboard_dir = paths.logs / "gradients" if tensorboard_available() else None
    return GradientNormCallback.from_dataset(probe_data, output_dir=paths.root,
                                             tensorboard_dir=tensorboard_dir)


def _plot_gradients(records, paths: runs.RunFolder, *, title: str) -> None:
    """The layer x step heatmap and the depth profile at up to four epochs, first to last."""
    from keras_resnet.experiments.plots import plot_depth_profile, plot_gradient_heatmap

    epochs = sorted({r["epoch"] for r in records})
    chosen = sorted({epochs[round(i * (len(epochs) - 1) / 3)] for i in range(4)})
    plot_gradient_heatmap(records, paths.gradient_heatmap)
    plot_depth_profile({title: records}, paths.gradient_profile, epochs=chosen)


def _resumed_config(saved: dict, given: TrainConfig) -> TrainConfig:
    """The saved config, refusing a resume whose options differ in what they train."""
    old = TrainConfig.from_dict(saved)
    new_dict, old_dict = given.to_dict(), old.to_dict()
    differing = [k for k in old_dict if k not in RUNTIME_FIELDS and old_dict[k] != new_dict[k]]
    if differing:
        details = ", ".join(f"{k}: run has {old_dict[k]!r}, given {new_dict[k]!r}" for k in differing)
        raise ValueError(f"cannot resume with different options ({details}); use the run's options or --overwrite")
    for field in RUNTIME_FIELDS:
        setattr(old, field, getattr(given, field))
    return old


def _write_config(paths, config, recipe, info, saved, initial_epoch, replicas, steps) -> None:
    import keras

    sessions = list((saved or {}).get("sessions", []))
    sessions.append({**provenance(backend=keras.backend.backend()), "initial_epoch": initial_epoch})
    runs.write_json(
        paths.config,
        {
            "train_config": config.to_dict(),
            "recipe": recipe.to_dict(),
            "dataset": info.to_dict(),
            "replicas": replicas,
            "steps_per_epoch": steps,
            "seed": config.seed,
            "environment": sessions[0],
            "sessions": sessions,
        },
    )


@contextlib.contextmanager
def _precision(policy: str | None):
    """Set Keras' global dtype policy for the duration (restored afterwards)."""
    import keras

    previous = keras.config.dtype_policy()
    if policy:
        keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _steps_per_epoch(examples: int, batch_size: int, *, drop: bool) -> int:
    return examples // batch_size if drop else math.ceil(examples / batch_size)


def _one_hot(dataset, classes: int):
    import tensorflow as tf

    return dataset.map(lambda x, y, *weight: (x, tf.one_hot(y, classes), *weight))


def _best_epoch(history: list[dict]) -> int | None:
    values = [(row.get("val_accuracy", math.nan), -row["epoch"]) for row in history]
    values = [(v, e) for v, e in values if math.isfinite(v)]
    return 1 - max(values)[1] if values else None  # first epoch reaching the best, 1-based


def _task_index() -> int:
    import json
    import os

    return json.loads(os.environ.get("TF_CONFIG", "{}") or "{}").get("task", {}).get("index", 0)

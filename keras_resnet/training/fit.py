"""Train a named model on a dataset spec with a recipe, into a resumable run folder.

`train(config, out=...)` wires data (`keras_resnet.data`), the model builder, the recipe, the
per-layer gradient norms and the run folder together, fits, then scores the final and best
checkpoints on the test split and writes `metrics.json`, which marks the run finished. It draws
nothing and exports nothing: `keras_resnet.workflows.train_run` composes training with the
figures and the export.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from collections.abc import Sequence

from keras_resnet._utils.ownership import disk_errors_reported
from keras_resnet._utils.provenance import provenance
from keras_resnet.errors import InvalidInputError, TrainingError
from keras_resnet.training import compiling, distribution, preflight, recipes
from keras_resnet.training.callbacks import make_callbacks, tensorboard_available
from keras_resnet.training.checkpoints import restore_backup
from keras_resnet.training.config import TrainConfig, check_config, default_model_builder, resumed_config
from keras_resnet.training.evaluation import score
from keras_resnet.training.run_folder import (
    RunFolder,
    best_value,
    init_run_dir,
    open_run_dir,
    read_history,
    truncate_history,
)

__all__ = ["train", "TrainingError", "load_config_data"]


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

    run, saved = open_run_dir(out, resume=resume, overwrite=overwrite)
    if saved is not None:
        config = resumed_config(run.train_config(), config)
        if run.is_finished():
            print(f"run {run.root} is already complete; nothing to do")
            return run.read_metrics()
    recipe = check_config(config)
    preflight.check_output(run.root)
    preflight.check_model_args(config.model, config.model_args, build_model)
    start = time.perf_counter()
    keras.utils.set_random_seed(config.seed)
    with _precision(config.mixed_precision), distribution.distribution_scope(config.distribute) as replicas:
        datasets = load_config_data(config, replicas, recipe=recipe)
        info = datasets.info
        preflight.check_dataset(info)
        steps = _steps_per_epoch(info.train_examples, config.batch_size, drop=config.distribute is not None)
        model, compiled, phases = _build_and_compile(
            config, recipe, info, steps, build_model, verbose=verbose != 0
        )
        needed = preflight.check_space(run.root, model)
        if not distribution.is_chief():  # a non-chief worker writes into a scratch folder
            run = RunFolder(run.root / f".worker-{distribution.task_index()}")
        init_run_dir(run, overwrite=overwrite)
        if saved is not None:
            preflight.set_aside_corrupt_best(run)
        prepare = phases.prepare_restore if phases is not None else None
        initial_epoch = restore_backup(model, run.backup, prepare=prepare) if saved is not None else 0
        truncate_history(run.history, epochs=initial_epoch)
        run.write_skipped_images(datasets.skipped)
        _write_config(run, config, compiled.recipe, info, saved, initial_epoch, replicas, steps, phases)
        if not tensorboard_available():
            print("note: TensorBoard needs tensorflow and tensorboard (pip install them); no logs/ folder")
        gradients = _gradient_callback(datasets, run, compiled.one_hot) if config.gradient_norms else None
        callbacks = make_callbacks(
            run,
            best_threshold=_best_so_far(run),
            loggers=[gradients] if gradients else [],
            extra=[*compiled.callbacks, *extra_callbacks],
            class_names=info.class_names,
            image_rule=config_image_rule(config),
        )
        with disk_errors_reported(run.root, needed_bytes=needed):
            _fit(
                model,
                datasets,
                config,
                run,
                callbacks=callbacks,
                initial_epoch=initial_epoch,
                one_hot=compiled.one_hot,
                verbose=verbose,
                phases=phases,
            )
            result = _scores(model, run, datasets.test, top5=recipe.top5)
    result.update(_run_summary(run, info, compiled, seconds=time.perf_counter() - start))
    if distribution.is_chief():
        with disk_errors_reported(run.root, needed_bytes=needed):
            run.write_metrics(result)
        shutil.rmtree(run.backup, ignore_errors=True)
    else:  # a finished worker leaves nothing behind; only the chief's files stay
        shutil.rmtree(run.root, ignore_errors=True)
    return result


def _best_so_far(run: RunFolder) -> float | None:
    """The validation accuracy of the best checkpoint a resumed run holds: only a better epoch
    replaces it."""
    return best_value(read_history(run.history), "val_accuracy") if run.best.is_file() else None


def _build_and_compile(config: TrainConfig, recipe, info, steps: int, build_model, *, verbose: bool):
    """The configured model, built for the dataset and compiled with the recipe, and for a run
    from pretrained weights its `FreezeSchedule` (compiled for the first epoch's phase)."""
    if config.weights is not None:
        from keras_resnet.training.fine_tune import FreezeSchedule, build_fine_tune_model, phase_of_epoch

        model, loaded = build_fine_tune_model(
            config.model,
            weights=config.weights,
            classes=info.classes,
            input_shape=info.image_shape,
            kernel_regularizer=compiling.kernel_regularizer(recipe),
            **config.model_args,
        )
        phases = FreezeSchedule(
            model,
            recipe,
            steps_per_epoch=steps,
            epochs=config.epochs,
            jit_compile=True if config.jit_compile else "auto",
            loaded=loaded,
        )
        return model, phases.compile(phase_of_epoch(0, recipe.freeze_epochs)), phases
    model = (build_model or default_model_builder)(
        config.model,
        classes=info.classes,
        input_shape=info.image_shape,
        normalization=(info.mean, info.std),
        kernel_regularizer=compiling.kernel_regularizer(recipe),
        **config.model_args,
    )
    compiled = compiling.compile_resolved(
        model,
        recipe,
        steps_per_epoch=steps,
        epochs=config.epochs,
        jit_compile=True if config.jit_compile else "auto",
        verbose=verbose,
    )
    return model, compiled, None


def _run_summary(run: RunFolder, info, compiled, *, seconds: float) -> dict:
    """What metrics.json records beside the test scores: epochs, timing, data, the warm-up's end."""
    history = read_history(run.history)
    summary = {
        "epochs_trained": len(history),
        "best_epoch": _best_epoch(history),
        "train_seconds_total": sum(row.get("epoch_seconds", 0.0) for row in history),
        "session_seconds": seconds,
        "dataset": info.to_dict(),
    }
    ends = (getattr(c, "end_step", None) for c in compiled.callbacks)
    warmup_end = next((end for end in ends if end is not None), None)
    if warmup_end is not None:
        summary["warmup_end_step"] = warmup_end
    return summary


def config_image_rule(config: TrainConfig):
    """How `config`'s images are resized (`fine_tune.image_rule_for`): the whole image from
    scratch, the source's crop when fine-tuning, or what `image_resize` says."""
    from keras_resnet.training.fine_tune import image_rule_for

    return image_rule_for(config.model, config.weights, config.dataset, config.image_resize)


def load_config_data(config: TrainConfig, replicas: int = 1, *, recipe: recipes.ResolvedRecipe | None = None):
    """The train, validation and test pipelines `config` trains on (with `replicas` devices),
    images resized by the run's rule (`config_image_rule`); the `recipe`'s RandAugment, MixUp and
    CutMix (the `modern` recipe's) go into the training pipeline."""
    from keras_resnet.data.pipelines import load_datasets

    if config.distribute == "data-parallel" and config.batch_size % replicas:
        raise InvalidInputError(f"batch size {config.batch_size} must be divisible by the {replicas} devices")
    return load_datasets(
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
        pipeline=distribution.pipeline_for(config.distribute, config.pipeline),
        shard=distribution.process_shard(config.distribute),
        skip_bad_images=config.skip_bad_images,
        rand_augment=recipe.switches.rand_augment if recipe else 0.0,
        mixup_alpha=recipe.switches.mixup_alpha if recipe else 0.0,
        cutmix_alpha=recipe.switches.cutmix_alpha if recipe else 0.0,
        image_rule=config_image_rule(config),
    )


def _fit(
    model,
    datasets,
    config: TrainConfig,
    run: RunFolder,
    *,
    callbacks,
    initial_epoch: int,
    one_hot: bool,
    verbose,
    phases=None,
) -> None:
    """`model.fit` over the run's epochs (one `fit` per phase of a fine-tune run, compiled for it);
    a NaN/Inf loss becomes a TrainingError that says what to do."""
    info = datasets.info
    train_data, val_data = datasets.train, datasets.validation
    if one_hot:
        train_data, val_data = (_one_hot(d, info.classes) for d in (train_data, val_data))
    spans: Sequence[tuple[str | None, int, int]]
    if phases is None:
        spans = [(None, initial_epoch, config.epochs)]
    else:
        from keras_resnet.training.fine_tune import segments

        spans = segments(initial_epoch, config.epochs, phases.recipe.freeze_epochs)
    try:
        for phase, start, end in spans:
            if phase is not None and phase != phases.phase:
                phases.compile(phase)
            model.fit(
                train_data,
                validation_data=val_data if info.validation_examples else None,
                epochs=end,
                initial_epoch=start,
                callbacks=callbacks,
                verbose=verbose,
                shuffle=False,
            )  # the pipeline shuffles
    except RuntimeError as err:
        if "NaN or Inf loss" not in str(err):
            raise
        done = read_history(run.history)
        raise TrainingError(
            f"the loss became NaN/Inf in epoch {len(done) + 1}; training stopped. The last good "
            f"checkpoint is {run.last if done else 'none (no epoch completed)'}. Lower --lr or "
            "add --warmup-epochs, then start again with --overwrite"
        ) from None


def _scores(model, run: RunFolder, test, *, top5: bool) -> dict:
    """Test scores of the final weights and of the best checkpoint (when there is one)."""
    from keras_resnet.models.saving import load_keras_file

    best = score(load_keras_file(run.best), test, top5=top5) if run.best.is_file() else None
    return {"test": score(model, test, top5=top5), "test_best_checkpoint": best}


def _gradient_callback(datasets, run: RunFolder, one_hot: bool):
    """Per-layer gradient norms at each epoch end on a probe: the first 32 images of the first
    training batch, exactly as `fit` sees them (augmented, one-hot where the recipe uses it),
    from an identical pipeline so that taking it changes nothing `fit` sees. Rows go to
    gradient_norms.csv in the run folder, per-layer TensorBoard summaries to logs/gradients."""
    from keras_resnet.gradients.callback import GradientNormCallback

    probe_data = datasets.new_train()
    if one_hot:
        probe_data = _one_hot(probe_data, datasets.info.classes)
    tensorboard_dir = run.gradient_logs if tensorboard_available() else None
    return GradientNormCallback.from_dataset(probe_data, output_dir=run.root, tensorboard_dir=tensorboard_dir)


def _write_config(
    run: RunFolder, config, recipe, info, saved, initial_epoch, replicas, steps, phases
) -> None:
    """The run's config.json, with this session's provenance and devices, how its images were
    resized (`image`), and for a run from pretrained weights what was loaded (source, file,
    sha256) and the freeze schedule."""
    devices = distribution.device_names()
    run.write_config(
        **(phases.record() if phases is not None else {}),
        train_config=config.to_dict(),
        recipe=recipe.to_dict(),
        dataset=info.to_dict(),
        replicas=replicas,
        steps_per_epoch=steps,
        session={**provenance(), "devices": devices, "initial_epoch": initial_epoch},
        previous=saved,
        image=config_image_rule(config).to_dict(),
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
    from keras_resnet.data.pipelines import one_hot

    return one_hot(dataset, classes)


def _best_epoch(history: list[dict]) -> int | None:
    values = [(row.get("val_accuracy", math.nan), -row["epoch"]) for row in history]
    values = [(v, e) for v, e in values if math.isfinite(v)]
    return 1 - max(values)[1] if values else None  # first epoch reaching the best, 1-based

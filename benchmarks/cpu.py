"""The CPU suite: our ResNet-50 against keras.applications in one process, ResNet-20 per backend.

Three ResNet-50s are timed side by side on the same backend, repeats interleaved: ours as users get
it (`kr.resnet50()`: v1.5, no conv bias), ours with `KERAS_APPLICATIONS_OPTIONS["v1"]` (v1, conv
bias: the very graph of keras.applications) and `keras.applications.ResNet50(weights=None)`. The
middle one splits the gap: ours-v1 / keras.applications is the implementation's overhead, ours /
ours-v1 is the architecture's cost (v1.5 strides the 3x3 instead of the 1x1, about 7 % more MACs).
ResNet-20 is timed with the paper's recipe (SGD 0.9, L2 1e-4), as `keras-resnet train` runs it.
The `resnet50_comparison` and `resnet20_training` jobs run inside a `worker` subprocess.
"""

from __future__ import annotations

from typing import Any

from keras_resnet._utils.validation import check_choice

# Sizes of the full suite and of --quick (a CI smoke test of every code path: no meaningful figure).
RESNET50 = {
    "full": {
        "batch_size": 32,
        "image_size": 224,
        "classes": 1000,
        "train_steps": 1,
        "inference_steps": 1,
        "repeats": 5,
        "run_eagerly": False,
        "diagnostics": True,
    },
    "quick": {
        "batch_size": 2,
        "image_size": 32,
        "classes": 10,
        "train_steps": 1,
        "inference_steps": 1,
        "repeats": 1,
        "run_eagerly": True,
        "diagnostics": True,
    },
}
RESNET20 = {
    "full": {"batch_size": 128, "steps": 5, "repeats": 5, "run_eagerly": False},
    "quick": {"batch_size": 8, "steps": 1, "repeats": 1, "run_eagerly": True},
}
RESNET50_MODELS = {
    "ours": "keras_resnet.resnet50() - v1.5, no conv bias (the default)",
    "ours_v1_bias": "keras_resnet.resnet50(**KERAS_APPLICATIONS_OPTIONS['v1']) - v1, conv bias",
    "keras_applications": "keras.applications.ResNet50(weights=None) - v1, conv bias",
}
# What was tried to speed `ours` up, timed beside it (not models users get; see `diagnostic_model`).
RESNET50_DIAGNOSTICS = {
    "ours_xla": "ours compiled with jit_compile=True (XLA; TensorFlow only, JAX always uses it)",
    "ours_same_padding": "ours with padding='same' on the strided 3x3 convs instead of the explicit "
    "ZeroPadding2D (pads 0/1 instead of 1/1: different numerics, timing only)",
}


def _say(message: str) -> None:
    print(message, flush=True)


def build_resnet50(which: str, *, image_size: int, classes: int):
    """One of RESNET50_MODELS at `image_size` with `classes` outputs, untrained."""
    import keras

    import keras_resnet as kr

    shape = (image_size, image_size, 3)
    if which == "ours":
        return kr.resnet50(input_shape=shape, classes=classes)
    if which == "ours_v1_bias":
        return kr.resnet50(input_shape=shape, classes=classes, **kr.KERAS_APPLICATIONS_OPTIONS["v1"])
    if which == "keras_applications":
        return keras.applications.ResNet50(weights=None, input_shape=shape, classes=classes)
    check_choice("ResNet-50 variant", which, RESNET50_MODELS)
    raise AssertionError(f"no builder for {which!r}")


def diagnostic_model(which: str, *, image_size: int, classes: int, run_eagerly: bool):
    """A compiled RESNET50_DIAGNOSTICS variant of `ours`, or None where it means nothing."""
    import keras

    from benchmarks import timing

    model = build_resnet50("ours", image_size=image_size, classes=classes)
    if which == "ours_xla":
        if keras.backend.backend() != "tensorflow" or run_eagerly:
            return None
        model.compile(
            optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
            loss=keras.losses.SparseCategoricalCrossentropy(),
            jit_compile=True,
        )
        return model
    if which == "ours_same_padding":

        def same_padding(layer):
            config = layer.get_config()
            if isinstance(layer, keras.layers.ZeroPadding2D) and layer.name.endswith("_2_pad"):
                return keras.layers.Identity(name=layer.name)
            if (
                isinstance(layer, keras.layers.Conv2D)
                and layer.strides != (1, 1)
                and layer.kernel_size == (3, 3)
            ):
                config["padding"] = "same"
            return layer.__class__.from_config(config)

        return timing.compile_for_training(
            keras.models.clone_model(model, clone_function=same_padding), run_eagerly=run_eagerly
        )
    check_choice("diagnostic", which, RESNET50_DIAGNOSTICS)
    raise AssertionError(f"no diagnostic model for {which!r}")


def resnet50_comparison(
    *,
    batch_size: int,
    image_size: int,
    classes: int,
    train_steps: int,
    inference_steps: int,
    repeats: int,
    run_eagerly: bool = False,
    diagnostics: bool = False,
) -> dict:
    """Training and inference images/s of the three RESNET50_MODELS (and, with `diagnostics`,
    the RESNET50_DIAGNOSTICS variants), repeats interleaved."""
    import keras

    from benchmarks import timing
    from keras_resnet.models.complexity import model_stats

    keras.utils.set_random_seed(0)
    models, stats = {}, {}
    for which in RESNET50_MODELS:
        _say(f"resnet50: building {which}")
        models[which] = timing.compile_for_training(
            build_resnet50(which, image_size=image_size, classes=classes), run_eagerly=run_eagerly
        )
        stats[which] = model_stats(models[which])
    tried = {}
    for which in RESNET50_DIAGNOSTICS if diagnostics else ():
        _say(f"resnet50: building diagnostic {which}")
        model = diagnostic_model(which, image_size=image_size, classes=classes, run_eagerly=run_eagerly)
        if model is not None:
            tried[which] = model
            stats[which] = model_stats(model)
    everything = {**models, **tried}
    results = {}
    for kind, timer_class, steps in (
        ("train", timing.TrainingTimer, train_steps),
        ("inference", timing.InferenceTimer, inference_steps),
    ):
        _say(f"resnet50: timing {kind}, {repeats} interleaved repeats of {steps} batch(es) of {batch_size}")
        timers = {
            which: timer_class(model, batch_size=batch_size, steps=steps, classes=classes)
            for which, model in everything.items()
        }
        results[kind] = timing.interleave(timers, repeats=repeats)
        for which, summary in results[kind].items():
            _say(f"resnet50: {kind:<9} {which:<18} {summary['images_per_second']:8.2f} images/s")
    ratios, diagnostics_report = _ratios(results, stats, models, tried)
    return {
        "backend": keras.backend.backend(),
        "batch_size": batch_size,
        "input": [image_size, image_size, 3],
        "classes": classes,
        "optimizer": "SGD(learning_rate=0.01, momentum=0.9), sparse cross-entropy",
        "compiled": "eager (--quick: no tracing, figures meaningless)"
        if models["ours"].run_eagerly
        else "Keras default jit_compile='auto': tf.function without XLA on a CPU-only "
        "TensorFlow, jax.jit (XLA) on JAX",
        "models": {
            which: {
                "description": RESNET50_MODELS[which],
                **stats[which],
                "train": results["train"][which],
                "inference": results["inference"][which],
            }
            for which in models
        },
        "ratios": ratios,
        "diagnostics": diagnostics_report,
    }


def _ratios(results: dict, stats: dict, models: dict, tried: dict) -> tuple[dict, dict]:
    """Ours against keras.applications (and the v1-with-bias build between them), split into
    implementation and architecture; each diagnostic against ours."""
    from benchmarks import timing

    rate = {kind: {w: results[kind][w]["images_per_second"] for w in models} for kind in results}
    ratios: dict[str, Any] = {
        kind: {
            "ours_vs_keras_applications": timing.ratio(r["ours"], r["keras_applications"]),
            "implementation_ours_v1_bias_vs_keras_applications": timing.ratio(
                r["ours_v1_bias"], r["keras_applications"]
            ),
            "architecture_ours_vs_ours_v1_bias": timing.ratio(r["ours"], r["ours_v1_bias"]),
        }
        for kind, r in rate.items()
    }
    ratios["macs_ours_vs_keras_applications"] = timing.ratio(
        stats["ours"]["macs"], stats["keras_applications"]["macs"]
    )
    diagnostics_report = {
        which: {
            "description": RESNET50_DIAGNOSTICS[which],
            **stats[which],
            **{kind: results[kind][which] for kind in results},
            **{
                f"{kind}_vs_ours": timing.ratio(
                    results[kind][which]["images_per_second"], results[kind]["ours"]["images_per_second"]
                )
                for kind in results
            },
        }
        for which in tried
    }
    return ratios, diagnostics_report


def resnet20_training(*, batch_size: int, steps: int, repeats: int, run_eagerly: bool = False) -> dict:
    """Training images/s of ResNet-20 (32x32, 10 classes) with the paper-cifar recipe."""
    import keras

    from benchmarks import timing
    from keras_resnet.training import recipes
    from keras_resnet.training.fit import default_model_builder

    keras.utils.set_random_seed(0)
    recipe = recipes.resolve_recipe("paper-cifar", model="resnet20", batch_size=batch_size)
    model = default_model_builder(
        "resnet20",
        classes=10,
        input_shape=(32, 32, 3),
        normalization=((127.5,) * 3, (73.9,) * 3),
        kernel_regularizer=recipes.kernel_regularizer(recipe),
    )
    timing.compile_for_training(
        model, recipes.make_optimizer(recipe, recipe.learning_rate), run_eagerly=run_eagerly
    )
    _say(f"resnet20: timing training, {repeats} repeats of {steps} batch(es) of {batch_size}")
    timer = timing.TrainingTimer(
        model, batch_size=batch_size, steps=steps, classes=10, warmup=2 if steps > 1 else 1
    )
    summary = timing.interleave({"resnet20": timer}, repeats=repeats)["resnet20"]
    _say(f"resnet20: {summary['images_per_second']:.1f} images/s")
    return {
        "backend": keras.backend.backend(),
        "model": "resnet20",
        "batch_size": batch_size,
        "input": [32, 32, 3],
        "optimizer": "paper-cifar recipe: SGD 0.9, L2 1e-4 on kernels",
        "params": int(model.count_params()),
        "run_eagerly": model.run_eagerly,
        **summary,
    }


def backend_unavailable(backend: str) -> str | None:
    """Why `backend` cannot run here (its package is missing), or None when it can."""
    import importlib.util

    package = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if package is None:
        return f"unknown Keras backend {backend!r}"
    if importlib.util.find_spec(package) is None:
        return f"{package} is not installed (pip install {package} to measure this backend)"
    return None


def cpu_suite(*, quick: bool, backend: str, backends, run_job, timeout: float) -> dict:
    """The ResNet-50 comparison on `backend` and ResNet-20 training on each of `backends`.

    `run_job` is `worker.run_job`; a backend whose package is missing is recorded as skipped.
    """
    size = "quick" if quick else "full"
    missing = backend_unavailable(backend)
    resnet50 = (
        {"status": "skipped", "reason": missing}
        if missing
        else run_job("resnet50_comparison", backend=backend, options=RESNET50[size], timeout=timeout)
    )
    resnet20 = {}
    for name in backends:
        missing = backend_unavailable(name)
        resnet20[name] = (
            {"status": "skipped", "backend": name, "reason": missing}
            if missing
            else run_job("resnet20_training", backend=name, options=RESNET20[size], timeout=timeout)
        )
    return {"status": "done", "resnet50": resnet50, "resnet20": resnet20}

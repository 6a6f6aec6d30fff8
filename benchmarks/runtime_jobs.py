"""The child side of the runtime comparison: export the files, and time one runtime per process.

`export_files` (TensorFlow backend) builds each model with a fixed seed and writes its LiteRT
float32 and int8 files and its ONNX file with `kr.export_model`, as users export (int8 calibrated
on random pixels: enough for timing, not for accuracy). `keras_runtime` times a Keras model with
`model.predict_on_batch(x)` (the one-batch call of the export's parity check and of serving code:
`predict` adds a data adapter and callbacks per call, which dominate at batch 1) on whichever
backend the process runs; `file_runtime` times an exported file through the runners `kr.load`
uses (LiteRT interpreter, ONNX Runtime's CPU provider), without Keras in the process. Every job
returns `benchmarks.cells.timed_job`'s record: {cell: summary} from `time_cells`, the threads it
ran with and its load average at start and end.
"""

from __future__ import annotations

import os

from benchmarks.cells import load_average, pin_cpus, timed_job

KERAS_CALL = "model.predict_on_batch(x)"
FILE_CALLS = {
    "litert_float32": "Interpreter(num_threads=N).invoke()",
    "litert_int8": "Interpreter(num_threads=N).invoke()",
    "onnxruntime": "InferenceSession(CPU provider, intra_op=N).run()",
}
FILE_NAMES = {
    "litert_float32": "model_float32.tflite",
    "litert_int8": "model_int8.tflite",
    "onnxruntime": "model.onnx",
}


def _say(message: str) -> None:
    print(message, flush=True)


def build_model(model: str, *, image_size: int, classes: int, applications: bool = False):
    """Our `model` (random weights, seed 0), or keras.applications.ResNet50 with `applications`."""
    import keras

    import keras_resnet as kr

    keras.utils.set_random_seed(0)
    shape = (image_size, image_size, 3)
    if applications:
        return keras.applications.ResNet50(weights=None, input_shape=shape, classes=classes)
    return getattr(kr, model)(input_shape=shape, classes=classes)


def _images(batch: int, image_size: int):
    """Uniform [0, 1) pixels: the values torchvision's job feeds too, so every runtime gets alike."""
    import numpy as np

    rng = np.random.default_rng(0)
    return rng.uniform(0, 1, (batch, image_size, image_size, 3)).astype("float32")


def export_files(*, models: dict, out: str, names: list, threads: int, calibration_images: int) -> dict:
    """Export each of `models` ({name: {"image_size", "classes"}}) into OUT/NAME/ as the files
    `names` asks for; {name: {file: {"path", "size_bytes", "max_abs_diff"}}}."""
    import keras_resnet as kr

    formats = (["tflite"] if any(n.endswith(".tflite") for n in names) else []) + (
        ["onnx"] if "model.onnx" in names else []
    )
    quantize = [q for q in ("float32", "int8") if f"model_{q}.tflite" in names]
    files = {}
    for model, size in models.items():
        _say(f"export: {model} as {', '.join(names)}")
        keras_model = build_model(model, image_size=size["image_size"], classes=size["classes"])
        report = kr.export_model(
            keras_model,
            os.path.join(out, model),
            formats=formats,
            quantize=quantize or ("float32",),
            representative_data=_images(calibration_images, size["image_size"]),
            num_threads=threads,
            latency_repeats=1,
            verbose=False,
        )
        files[model] = {
            row["file"]: {
                "path": os.path.join(out, model, row["file"]),  # a temporary folder: not kept
                "size_bytes": row["size_bytes"],
                "max_abs_diff": row.get("max_abs_diff"),
            }
            for row in report["files"]
        }
    return {"files": files}


def _set_keras_threads(threads: int) -> dict:
    """Intra-op `threads` and inter-op 1 on the Keras backend of this process, as far as it allows."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        try:  # the environment (TF_NUM_INTRAOP_THREADS) already asks; this fails once TF started
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:
            pass
        return {"intra_op": tf.config.threading.get_intra_op_parallelism_threads() or threads, "inter_op": 1}
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
    return {"intra_op": f"XLA's pool, sized from the {threads} CPUs the process may use", "inter_op": 1}


def keras_runtime(
    *, runtime: str, cells: list, threads: int, repeats: int, warmup: int, iterations=None, seconds=2.0
) -> dict:
    """Time `model.predict_on_batch(x)` on each cell; `runtime` "keras_applications" times
    keras.applications.ResNet50 instead of ours."""
    import keras

    start_load, cpus = load_average(), pin_cpus(threads)
    thread_settings = {**_set_keras_threads(threads), "cpus": cpus}
    models, calls, batch_sizes = {}, {}, {}
    for cell in cells:
        if cell["model"] not in models:
            _say(f"{runtime}: building {cell['model']}")
            models[cell["model"]] = build_model(
                cell["model"],
                image_size=cell["image_size"],
                classes=cell["classes"],
                applications=runtime == "keras_applications",
            )
        model, x = models[cell["model"]], _images(cell["batch"], cell["image_size"])
        calls[cell["name"]] = lambda model=model, x=x: model.predict_on_batch(x)
        batch_sizes[cell["name"]] = cell["batch"]
    return timed_job(
        runtime, calls, batch_sizes=batch_sizes, repeats=repeats, warmup=warmup, iterations=iterations,
        seconds=seconds, start_load=start_load, say=_say,
        backend=keras.backend.backend(), call=KERAS_CALL, threads=thread_settings,
    )  # fmt: skip


def file_runtime(
    *, runtime: str, cells: list, threads: int, repeats: int, warmup: int, iterations=None, seconds=2.0
) -> dict:
    """Time an exported file (each cell carries its "path") through LiteRT or ONNX Runtime."""
    from keras_resnet.export.litert import LiteRTRunner
    from keras_resnet.export.onnx import OnnxRunner

    start_load, cpus = load_average(), pin_cpus(threads)
    runner_class = OnnxRunner if runtime == "onnxruntime" else LiteRTRunner
    calls, batch_sizes, sessions = {}, {}, {}
    for cell in cells:
        if runner_class is LiteRTRunner:  # one interpreter per batch size: resizing reallocates
            runner = LiteRTRunner(cell["path"], num_threads=threads)
        else:
            if cell["path"] not in sessions:
                sessions[cell["path"]] = OnnxRunner(cell["path"], num_threads=threads)
            runner = sessions[cell["path"]]
        x = _images(cell["batch"], cell["image_size"])
        calls[cell["name"]] = lambda runner=runner, x=x: runner.run_batch(x)
        batch_sizes[cell["name"]] = cell["batch"]
    return timed_job(
        runtime, calls, batch_sizes=batch_sizes, repeats=repeats, warmup=warmup, iterations=iterations,
        seconds=seconds, start_load=start_load, say=_say,
        call=FILE_CALLS[runtime], threads={"intra_op": threads, "inter_op": 1, "cpus": cpus},
    )  # fmt: skip

"""The `overhead` section of `python -m benchmarks`: what the gradient-norm callback and the
one-call export cost.

Both run in a TensorFlow worker like the model timings. `gradient_norms` is
`benchmarks.gradient_overhead.gradient_norm_overhead` (ResNet-20 on digits: epoch time without the
callback, with probe mode at each epoch end, with train mode every 10 steps); `export` times
`keras_resnet.export.api.export_model` on a ResNet-20 (SavedModel + TFLite float32 and int8, each
verified) and keeps its per-file parity and batch-1 LiteRT latency. `quick` shrinks both to
seconds for the tests; its figures say nothing.
"""

from __future__ import annotations

import time
from typing import Any

GRADIENT_TARGETS = {"probe_each_epoch": 0.05, "train_every_n": 0.25}
EXPORT_MODEL = {"full": "resnet20", "quick": "tiny"}


def overhead_figures(*, quick: bool, run_job, timeout: float) -> dict:
    """{"gradient_norms": ..., "export": ...}, each a worker result or a recorded failure."""
    gradients = run_job(
        "gradient_norm_overhead", backend="tensorflow", options={"quick": quick}, timeout=timeout
    )
    if gradients.get("status") == "done":
        gradients["targets_ratio_minus_one"] = GRADIENT_TARGETS
    export = run_job("export_overhead", backend="tensorflow", options={"quick": quick}, timeout=timeout)
    return {"gradient_norms": gradients, "export": export}


def gradient_norm_overhead(*, quick: bool) -> dict:
    """Worker job: the kept overhead measurement (2 epochs x 3 interleaved rounds when full)."""
    from benchmarks.gradient_overhead import gradient_norm_overhead as measure

    return measure("resnet20", "digits", epochs=2, repeats=3, quick=quick)


def export_overhead(*, quick: bool) -> dict:
    """Worker job: wall seconds of one `export_model` call and what it verified, per file."""
    import tempfile

    import keras

    from keras_resnet.export.api import export_model
    from keras_resnet.export.calibration import export_images
    from keras_resnet.models.constructors import resnet20
    from keras_resnet.models.resnet import ResNet

    images = export_images("digits", representative=64 if quick else 256, validation=32 if quick else 360)
    keras.utils.set_random_seed(0)
    options: dict[str, Any] = dict(input_shape=images.representative.shape[1:], classes=10)  # the ten digits
    model = (
        ResNet(stem="cifar", stage_blocks=(1, 1), stage_widths=(4, 8), **options)
        if quick
        else resnet20(**options)
    )
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        report = export_model(
            model,
            f"{folder}/export",
            quantize=("float32", "int8"),
            representative_data=images.representative,
            validation_data=images.validation,
            latency_repeats=3 if quick else 50,
            verbose=False,
        )
        seconds = time.perf_counter() - start
    keep = ("file", "quantize", "size_bytes", "max_abs_diff", "top1_agreement", "latency_ms")
    return {
        "model": EXPORT_MODEL["quick" if quick else "full"],
        "export_seconds": seconds,
        "keras_latency_ms": report["keras"]["latency_ms"],
        "files": [{k: row.get(k) for k in keep} for row in report["files"]],
        "quick": quick,
    }

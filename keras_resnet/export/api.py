"""Export a trained model as a SavedModel and LiteRT files, in one call that proves its own parity.

`export_model` writes a serving SavedModel and one `.tflite` file per quantisation (float32,
float16, dynamic-range int8, full-integer int8) through Keras' own exporters, runs every file on
held-out images, compares it with Keras, and writes `export_report.json`, `labels.txt` and
`outputs.json` (what each file outputs: probabilities or logits, and an int8 output's scale and
zero point, `keras_resnet.models.outputs`; and how its images are resized, the model's "image"
rule, `keras_resnet.models.resizing`). Everything goes into a
partial folder beside the destination that is renamed at the end (`destination.staged_folder`),
so an interrupted or failed export never leaves a half-written model. This module only puts the
steps in order; each job lives in its own module: options, destination, loading, preparation,
images, the per-format writers and runners, parity and the report.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keras_resnet._utils.atomic import write_text
from keras_resnet._utils.ownership import disk_errors_reported, probe_writable
from keras_resnet.export.destination import check_out_dir, default_out_dir, staged_folder
from keras_resnet.export.images import as_images, check_images, load_images_npz
from keras_resnet.export.litert import LiteRTRunner, export_tflite
from keras_resnet.export.loading import load_model_for_export, recorded_rule, resolve_model
from keras_resnet.export.onnx import ONNX_FILE, OnnxRunner, export_onnx
from keras_resnet.export.options import DEFAULT_FORMATS, check_options
from keras_resnet.export.parity import accuracy, compare
from keras_resnet.export.preparation import prepare_model
from keras_resnet.export.report import folder_size, format_report, new_report, write_report
from keras_resnet.export.runners import KerasRunner, Runner
from keras_resnet.export.saved_model import SavedModelRunner, check_class_names, export_saved_model
from keras_resnet.models.labels import LABELS_FILE, labels_text, model_class_names
from keras_resnet.models.outputs import add_output_record, model_record
from keras_resnet.models.resizing import ImageRule

if TYPE_CHECKING:  # TensorFlow and Keras load when an export starts
    import keras
    import numpy as np

# The public entry points of `keras_resnet.export`; the CLI imports them from here.
__all__ = ["export_model", "load_model_for_export", "load_images_npz"]


def export_model(
    model: keras.Model | str | Path,
    out_dir: str | Path | None = None,
    *,
    formats: str | Sequence[str] = DEFAULT_FORMATS,
    quantize: str | Sequence[str] = ("float32",),
    representative_data: np.ndarray | None = None,
    validation_data: tuple[np.ndarray, np.ndarray] | np.ndarray | None = None,
    include_preprocessing: bool = True,
    int8_io: bool = False,
    overwrite: bool = False,
    num_threads: int = 1,
    latency_repeats: int = 20,
    verbose: bool = True,
    labels: Sequence[str] | None = None,
    image_rule: ImageRule | None = None,
) -> dict[str, Any]:
    """Export `model` to `out_dir`, verify every file, return the report (also `export_report.json`).

    Args:
        model: a keras.Model, a `.keras` file or a run folder (see `load_model_for_export`).
        out_dir: the folder to create (default `saved_models/<model name>/`); see `overwrite`.
        formats: "saved_model", "tflite" (the default) and/or "onnx" (needs the [onnx] extra).
        quantize: TFLite files among float32, float16, dynamic (int8 weights), int8 (full integer).
        representative_data: a few hundred real training images as raw pixels (int8 calibration).
        validation_data: (x, y) or x of held-out images for the parity check (default: the
            representative images, else random ones).
        include_preprocessing: False exports from the `normalization` layer's output, so callers
            feed normalised images.
        int8_io: the int8 file takes and returns int8 tensors.
        overwrite: replace an existing `out_dir` (atomically, once the new export is complete).
        num_threads: LiteRT interpreter threads for the check and the latency figures.
        latency_repeats: runs per file for the ms/image figure.
        verbose: print progress and the report as a table.
        labels: class names for `labels.txt` and the SavedModel's `classify` signature (default: the
            model's own, if it carries any).
        image_rule: the images' resize rule, for `outputs.json` (default: the model's own, `_resolve`).
    """
    formats, quantize = check_options(
        formats=formats, quantize=quantize, representative_data=representative_data
    )
    model, source, image_rule = _resolve(model, image_rule)
    out_dir = check_out_dir(default_out_dir(model.name) if out_dir is None else out_dir, overwrite=overwrite)
    probe_writable(out_dir.parent)  # a read-only or full disk: found before the work
    class_names = _class_names(labels, model, source)
    representative, check = _checked_images(representative_data, validation_data, model)
    prepared = prepare_model(model, include_preprocessing=include_preprocessing)
    keras_runner = KerasRunner(prepared.reference)
    reference = keras_runner.predict(check.images)
    report = new_report(
        model=model,
        source=source,
        out_dir=out_dir,
        prepared=prepared,
        check=check,
        num_threads=num_threads,
        keras_accuracy=None if check.labels is None else accuracy(reference, check.labels),
        keras_latency_ms=keras_runner.latency_ms(check.images[0], repeats=latency_repeats),
    )
    exported_images = prepared.exported_input(check.images)
    calibration = None if representative is None else prepared.exported_input(representative)
    write = functools.partial(_write_file, calibration=calibration, int8_io=int8_io, num_threads=num_threads)
    jobs = _jobs(formats, quantize)
    with (
        disk_errors_reported(out_dir.parent, needed_bytes=_bytes_needed(model, formats, quantize)),
        staged_folder(out_dir, overwrite=overwrite) as partial,
    ):
        for step, name in enumerate(jobs, start=1):
            if verbose:
                print(f"[{step}/{len(jobs)}] exporting {name}", flush=True)
            row, runner = write(name, partial, prepared, class_names=class_names, image_rule=image_rule)
            row["size_bytes"] = folder_size(partial / name)
            row.update(compare(reference, runner.predict(exported_images), check.labels))
            row["latency_ms"] = runner.latency_ms(exported_images[0], repeats=latency_repeats)
            report["files"].append(row)
        _write_labels(partial, class_names)
        write_report(partial, report)
    if verbose:
        print(format_report(report), flush=True)
    return report


def _resolve(model: keras.Model | str | Path, image_rule: ImageRule | None) -> tuple[Any, str, Any]:
    """(keras.Model, where it came from, resize rule): `image_rule`, else the model's own, recorded
    for its file (its run's config.json, or inside the `.keras` file) or `model.image_rule` (set on
    a model built with pretrained weights: the source's crop); None when it has none (predict then
    uses its documented default)."""
    if image_rule is None:
        image_rule = recorded_rule(model) if isinstance(model, (str, Path)) else None
    model, source = resolve_model(model)
    return model, source, image_rule or getattr(model, "image_rule", None)


def _checked_images(representative_data, validation_data, model) -> tuple[np.ndarray | None, Any]:
    """(the calibration images or None, the checked parity images), at the model's input shape."""
    shape = tuple(model.input.shape[1:])
    representative = _representative(representative_data, shape)
    return representative, check_images(validation_data, representative, shape)


def _representative(data: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """The calibration images as checked raw pixels, or None when none were given."""
    return None if data is None else as_images(data, name="representative_data", shape=shape)


def _jobs(formats: Sequence[str], quantize: Sequence[str]) -> list[str]:
    """The files an export writes, in order: `saved_model`, one `.tflite` per quantisation, `model.onnx`."""
    saved_model = ["saved_model"] if "saved_model" in formats else []
    onnx = [ONNX_FILE] if "onnx" in formats else []
    return saved_model + ([f"model_{q}.tflite" for q in quantize] if "tflite" in formats else []) + onnx


def _class_names(labels: Sequence[str] | None, model: keras.Model, source: str) -> Sequence[str] | None:
    """The names the export writes: `labels`, else the model's own; one per output, or refused."""
    names = labels if labels is not None else model_class_names(model, source)
    check_class_names(names, model.output.shape[-1])
    return names


def _write_labels(folder: Path, labels: Sequence[str] | None) -> None:
    """`labels.txt`, one class name a line, when the model's classes have names."""
    if labels is not None:
        write_text(folder / LABELS_FILE, labels_text(labels))


def _record_outputs(folder: Path, name: str, prepared: Any, runner: Any, image_rule=None) -> None:
    """Record in `outputs.json` what file `name` outputs (probabilities or logits, from the model's
    output activation), what it takes (raw pixels, or normalised images when preprocessing was left
    out), how its images are resized (`image`, when the model has a rule) and, for a .tflite
    file, its output tensor's dtype, scale and zero point (from the file)."""
    record = {**model_record(prepared.reference), "input": "normalised" if prepared.strip else "pixels"}
    if image_rule is not None:
        record["image"] = image_rule.to_dict()
    if isinstance(runner, LiteRTRunner):
        record.update(runner.output_record())
    add_output_record(folder, name, record)


def _bytes_needed(model: keras.Model, formats: Sequence[str], quantize: Sequence[str]) -> int:
    """About what the export writes: float32 weights for the SavedModel and each TFLite file."""
    files = ("saved_model" in formats) + ("onnx" in formats) + (len(quantize) if "tflite" in formats else 0)
    return int(model.count_params()) * 4 * files + (1 << 20)


def _write_file(
    name: str,
    folder: Path,
    prepared: Any,
    *,
    calibration: np.ndarray | None,
    int8_io: bool,
    num_threads: int,
    class_names: Sequence[str] | None,
    image_rule: ImageRule | None = None,
) -> tuple[dict[str, Any], Any]:
    """Write one export job (`saved_model`, `model_<quantize>.tflite`, `model.onnx`) into `folder`; return its
    report row so far and a runner for the written file, its output recorded in `outputs.json`.
    `class_names` give the SavedModel its `classify` signature (TFLite and ONNX files have no string
    outputs: `labels.txt` names their classes)."""
    if name == "saved_model":
        info = export_saved_model(
            prepared.reference,
            folder / name,
            include_preprocessing=not prepared.strip,
            class_names=class_names,
        )
        row = {"file": name, "format": "saved_model", "quantize": "float32", **info}
        runner: Runner = SavedModelRunner(folder / name)
    elif name == ONNX_FILE:  # float32, the model's own output
        row = {"file": name, "format": "onnx", "quantize": "float32", **export_onnx(prepared, folder / name)}
        runner = OnnxRunner(folder / name, num_threads=num_threads)
    else:
        quantize = name[len("model_") : -len(".tflite")]
        info = export_tflite(
            prepared.exported,
            folder / name,
            quantize=quantize,
            int8_io=int8_io and quantize == "int8",
            representative_images=calibration,
        )
        row = {"file": name, "format": "tflite", **info}
        runner = LiteRTRunner(folder / name, num_threads=num_threads)
    _record_outputs(folder, name, prepared, runner, image_rule)
    return row, runner

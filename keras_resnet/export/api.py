"""Export a trained model as a SavedModel and LiteRT files, in one call that proves its own parity.

`export_model` writes a serving SavedModel and one `.tflite` file per quantisation (float32,
float16, dynamic-range int8, full-integer int8) through Keras' own exporters, runs every file on
held-out images, compares it with Keras, and writes `export_report.json`. Everything goes into a
temporary folder beside the destination that is renamed at the end, so an interrupted or failed
export never leaves a half-written model. `ExportCallback` does the same from `model.fit`, and
`load_model_for_export` turns a `.keras` file or a run folder into a model with clear errors.
"""

from __future__ import annotations

import datetime
import json
import platform
import shutil
import uuid
import zipfile
from pathlib import Path

import numpy as np

from keras_resnet.export.litert import QUANTIZATIONS, TFLiteModel, check_backend_for_tflite, export_tflite
from keras_resnet.export.parity import accuracy, compare, format_table, keras_latency_ms
from keras_resnet.export.saved_model import SavedModelRunner, check_backend_for_saved_model, export_saved_model

FORMATS = ("saved_model", "tflite")
REPORT_NAME = "export_report.json"
RUN_FOLDER_MODELS = ("checkpoints/best.keras", "checkpoints/last.keras", "best.keras", "last.keras")
"""Where a folder's model is looked for, in order: a training run's checkpoints, then loose files."""
DEFAULT_ROOT = Path("saved_models")
RANDOM_VALIDATION_IMAGES = 32
MAX_DATASET_IMAGES = 1000


def _choices(option: str, values, valid) -> tuple[str, ...]:
    """`values` (a sequence or a comma-separated string) as a de-duplicated tuple of valid names."""
    if isinstance(values, str):
        values = [value.strip() for value in values.split(",") if value.strip()]
    values = tuple(dict.fromkeys(values))
    if not values:
        raise ValueError(f"{option} is empty; choose from {', '.join(valid)}")
    for value in values:
        if value not in valid:
            raise ValueError(f"unknown {option} value {value!r}; choose from {', '.join(valid)}")
    return values


def parse_quantize(values) -> tuple[str, ...]:
    """Quantisations as a tuple (from a sequence or a comma list), refusing unknown names."""
    return _choices("quantize", values, QUANTIZATIONS)


def supported_formats() -> tuple[str, ...]:
    """The formats this Keras backend can export (TensorFlow: both; JAX: saved_model; else none)."""
    supported = []
    for name, check in (("saved_model", check_backend_for_saved_model), ("tflite", check_backend_for_tflite)):
        try:
            check()
        except ValueError:
            continue
        supported.append(name)
    return tuple(supported)


def check_options(*, formats, quantize, representative_data) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Validate formats and quantisations before any work; return them as tuples."""
    formats = _choices("formats", formats, FORMATS)
    quantize = _choices("quantize", quantize, QUANTIZATIONS)
    if "tflite" not in formats and quantize != ("float32",):
        raise ValueError(f"quantize={quantize} applies to TFLite files only; add 'tflite' to formats "
                         f"(the SavedModel is always float32)")
    if "int8" in quantize and representative_data is None:
        raise ValueError("quantize='int8' needs representative_data: a few hundred real training images "
                         "(raw pixels, shaped like the model input) to calibrate the int8 ranges "
                         "(CLI: --dataset SPEC, e.g. --dataset digits, or --representative-npz PATH with an array `x`)")
    if "saved_model" in formats:
        check_backend_for_saved_model()
    if "tflite" in formats:
        check_backend_for_tflite()
    return formats, quantize


def check_out_dir(out_dir, *, overwrite: bool) -> Path:
    """The destination folder; an existing non-empty one is a ValueError unless `overwrite`."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir {str(out_dir)!r} is a file, not a folder; choose a folder path")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise ValueError(f"out_dir {str(out_dir)!r} already exists; pass overwrite=True "
                         f"(CLI: --overwrite) to replace it, or choose another folder")
    return out_dir


def load_model_path(path) -> Path:
    """The `.keras` file `path` names: itself, or a folder's `best.keras` (else `last.keras`).

    A training run folder keeps them in `checkpoints/`; a plain folder may hold them directly.
    Raises FileNotFoundError for a missing path and ValueError for a folder without a model or a
    file that is not a `.keras` archive.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {str(path)!r}")
    if path.is_dir():
        found = [path / name for name in RUN_FOLDER_MODELS if (path / name).is_file()]
        if not found:
            raise ValueError(f"folder {str(path)!r} holds neither best.keras nor last.keras "
                             f"(looked for {', '.join(RUN_FOLDER_MODELS)}); "
                             f"pass a run folder from training or a .keras file")
        path = found[0]
    if path.name.endswith(".weights.h5"):
        raise ValueError(f"{str(path)!r} holds weights only; build the model (kr.build(...)), "
                         f"load_weights() and save it with model.save('model.keras'), or pass the .keras file")
    if path.suffix != ".keras":
        raise ValueError(f"{str(path)!r} is not a Keras model file: expected a .keras file "
                         f"(model.save('model.keras')) or a run folder containing best.keras or last.keras")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{str(path)!r} is not a valid .keras file (not a zip archive): it is corrupt or "
                         f"truncated; save it again with model.save()")
    return path


def load_model_for_export(path):
    """Load the model `load_model_path(path)` names, without compiling; ValueError if unreadable."""
    import keras

    path = load_model_path(path)
    import keras_resnet.models.layers  # noqa: F401 - registers the custom layers `.keras` files refer to

    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as err:  # noqa: BLE001 - any failure to read the archive is the same user error
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"could not load {str(path)!r} as a Keras model ({reason}); the file may be "
                         f"corrupt or truncated: save it again with model.save()") from err
    if not isinstance(model, keras.Model):
        raise ValueError(f"{str(path)!r} holds a {type(model).__name__}, not a keras.Model")
    return model


def _as_model(model):
    """A keras.Model, loading it first when given a path."""
    import keras

    if isinstance(model, (str, Path)):
        return load_model_for_export(model)
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, a .keras file or a run folder, "
                         f"got {type(model).__name__}")
    if len(model.inputs) != 1 or len(model.outputs) != 1 or len(model.input.shape) != 4:
        raise ValueError("export_model expects an image classifier: one (batch, H, W, C) input and one output")
    return model


def float32_model(model):
    """`model` itself if every layer computes in float32, else a float32 clone with its weights.

    Models trained under a mixed policy (mixed_float16 / mixed_bfloat16) keep float32 weights;
    exporting from a float32 rebuild avoids half-precision casts in the exported graph.
    """
    import keras

    def is_reduced(layer):
        return layer.dtype_policy.compute_dtype in ("float16", "bfloat16")

    if not any(is_reduced(layer) for layer in model.layers):
        return model

    def clone_layer(layer):
        config = layer.get_config()
        if is_reduced(layer):
            config["dtype"] = "float32"
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    clone.set_weights([np.asarray(weight, dtype=np.float32) for weight in model.get_weights()])
    return clone


def without_preprocessing(model):
    """The model from its `normalization` layer's output on (it takes normalised images), or itself."""
    import keras

    normalization = _layer(model, "normalization")
    if normalization is None:
        return model
    return keras.Model(normalization.output, model.output, name=model.name)


def _images(data, *, name: str, shape) -> np.ndarray:
    """Images from an array, an (x, y) pair or an iterable of batches, as float32 (N, *shape)."""
    if isinstance(data, tuple) and len(data) == 2:
        data = data[0]
    if not hasattr(data, "shape"):
        batches, count = [], 0
        for batch in data:
            batch = batch[0] if isinstance(batch, (tuple, list)) else batch
            batches.append(np.asarray(batch))
            count += len(batches[-1])
            if count >= MAX_DATASET_IMAGES:
                break
        data = np.concatenate(batches) if batches else np.zeros((0, *shape))
    images = np.asarray(data, dtype=np.float32)
    if images.ndim != 4 or tuple(images.shape[1:]) != tuple(shape) or len(images) == 0:
        raise ValueError(f"{name} must be a non-empty batch of images shaped (N, {', '.join(map(str, shape))}) "
                         f"like the model input (raw pixels), got shape {images.shape}")
    return images


def _validation_set(validation_data, representative, shape):
    """Held-out images (and labels) for the parity check, and where they came from."""
    if validation_data is not None:
        labels = None
        if isinstance(validation_data, tuple) and len(validation_data) == 2:
            labels = np.asarray(validation_data[1]).reshape(-1)
        images = _images(validation_data, name="validation_data", shape=shape)
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"validation_data has {len(images)} images but {len(labels)} labels")
        return images, labels, "validation_data"
    if representative is not None:
        return representative, None, "representative_data"
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, size=(RANDOM_VALIDATION_IMAGES, *shape)).astype(np.float32)
    return images, None, "random"


def _folder_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def _versions() -> dict:
    import keras
    import tensorflow as tf

    versions = {"python": platform.python_version(), "keras": keras.__version__,
                "tensorflow": tf.__version__, "backend": keras.backend.backend()}
    try:
        from importlib.metadata import version

        versions["ai_edge_litert"] = version("ai-edge-litert")
    except Exception:  # noqa: BLE001 - not installed: the report says so
        versions["ai_edge_litert"] = None
    return versions


def _commit(partial: Path, out_dir: Path, *, overwrite: bool) -> None:
    """Move the finished export into place; an existing export is replaced only with `overwrite`."""
    if out_dir.exists():
        check_out_dir(out_dir, overwrite=overwrite)
        previous = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
        out_dir.rename(previous)
        partial.rename(out_dir)
        shutil.rmtree(previous)
    else:
        partial.rename(out_dir)


def export_model(model, out_dir=None, *, formats=FORMATS, quantize=("float32",), representative_data=None,
                 validation_data=None, include_preprocessing: bool = True, int8_io: bool = False,
                 overwrite: bool = False, num_threads: int = 1, latency_repeats: int = 20,
                 verbose: bool = True) -> dict:
    """Export `model` to `out_dir` (default `saved_models/<model name>/`), verify it, return the report.

    model: a keras.Model, a `.keras` file or a run folder (see `load_model_for_export`).
    formats: "saved_model" and/or "tflite". quantize: TFLite variants among float32, float16,
    dynamic (int8 weights) and int8 (full integer; needs `representative_data`, a few hundred real
    training images as raw pixels). validation_data: (x, y) or x of held-out images for the parity
    check (default: the representative images, else random images). include_preprocessing=False
    exports from the `normalization` layer's output, so callers feed normalised images.
    int8_io: the int8 file takes and returns int8 tensors. The report is also written to
    `export_report.json` and printed as a table when `verbose`.
    """
    import keras

    formats, quantize = check_options(formats=formats, quantize=quantize,
                                      representative_data=representative_data)
    model_source = str(load_model_path(model)) if isinstance(model, (str, Path)) else "keras.Model in memory"
    model = _as_model(model)
    out_dir = check_out_dir(DEFAULT_ROOT / model.name if out_dir is None else out_dir, overwrite=overwrite)
    shape = tuple(model.input.shape[1:])
    representative = None if representative_data is None else _images(
        representative_data, name="representative_data", shape=shape)
    images, labels, source = _validation_set(validation_data, representative, shape)

    reference_model = float32_model(model)
    normalization = _layer(reference_model, "normalization")
    strip = not include_preprocessing and normalization is not None
    tflite_model = without_preprocessing(reference_model) if strip else reference_model

    def to_exported_input(x):
        """Images as the exported files take them: raw, or normalised when preprocessing is excluded."""
        return keras.ops.convert_to_numpy(normalization(x)) if strip else x

    reference = reference_model.predict(images, batch_size=32, verbose=0)
    exported_images = to_exported_input(images)
    report = {
        "model": model.name,
        "source": model_source,
        "out_dir": str(out_dir.resolve()),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "input": {"shape": [None, *shape], "dtype": "float32",
                  "preprocessing": "excluded: feed normalised images" if strip else
                  ("in-model normalization layer" if normalization is not None else "none in model")},
        "rebuilt_in_float32": reference_model is not model,
        "verification": {"images": len(images), "source": source, "labels": labels is not None,
                         "num_threads": num_threads, "latency": "mean ms per image, batch 1"},
        "keras": {"accuracy": None if labels is None else accuracy(reference, labels),
                  "latency_ms": keras_latency_ms(reference_model, images[0], repeats=latency_repeats)},
        "files": [],
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    partial = out_dir.with_name(f".{out_dir.name}.partial-{uuid.uuid4().hex[:8]}")
    partial.mkdir()
    try:
        jobs = (["saved_model"] if "saved_model" in formats else []) + (
            [f"model_{q}.tflite" for q in quantize] if "tflite" in formats else [])
        for step, name in enumerate(jobs, start=1):
            if verbose:
                print(f"[{step}/{len(jobs)}] exporting {name}", flush=True)
            if name == "saved_model":
                info = export_saved_model(reference_model, partial / name,
                                          include_preprocessing=not strip)
                runner = SavedModelRunner(partial / name)
                row = {"file": name, "format": "saved_model", "quantize": "float32", **info}
            else:
                q = name[len("model_"):-len(".tflite")]
                info = export_tflite(tflite_model, partial / name, quantize=q, int8_io=int8_io and q == "int8",
                                     representative_images=None if representative is None
                                     else to_exported_input(representative))
                runner = TFLiteModel(partial / name, num_threads=num_threads)
                row = {"file": name, "format": "tflite", **info}
            row["size_bytes"] = _folder_size(partial / name)
            row.update(compare(reference, runner.predict(exported_images), labels))
            row["latency_ms"] = runner.latency_ms(exported_images[0], repeats=latency_repeats)
            report["files"].append(row)
        (partial / REPORT_NAME).write_text(json.dumps(report, indent=2) + "\n")
        _commit(partial, out_dir, overwrite=overwrite)
    finally:
        if partial.exists():
            shutil.rmtree(partial)
    if verbose:
        print(format_report(report), flush=True)
    return report


def _layer(model, name: str):
    return next((layer for layer in model.layers if layer.name == name), None)


def format_report(report: dict) -> str:
    """The report as a printed table, with Keras itself as the first row."""
    keras_row = {"file": f"keras ({report['model']})", "accuracy": report["keras"]["accuracy"],
                 "latency_ms": report["keras"]["latency_ms"]}
    check = report["verification"]
    title = (f"Export of {report['model']} to {report['out_dir']}: {check['images']} images "
             f"({check['source']}), {check['num_threads']} interpreter thread(s)")
    return title + "\n" + format_table([keras_row, *report["files"]])


def load_images_npz(path, *, labels: bool = False):
    """Images `x` (and labels `y` when `labels`) from an .npz file, with clear errors."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such .npz file: {str(path)!r}")
    if path.suffix != ".npz":
        raise ValueError(f"expected an .npz file (np.savez(path, x=images)), got {str(path)!r}")
    try:
        with np.load(path) as data:
            if "x" not in data:
                raise ValueError(f"{str(path)!r} has no array 'x' (found: {', '.join(data.files)}); "
                                 f"save images with np.savez(path, x=images)")
            x = data["x"]
            y = data["y"] if labels and "y" in data else None
    except (OSError, zipfile.BadZipFile) as err:
        raise ValueError(f"{str(path)!r} is not a readable .npz file ({err})") from err
    return x if not labels else (x, y)

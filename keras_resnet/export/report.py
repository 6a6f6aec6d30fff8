"""The export report: what was exported, from where, on what, and how each file compares with Keras.

`export_report.json` sits beside the files it describes. It records the model and its source, the
input the files expect, the images the check ran on, the versions and machine (latency depends on
both), Keras' own accuracy and latency, and one row per file: size, parity with Keras, latency.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from keras_resnet._utils.atomic import write_json
from keras_resnet._utils.provenance import machine, provenance
from keras_resnet.export.parity import format_table

if TYPE_CHECKING:
    import keras

    from keras_resnet.export.images import CheckImages
    from keras_resnet.export.preparation import PreparedModel

REPORT_NAME = "export_report.json"

__all__ = ["REPORT_NAME", "new_report", "write_report", "format_report", "folder_size"]


def new_report(
    *,
    model: keras.Model,
    source: str,
    out_dir: Path,
    prepared: PreparedModel,
    check: CheckImages,
    num_threads: int,
    keras_accuracy: float | None,
    keras_latency_ms: float,
) -> dict:
    """The report before any file is written: everything but the per-file rows."""
    record = provenance()
    return {
        "model": model.name,
        "source": source,
        "out_dir": str(Path(out_dir).resolve()),
        "created": record["date"],
        "versions": {**record["versions"], "backend": record["backend"]},
        "machine": machine(),
        "input": {
            "shape": [None, *model.input.shape[1:]],
            "dtype": "float32",
            "preprocessing": prepared.preprocessing,
        },
        "rebuilt_in_float32": prepared.rebuilt_in_float32,
        "verification": {
            "images": len(check.images),
            "source": check.source,
            "labels": check.labels is not None,
            "num_threads": num_threads,
            "latency": "mean ms per image, batch 1",
        },
        "keras": {"accuracy": keras_accuracy, "latency_ms": keras_latency_ms},
        "files": [],
    }


def write_report(folder: Path, report: dict) -> Path:
    """Write `report` as `export_report.json` in `folder` (atomically)."""
    return write_json(Path(folder) / REPORT_NAME, report)


def format_report(report: dict) -> str:
    """The report as a printed table, with Keras itself as the first row."""
    keras_row = {
        "file": f"keras ({report['model']})",
        "accuracy": report["keras"]["accuracy"],
        "latency_ms": report["keras"]["latency_ms"],
    }
    check = report["verification"]
    title = (
        f"Export of {report['model']} to {report['out_dir']}: {check['images']} images "
        f"({check['source']}), {check['num_threads']} interpreter thread(s)"
    )
    return title + "\n" + format_table([keras_row, *report["files"]])


def folder_size(path: Path) -> int:
    """Bytes in a file, or in every file under a folder."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())

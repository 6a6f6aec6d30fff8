"""Where per-layer gradient records are written: a tidy CSV and TensorBoard summaries.

Kept apart from the callback that measures, as Keras keeps `CSVLogger` and `TensorBoard` apart.
`CsvLog` appends rows at every epoch end (a killed run keeps what it measured) and continues a
resumed run's file: rows of epochs before the first one trained again are kept, later rows are
dropped. `TensorBoardLog` needs TensorFlow and TensorBoard, imported only when one is opened, on
any Keras backend.
"""

from __future__ import annotations

import csv
import importlib.util
import os
from collections.abc import Iterable

import numpy as np

from keras_resnet._utils.atomic import atomic_path

__all__ = ["CSV_NAME", "CSV_COLUMNS", "CsvLog", "TensorBoardLog", "read_csv", "write_csv"]

CSV_NAME = "gradient_norms.csv"
CSV_COLUMNS = ("step", "epoch", "layer", "depth", "grad_norm", "weight_norm", "ratio")


class CsvLog:
    """`gradient_norms.csv` in `folder`: one row per measured step and layer."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = os.fspath(folder)
        self.path = os.path.join(self.folder, CSV_NAME)
        self.written = 0  # how many of the records handed to `append` are in the file

    def continue_run(self, first_epoch: int) -> list[dict]:
        """Keep the file's rows of epochs before `first_epoch` and return them; drop the rest."""
        kept = [r for r in read_csv(self.path) if r["epoch"] < first_epoch]
        self.written = len(kept)
        if kept or os.path.exists(self.path):
            write_csv(kept, self.path)
        return kept

    def append(self, records: list[dict]) -> None:
        """Append `records[written:]`. A row cut short by a kill is skipped by `read_csv`, so
        appending in place is safe where rewriting the growing file each epoch would be slow."""
        if self.written == len(records):
            return
        os.makedirs(self.folder, exist_ok=True)
        new_file = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
        with open(self.path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerows(records[self.written :])
        self.written = len(records)


def read_csv(path: str | os.PathLike) -> list[dict]:
    """Per-layer records from a `gradient_norms.csv` ([] if there is none); a last row cut short
    by a kill is skipped."""
    if path is None or not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        lines = [line for line in f.read().splitlines(keepends=True) if line.endswith("\n")]
    records = []
    for row in csv.DictReader(lines):
        try:
            records.append(
                {
                    "step": int(row["step"]),
                    "epoch": int(row["epoch"]),
                    "layer": row["layer"],
                    "depth": int(row["depth"]),
                    **{k: float(row[k]) for k in ("grad_norm", "weight_norm", "ratio")},
                }
            )
        except (KeyError, TypeError, ValueError):
            continue
    return records


def write_csv(records: Iterable[dict], path: str | os.PathLike) -> None:
    """Write per-layer records as a tidy CSV, atomically (`_utils.atomic`)."""
    with atomic_path(path) as temporary, open(temporary, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)


class TensorBoardLog:
    """Per measurement, at the optimizer step: a scalar `grad_norm/<layer>` per layer, a histogram
    `gradients/<layer>` of each layer's gradient entries (when the source has whole gradients) and
    a histogram `grad_norm_log10` of the layer norms, their spread over depth."""

    @classmethod
    def open(cls, folder: str | os.PathLike) -> TensorBoardLog | None:
        """A log writing to `folder`, or None with one printed note without TF/TensorBoard."""
        missing = [m for m in ("tensorflow", "tensorboard") if importlib.util.find_spec(m) is None]
        if missing:
            print(
                f"note: {' and '.join(missing)} not installed (pip install tensorboard); "
                f"no per-layer gradient summaries in {folder}"
            )
            return None
        return cls(folder)

    def __init__(self, folder: str | os.PathLike) -> None:
        import tensorflow as tf

        self.folder = os.fspath(folder)
        self._writer = tf.summary.create_file_writer(self.folder)

    def write(self, step: int, rows: list[dict], layer_gradients: dict | None = None) -> None:
        """Summaries of one measurement: `rows` one per layer, `layer_gradients` {layer: entries}."""
        import tensorflow as tf

        layer_gradients = layer_gradients or {}
        with self._writer.as_default(step=step):
            for row in rows:
                tf.summary.scalar(f"grad_norm/{row['layer']}", row["grad_norm"])
                if row["layer"] in layer_gradients:
                    tf.summary.histogram(f"gradients/{row['layer']}", layer_gradients[row["layer"]])
            tf.summary.histogram(
                "grad_norm_log10", np.log10(np.maximum([r["grad_norm"] for r in rows], 1e-30))
            )

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

"""Parity between an exported file and the Keras model it came from, and the table that shows it.

An export is only trusted once its outputs on real images are compared with Keras' outputs on the
same images: largest absolute difference, top-1 agreement, accuracy when labels are known, and the
mean time per image on CPU (measured by `keras_resnet.export.runners`).
"""

from __future__ import annotations

import numpy as np

from keras_resnet._utils.units import format_bytes


def compare(reference: np.ndarray, outputs: np.ndarray, labels: np.ndarray | None = None) -> dict:
    """max |difference|, top-1 agreement with `reference`, and accuracy if `labels` are given."""
    reference, outputs = np.asarray(reference, np.float32), np.asarray(outputs, np.float32)
    if reference.shape != outputs.shape:
        raise ValueError(f"outputs have shape {outputs.shape}, Keras gave {reference.shape}")
    predicted = outputs.argmax(axis=-1)
    return {
        "max_abs_diff": float(np.max(np.abs(reference - outputs))),
        "top1_agreement": float(np.mean(predicted == reference.argmax(axis=-1))),
        "accuracy": None if labels is None else accuracy(outputs, labels),
    }


def accuracy(outputs: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows whose arg-max equals the integer label."""
    return float(np.mean(np.asarray(outputs).argmax(axis=-1) == np.asarray(labels).reshape(-1)))


def format_table(rows: list[dict]) -> str:
    """The parity table: file, size, max |diff| vs Keras, top-1 agreement, accuracy, ms/image."""
    header = ("file", "size", "max |diff|", "top-1 agree", "accuracy", "ms/image")
    lines = [header]
    for row in rows:
        lines.append(
            (
                row["file"],
                "-" if row.get("size_bytes") is None else format_bytes(row["size_bytes"]),
                "-" if row.get("max_abs_diff") is None else f"{row['max_abs_diff']:.2e}",
                "-" if row.get("top1_agreement") is None else f"{100 * row['top1_agreement']:.1f} %",
                "-" if row.get("accuracy") is None else f"{100 * row['accuracy']:.1f} %",
                f"{row['latency_ms']:.2f}",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths))
        )
        for line in lines
    ]
    text.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(text)

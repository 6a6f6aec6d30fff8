"""Matplotlib figures. Training curves: loss and accuracy per epoch, train vs validation, from a run's
history.csv (so a resumed run's plot shows every epoch, not only the last session's)."""

from __future__ import annotations

import os


def plot_training_curves(history: list[dict], path: str | os.PathLike, *, title: str = "") -> None:
    """Two panels (loss, accuracy), train solid and validation dashed; written as a PNG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] + 1 for row in history]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, key, label in ((axes[0], "loss", "loss"), (axes[1], "accuracy", "accuracy")):
        for prefix, style in (("", "-"), ("val_", "--")):
            values = [row.get(prefix + key, float("nan")) for row in history]
            if any(v == v for v in values):  # at least one non-NaN value
                ax.plot(epochs, values, style, label=("validation " if prefix else "train ") + label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0].set_yscale("log")
    if title:
        fig.suptitle(title)
    tmp = f"{path}.partial.png"
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)

"""The figures of one training run, drawn from what its run folder holds: loss and accuracy per
epoch (`curves.png`, every epoch of a resumed run), and when gradient norms were recorded the
layer x step heatmap and the depth profile at up to four epochs, first to last."""

from __future__ import annotations

import os

from keras_resnet.experiments.plots import plot_depth_profile, plot_gradient_heatmap, plot_training_curves
from keras_resnet.gradients.log import read_csv
from keras_resnet.training.run_folder import RunFolder

PROFILE_EPOCHS = 4


def draw_run_figures(run_dir: str | os.PathLike, *, title: str = "") -> list[str]:
    """Write the run's figures into its folder; returns their paths (none for a run without epochs)."""
    run = RunFolder(run_dir)
    history = run.read_history()
    if not history:
        return []
    written = [plot_training_curves(history, run.curves, title=title)]
    records = read_csv(run.gradient_norms)
    if records:
        epochs = sorted({r["epoch"] for r in records})
        last = len(epochs) - 1
        chosen = sorted({epochs[round(i * last / (PROFILE_EPOCHS - 1))] for i in range(PROFILE_EPOCHS)})
        written.append(plot_gradient_heatmap(records, run.gradient_heatmap))
        written.append(plot_depth_profile({title: records}, run.gradient_profile, epochs=chosen))
    return written

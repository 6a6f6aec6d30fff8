"""Figures for the gradient-flow study (He et al. 2015, section 4.1) and training runs, as PNGs.

They are drawn on detached `matplotlib.figure.Figure`s, so the library never switches pyplot's
backend (a notebook's inline plots keep working) and needs no display.
`plot_gradient_heatmap` shows per-layer gradient norms over training time; `plot_depth_profile`
shows, per depth, the norm of all gradients at that depth for one or several runs, on a log scale.
Both take the `records` of `GradientNormCallback` (dicts with step, layer, depth, grad_norm); depth
is the one of `keras_resnet.gradients.depth`, conv and dense layers counted from the input.
`plot_training_curves` draws a run's loss and accuracy per epoch from its history.csv rows (so a
resumed run's plot shows every epoch, not only the last session's). `plot_comparison` overlays
several runs' training loss and test error, the paper's Figure 6.
"""

from __future__ import annotations

import os

from keras_resnet._utils.atomic import atomic_path
from keras_resnet.errors import InvalidInputError

DEPTH_LABEL = "depth (conv/dense layers from the input)"

__all__ = ["plot_gradient_heatmap", "plot_depth_profile", "plot_training_curves", "plot_comparison"]


def _figure(**options):
    """A matplotlib Figure detached from pyplot: no backend switch, no global state, so plotting
    from the library never disturbs a notebook's inline figures or needs a display."""
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **options)


def plot_gradient_heatmap(records, path) -> str:
    """Layers (by depth, input at the top) x recorded steps, colour = log10 gradient norm."""
    import numpy as np

    if not records:
        raise InvalidInputError("no gradient records to plot")
    steps = sorted({r["step"] for r in records})
    layers = sorted({(r["depth"], r["layer"]) for r in records})
    row = {layer: i for i, layer in enumerate(layers)}
    column = {step: j for j, step in enumerate(steps)}
    grid = np.full((len(layers), len(steps)), np.nan)
    for r in records:
        grid[row[(r["depth"], r["layer"])], column[r["step"]]] = np.log10(max(r["grad_norm"], 1e-30))
    fig = _figure(figsize=(max(4, 0.3 * len(steps) + 3), max(3, 0.12 * len(layers) + 1)))
    ax = fig.subplots()
    image = ax.imshow(grid, aspect="auto", interpolation="nearest", cmap="viridis")
    ax.set_xlabel("step")
    ax.set_ylabel(f"layers by {DEPTH_LABEL}, input at top")
    ticks = np.linspace(0, len(steps) - 1, min(len(steps), 8)).astype(int)
    ax.set_xticks(ticks, [steps[t] for t in ticks])
    fig.colorbar(image, ax=ax, label="log10 ||gradient||")
    return _save(fig, path)


def plot_depth_profile(records_or_runs, path, epochs=None) -> str:
    """Per depth, the norm of all gradients at that depth (square root of the sum of the layers'
    squared norms), against depth, log scale.

    `records_or_runs` is one list of records or {label: records} for several runs overlaid.
    For each run the last recorded step of each selected epoch is drawn (`epochs=None`: the
    last step only; records without an epoch count as epoch 0).
    """
    runs = records_or_runs if isinstance(records_or_runs, dict) else {"": records_or_runs}
    if not runs or not any(runs.values()):
        raise InvalidInputError("no gradient records to plot")
    fig = _figure(figsize=(7, 4))
    ax = fig.subplots()
    for label, records in runs.items():
        by_epoch: dict = {}
        for r in records:
            epoch = r.get("epoch", 0)
            by_epoch[epoch] = max(by_epoch.get(epoch, r.get("step", 0)), r.get("step", 0))
        chosen = [max(by_epoch)] if epochs is None else [e for e in epochs if e in by_epoch]
        for epoch in chosen:
            step = by_epoch[epoch]
            points = _norm_per_depth(
                r for r in records if r.get("epoch", 0) == epoch and r.get("step", 0) == step
            )
            name = label if epochs is None else f"{label} epoch {epoch}".strip()
            ax.plot(list(points), list(points.values()), marker=".", label=name or None)
    ax.set_yscale("log")
    ax.set_xlabel(DEPTH_LABEL)
    ax.set_ylabel("||gradient|| of the loss at that depth")
    if any(runs):
        ax.legend(fontsize="small")
    return _save(fig, path)


def _norm_per_depth(records) -> dict[int, float]:
    """{depth: sqrt(sum of grad_norm**2 over the records at that depth)}, by depth."""
    squares: dict[int, float] = {}
    for r in records:
        squares[r["depth"]] = squares.get(r["depth"], 0.0) + r["grad_norm"] ** 2
    return {depth: squares[depth] ** 0.5 for depth in sorted(squares)}


def _save(fig, path) -> str:
    """Write the PNG atomically (`_utils.atomic`), creating its folder; returns the path."""
    with atomic_path(path) as temporary:
        fig.savefig(temporary, dpi=120, format="png")
    return os.fspath(path)


def plot_training_curves(history: list[dict], path: str | os.PathLike, *, title: str = "") -> str:
    """Two panels (loss, accuracy), train solid and validation dashed; written as a PNG."""
    epochs = [row["epoch"] + 1 for row in history]
    fig = _figure(figsize=(10, 4))
    axes = fig.subplots(1, 2)
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
    return _save(fig, path)


def plot_comparison(
    histories: dict[str, list[dict]], path, *, residual: dict[str, bool | None] | None = None, title: str = ""
) -> str:
    """Training loss (log scale), training error and test error (%) per epoch for several runs.

    As in He et al. 2015, Figure 6: plain nets dashed, residual nets solid, one colour per depth.
    `histories` maps a label to its history.csv rows (`loss`, `accuracy`, `test_accuracy`). The
    training loss includes the L2 weight penalty, which differs between nets, so the training error
    is drawn too.
    """
    if not histories or not any(histories.values()):
        raise InvalidInputError("no training histories to plot")
    residual = residual or {}
    fig = _figure(figsize=(15, 4.2))
    loss_ax, train_ax, test_ax = fig.subplots(1, 3)
    colours: dict[str, str] = {}
    for label, history in histories.items():
        name, _, variant = label.partition(":")  # "resnet20:shortcut_variant=gated": own colour
        depth = ("".join(ch for ch in name if ch.isdigit()) or name) + variant
        colour = colours.setdefault(depth, f"C{len(colours)}")
        style = "--" if residual.get(label) is False else "-"
        epochs = [row["epoch"] + 1 for row in history]
        curves = (
            (loss_ax, [row.get("loss", float("nan")) for row in history]),
            (train_ax, [100 * (1 - row.get("accuracy", float("nan"))) for row in history]),
            (test_ax, [100 * (1 - row.get("test_accuracy", float("nan"))) for row in history]),
        )
        for ax, values in curves:
            ax.plot(epochs, values, style, color=colour, label=label)
    loss_ax.set_yscale("log")
    for ax, name in (
        (loss_ax, "training loss (incl. L2)"),
        (train_ax, "training error (%)"),
        (test_ax, "test error (%)"),
    ):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)

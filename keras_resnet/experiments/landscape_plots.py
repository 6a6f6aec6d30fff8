"""Figures of the loss landscape (Li et al. 2018, Fig. 5) as PNGs.

`plot_landscape`: filled contours of loss (log-spaced levels) and accuracy over the 2-D grid, the
trained weights at the centre. `plot_landscape_1d`: loss and accuracy along each direction through
the trained weights. `plot_landscape_pair`: several nets' loss contours side by side on shared
levels (plain vs residual). Non-finite grid points are left blank and marked.
"""

from __future__ import annotations

from keras_resnet.experiments.plots import _figure, _save

__all__ = ["plot_landscape", "plot_landscape_1d", "plot_landscape_pair"]

LEVELS = 25


def plot_landscape(result: dict, path, *, title: str = "") -> str:
    """Loss and accuracy contours of one 2-D landscape."""
    import numpy as np

    fig = _figure(figsize=(10, 4.2))
    loss_ax, accuracy_ax = fig.subplots(1, 2)
    levels = _loss_levels([result])
    _loss_contour(fig, loss_ax, result, levels)
    coords = np.asarray(result["coordinates"])
    accuracy = np.ma.masked_invalid(np.asarray(result["accuracy"], dtype="float64"))
    filled = accuracy_ax.contourf(coords, coords, accuracy, levels=np.linspace(0, 1, 21), cmap="viridis")
    fig.colorbar(filled, ax=accuracy_ax, label="accuracy")
    accuracy_ax.plot(0, 0, "w+", markersize=10)
    accuracy_ax.set_title("accuracy")
    for ax in (loss_ax, accuracy_ax):
        ax.set_xlabel("direction 1")
        ax.set_ylabel("direction 2")
        ax.set_aspect("equal")
    fig.suptitle(f"{title}: filter-normalised directions, seed {result['seed']}")
    return _save(fig, path)


def plot_landscape_1d(result: dict, path, *, title: str = "") -> str:
    """Loss (log scale) and accuracy along direction 1 (and 2) through the trained weights."""
    import numpy as np

    coords = np.asarray(result["coordinates"])
    loss, accuracy = np.asarray(result["loss"]), np.asarray(result["accuracy"])
    centre = result["grid"] // 2
    slices = {"direction 1": (loss, accuracy)}
    if result["mode"] == "2d":
        slices = {
            "direction 1": (loss[centre, :], accuracy[centre, :]),
            "direction 2": (loss[:, centre], accuracy[:, centre]),
        }
    fig = _figure(figsize=(10, 4))
    loss_ax, accuracy_ax = fig.subplots(1, 2)
    for name, (line_loss, line_accuracy) in slices.items():
        loss_ax.plot(coords, line_loss, marker=".", label=name)
        accuracy_ax.plot(coords, line_accuracy, marker=".", label=name)
        bad = ~np.isfinite(line_loss)
        if bad.any():
            loss_ax.plot(
                coords[bad],
                [np.nanmax(line_loss) if np.isfinite(line_loss).any() else 1.0] * int(bad.sum()),
                "rx",
            )
    loss_ax.set_yscale("log")
    loss_ax.set_ylabel("loss (cross-entropy)")
    accuracy_ax.set_ylabel("accuracy")
    accuracy_ax.set_ylim(0, 1.02)
    for ax in (loss_ax, accuracy_ax):
        ax.set_xlabel("step along the direction (0: trained weights)")
        ax.legend(fontsize="small")
    fig.suptitle(f"{title}: 1-D slices, seed {result['seed']}")
    return _save(fig, path)


def plot_landscape_pair(results: dict, path) -> str:
    """The nets' loss contours side by side (2-D), or their 1-D loss curves overlaid."""
    import numpy as np

    if any(r["mode"] == "1d" for r in results.values()):
        fig = _figure(figsize=(6, 4))
        ax = fig.subplots()
        for label, r in results.items():
            line = np.asarray(r["loss"])
            ax.plot(r["coordinates"], line if line.ndim == 1 else line[r["grid"] // 2, :], label=label)
        ax.set_yscale("log")
        ax.set_xlabel("step along direction 1 (0: trained weights)")
        ax.set_ylabel("loss (cross-entropy)")
        ax.legend()
        return _save(fig, path)
    fig = _figure(figsize=(5 * len(results), 4.4))
    axes = np.atleast_1d(fig.subplots(1, len(results)))
    levels = _loss_levels(results.values())
    for ax, (label, r) in zip(axes, results.items()):
        _loss_contour(fig, ax, r, levels)
        ax.set_title(f"{label}: loss")
        ax.set_aspect("equal")
        ax.set_xlabel("direction 1")
        ax.set_ylabel("direction 2")
    fig.suptitle("Loss around the trained weights (shared log-spaced contour levels)")
    return _save(fig, path)


def _loss_levels(results) -> object:
    import numpy as np

    finite = np.concatenate([np.asarray(r["loss"], dtype="float64").ravel() for r in results])
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size == 0:
        return np.geomspace(1e-3, 1.0, LEVELS)
    low, high = finite.min(), finite.max()
    return np.geomspace(low, high if high > low else low * 10, LEVELS)


def _loss_contour(fig, ax, result: dict, levels) -> None:
    import numpy as np
    from matplotlib.colors import LogNorm

    coords = np.asarray(result["coordinates"])
    loss = np.asarray(result["loss"], dtype="float64")
    masked = np.ma.masked_invalid(np.clip(loss, levels[0], levels[-1]))
    filled = ax.contourf(coords, coords, masked, levels=levels, norm=LogNorm(), cmap="magma_r")
    ax.contour(coords, coords, masked, levels=levels[::3], colors="k", linewidths=0.4)
    fig.colorbar(filled, ax=ax, label="loss (log scale)", format="%.3g")
    bad = ~np.isfinite(loss)
    if bad.any():
        b, a = np.nonzero(bad)
        ax.plot(coords[a], coords[b], "bx", markersize=4, label="non-finite")
    ax.plot(0, 0, "c+", markersize=10)

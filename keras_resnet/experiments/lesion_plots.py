"""Figures of the lesion study (Veit et al. 2016, Fig. 3 and Fig. 5a) as PNGs.

`plot_lesion_single`: test error after deleting each single unit, one curve per net, each net's
intact error dashed, downsampling units shaded. `plot_lesion_random`: test error against the number
of units deleted at random, mean and spread over the draws, every draw a dot.
"""

from __future__ import annotations

from keras_resnet.experiments.plots import _figure, _save

__all__ = ["plot_lesion_single", "plot_lesion_random"]


def plot_lesion_single(studies: dict, path) -> str:
    """Error (%) with unit i deleted against i, per net (the paper's Fig. 3)."""
    from matplotlib.ticker import MaxNLocator

    fig = _figure(figsize=(8, 4.5))
    ax = fig.subplots()
    shaded = set()
    for n, (label, study) in enumerate(studies.items()):
        colour = f"C{n}"
        units = study["units"]
        for unit in units:
            if unit["downsampling"] and unit["index"] not in shaded:
                shaded.add(unit["index"])
                ax.axvspan(unit["index"] - 0.5, unit["index"] + 0.5, color="0.85", zorder=0)
        errors = [float("nan") if u["error"] is None else u["error"] for u in units]
        ax.plot(
            [u["index"] for u in units],
            errors,
            marker="o",
            markersize=4,
            color=colour,
            label=f"{label} ({study['kind']})",
        )
        ax.axhline(study["baseline_error"], color=colour, linestyle="--", linewidth=1)
        skipped = [u["index"] for u in units if u["error"] is None]
        if skipped:
            ax.plot(skipped, [100.0] * len(skipped), "x", color=colour, label=f"{label}: cannot be deleted")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("deleted unit (from the input; shaded: downsampling)")
    ax.set_ylabel("test error (%)")
    ax.set_ylim(0, 102)
    ax.set_title("Deleting one unit at test time (dashed: nothing deleted)")
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_lesion_random(studies: dict, path) -> str:
    """Error (%) against the number of units deleted at random, per net (the paper's Fig. 5a)."""
    import numpy as np

    fig = _figure(figsize=(8, 4.5))
    ax = fig.subplots()
    for n, (label, study) in enumerate(studies.items()):
        colour = f"C{n}"
        rows = [{"count": 0, "mean_error": study["baseline_error"], "std_error": 0.0, "draws": []}]
        rows += study["random"]
        counts = np.array([r["count"] for r in rows])
        mean = np.array([r["mean_error"] for r in rows])
        spread = np.array([r["std_error"] for r in rows])
        ax.plot(counts, mean, marker="o", markersize=4, color=colour, label=f"{label} ({study['kind']})")
        ax.fill_between(counts, mean - spread, mean + spread, color=colour, alpha=0.2)
        for row in rows:
            errors = [d["error"] for d in row["draws"]]
            ax.plot([row["count"]] * len(errors), errors, ".", color=colour, alpha=0.4, markersize=3)
    ax.set_xlabel("units deleted at random (from the non-downsampling units)")
    ax.set_ylabel("test error (%)")
    ax.set_ylim(0, 102)
    ax.set_title("Deleting several units: mean +- std over draws")
    ax.legend(fontsize="small")
    return _save(fig, path)

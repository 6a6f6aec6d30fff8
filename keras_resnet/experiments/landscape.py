"""Loss landscapes with filter-normalised directions (Li et al. 2018, "Visualizing the Loss
Landscape of Neural Nets").

Around the trained weights w, the loss L(w + a d1 + b d2) is evaluated on a grid of (a, b) in
[-span, span]^2 (or along a alone with `one_d`). Each direction is Gaussian noise rescaled filter by
filter: a filter (one output channel of a conv or dense kernel, the kernel's last axis) of d gets the
norm of the same filter of w, so the picture does not depend on the scale invariance BatchNorm gives
the weights. Biases and BatchNorm parameters get a zero direction, as the paper does, and BatchNorm
moving statistics stay as trained. The loss is the mean cross-entropy (no L2 term) in inference
mode; a grid point whose output is not finite is recorded as NaN, not an error.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet.errors import InvalidInputError
from keras_resnet.experiments.targets import score_arrays, study_each

__all__ = ["filter_normalized_direction", "loss_landscape", "run_landscape", "format_summary"]

DIRECTIONS = (
    "Gaussian, filter-normalised (each filter scaled to the norm of the same filter of the weights); "
    "biases and BatchNorm parameters zero"
)


def filter_normalized_direction(weights, rng) -> list:
    """A random direction shaped like `weights` (NumPy arrays): each filter along the last axis of a
    kernel (ndim >= 2) gets the norm of the weights' filter; 1-D weights (biases, BatchNorm) get 0."""
    import numpy as np

    direction = []
    for w in weights:
        w = np.asarray(w, dtype="float64")
        if w.ndim < 2:
            direction.append(np.zeros_like(w))
            continue
        d = rng.standard_normal(w.shape)
        axes = tuple(range(w.ndim - 1))
        scale = np.sqrt((w**2).sum(axis=axes)) / (np.sqrt((d**2).sum(axis=axes)) + 1e-10)
        direction.append(d * scale)
    return direction


def loss_landscape(
    model,
    images,
    labels,
    *,
    grid: int = 21,
    span: float = 1.0,
    one_d: bool = False,
    seed: int = 0,
    batch_size: int = 256,
    verbose: int = 1,
) -> dict:
    """Loss and accuracy on a `grid` x `grid` (or `grid`-point) lattice around the model's weights.

    The model's weights are restored afterwards, whatever happens.
    """
    import keras
    import numpy as np

    grid, span = _check_grid(grid, span)
    variables = list(model.trainable_variables)
    origin = [keras.ops.convert_to_numpy(v) for v in variables]
    rng = np.random.default_rng(seed)
    first = filter_normalized_direction(origin, rng)
    second = None if one_d else filter_normalized_direction(origin, rng)
    moved = [i for i, w in enumerate(origin) if np.ndim(w) >= 2]
    coordinates = np.linspace(-span, span, grid)
    points = [(a, 0.0) for a in coordinates] if one_d else [(a, b) for b in coordinates for a in coordinates]
    bar = keras.utils.Progbar(len(points), verbose=verbose, unit_name="point")
    records, started = [], time.perf_counter()
    try:
        for a, b in points:
            for i in moved:
                step = a * first[i] + (0.0 if second is None else b * second[i])
                variables[i].assign((origin[i] + step).astype(origin[i].dtype))
            scores = score_arrays(model, images, labels, batch_size=batch_size, compiled=True)
            records.append({"alpha": float(a), "beta": float(b), **scores})
            bar.add(1)
    finally:
        for variable, value in zip(variables, origin):
            variable.assign(value)
    return _result(records, coordinates, grid=grid, span=span, one_d=one_d, seed=seed, started=started)


def _result(records, coordinates, *, grid, span, one_d, seed, started) -> dict:
    import numpy as np

    loss = np.array([r["loss"] for r in records], dtype="float64")
    accuracy = np.array([r["accuracy"] for r in records], dtype="float64")
    shape = (grid,) if one_d else (grid, grid)  # 2-D: rows are beta, columns alpha
    loss, accuracy = loss.reshape(shape), accuracy.reshape(shape)
    centre = (grid // 2,) if one_d else (grid // 2, grid // 2)
    return {
        "mode": "1d" if one_d else "2d",
        "grid": grid,
        "span": span,
        "seed": seed,
        "directions": DIRECTIONS,
        "coordinates": coordinates.tolist(),
        "loss": loss,
        "accuracy": accuracy,
        "records": records,
        "origin": {"loss": float(loss[centre]), "accuracy": float(accuracy[centre])},
        "non_finite": [[r["alpha"], r["beta"]] for r in records if not r["finite"]],
        "summary": _shape_summary(loss),
        "seconds": time.perf_counter() - started,
    }


def _shape_summary(loss) -> dict:
    """Numbers for "smooth and nearly convex" vs "chaotic": local minima among the finite points,
    and the fraction of interior points where every axis' second difference is >= 0."""
    import numpy as np

    finite = np.isfinite(loss)
    padded = np.pad(np.where(finite, loss, np.inf), 1, constant_values=np.inf)
    neighbours = []
    for offset in np.ndindex(*(3,) * loss.ndim):
        if offset == (1,) * loss.ndim:
            continue
        window = tuple(slice(o, o + n) for o, n in zip(offset, loss.shape))
        neighbours.append(padded[window])
    minima = finite & np.all(np.stack([loss < n for n in neighbours]), axis=0)
    convex = np.ones(tuple(n - 2 for n in loss.shape), dtype=bool)
    for axis in range(loss.ndim):
        second = np.diff(loss, n=2, axis=axis)
        inner = tuple(slice(1, -1) if a != axis else slice(None) for a in range(loss.ndim))
        convex &= second[inner] >= 0
    return {
        "min_loss": float(np.nanmin(loss)) if finite.any() else None,
        "max_loss": float(np.nanmax(np.where(finite, loss, np.nan))) if finite.any() else None,
        "local_minima": int(minima.sum()),
        "convex_fraction": float(convex.mean()) if convex.size else None,
        "non_finite_points": int((~finite).sum()),
    }


def run_landscape(
    targets,
    *,
    out,
    dataset: str | None = None,
    split: str = "train",
    examples: int | None = 512,
    grid: int = 21,
    span: float = 1.0,
    one_d: bool = False,
    seed: int = 0,
    batch_size: int = 256,
    checkpoint: str = "last",
    verbose: int = 1,
) -> dict:
    """`loss_landscape` of each target; per target `out/LABEL/` gets landscape.png (2-D contours),
    landscape_1d.png, landscape.csv, landscape.json and summary.txt; with several targets,
    `out/landscape_pair.png` puts them side by side on shared contour levels. A landscape already
    in `out/LABEL/landscape.json` for the same model file (unchanged since), data and settings is
    reused, so nets can be added one at a time to the pair."""
    from keras_resnet.experiments.landscape_plots import (
        plot_landscape,
        plot_landscape_1d,
        plot_landscape_pair,
    )

    grid, span = _check_grid(grid, span)
    out = Path(out)

    def run(label: str, loaded, settings: dict) -> dict:
        result = loss_landscape(
            loaded.model,
            loaded.images,
            loaded.labels,
            grid=grid,
            span=span,
            one_d=one_d,
            seed=seed,
            batch_size=batch_size,
            verbose=verbose,
        )
        result.update(loaded.describe(), label=label, settings=settings)
        folder = out / label
        result["figures"] = [plot_landscape_1d(result, folder / "landscape_1d.png", title=label)]
        if not one_d:
            result["figures"].append(plot_landscape(result, folder / "landscape.png", title=label))
        _write(result, folder)
        return result

    results = study_each(
        targets,
        study="landscape",
        settings={"grid": grid, "span": span, "one_d": one_d, "seed": seed},
        finished=lambda label, settings: _previous(out / label / "landscape.json", settings),
        run=run,
        load={"dataset": dataset, "split": split, "examples": examples, "checkpoint": checkpoint},
        verbose=verbose,
    )
    pair = plot_landscape_pair(results, out / "landscape_pair.png") if len(results) > 1 else None
    return {"results": results, "pair": pair, "summary": format_summary(results)}


def _previous(path: Path, settings: dict) -> dict | None:
    """The saved landscape at `path` if it was made with `settings`, its grids rebuilt; else None."""
    import numpy as np

    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or saved.get("settings") != settings:
        return None
    shape = (saved["grid"],) if saved["mode"] == "1d" else (saved["grid"], saved["grid"])
    for key in ("loss", "accuracy"):
        values = [np.nan if r[key] is None else r[key] for r in saved["records"]]
        saved[key] = np.array(values, dtype="float64").reshape(shape)
    return saved


def _write(result: dict, folder: Path) -> None:
    import math

    lines = ["alpha,beta,loss,accuracy,finite"]
    lines += [
        f"{r['alpha']:.6g},{r['beta']:.6g},{r['loss']:.8g},{r['accuracy']:.6g},{r['finite']}"
        for r in result["records"]
    ]
    write_text(folder / "landscape.csv", "\n".join(lines) + "\n")

    def clean(value):
        return None if isinstance(value, float) and not math.isfinite(value) else value

    saved = {key: value for key, value in result.items() if key not in ("loss", "accuracy")}
    saved["records"] = [{k: clean(v) for k, v in r.items()} for r in result["records"]]
    write_json(folder / "landscape.json", saved)
    write_text(folder / "summary.txt", format_summary({result["label"]: result}) + "\n")


def format_summary(results: dict) -> str:
    """One paragraph per net: set-up, loss at the trained weights, and the surface's shape."""
    lines = []
    for label, r in results.items():
        s = r["summary"]
        lines.append(
            f"{label}: {r['mode']} landscape, {r['grid']} points per axis in "
            f"[-{r['span']:g}, {r['span']:g}], "
            f"seed {r['seed']}, {r.get('examples', '?')} {r.get('split', '')} images, {r['seconds']:.0f} s"
        )
        lines.append(
            f"  at the trained weights: loss {r['origin']['loss']:.4f}, "
            f"accuracy {r['origin']['accuracy']:.4f}"
        )
        low = "n/a" if s["min_loss"] is None else f"{s['min_loss']:.4f}"
        high = "n/a" if s["max_loss"] is None else f"{s['max_loss']:.4g}"
        convex = "n/a" if s["convex_fraction"] is None else f"{100 * s['convex_fraction']:.0f} %"
        lines.append(
            f"  loss min {low}, max {high}; local minima {s['local_minima']}; "
            f"locally convex points {convex}; non-finite points {s['non_finite_points']}"
        )
    return "\n".join(lines)


def _check_grid(grid, span) -> tuple[int, float]:
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 3 or grid % 2 == 0:
        raise InvalidInputError(
            f"grid must be an odd integer >= 3 (points per axis, so the trained weights are the centre "
            f"point); got {grid!r}"
        )
    try:
        span = float(span)
    except (TypeError, ValueError):
        span = float("nan")
    if not span > 0 or span == float("inf"):
        raise InvalidInputError(f"span must be a positive number; got {span!r}")
    return grid, span

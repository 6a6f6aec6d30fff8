"""The lesion study of Veit et al. 2016, "Residual Networks Behave Like Ensembles of Relatively
Shallow Networks": delete units of a trained net at test time and measure the test error.

Two measurements per net (their Fig. 3 and Fig. 5a): the error after deleting each single unit, and
the error against the number of units deleted at random (several seeded draws per count, every
draw's units recorded). Deleting a residual unit removes its branch and keeps its shortcut
(`units.delete_units`); downsampling units are marked, as the paper finds they matter most. A plain
net has no shortcut: its contrast deletes a unit by passing the unit's input straight on (the same
skip the residual lesion leaves), which only shape-keeping units allow; random draws for both nets
pick among the non-downsampling units, so their counts compare.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet.errors import InvalidInputError
from keras_resnet.experiments.targets import score_arrays, study_each
from keras_resnet.experiments.units import delete_units, find_units

__all__ = ["lesion_study", "run_lesion", "format_table", "PLAIN_CONTRAST"]

PLAIN_CONTRAST = (
    "plain nets have no shortcut: a plain unit is deleted by passing its input straight to the next "
    "unit (its output replaced by its input, the skip a residual lesion leaves); downsampling plain "
    "units change the shape and cannot be deleted"
)


def lesion_study(
    model,
    images,
    labels,
    *,
    draws: int = 5,
    counts=None,
    seed: int = 0,
    batch_size: int = 256,
    verbose: int = 1,
) -> dict:
    """Error (%) of `model` on the arrays with each single unit deleted, and with `counts` units
    (default every count from 1 to all non-downsampling units) deleted at random, `draws` times each.
    """
    import keras
    import numpy as np

    units = find_units(model)
    pool = [unit for unit in units if not unit.downsampling]
    counts = _check_counts(counts, draws, len(pool))
    plan = [(count, draw) for count in counts for draw in range(1 if count == len(pool) else draws)]
    bar = keras.utils.Progbar(
        1 + sum(u.deletable for u in units) + len(plan), verbose=verbose, unit_name="net"
    )

    def error(deleted) -> float:
        lesioned = delete_units(model, deleted) if deleted else model
        scores = score_arrays(lesioned, images, labels, batch_size=batch_size)
        bar.add(1)
        return _percent_error(scores)

    baseline = error([])
    singles = [{**unit.to_dict(), "error": error([unit]) if unit.deletable else None} for unit in units]
    rng = np.random.default_rng(seed)
    random: dict[int, list[dict[str, Any]]] = {count: [] for count in counts}
    for count, _ in plan:
        chosen = sorted(rng.choice(len(pool), size=count, replace=False).tolist())
        deleted = [pool[i] for i in chosen]
        random[count].append({"deleted": [unit.index for unit in deleted], "error": error(deleted)})
    residual = units[0].residual
    return {
        "kind": "residual" if residual else "plain",
        "deletion": "branch deleted, shortcut kept" if residual else PLAIN_CONTRAST,
        "baseline_error": baseline,
        "units": singles,
        "random": [_summary(count, random[count]) for count in counts],
        "random_pool": "non-downsampling units",
        "draws": draws,
        "seed": seed,
    }


def run_lesion(
    targets,
    *,
    out,
    dataset: str | None = None,
    split: str = "test",
    examples: int | None = None,
    draws: int = 5,
    counts=None,
    seed: int = 0,
    batch_size: int = 256,
    checkpoint: str = "last",
    verbose: int = 1,
) -> dict:
    """Run `lesion_study` on each target (run folder or `.keras`); write lesion.json, lesion.md,
    lesion_single.png (Fig. 3) and lesion_random.png (Fig. 5a) into `out`.

    Each net's study is also kept in `out/LABEL/study.json`; a study found there (or in an earlier
    `out/lesion.json`) for the same model file (unchanged since), data and settings is reused, so
    nets can be studied one at a time, or in parallel, and drawn together.
    """
    from keras_resnet.experiments.lesion_plots import plot_lesion_random, plot_lesion_single

    out = Path(out)
    previous = _previous_studies(out / "lesion.json")

    def finished(label: str, settings: dict) -> dict | None:
        saved = _previous_studies(out / label / "study.json", single=True) or previous.get(label)
        return saved if saved is not None and saved.get("settings") == settings else None

    def run(label: str, loaded, settings: dict) -> dict:
        study = lesion_study(
            loaded.model,
            loaded.images,
            loaded.labels,
            draws=draws,
            counts=counts,
            seed=seed,
            batch_size=batch_size,
            verbose=verbose,
        )
        study = {**loaded.describe(), **study, "settings": settings}
        write_json(out / label / "study.json", study)
        return study

    own = {"draws": draws, "counts": None if counts is None else sorted(set(counts)), "seed": seed}
    studies = study_each(
        targets,
        study="lesion",
        settings=own,
        finished=finished,
        run=run,
        load={"dataset": dataset, "split": split, "examples": examples, "checkpoint": checkpoint},
        verbose=verbose,
    )
    figures = {
        "single": plot_lesion_single(studies, out / "lesion_single.png"),
        "random": plot_lesion_random(studies, out / "lesion_random.png"),
    }
    table = format_table(studies)
    write_json(out / "lesion.json", {"studies": studies, "figures": figures})
    write_text(out / "lesion.md", table + "\n")
    return {"studies": studies, "figures": figures, "table": table}


def format_table(studies: dict) -> str:
    """A summary row per net, then the error with each single unit deleted, as markdown."""
    lines = [
        "| net | kind | error (%) | one unit deleted: median / max (%) | downsampling unit deleted (%) "
        "| k random deleted: k -> mean error (%) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for label, study in studies.items():
        kept = [u["error"] for u in study["units"] if not u["downsampling"]]
        down = [u for u in study["units"] if u["downsampling"]]
        down_text = ", ".join(
            f"{u['name']} {u['error']:.1f}" if u["error"] is not None else f"{u['name']} n/a" for u in down
        )
        shown = [r for r in study["random"] if r["count"] in _milestones(study["random"])]
        random_text = ", ".join(f"{r['count']} -> {r['mean_error']:.1f}" for r in shown)
        lines.append(
            f"| {label} | {study['kind']} | {study['baseline_error']:.2f} "
            f"| {_median(kept):.1f} / {max(kept):.1f} "
            f"| {down_text or '-'} | {random_text} |"
        )
    lines += [
        "",
        "Error (%) with one unit deleted (D: downsampling unit; n/a: a plain unit that "
        "changes the shape cannot be deleted):",
        "",
    ]
    labels = list(studies)
    lines.append("| unit | " + " | ".join(labels) + " |")
    lines.append("|---|" + "---:|" * len(labels))
    rows = max(len(study["units"]) for study in studies.values())
    for i in range(rows):
        cells, name = [], ""
        for study in studies.values():
            unit = study["units"][i] if i < len(study["units"]) else None
            if unit is not None:
                name = f"{unit['index']} {unit['name']}{' (D)' if unit['downsampling'] else ''}"
            cells.append("" if unit is None or unit["error"] is None else f"{unit['error']:.1f}")
            cells[-1] = cells[-1] or "n/a"
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _previous_studies(path: Path, *, single: bool = False) -> dict:
    """The studies saved at `path` (`single`: the one study); {} when there is none or it is unreadable."""
    try:
        saved = json.loads(path.read_text())
        return saved if single else saved["studies"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _check_counts(counts, draws, pool_size: int) -> list[int]:
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise InvalidInputError(f"draws must be a positive integer; got {draws!r}")
    if pool_size == 0:
        return []
    counts = list(range(1, pool_size + 1)) if counts is None else sorted(set(counts))
    bad = [c for c in counts if isinstance(c, bool) or not isinstance(c, int) or not 1 <= c <= pool_size]
    if bad:
        raise InvalidInputError(
            f"counts of deleted units must be integers from 1 to {pool_size} (the net's "
            f"non-downsampling units); got {bad}"
        )
    return counts


def _summary(count: int, draws: list[dict]) -> dict:
    import numpy as np

    errors = np.array([d["error"] for d in draws], dtype="float64")
    return {
        "count": count,
        "mean_error": float(np.mean(errors)),
        "std_error": float(np.std(errors)),
        "draws": draws,
    }


def _percent_error(scores: dict) -> float:
    return 100.0 if not scores["finite"] else 100.0 * (1.0 - scores["accuracy"])


def _median(values) -> float:
    import numpy as np

    return float(np.median(values)) if values else float("nan")


def _milestones(random: list[dict]) -> set[int]:
    counts = [r["count"] for r in random]
    if not counts:
        return set()
    wanted = {1, 2, 5, 10, 20, counts[-1]}
    return {c for c in counts if c in wanted}

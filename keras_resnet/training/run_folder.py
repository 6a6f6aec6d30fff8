"""The run folder `runs/<name>/`: the only code that knows its layout and reads its config.json.

A run folder holds the resolved configuration (`config.json`), one row per epoch
(`history.csv`), checkpoints, the resume backup and, once finished, `metrics.json`. Everything
else asks a `RunFolder` for paths and facts (which checkpoint to use, which dataset the run was
trained on) instead of building paths or reading JSON keys itself. Other runs are never clobbered:
a folder holding another run is refused unless resuming or overwriting it, and only a folder the
tool can prove it wrote (`_utils.ownership`) is ever resumed or replaced.

Run folders from before the ownership marker (a `config.json` with `train_config`, no marker) are
recognised by content: `--resume` continues them (and marks them). `--overwrite`, of any run
folder, deletes only the names a run folder holds (`RUN_ENTRIES`) and refuses, naming them, when
anything else is in it (a `thesis.txt`, a `NOTES.txt`): the user's files are never deleted.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

from keras_resnet._utils import ownership
from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet._utils.validation import check_choice
from keras_resnet.errors import CorruptFileError, ForeignPathError, InvalidInputError, MissingFileError
from keras_resnet.models.resizing import ImageRule

__all__ = [
    "RunFolder",
    "open_run_dir",
    "init_run_dir",
    "read_json",
    "read_history",
    "truncate_history",
    "best_value",
]

CHECKPOINTS = ("best", "last")
KIND = "run"  # the ownership marker's kind of artefact
# The temporary names of `atomic_path` and of the write probe, in a folder of ours.
_TEMPORARY = re.compile(r"^\.(.+\.[0-9a-f]{12}\.tmp.*|keras-resnet-probe-[0-9a-f]{8}\.tmp)$")
# Every name a run folder holds; a marker-less folder holding only these may be replaced.
RUN_ENTRIES = (
    "config.json",
    "history.csv",
    "metrics.json",
    "curves.png",
    "gradient_norms.csv",
    "gradient_heatmap.png",
    "gradient_depth_profile.png",
    "logs",
    "checkpoints",
    "backup",
    "export",
    "skipped_images.txt",
)


class RunFolder:
    """Where each artifact of a run lives, and what the folder says about the run."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.config = self.root / "config.json"  # resolved options, seed, provenance
        self.history = self.root / "history.csv"  # one row per epoch (CSVLogger), grad_* scalars too
        self.metrics = self.root / "metrics.json"  # test scores; written last, marks a finished run
        self.curves = self.root / "curves.png"  # loss and accuracy per epoch
        self.gradient_norms = self.root / "gradient_norms.csv"  # one row per measured step x layer
        self.gradient_heatmap = self.root / "gradient_heatmap.png"  # layer x step, log10 norm
        self.gradient_profile = self.root / "gradient_depth_profile.png"  # norm vs depth, by epoch
        self.logs = self.root / "logs"  # TensorBoard (when installed)
        self.gradient_logs = self.logs / "gradients"  # per-layer gradient summaries
        self.checkpoints = self.root / "checkpoints"
        self.best = self.checkpoints / "best.keras"
        self.last = self.checkpoints / "last.keras"
        self.backup = self.root / "backup"  # resume state; removed when training ends well
        self.export = self.root / "export"
        self.skipped_images = self.root / "skipped_images.txt"  # images left out (--skip-bad-images)

    def is_run(self) -> bool:
        return self.config.is_file()

    def is_ours(self) -> bool:
        """Whether the folder carries the tool's run marker."""
        return ownership.is_ours(self.root, KIND)

    def is_legacy_run(self) -> bool:
        """A run folder written before the marker: no marker, a config.json with `train_config`."""
        if self.is_ours() or not self.is_run():
            return False
        try:
            return "train_config" in read_json(self.config)
        except (ValueError, OSError):
            return False

    def is_finished(self) -> bool:
        return self.metrics.is_file()

    def read_config(self) -> dict:
        """The whole config.json; MissingFileError without a run, CorruptFileError when damaged."""
        if not self.is_run():
            raise MissingFileError(f"{self.root} is not a run folder (no config.json)")
        return read_json(self.config)

    def train_config(self) -> dict:
        """The options the run was trained with (the `TrainConfig` fields)."""
        config = self.read_config()
        if not isinstance(config.get("train_config"), dict):
            raise ForeignPathError(
                f"{self.root} holds no keras-resnet run (its config.json has no train_config) and is "
                f"left untouched: pass a run folder from `keras-resnet train`, or another --out"
            )
        return config["train_config"]

    def dataset_options(self) -> dict:
        """The run's data: spec, data_dir, image_size (or None), validation_fraction, skip_bad_images
        and image_rule (how images were resized, or None), so a later step (evaluation, export)
        reads the same splits, prepared the same way, that the run was trained and scored on."""
        config = self.train_config()
        return {
            "spec": config["dataset"],
            "data_dir": config.get("data_dir"),
            "image_size": tuple(config["image_size"]) if config.get("image_size") else None,
            "validation_fraction": config.get("validation_fraction", 0.1),
            "skip_bad_images": config.get("skip_bad_images", False),
            "image_rule": self.image_rule(),
        }

    def image_rule(self) -> ImageRule | None:
        """How the run's images were resized (config.json's "image"), or None for a run from
        before the record (then readers use the documented default)."""
        record = self.read_config().get("image")
        return None if record is None else ImageRule.from_dict(record, where=str(self.config))

    def write_skipped_images(self, skipped: Sequence[tuple[str, str]]) -> None:
        """List the (path, reason) of each image the run leaves out, one per line, tab-separated;
        no file when none is left out (a stale list from an earlier session is removed).

        Args:
            skipped: (path, reason) pairs, as `Datasets.skipped` holds them.
        """
        if skipped:
            write_text(self.skipped_images, "".join(f"{path}\t{reason}\n" for path, reason in skipped))
        else:
            self.skipped_images.unlink(missing_ok=True)

    def checkpoint(self, which: str = "auto") -> Path:
        """The `.keras` file of the `best` or `last` checkpoint; `auto`: best, else last."""
        check_choice("checkpoint", which, ("auto", *CHECKPOINTS))
        candidates = (self.best, self.last) if which == "auto" else (getattr(self, which),)
        for path in candidates:
            if path.is_file():
                return path
        raise MissingFileError(
            f"run {self.root} has no {'' if which == 'auto' else which + ' '}checkpoint "
            f"yet (looked for {', '.join(str(p) for p in candidates)})"
        )

    def write_config(
        self,
        *,
        train_config: dict,
        recipe: dict,
        dataset: dict,
        replicas: int,
        steps_per_epoch: int,
        session: dict,
        previous: dict | None = None,
        weights: dict | None = None,
        freeze_schedule: dict | None = None,
        image: dict | None = None,
    ) -> None:
        """config.json: the resolved options and numbers, and the provenance of every session
        (`previous`, the config being resumed, keeps its sessions; the first is `environment`);
        a run from pretrained weights adds `weights` (source, file, sha256) and `freeze_schedule`;
        `image` is the images' resize rule (`models.resizing`), for every reader of the run."""
        sessions = [*(previous or {}).get("sessions", []), session]
        pretrained = {"weights": weights, "freeze_schedule": freeze_schedule} if weights else {}
        write_json(
            self.config,
            {
                "train_config": train_config,
                "recipe": recipe,
                **pretrained,
                **({"image": image} if image is not None else {}),
                "dataset": dataset,
                "replicas": replicas,
                "steps_per_epoch": steps_per_epoch,
                "seed": train_config["seed"],
                "environment": sessions[0],
                "sessions": sessions,
            },
        )

    def read_history(self) -> list[dict]:
        return read_history(self.history)

    def read_metrics(self) -> dict:
        return read_json(self.metrics)

    def write_metrics(self, metrics: dict) -> None:
        """metrics.json, written last: from then on the run counts as finished."""
        write_json(self.metrics, metrics)

    def update_metrics(self, **fields) -> dict:
        """Add `fields` to the finished run's metrics.json (atomically); returns the new metrics."""
        metrics = {**self.read_metrics(), **fields}
        write_json(self.metrics, metrics)
        return metrics


def open_run_dir(root: str | os.PathLike, *, resume: bool, overwrite: bool) -> tuple[RunFolder, dict | None]:
    """Check a run folder without writing; returns (folder, the saved config when resuming, else None).

    A folder that holds another run is refused unless `resume` (continue it) or `overwrite`
    (replace it, in `init_run_dir`). A non-empty folder the tool cannot prove is a run of its
    own is refused whatever the flags (ForeignPathError). `--resume` on an empty folder or one
    of ours without a run yet starts a new one.
    """
    if resume and overwrite:
        raise InvalidInputError("--resume and --overwrite contradict each other; pick one")
    run = RunFolder(root)
    if run.root.exists() and not run.root.is_dir():
        raise InvalidInputError(f"output path {run.root} is a file, not a folder; choose a folder for --out")
    if not run.is_ours() and not run.is_legacy_run():
        ownership.check_replaceable(run.root, KIND, what="output folder")
    if run.is_run() and not (resume or overwrite):
        raise InvalidInputError(
            f"output folder {run.root} holds another run; pass --resume to continue it "
            "or --overwrite to replace it"
        )
    if overwrite and run.is_run():
        check_overwritable(run)
    if not (run.is_run() and resume):
        return run, None
    run.train_config()  # a damaged config.json: one line now, not a KeyError later
    return run, run.read_config()


def check_overwritable(run: RunFolder) -> None:
    """Refuse `--overwrite` of a run folder that is not ours or holds anything but the run's own
    files (`RUN_ENTRIES`), naming what else is there: a user's `NOTES.txt` is never deleted."""
    ownership.check_replaceable(run.root, KIND, legacy_names=RUN_ENTRIES, what="output folder")
    others = ownership.foreign_entries(run.root, RUN_ENTRIES)
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise ForeignPathError(
            f"output folder {run.root} holds {shown} beside the run; --overwrite replaces only a "
            f"run's own files, so nothing was changed: move {'it' if len(others) == 1 else 'them'} "
            f"out of the folder, or choose another --out"
        )


def init_run_dir(run: RunFolder, *, overwrite: bool) -> None:
    """Create and mark the folder; when overwriting, first delete the run's own files (only
    `RUN_ENTRIES`, and only when the folder holds nothing else: `check_overwritable`)."""
    if overwrite and run.is_run():
        check_overwritable(run)
        ownership.remove_entries(run.root, RUN_ENTRIES)
    ownership.claim(run.root, KIND)
    run.checkpoints.mkdir(exist_ok=True)
    for folder in (run.root, run.checkpoints, run.backup):
        for leftover in folder.glob(".*") if folder.is_dir() else ():
            if _TEMPORARY.match(leftover.name) and leftover.is_file():
                leftover.unlink()  # an atomic write or probe a kill interrupted: never a whole file


def read_json(path: str | os.PathLike) -> dict:
    try:
        with open(path) as file:
            return json.load(file)
    except json.JSONDecodeError as err:
        raise CorruptFileError(f"{path} is not valid JSON ({err}); the run folder is damaged") from None


def read_history(path: str | os.PathLike) -> list[dict]:
    """Rows of a CSVLogger file as dicts of floats (epoch as int); [] if there is none."""
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return [
        {k: (int(v) if k == "epoch" else _float(v)) for k, v in row.items()}
        for row in rows
        if row.get("epoch")
    ]


def truncate_history(path: str | os.PathLike, *, epochs: int) -> None:
    """Keep the header and the rows of epochs 0..epochs-1 (drop rows of epochs not backed up)."""
    path = Path(path)
    if not path.is_file():
        return
    with open(path, newline="") as file:
        lines = file.read().splitlines(keepends=True)
    if not lines:
        return
    # A row cut short by a kill has no newline: drop it too.
    rows = [line for line in lines[1:] if line.endswith("\n") and line.strip()]
    kept = [lines[0]] + [line for line in rows if _epoch_of(line) < epochs]
    write_text(path, "".join(kept) if epochs else "")


def best_value(history: list[dict], key: str, mode: str = "max") -> float | None:
    values = [row[key] for row in history if key in row and math.isfinite(row[key])]
    if not values:
        return None
    return max(values) if mode == "max" else min(values)


def _epoch_of(line: str) -> int:
    try:
        return int(line.split(",", 1)[0])
    except ValueError:
        return 1 << 30


def _float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan

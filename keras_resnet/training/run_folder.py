"""The run folder `runs/<name>/`: its layout, refusing to clobber other runs, atomic JSON writes,
the history CSV on resume, and the environment (library versions, device) every run records.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path


class RunPaths:
    """Where each artifact of a run lives (the run-folder layout)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.config = self.root / "config.json"  # resolved options, seed, library versions
        self.history = self.root / "history.csv"  # one row per epoch (CSVLogger), grad_* scalars too
        self.metrics = self.root / "metrics.json"  # test scores; written last, marks a finished run
        self.curves = self.root / "curves.png"  # loss and accuracy per epoch
        # Gradient norms on a fixed probe batch at each epoch end (unless --no-gradient-norms):
        self.gradient_norms = self.root / "gradient_norms.csv"  # one row per step x layer
        self.gradient_heatmap = self.root / "gradient_heatmap.png"  # layer x step, log10 norm
        self.gradient_profile = self.root / "gradient_depth_profile.png"  # norm vs depth, by epoch
        self.logs = self.root / "logs"  # TensorBoard (when installed); per-layer norms in logs/gradients
        self.checkpoints = self.root / "checkpoints"
        self.best = self.checkpoints / "best.keras"
        self.last = self.checkpoints / "last.keras"
        self.backup = self.root / "backup"  # resume state; removed when training ends well
        self.export = self.root / "export"


def open_run_dir(root: str | os.PathLike, *, resume: bool, overwrite: bool) -> tuple[RunPaths, dict | None]:
    """Check a run folder without writing; returns (paths, the saved config when resuming, else None).

    A folder that holds another run is refused unless `resume` (continue it) or `overwrite`
    (replace it, in `init_run_dir`). A non-empty folder that is not a run is always refused: it
    may be someone's data. `--resume` on a folder with no run starts a new one.
    """
    if resume and overwrite:
        raise ValueError("--resume and --overwrite contradict each other; pick one")
    paths = RunPaths(root)
    if paths.root.exists() and not paths.root.is_dir():
        raise ValueError(f"output path {paths.root} is a file, not a folder")
    is_run = paths.config.is_file()
    if paths.root.is_dir() and any(paths.root.iterdir()) and not is_run:
        raise ValueError(
            f"output folder {paths.root} is not empty and holds no run (no config.json); pick another --out"
        )
    if is_run and not (resume or overwrite):
        raise ValueError(
            f"output folder {paths.root} holds another run; pass --resume to continue it "
            "or --overwrite to replace it"
        )
    return paths, read_json(paths.config) if is_run and resume else None


def init_run_dir(paths: RunPaths, *, overwrite: bool) -> None:
    """Create the folder (emptying it first when overwriting another run)."""
    if overwrite and paths.config.is_file():
        shutil.rmtree(paths.root)
    paths.root.mkdir(parents=True, exist_ok=True)
    paths.checkpoints.mkdir(exist_ok=True)


def write_json(path: str | os.PathLike, data: dict) -> None:
    """Write JSON atomically (temp file in the same folder, fsync, rename): never half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(data, file, indent=2, default=_jsonable)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: str | os.PathLike) -> dict:
    try:
        with open(path) as file:
            return json.load(file)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); the run folder is damaged") from None


def read_history(path: str | os.PathLike) -> list[dict]:
    """Rows of a CSVLogger file as dicts of floats (epoch as int); [] if there is none."""
    path = Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return [{k: (int(v) if k == "epoch" else _float(v)) for k, v in row.items()} for row in rows if row.get("epoch")]


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
    if epochs == 0:
        kept = []
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(kept))
    os.replace(tmp, path)


def best_value(history: list[dict], key: str, mode: str = "max") -> float | None:
    values = [row[key] for row in history if key in row and math.isfinite(row[key])]
    if not values:
        return None
    return max(values) if mode == "max" else min(values)


def environment(backend: str | None = None) -> dict:
    """Versions and the device, for config.json: enough to tell two runs' setups apart."""
    import keras

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "keras": keras.__version__,
        "backend": backend or keras.backend.backend(),
        "cpu_count": os.cpu_count(),
        "cpu": _cpu_name(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
    }
    for module in ("tensorflow", "tensorflow_datasets", "jax", "numpy"):
        loaded = sys.modules.get(module)
        if loaded is None and module in ("tensorflow", "tensorflow_datasets", "numpy"):
            loaded = __import__(module)
        if loaded is not None:
            info[module] = getattr(loaded, "__version__", "unknown")
    try:
        info["devices"] = [str(d) for d in keras.distribution.list_devices()]
    except Exception as err:  # a backend without keras.distribution support
        info["devices"] = [f"unknown ({type(err).__name__})"]
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


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


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)

"""Training callbacks; `GradientNormCallback` records per-layer gradient norms during `fit`.

It watches the gradient flow that residual learning is about (He et al. 2015, section 4.1): for
every layer with trainable weights, the L2 norm of the loss gradient, the weight norm and their
ratio, plus the global gradient norm, ordered by depth from input to output. Probe gradients come
from `keras_resnet.gradients.measure.loss_and_gradients`, which is stateless, so recording never changes
training (no BN moving-statistic updates, no RNG draws, no optimizer state); train-mode gradients
are read from the optimizer by `keras_resnet.gradients.tap`.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from typing import Iterable

import keras
import numpy as np

from keras_resnet.gradients.tap import AppliedGradientTap
from keras_resnet.gradients.measure import count_nonfinite, default_loss, loss_and_gradients

__all__ = ["GradientNormCallback", "read_csv", "write_csv"]

MODES = ("probe", "train")
LOG_KEYS = ("grad_global_norm", "grad_min_layer_norm", "grad_max_layer_norm",
            "grad_first_last_ratio", "grad_nonfinite")
CSV_COLUMNS = ("step", "epoch", "layer", "depth", "grad_norm", "weight_norm", "ratio")
CSV_NAME = "gradient_norms.csv"
# A probe costs about a training step of its own size: a full batch of 128 about 1 step, 10 % of a
# ResNet-20 epoch on digits (10 steps); 32 images measured 0.34 steps, 3.4 % (BENCHMARKS.md).
DEFAULT_PROBE_SIZE = 32


class GradientNormCallback(keras.callbacks.Callback):
    """Per-layer and per-weight gradient norms of the loss, recorded while a model trains.

    `mode="probe"` (default) measures on one fixed batch `probe=(x, y)`, at the end of every
    epoch and, with `every_n_batches=N`, after every N-th training batch too. Keras callbacks
    never see the training batches, so a probe has to be given: pass it, or build the callback
    with `GradientNormCallback.from_dataset(dataset)`, which takes the first `probe_size` (32)
    examples of the dataset's first batch.

    `mode="train"` records the gradients the optimizer applied, every `every_n_batches` steps
    (default 1) and at each epoch end: `AppliedGradientTap` stores their norms in optimizer
    variables inside the train step, unscaled under mixed precision. The first train-mode `fit`
    traces its train step again; the tap then stays, costing a sum of squares per weight and
    step. Steps a loss-scale optimizer skips for non-finite gradients are counted in
    `global_records` (`skipped_steps`). It cannot run under a multi-replica tf.distribute
    strategy (the optimizer only sees per-replica shares there); probe mode can. Train mode has
    norms, not whole gradients, so its TensorBoard output has no per-layer histograms.

    `layers` keeps only layers whose name matches one of the given regular expressions
    (`re.search`). `output_dir` keeps `gradient_norms.csv` there, one row per step and layer,
    appended at every epoch end (so a killed run keeps its rows). The file continues a run: rows
    of epochs before the first epoch `fit` trains are kept and loaded into `records` (a resumed
    run keeps its history), later rows are dropped. `step` is the optimizer's global step, so it
    also continues across a resume. `loss_fn` defaults to the compiled loss (see
    `gradients.default_loss`).

    `tensorboard_dir` writes TensorBoard summaries at every measurement, at the optimizer step:
    a scalar `grad_norm/<layer>` per layer, a histogram `gradients/<layer>` of each layer's
    gradient entries, and a histogram `grad_norm_log10` of the layer norms (the spread over
    depth). It needs TensorFlow and TensorBoard (imported lazily, on any Keras backend); without
    them it prints one note and writes nothing.

    Results: `records` (dicts step, epoch, layer, depth, grad_norm, weight_norm, ratio),
    `weight_records` (the same per weight, with a `weight` key) and `global_records` (step,
    epoch, loss, global_norm, nonfinite). At each epoch end the latest scalars `grad_global_norm`,
    `grad_min_layer_norm`, `grad_max_layer_norm`, `grad_first_last_ratio` (first selected layer
    over last) and `grad_nonfinite` go into `logs`, so History, CSVLogger and TensorBoard see
    them from the first epoch.
    """

    def __init__(self, probe=None, mode: str = "probe", every_n_batches: int | None = None,
                 layers: Iterable[str] | None = None, output_dir: str | os.PathLike | None = None,
                 *, loss_fn=None,
                 tensorboard_dir: str | os.PathLike | None = None):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        if every_n_batches is not None and (isinstance(every_n_batches, bool)
                                            or not isinstance(every_n_batches, int)
                                            or every_n_batches < 1):
            raise ValueError(f"every_n_batches must be an integer >= 1, got {every_n_batches!r}")
        if mode == "probe" and probe is None:
            raise ValueError("mode='probe' needs a probe batch (x, y): pass probe=..., or use "
                             "GradientNormCallback.from_dataset(dataset) to take its first batch")
        if isinstance(layers, str):
            layers = [layers]
        self.probe = _check_batch(probe) if probe is not None else None
        self.mode = mode
        self.every_n_batches = every_n_batches if mode == "probe" else (every_n_batches or 1)
        self.layer_patterns = None if layers is None else [re.compile(p) for p in layers]
        if self.layer_patterns is not None and not self.layer_patterns:
            raise ValueError("layers=[] selects no layer; pass None to record every layer")
        self.output_dir = None if output_dir is None else os.fspath(output_dir)
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        self._writer = None
        self._tap = None
        self.loss_fn = loss_fn
        self.records: list[dict] = []
        self.weight_records: list[dict] = []
        self.global_records: list[dict] = []
        self._written = 0  # how many of `records` are in the CSV file
        self._csv_checked = False

    @classmethod
    def from_dataset(cls, dataset, *, probe_size: int | None = DEFAULT_PROBE_SIZE,
                     **kwargs) -> "GradientNormCallback":
        """A probe-mode callback whose probe is the first `probe_size` examples of the first
        (x, y) batch of `dataset` (`probe_size=None`: the whole batch). A probe costs about a
        training step of its size, so a small one keeps measuring cheap; it is a fixed batch, so
        its norms stay comparable over time."""
        if probe_size is not None and (isinstance(probe_size, bool) or not isinstance(probe_size, int)
                                       or probe_size < 1):
            raise ValueError(f"probe_size must be an integer >= 1 or None, got {probe_size!r}")
        for batch in dataset:
            x, y = tuple(batch)[:2]
            if probe_size is not None:
                x, y = x[:probe_size], y[:probe_size]
            return cls(probe=(x, y), **kwargs)
        raise ValueError("the dataset is empty; a probe batch needs at least one (x, y) batch")

    # -- set-up ---------------------------------------------------------------------------------

    def set_model(self, model):
        """Train mode installs its tap here, before `fit` builds (and traces) its train function."""
        super().set_model(model)
        if self.mode == "train":
            self._tap = AppliedGradientTap.on(model)

    def on_train_begin(self, logs=None):
        model = self.model
        if not model.trainable_variables:
            raise ValueError(f"model {model.name!r} has no trainable weights; there are no "
                             "gradients to record")
        index = {id(v): i for i, v in enumerate(model.trainable_variables)}
        self._layers = []  # (name, depth, [(weight path, variable index)])
        depth = 0
        for layer in model.layers:
            weights = [(v.path, index[id(v)]) for v in layer.trainable_weights if id(v) in index]
            if not weights:
                continue
            if self.layer_patterns is None or any(p.search(layer.name)
                                                  for p in self.layer_patterns):
                self._layers.append((layer.name, depth, weights))
            depth += 1
        if not self._layers:
            patterns = [p.pattern for p in self.layer_patterns]
            raise ValueError(f"layers={patterns} matches no layer with trainable weights in "
                             f"model {model.name!r}")
        if self.probe is not None:
            _check_input_shape(self.probe[0], model)
        self._loss_fn = (self.loss_fn or default_loss(model)) if self.mode == "probe" else None
        self._step = _global_step(model)
        self._epoch = 0
        self._last_step_measured = None
        self._scalars = None
        if self.tensorboard_dir is not None and self._writer is None:
            self._writer = _summary_writer(self.tensorboard_dir)

    # -- measuring ------------------------------------------------------------------------------

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        if self.output_dir is not None and not self._csv_checked:
            self._continue_csv(first_epoch=epoch)

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.every_n_batches and self._step % self.every_n_batches == 0:
            self._measure()

    def on_epoch_end(self, epoch, logs=None):
        if self._last_step_measured != self._step:
            self._measure()
        if logs is not None:
            logs.update(self._scalars)
        self._append_csv()
        if self._writer is not None:
            self._writer.flush()

    def _measure(self):
        variables = self.model.trainable_variables  # on JAX, reading the model syncs its state
        extra = {}
        if self.mode == "probe":
            result = loss_and_gradients(self.model, *self.probe, self._loss_fn)
            gradients, loss = result.gradients, result.loss
            squared = [float(np.sum(g.astype("float64") ** 2)) for g in gradients]
            nonfinite = count_nonfinite(gradients)
        else:
            squared, nonfinite = self._tap.read()
            gradients, loss = None, None
            # the optimizer counts applied steps only: the rest were skipped (non-finite, loss scaling)
            extra["skipped_steps"] = self._step - _global_step(self.model)
        layer_norms = []
        layer_gradients = {}
        for name, depth, weights in self._layers:
            if self._writer is not None and gradients is not None:
                layer_gradients[name] = np.concatenate([gradients[i].ravel() for _, i in weights])
            grad_sq = weight_sq = 0.0
            for path, i in weights:
                w = keras.ops.convert_to_numpy(variables[i]).astype("float64")
                g_norm, w_norm = float(np.sqrt(squared[i])), float(np.sqrt(np.sum(w * w)))
                grad_sq += g_norm ** 2
                weight_sq += w_norm ** 2
                self.weight_records.append({**self._row(name, depth, g_norm, w_norm),
                                            "weight": path})
            row = self._row(name, depth, grad_sq ** 0.5, weight_sq ** 0.5)
            self.records.append(row)
            layer_norms.append(row["grad_norm"])
        global_norm = float(np.sqrt(np.sum(squared)))
        self.global_records.append({"step": self._step, "epoch": self._epoch, "loss": loss,
                                    "global_norm": global_norm, "nonfinite": nonfinite, **extra})
        last = layer_norms[-1]
        self._scalars = {
            "grad_global_norm": global_norm,
            "grad_min_layer_norm": float(min(layer_norms)),
            "grad_max_layer_norm": float(max(layer_norms)),
            "grad_first_last_ratio": float(layer_norms[0] / last) if last else float("inf"),
            "grad_nonfinite": float(nonfinite),
        }
        self._last_step_measured = self._step
        if self._writer is not None:
            self._write_summaries(layer_gradients)

    def _write_summaries(self, layer_gradients) -> None:
        import tensorflow as tf

        latest = self.records[-len(self._layers):]
        with self._writer.as_default(step=self._step):
            for row in latest:
                tf.summary.scalar(f"grad_norm/{row['layer']}", row["grad_norm"])
                if row["layer"] in layer_gradients:
                    tf.summary.histogram(f"gradients/{row['layer']}", layer_gradients[row["layer"]])
            tf.summary.histogram("grad_norm_log10",
                                 np.log10(np.maximum([r["grad_norm"] for r in latest], 1e-30)))

    def _row(self, layer, depth, grad_norm, weight_norm):
        return {"step": self._step, "epoch": self._epoch, "layer": layer, "depth": depth,
                "grad_norm": grad_norm, "weight_norm": weight_norm,
                "ratio": grad_norm / weight_norm if weight_norm else float("inf")}

    # -- output ---------------------------------------------------------------------------------

    @property
    def csv_path(self) -> str | None:
        """Where the per-layer rows go (None without `output_dir`)."""
        return None if self.output_dir is None else os.path.join(self.output_dir, CSV_NAME)

    def on_train_end(self, logs=None):
        self._append_csv()
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _continue_csv(self, first_epoch: int) -> None:
        """Keep (and load) the file's rows of epochs before `first_epoch`; drop the rest."""
        self._csv_checked = True
        kept = [r for r in read_csv(self.csv_path) if r["epoch"] < first_epoch]
        self.records[:0] = kept
        self._written = len(kept)
        if kept or os.path.exists(self.csv_path):
            write_csv(kept, self.csv_path)

    def _append_csv(self) -> None:
        if self.output_dir is None or self._written == len(self.records):
            return
        path = self.csv_path
        os.makedirs(self.output_dir, exist_ok=True)
        new_file = not os.path.exists(path) or os.path.getsize(path) == 0
        with open(path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerows(self.records[self._written:])
        self._written = len(self.records)


def read_csv(path) -> list[dict]:
    """Per-layer records from a `gradient_norms.csv` ([] if there is none); a last row cut short
    by a kill is skipped."""
    if path is None or not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        lines = [line for line in f.read().splitlines(keepends=True) if line.endswith("\n")]
    records = []
    for row in csv.DictReader(lines):
        try:
            records.append({"step": int(row["step"]), "epoch": int(row["epoch"]),
                            "layer": row["layer"], "depth": int(row["depth"]),
                            **{k: float(row[k]) for k in ("grad_norm", "weight_norm", "ratio")}})
        except (KeyError, TypeError, ValueError):
            continue
    return records


def write_csv(records, path) -> None:
    """Write per-layer records as a tidy CSV, atomically (a temporary file, then a rename)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=".gradient_norms.", suffix=".csv", dir=folder)
    try:
        with os.fdopen(handle, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(records)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _summary_writer(folder):
    """A TensorFlow summary writer for `folder`, or None (with a note) without TF/TensorBoard."""
    import importlib.util

    missing = [m for m in ("tensorflow", "tensorboard") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"note: {' and '.join(missing)} not installed (pip install tensorboard); "
              f"no per-layer gradient summaries in {folder}")
        return None
    import tensorflow as tf

    return tf.summary.create_file_writer(folder)


def _global_step(model) -> int:
    """The optimizer's step count (it survives a resume), or 0 without a built optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return 0
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def _check_batch(batch):
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("a probe batch must be a tuple (x, y)")
    x, y = batch[0], batch[1]
    x_shape, y_shape = np.shape(x), np.shape(y)
    if len(x_shape) == 0 or x_shape[0] == 0:
        raise ValueError(f"the probe batch is empty (x has shape {tuple(x_shape)})")
    if len(y_shape) == 0 or y_shape[0] != x_shape[0]:
        raise ValueError(f"probe x and y disagree on the batch size: x {tuple(x_shape)}, "
                         f"y {tuple(y_shape)}")
    return x, y


def _check_input_shape(x, model) -> None:
    expected = tuple(model.inputs[0].shape[1:]) if model.inputs else None
    got = tuple(np.shape(x)[1:])
    if expected is None:
        return
    if len(got) != len(expected) or any(e is not None and e != g for e, g in zip(expected, got)):
        raise ValueError(f"probe x has per-sample shape {got}, but model {model.name!r} takes "
                         f"{expected}")

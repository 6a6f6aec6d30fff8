"""Progress you can read: Keras' bar per epoch, the run's progress and ETA after each epoch.

`RunProgress` is Keras' `ProgbarLogger` (`fit` uses one it finds in the callback list instead of
adding its own) with two changes. The epoch line keeps what a user watches (loss, accuracy,
validation and test figures, learning rate) and leaves out the diagnostics (`grad_*`,
`epoch_seconds`): they still reach history.csv and TensorBoard, which see the logs first, and
are summarised on one compact line. Then a line gives the whole run's progress: epoch k of N,
time elapsed in this session, and the time remaining at the pace so far.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import keras

__all__ = ["RunProgress", "stage", "shown_logs", "format_duration", "remaining_seconds"]

DIAGNOSTIC_PREFIX = "grad_"
DIAGNOSTIC_KEYS = frozenset({"epoch_seconds"})
_STAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "keras_resnet_progress_stage", default=None
)


@contextlib.contextmanager
def stage(label: str) -> Iterator[None]:
    """Name the part of a longer job that the runs inside belong to, e.g. "model 2 of 4: plain56"."""
    token = _STAGE.set(label)
    try:
        yield
    finally:
        _STAGE.reset(token)


def is_diagnostic(key: str) -> bool:
    return key.startswith(DIAGNOSTIC_PREFIX) or key in DIAGNOSTIC_KEYS


def shown_logs(logs: dict | None) -> dict:
    """The logs without the diagnostics: what the epoch line shows."""
    return {key: value for key, value in (logs or {}).items() if not is_diagnostic(key)}


def format_duration(seconds: float) -> str:
    """H:MM:SS, or M:SS under an hour."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def remaining_seconds(epoch_seconds: list[float], epochs_left: int) -> float | None:
    """Time for `epochs_left` more epochs at the pace so far; the first epoch of a session also
    traces and compiles, so it counts only while it is the only one. None before any epoch."""
    if not epoch_seconds:
        return None
    timed = epoch_seconds[1:] or epoch_seconds
    return epochs_left * sum(timed) / len(timed)


def diagnostics_line(logs: dict) -> str | None:
    """One compact line of the epoch's gradient figures and its duration (None without them)."""
    parts = []
    if "grad_global_norm" in logs:
        low, high = (logs.get(f"grad_{end}_layer_norm", math.nan) for end in ("min", "max"))
        parts.append(
            f"gradients: global norm {logs['grad_global_norm']:.3g}, layers {low:.3g} to {high:.3g}, "
            f"first/last layer {logs.get('grad_first_last_ratio', math.nan):.3g}"
        )
        if logs.get("grad_nonfinite"):
            parts[-1] += f", NON-FINITE {logs['grad_nonfinite']:.0f}"
    if "epoch_seconds" in logs:
        parts.append(f"epoch {logs['epoch_seconds']:.1f} s")
    return "; ".join(parts) or None


class RunProgress(keras.callbacks.ProgbarLogger):
    """Keras' progress bar without the diagnostics, then a diagnostics line and a run line:
    `run: epoch 3/30, elapsed 0:41, remaining ~6:09 (ETA 14:32)`. Silent when fit's verbose is 0.

    Place it last in the callback list, after every callback that adds to the logs.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[float], time.struct_time] = time.localtime,
    ):
        super().__init__()
        self._clock = clock
        self._now = now

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        self._label = _STAGE.get()
        self._start = self._last = self._clock()
        self._epoch_seconds: list[float] = []

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        super().on_train_batch_end(batch, shown_logs(logs))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        super().on_epoch_end(epoch, shown_logs(logs))
        now = self._clock()
        self._epoch_seconds.append(now - self._last)
        self._last = now
        if not self.verbose:
            return
        details = diagnostics_line(logs or {})
        if details:
            print(f"  {details}", flush=True)
        print(self.run_line(epoch + 1), flush=True)

    def run_line(self, epochs_done: int) -> str:
        """Progress of the run after `epochs_done` of its `epochs` (counting resumed ones)."""
        left = max(0, self.epochs - epochs_done)
        text = f"run: epoch {epochs_done}/{self.epochs}, elapsed {format_duration(self._last - self._start)}"
        remaining = remaining_seconds(self._epoch_seconds, left)
        if left and remaining is not None:
            finish = time.strftime("%H:%M", self._now(time.time() + remaining))
            text += f", remaining ~{format_duration(remaining)} (ETA {finish})"
        elif not left:
            text += ", done"
        return f"{self._label}: {text}" if self._label else text

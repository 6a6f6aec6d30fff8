"""Time a few inference calls ("cells") side by side in one process, with the standard library only.

The runtime comparison (`benchmarks.runtimes`) times every runtime in its own interpreter, and the
torchvision one runs in a separate virtualenv that has neither Keras nor this library, so this
module imports nothing but the standard library: the torchvision job loads it by file name. Each
cell is a zero-argument call that runs one batch. `time_cells` warms every cell up (the first call
traces, compiles or allocates), sizes the iterations of a repeat from the warm-up so that a repeat
lasts about `seconds`, then interleaves the repeats (A B C, A B C, ...) so that a load spike hits
every cell alike, and reports the median milliseconds per batch with every sample.
"""

from __future__ import annotations

import math
import os
import statistics
import time


def load_average() -> list[float] | None:
    """1-, 5- and 15-minute load averages, or None where the system does not tell."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def pin_cpus(threads: int) -> list[int] | None:
    """Restrict this process to `threads` of the CPUs it may use (runtimes without a thread knob,
    such as XLA on the CPU, size their pools from it); the CPUs kept, or None off Linux."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None
    kept = allowed[: max(1, threads)]
    os.sched_setaffinity(0, kept)
    return kept


def time_cells(
    calls: dict,
    *,
    batch_sizes: dict,
    repeats: int,
    warmup: int,
    iterations: int | None = None,
    seconds: float = 2.0,
    say=print,
) -> dict:
    """{cell: summary} for every zero-argument call in `calls`, which runs one batch.

    Args:
        calls: cell name -> a call that runs one batch of `batch_sizes[cell]` images.
        batch_sizes: cell name -> images per call.
        repeats: interleaved timed rounds; the figure is their median.
        warmup: untimed calls per cell before timing (the first traces or compiles).
        iterations: calls per timed repeat; None sizes it from the warm-up to last `seconds`.
        seconds: about how long one repeat of one cell lasts when `iterations` is None.
        say: where progress lines go.
    """
    if repeats < 1 or warmup < 1:
        raise ValueError(f"repeats and warmup must be >= 1, got {repeats} and {warmup}")
    counts, first_call = {}, {}
    for name, call in calls.items():
        start = time.perf_counter()
        call()
        first_call[name] = time.perf_counter() - start
        per_call = first_call[name]
        for _ in range(warmup - 1):
            start = time.perf_counter()
            call()
            per_call = time.perf_counter() - start
        counts[name] = iterations or max(1, math.ceil(seconds / max(per_call, 1e-6)))
        say(f"{name}: first call {first_call[name]:.2f} s, {counts[name]} calls per repeat")
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(counts[name]):
                call()
            samples[name].append((time.perf_counter() - start) / counts[name] * 1000.0)
    results = {}
    for name in calls:
        results[name] = summarise_ms(samples[name], batch_size=batch_sizes[name])
        results[name].update(iterations=counts[name], first_call_seconds=first_call[name], warmup=warmup)
        say(f"{name}: {results[name]['ms_per_batch']:.2f} ms per batch")
    return results


def summarise_ms(samples_ms: list[float], *, batch_size: int) -> dict:
    """Median ms per batch over the repeats, images/s from it, every sample and the spread."""
    median = statistics.median(samples_ms)
    return {
        "ms_per_batch": median,
        "images_per_second": batch_size * 1000.0 / median,
        "batch_size": batch_size,
        "repeats": len(samples_ms),
        "samples_ms_per_batch": samples_ms,
        "spread": (max(samples_ms) - min(samples_ms)) / median,
    }


def timed_job(
    runtime: str,
    calls: dict,
    *,
    batch_sizes: dict,
    repeats: int,
    warmup: int,
    iterations: int | None,
    seconds: float,
    start_load,
    say=print,
    **record,
) -> dict:
    """What every runtime job returns: `runtime`, the job's own `record` fields, each cell timed by
    `time_cells` (the arguments as there) and the load average at the job's start and end."""
    cells = time_cells(
        calls, batch_sizes=batch_sizes, repeats=repeats, warmup=warmup, iterations=iterations,
        seconds=seconds, say=say,
    )  # fmt: skip
    return {"runtime": runtime, **record, "cells": cells, "load_average": [start_load, load_average()]}

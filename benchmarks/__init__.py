"""`python -m benchmarks` (from a clone): how fast this library trains and infers, beside what
users would pick instead.

`run_bench(suite=..., quick=..., out=...)` runs the CPU suite (`cpu`: our ResNet-50 against
keras.applications on one backend, ResNet-20 on every backend; `pipeline`: the tf.data input
pipeline alone; `overhead`: the gradient-norm callback's and the export's cost) and/or the GPU suite
(`gpu`: JAX bf16 + XLA against torchvision, with model-FLOPs utilisation), and writes
`benchmarks.json` and `BENCHMARKS.md` (`report`) with the machine and versions (`machine`). Model
timings run in one subprocess per backend (`worker`), timed alike by `timing`. Which runtime to
ship for CPU inference is its own command, `python -m benchmarks.runtimes` (`runtimes`), writing
`runtimes.json` and `runtimes.md`.
"""

from __future__ import annotations

from keras_resnet._utils.provenance import utc_now, versions
from keras_resnet._utils.validation import check_choice
from keras_resnet.errors import InvalidInputError

SUITES = ("cpu", "gpu", "overhead", "all")
BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_TIMEOUT = 3600.0
NOTE = (
    "measured on a machine shared with other jobs unless the load average says otherwise: "
    "absolute figures are lower bounds; ratios come from interleaved repeats in one process"
)


def run_bench(
    *,
    suite: str = "cpu",
    quick: bool = False,
    out: str = "examples/results",
    backend: str = "tensorflow",
    backends=BACKENDS,
    command: str = "",
    timeout: float = DEFAULT_TIMEOUT,
    echo=print,
) -> dict:
    """Run `suite` ("cpu", "gpu", "overhead" or "all"), write OUT/benchmarks.json and BENCHMARKS.md.

    "overhead" re-measures only the gradient-norm and export overhead (also part of "cpu") and
    replaces that section of an existing OUT/benchmarks.json, keeping the rest; the section then
    carries its own command, date and load average.

    `backend` is the one the ResNet-50 comparison runs on; `backends` those ResNet-20 is timed on
    (a missing one is recorded as skipped); `timeout` bounds each subprocess, in seconds.
    """
    from functools import partial

    from benchmarks import cpu, gpu, machine, overhead, pipeline, report, worker
    from benchmarks.timing import ratio

    check_choice("suite", suite, SUITES)
    unknown = [b for b in (backend, *backends) if b not in BACKENDS]
    if unknown or not backends:
        raise InvalidInputError(f"backends must be among {', '.join(BACKENDS)}, got {unknown or 'none'}")
    if timeout <= 0:
        raise InvalidInputError(f"timeout must be a positive number of seconds, got {timeout}")
    run_job = partial(worker.run_job, echo=echo)
    command = command or f"python -m benchmarks --suite {suite}" + (" --quick" if quick else "")
    if suite == "overhead":
        return _rerun_overhead(out, quick=quick, command=command, timeout=timeout, run_job=run_job, echo=echo)
    result = _header(suite=suite, quick=quick, command=command)
    if suite in ("cpu", "all"):
        echo("cpu suite: ResNet-50 comparison and ResNet-20 per backend")
        result["cpu"] = cpu.cpu_suite(
            quick=quick, backend=backend, backends=backends, run_job=run_job, timeout=timeout
        )
        echo("cpu suite: input pipeline")
        size = pipeline.PIPELINE["quick" if quick else "full"]
        figures = pipeline.pipeline_throughput(**size)
        model = result["cpu"]["resnet20"].get("tensorflow", {}).get("images_per_second")
        result["pipeline"] = {
            "status": "done",
            **figures,
            "resnet20_training_images_per_second": model,
            "ratio": ratio(figures["images_per_second"], model),
            "goal_ratio": pipeline.GOAL_RATIO,
        }
        echo("cpu suite: gradient-norm callback and export overhead")
        result["overhead"] = overhead.overhead_figures(quick=quick, run_job=run_job, timeout=timeout)
    if suite in ("gpu", "all"):
        echo("gpu suite")
        result["gpu"] = gpu.gpu_suite(
            quick=quick, gpus=result["machine"]["gpus"], run_job=run_job, timeout=timeout
        )
        if result["gpu"]["status"] == "skipped":
            echo(f"gpu suite skipped: {result['gpu']['reason']}")
    result["load_average_end"] = machine.load_average()
    json_path, md_path = report.write_report(result, out)
    echo(f"wrote {json_path} and {md_path}")
    return result


def _header(*, suite: str, quick: bool, command: str) -> dict:
    """What every benchmarks.json starts with: the command, date, machine and versions."""
    from benchmarks import machine

    return {
        "command": command,
        "date": utc_now(),
        "quick": quick,
        "suite": suite,
        "machine": machine.machine_info(),
        "versions": versions(),
        "note": NOTE,
    }


def _rerun_overhead(out, *, quick: bool, command: str, timeout: float, run_job, echo) -> dict:
    """The overhead section alone, written into OUT/benchmarks.json beside the figures already there."""
    import json
    from pathlib import Path

    from benchmarks import machine, overhead, report

    path = Path(out) / report.JSON_NAME
    result = (
        json.loads(path.read_text())
        if path.exists()
        else _header(suite="overhead", quick=quick, command=command)
    )
    echo("overhead suite: gradient-norm callback and export overhead")
    start_load = machine.load_average()
    section = overhead.overhead_figures(quick=quick, run_job=run_job, timeout=timeout)
    result["overhead"] = {
        **section,
        "command": command,
        "date": utc_now(),
        "quick": quick,
        "load_average": [start_load, machine.load_average()],
    }
    json_path, md_path = report.write_report(result, out)
    echo(f"wrote {json_path} and {md_path}")
    return result

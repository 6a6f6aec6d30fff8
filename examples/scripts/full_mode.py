"""
Title: Run tutobooks in full mode and keep what they printed
Author: keras-resnet contributors
Date created: 2026-12-07
Description: Each named tutobook runs as a script in full mode (KERAS_RESNET_QUICK unset), one
after another, so its text can be checked against its own run.

For each tutobook NAME the printed output goes to `examples/results/full_mode/NAME.txt`, headed by
the date, wall and CPU time, the load average before and after, and the exit status; the table of
all runs so far is `examples/results/full_mode/README.md`. `--quick` runs quick mode instead (as
CI does, for the headers' quick-mode times) and records into `examples/results/full_mode/quick/`.
Figures are drawn with the Agg backend (the tutobooks' own files land in examples_output/ as
usual). The tutobooks whose full mode downloads data or weights (`NEEDS_NETWORK`) run only with
`--allow-network`; their quick modes run offline, as in CI.

A tutobook that resumes (its runs are resumable run folders) would continue an earlier run found
in `examples_output/NAME`, so the runner refuses to start while that folder exists, unless
`--reuse`; it never removes it.

Run from the repository root, on a quiet machine for timings worth quoting:

    PYTHONPATH=. python examples/scripts/full_mode.py residual_connections_zh lesion_study
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from keras_resnet._utils.atomic import write_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RESULTS = EXAMPLES / "results" / "full_mode"
NEEDS_NETWORK = ("cifar10_paper_recipe", "fine_tune_pretrained", "transfer_from_keras_applications")
ROW = re.compile(r"^\| (\S+) \|")
TABLE_HEAD = (
    "| tutobook | finished (UTC) | wall | CPU | load before / after | exit |",
    "|---|---|---:|---:|---|---:|",
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("names", nargs="+", help="tutobooks, as examples/NAME.py (NAME or NAME.py)")
    parser.add_argument("--allow-network", action="store_true", help="also run " + ", ".join(NEEDS_NETWORK))
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per tutobook")
    parser.add_argument("--quick", action="store_true", help="run quick mode (KERAS_RESNET_QUICK=1)")
    parser.add_argument(
        "--reuse", action="store_true", help="run even where examples_output/NAME holds an earlier run"
    )
    return parser.parse_args(argv)


def run_one(path: Path, timeout: float, *, quick: bool = False) -> dict:
    """Run the tutobook at `path` in full (or quick) mode, from its folder; its output and timings."""
    env = {**os.environ, "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    env.pop("KERAS_RESNET_QUICK", None)
    if quick:
        env["KERAS_RESNET_QUICK"] = "1"
    load_before = os.getloadavg()[0]
    cpu_before = _children_cpu_seconds()
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(path)],
            cwd=path.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output, status = done.stdout + done.stderr, str(done.returncode)
    except subprocess.TimeoutExpired as stopped:
        output, status = _text(stopped.stdout) + _text(stopped.stderr), f"timeout {timeout:.0f} s"
    return {
        "name": path.stem,
        "mode": "quick mode" if quick else "full mode",
        "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "wall": time.perf_counter() - started,
        "cpu": _children_cpu_seconds() - cpu_before,
        "load": (load_before, os.getloadavg()[0]),
        "status": status,
        "output": output,
    }


def record(run: dict, folder: Path = RESULTS) -> None:
    """Write the run's output file into `folder` and put its row in the table there (replacing an
    earlier row of the same tutobook)."""
    row = (
        f"| {run['name']} | {run['finished']} | {_minutes(run['wall'])} | {_minutes(run['cpu'])} "
        f"| {run['load'][0]:.1f} / {run['load'][1]:.1f} | {run['status']} |"
    )
    header = f"# {run['name']}: {run['mode']}\n\n{TABLE_HEAD[0]}\n{TABLE_HEAD[1]}\n{row}\n\n```text\n"
    write_text(folder / f"{run['name']}.txt", header + run["output"].rstrip() + "\n```\n")
    table = folder / "README.md"
    rows = {}
    if table.is_file():
        for line in table.read_text().splitlines():
            match = ROW.match(line)
            if match and line not in TABLE_HEAD:
                rows[match.group(1)] = line
    rows[run["name"]] = row
    intro = (
        f"Tutobooks run in {run['mode']} by `examples/scripts/full_mode.py` on this project's 2-core CPU "
        "machine, one at a time; each one's printed output is in `NAME.txt`. CPU is the time the "
        "tutobook's process spent computing. The load is the 1-minute load average before and after, "
        "which counts the tutobook's own threads (about 2 while one trains here)."
    )
    write_text(table, "\n".join([intro, "", *TABLE_HEAD, *sorted(rows.values())]) + "\n")


def main(argv=None) -> int:
    args = parse_args(argv)
    names = [name.removesuffix(".py") for name in args.names]
    for name in names:
        if not (EXAMPLES / f"{name}.py").is_file():
            raise SystemExit(f"no tutobook examples/{name}.py")
        if name in NEEDS_NETWORK and not (args.allow_network or args.quick):
            raise SystemExit(f"{name} downloads data or weights (or wants a GPU); add --allow-network")
        earlier = ROOT / "examples_output" / name
        if earlier.exists() and not args.reuse:
            raise SystemExit(
                f"{earlier} holds an earlier run, which a tutobook that resumes would continue instead "
                "of starting afresh; remove it (or pass --reuse)"
            )
    failed = 0
    for name in names:
        print(f"{name}: running in {'quick' if args.quick else 'full'} mode ...", flush=True)
        run = run_one(EXAMPLES / f"{name}.py", args.timeout, quick=args.quick)
        record(run, RESULTS / "quick" if args.quick else RESULTS)
        failed += run["status"] != "0"
        print(f"{name}: exit {run['status']}, {_minutes(run['wall'])} wall, {_minutes(run['cpu'])} CPU")
    return 1 if failed else 0


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value or ""


if __name__ == "__main__":
    raise SystemExit(main())

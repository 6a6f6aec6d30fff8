"""
Title: Does ResNet-56 train on digits with the paper's recipe? Batch 64 against 128, three seeds
Author: keras-resnet contributors
Date created: 2026-12-07
Description: ResNet-56, 30 epochs of paper-cifar with the error-gated warm-up, at batch 64 (lr 0.05)
and 128 (lr 0.1), seeds 0-2; the final training and test error of each run.

At batch 128 one epoch of the 1,257 digits training images is 10 steps, and the warm-up ends at
the first batch whose running training error is below 80 %, which at an epoch's start is a single
batch: some seeds then meet lr 0.1 too early and never recover. This script measures how often.
Runs go to `--runs` (a finished run is kept and not trained again); the
table goes to `examples/results/resnet56_stability_digits.md` and `.json`.

Run from the repository root (about 4 minutes a run on this project's 2-core CPU):

    PYTHONPATH=. python examples/scripts/resnet56_stability_digits.py [--runs runs/resnet56-stability]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet._utils.provenance import provenance
from keras_resnet.training.run_folder import RunFolder

RESULTS = Path(__file__).resolve().parents[1] / "results"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs/resnet56-stability"))
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out-dir", type=Path, default=RESULTS, help="where the .json and .md go")
    return parser.parse_args(argv)


def train(folder: Path, batch_size: int, seed: int, epochs: int) -> None:
    """One run through the command line, as a user would start it."""
    command = [sys.executable, "-m", "keras_resnet", "train", "--model", "resnet56", "--dataset", "digits"]
    command += ["--epochs", str(epochs), "--batch-size", str(batch_size), "--seed", str(seed)]
    command += ["--warmup-until-error", "0.8", "--out", str(folder), "--progress", "none"]
    subprocess.run(command, check=True)


def summary(folder: Path, batch_size: int, seed: int) -> dict:
    """The run's final training and test error and the step its warm-up ended at."""
    run = RunFolder(folder)
    metrics, history = run.read_metrics(), run.read_history()
    return {
        "batch_size": batch_size,
        "seed": seed,
        "warmup_end_step": metrics.get("warmup_end_step"),
        "final_train_error": round(100 * (1 - float(history[-1]["accuracy"])), 2),
        "final_test_error": round(100 * (1 - metrics["test"]["accuracy"]), 2),
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    rows = []
    for batch_size in args.batch_sizes:
        for seed in args.seeds:
            folder = args.runs / f"b{batch_size}-s{seed}"
            if not RunFolder(folder).is_finished():
                train(folder, batch_size, seed, args.epochs)
            rows.append(summary(folder, batch_size, seed))
    report = {**provenance(), "epochs": args.epochs, "rows": rows}
    write_json(args.out_dir / "resnet56_stability_digits.json", report)
    lines = [
        f"ResNet-56 on digits, {args.epochs} epochs of paper-cifar with the error-gated warm-up, "
        f"{report['cpu']} ({report['cpu_count']} cores), {report['date']}.",
        "",
        "| batch | seed | warm-up ended at step | final train error % | final test error % |",
        "|---:|---:|---:|---:|---:|",
        *(
            f"| {r['batch_size']} | {r['seed']} | {r['warmup_end_step']} | {r['final_train_error']} "
            f"| {r['final_test_error']} |"
            for r in rows
        ),
    ]
    write_text(args.out_dir / "resnet56_stability_digits.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

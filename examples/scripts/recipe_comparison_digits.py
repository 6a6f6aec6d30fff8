"""paper-cifar against the modern recipe: ResNet-20 on the bundled digits, equal epochs, three seeds.

Run: nice -n 10 python examples/scripts/recipe_comparison_digits.py [--epochs 30] [--seeds 0 1 2]
     [--out runs/recipe-comparison] [--recipes paper-cifar modern]
Trains each (recipe, seed) with `keras-resnet train --model resnet20 --dataset digits --recipe R
--seed S --epochs E --no-export --no-gradient-norms` in its own process (a finished run folder is
reused), then writes examples/results/recipe_comparison.{md,json}: the commands, the machine, each
seed's test accuracy (the final weights: for `modern` the moving average of the weights), the mean
and the spread (sample standard deviation, min and max), whichever recipe wins. Accuracy does not
depend on the machine's load; the seconds do. `--results -` prints the table and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet._utils.provenance import machine, provenance


def train_command(recipe: str, seed: int, epochs: int, out: Path) -> list[str]:
    """The `keras-resnet train` arguments of one run."""
    return [
        *("train", "--model", "resnet20", "--dataset", "digits", "--recipe", recipe),
        *("--seed", str(seed), "--epochs", str(epochs), "--out", str(out)),
        *("--no-export", "--no-gradient-norms", "--verbose", "2"),
    ]


def run_one(recipe: str, seed: int, epochs: int, out: Path) -> dict:
    """Train (or reuse) one run; its test accuracies, seconds and the command."""
    args = train_command(recipe, seed, epochs, out)
    if not (out / "metrics.json").is_file():
        subprocess.run([sys.executable, "-m", "keras_resnet", *args, "--overwrite"], check=True)
    metrics = json.loads((out / "metrics.json").read_text())
    best = metrics.get("test_best_checkpoint") or {}
    return {
        "recipe": recipe,
        "seed": seed,
        "test_accuracy": metrics["test"]["accuracy"],
        "test_accuracy_best_checkpoint": best.get("accuracy"),
        "train_seconds": metrics["train_seconds_total"],
        "command": "keras-resnet " + " ".join(args),
    }


def summary(rows: list[dict], recipes: list[str]) -> list[dict]:
    """Per recipe: mean, sample standard deviation, min and max of the seeds' test accuracy."""
    result = []
    for recipe in recipes:
        values = [row["test_accuracy"] for row in rows if row["recipe"] == recipe]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        result.append(
            {
                "recipe": recipe,
                "seeds": len(values),
                "mean": statistics.fmean(values),
                "std": spread,
                "min": min(values),
                "max": max(values),
            }
        )
    return result


def markdown(
    rows: list[dict], table: list[dict], *, seeds: list[int], epochs: int, command: str, host: dict
) -> str:
    """The results page: per-seed accuracies, then mean +- std and range per recipe."""
    lines = [
        f"ResNet-20 on the bundled digits (360 test images, 32x32), {epochs} epochs, "
        "batch 128, seeds " + ", ".join(map(str, seeds)) + ": test accuracy of the final weights "
        "(`modern`: the moving average of the weights).",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {host['cpu']}, {host['cpu_count']} cores, {host['memory_gib']} GiB, {host['platform']} "
        "(shared with other jobs; accuracy does not depend on the load).",
        "",
        "| recipe | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± std | min – max |",
        "|---|" + "---:|" * (len(seeds) + 2),
    ]
    for entry in table:
        by_seed = {row["seed"]: row["test_accuracy"] for row in rows if row["recipe"] == entry["recipe"]}
        cells = " | ".join(f"{100 * by_seed[s]:.1f} %" for s in seeds)
        lines.append(
            f"| {entry['recipe']} | {cells} | {100 * entry['mean']:.1f} ± {100 * entry['std']:.1f} % "
            f"| {100 * entry['min']:.1f} – {100 * entry['max']:.1f} % |"
        )
    winner = max(table, key=lambda entry: entry["mean"])
    lines += ["", f"Higher mean: {winner['recipe']}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--recipes", nargs="+", default=["paper-cifar", "modern"])
    parser.add_argument("--out", type=Path, default=Path("runs/recipe-comparison"))
    parser.add_argument("--results", default="examples/results")
    args = parser.parse_args()

    start = time.perf_counter()
    rows = [
        run_one(recipe, seed, args.epochs, args.out / f"{recipe}-seed{seed}")
        for recipe in args.recipes
        for seed in args.seeds
    ]
    table = summary(rows, args.recipes)
    command = "nice -n 10 python " + " ".join(sys.argv)
    page = markdown(rows, table, seeds=args.seeds, epochs=args.epochs, command=command, host=machine())
    print(page)
    if args.results == "-":
        return
    results = Path(args.results)
    write_text(results / "recipe_comparison.md", page)
    write_json(
        results / "recipe_comparison.json",
        {
            "command": command,
            "epochs": args.epochs,
            "seeds": args.seeds,
            "rows": rows,
            "summary": table,
            "seconds": time.perf_counter() - start,
            "machine": machine(),
            "provenance": provenance(),
        },
    )
    print(f"wrote {results}/recipe_comparison.md/.json")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The NumPy input pipeline against tf.data: ResNet-20 on the digits with the paper's CIFAR recipe,
# the same seeds through both pipelines on one backend (TensorFlow unless KERAS_BACKEND) (only the input pipeline differs), test
# accuracy of each. Writes the runs to runs/pipeline-parity/ (or $1) and the comparison to
# examples/results/pipeline_parity.{json,md}.
#   examples/scripts/pipeline_parity_digits.sh [RUNS_DIR]   (PYTHON=..., EPOCHS=10, SEEDS="0 1")
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python}
OUT=${1:-runs/pipeline-parity}
EPOCHS=${EPOCHS:-10}
SEEDS=${SEEDS:-0 1}
export KERAS_BACKEND=${KERAS_BACKEND:-tensorflow}

for seed in $SEEDS; do
    for pipeline in tfdata numpy; do
        "$PYTHON" -m keras_resnet train --model resnet20 --dataset digits --epochs "$EPOCHS" \
            --batch-size 128 --recipe paper-cifar --seed "$seed" --pipeline "$pipeline" \
            --no-gradient-norms --no-export --out "$OUT/$pipeline-seed$seed" --overwrite --progress epoch
    done
done

"$PYTHON" - "$OUT" "$EPOCHS" $SEEDS <<'PY'
import json, statistics, sys
out, epochs, seeds = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3:]]
runs = {}
for pipeline in ("tfdata", "numpy"):
    for seed in seeds:
        folder = f"{out}/{pipeline}-seed{seed}"
        metrics = json.load(open(f"{folder}/metrics.json"))
        config = json.load(open(f"{folder}/config.json"))
        runs.setdefault(pipeline, []).append({
            "seed": seed,
            "test_accuracy": metrics["test"]["accuracy"],
            "test_errors": round((1 - metrics["test"]["accuracy"]) * metrics["test"]["examples"]),
            "train_seconds": round(metrics["train_seconds_total"], 1),
            "pipeline_used": metrics["dataset"]["pipeline"],
        })
env = config["environment"]
mean = {p: statistics.mean(r["test_accuracy"] for r in rows) for p, rows in runs.items()}
difference = 100 * (mean["numpy"] - mean["tfdata"])
summary = {
    "command": f"KERAS_BACKEND={env['backend']} keras-resnet train --model resnet20 --dataset digits --epochs {epochs} "
               "--batch-size 128 --recipe paper-cifar --seed SEED --pipeline {tfdata,numpy} "
               "--no-gradient-norms --no-export",
    "seeds": seeds,
    "runs": runs,
    "mean_test_accuracy": mean,
    "difference_points": round(difference, 3),
    "within_half_a_point": abs(difference) <= 0.5,
    "test_examples": metrics["test"]["examples"],
    "machine": {k: env[k] for k in ("cpu", "cpu_count", "platform")},
    "versions": {k: env.get(k) for k in ("python", "keras", "backend", "jax", "tensorflow")},
    "date": env["date"],
    "note": "2 CPU cores shared with other jobs: the train seconds are inflated and noisy. The "
            "pipelines share the images, splits, statistics and augmentation rule, but draw "
            "order and crops from different generators (tf.data's vs NumPy's), so a seed gives "
            "each pipeline a different, equally random, sequence of batches.",
}
json.dump(summary, open("examples/results/pipeline_parity.json", "w"), indent=2)
lines = [
    f"ResNet-20 on digits, paper-cifar recipe, {epochs} epochs, {env['backend']} backend; test accuracy on "
    f"{summary['test_examples']} images ({env['date'][:10]}, {env['cpu']}, {env['cpu_count']} shared cores).",
    "",
    "| seed | tf.data | NumPy (PyDataset) |",
    "|---:|---:|---:|",
]
for tf_row, np_row in zip(runs["tfdata"], runs["numpy"]):
    lines.append(f"| {tf_row['seed']} | {100 * tf_row['test_accuracy']:.2f} % | {100 * np_row['test_accuracy']:.2f} % |")
lines.append(f"| mean | {100 * mean['tfdata']:.2f} % | {100 * mean['numpy']:.2f} % |")
lines += ["", f"Difference (NumPy - tf.data): {difference:+.2f} points "
          f"({'within' if summary['within_half_a_point'] else 'NOT within'} 0.5 points).", "", summary["note"]]
open("examples/results/pipeline_parity.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY

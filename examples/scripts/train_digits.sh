#!/usr/bin/env bash
# ResNet-20 on scikit-learn's handwritten digits with the paper's CIFAR recipe: the default
# `keras-resnet train` command, spelled out. Writes the run to runs/resnet20-digits (or $1) and a
# summary (test accuracy, wall time, machine) to examples/results/train_digits.json.
#   examples/scripts/train_digits.sh [RUN_DIR]        (PYTHON=... to pick the interpreter)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python}
OUT=${1:-runs/resnet20-digits}

START=$(date +%s.%N)
"$PYTHON" -m keras_resnet train --model resnet20 --dataset digits --epochs 30 --batch-size 128 \
    --recipe paper-cifar --seed 0 --out "$OUT" --overwrite --progress epoch
END=$(date +%s.%N)

"$PYTHON" - "$OUT" "$START" "$END" <<'PY'
import json, sys
out, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
metrics = json.load(open(f"{out}/metrics.json"))
config = json.load(open(f"{out}/config.json"))
env = config["environment"]
summary = {
    "command": "keras-resnet train --model resnet20 --dataset digits --epochs 30 --batch-size 128 "
               "--recipe paper-cifar --seed 0",
    "test_accuracy": metrics["test"]["accuracy"],
    "test_errors": round((1 - metrics["test"]["accuracy"]) * metrics["test"]["examples"]),
    "test_examples": metrics["test"]["examples"],
    "test_accuracy_best_val_checkpoint": (metrics["test_best_checkpoint"] or {}).get("accuracy"),
    "wall_seconds": round(end - start, 1),
    "train_seconds": round(metrics["train_seconds_total"], 1),
    "epochs": metrics["epochs_trained"],
    "machine": {k: env[k] for k in ("cpu", "cpu_count", "platform", "devices")},
    "versions": {k: env.get(k) for k in ("python", "keras", "backend", "tensorflow", "tensorflow_datasets")},
    "date": env["date"],
    "note": "2 CPU cores shared with other jobs while training: wall time is inflated",
}
json.dump(summary, open("examples/results/train_digits.json", "w"), indent=2)
print(json.dumps(summary, indent=2))
PY

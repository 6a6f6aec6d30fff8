#!/usr/bin/env bash
# The paper's Figure 6 on the bundled digits: plain-20/56 vs ResNet-20/56, 30 epochs each, the
# paper-cifar recipe, batch 64 and seed 0 for all (at batch 128 ResNet-56 blows up on some seeds:
# examples/scripts/resnet56_stability_digits.py). Runs go to runs/compare-digits (or $1; finished runs are
# reused); the figure is copied to examples/figures/compare_digits.png and the table and curves to
# examples/results/compare_digits.{md,json}.
#   examples/scripts/compare_digits.sh [OUT]        (PYTHON=... to pick the interpreter)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python}
OUT=${1:-runs/compare-digits}

"$PYTHON" -m keras_resnet compare plain20 plain56 resnet20 resnet56 --dataset digits --epochs 30 \
    --batch-size 64 --recipe paper-cifar --seed 0 --out "$OUT" --verbose 2
cp "$OUT/comparison.png" examples/figures/compare_digits.png
cp "$OUT/comparison.json" examples/results/compare_digits.json
cp "$OUT/comparison.md" examples/results/compare_digits.md

#!/usr/bin/env bash
# The lesion study (Veit et al. 2016, Fig. 3 and 5a) on ResNet-56 and plain-56 trained on digits by
# examples/scripts/compare_digits.sh (30 epochs, paper-cifar recipe, seed 0): every single unit
# deleted, and 1 to 25 of the 25 non-downsampling units deleted at random (11 counts, 5 seeded
# draws each), on the 360 test images. Figures go to
# examples/figures/lesion_{single,random}_digits.png, the table and every number to
# examples/results/lesion_digits.{md,json}.
#   examples/scripts/lesion_digits.sh [RESNET56_RUN] [PLAIN56_RUN]   (PYTHON=... picks the interpreter)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python}
RESNET=${1:-runs/compare-digits/resnet56}
PLAIN=${2:-runs/compare-digits/plain56}
OUT=${OUT:-runs/lesion-digits}

mkdir -p "$(dirname "$OUT")"
START=$SECONDS
"$PYTHON" -m keras_resnet lesion "$RESNET" "$PLAIN" \
    --counts 1 2 3 4 6 8 10 12 15 20 25 --draws 5 --seed 0 --out "$OUT" --verbose 0
echo "lesion_digits: $((SECONDS - START)) s wall"
cp "$OUT/lesion_single.png" examples/figures/lesion_single_digits.png
cp "$OUT/lesion_random.png" examples/figures/lesion_random_digits.png
cp "$OUT/lesion.md" examples/results/lesion_digits.md
cp "$OUT/lesion.json" examples/results/lesion_digits.json

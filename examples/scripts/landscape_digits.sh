#!/usr/bin/env bash
# Loss landscapes (Li et al. 2018, Fig. 5 in miniature) of plain-56 and ResNet-56 trained on digits
# by examples/scripts/compare_digits.sh: filter-normalised directions, seed 0, a GRID x GRID grid
# in [-1, 1]^2, on the first EXAMPLES training images. The pair figure goes to
# examples/figures/landscape_pair_digits.png, each net's contours and 1-D slices to
# examples/figures/landscape_{2d,1d}_NET_digits.png, the summaries to
# examples/results/landscape_digits.md and every grid value to landscape_digits_NET.csv.
#   examples/scripts/landscape_digits.sh [PLAIN56_RUN] [RESNET56_RUN]   (GRID=11 EXAMPLES=256 PYTHON=...)
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python}
PLAIN=${1:-runs/compare-digits/plain56}
RESNET=${2:-runs/compare-digits/resnet56}
OUT=${OUT:-runs/landscape-digits}
GRID=${GRID:-11}
EXAMPLES=${EXAMPLES:-256}

mkdir -p "$(dirname "$OUT")"
START=$SECONDS
"$PYTHON" -m keras_resnet landscape "$PLAIN" "$RESNET" \
    --grid "$GRID" --span 1.0 --examples "$EXAMPLES" --seed 0 --out "$OUT" --verbose 0 \
    | tee "$OUT.summary.txt"
echo "landscape_digits: $((SECONDS - START)) s wall"
cp "$OUT/landscape_pair.png" examples/figures/landscape_pair_digits.png
{
    echo "Loss landscapes on digits: grid ${GRID}x${GRID} in [-1, 1]^2, ${EXAMPLES} training images, seed 0."
    echo
    echo '```'
    for net in "$OUT"/*/; do cat "$net/summary.txt"; done
    echo '```'
} > examples/results/landscape_digits.md
for net in "$OUT"/*/; do
    name=$(basename "$net")
    cp "$net/landscape.png" "examples/figures/landscape_2d_${name}_digits.png"
    cp "$net/landscape_1d.png" "examples/figures/landscape_1d_${name}_digits.png"
    cp "$net/landscape.csv" "examples/results/landscape_digits_${name}.csv"
done

"""He et al. 2016, Table 1 in miniature: every shortcut variant of a CIFAR ResNet trained on digits.

Run: nice -n 10 python examples/scripts/shortcut_ablation_digits.py [--depth 20] [--epochs 15]
     [--out runs/ablation-digits] [--variants LABEL ...]
Trains each label of `experiments.ablations.shortcut_labels` (ResNet-<depth> with each
`shortcut_variant`, gates at the paper's best bias -6) through `compare_models` with the
paper-cifar recipe, batch 128, seed 0 (finished runs are reused), then writes
examples/results/shortcut_ablation_digits.{md,json} and examples/figures/shortcut_ablation_digits.png,
with the paper's ResNet-110 CIFAR-10 errors beside ours. `--variants` runs only the given labels
(for timing one) and writes nothing into examples/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet._utils.provenance import machine, provenance
from keras_resnet.experiments.ablations import ablation_table, shortcut_labels
from keras_resnet.experiments.degradation import compare_models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default="runs/ablation-digits")
    parser.add_argument("--variants", nargs="+", default=None)
    parser.add_argument("--results", type=Path, default=Path("examples/results"))
    parser.add_argument("--figures", type=Path, default=Path("examples/figures"))
    args = parser.parse_args()

    labels = args.variants or shortcut_labels(f"resnet{args.depth}")
    start = time.perf_counter()
    result = compare_models(
        labels,
        dataset="digits",
        epochs=args.epochs,
        out=args.out,
        seed=0,
        batch_size=128,
        recipe="paper-cifar",
        verbose=2,
    )
    table = ablation_table(result["rows"])
    command = "nice -n 10 python " + " ".join(sys.argv)
    header = (
        f"Shortcut variants (He et al. 2016, Fig. 2 / Table 1) of ResNet-{args.depth} on digits, "
        f"{args.epochs} epochs, paper-cifar recipe, batch 128, seed 0; the last column is the paper's "
        "ResNet-110 on CIFAR-10. Timings from a shared, busy 2-core machine.\n\n"
        f"Command: `{command}` ({time.perf_counter() - start:.0f} s in all)\n"
    )
    print(header)
    print(table)
    if args.variants:
        return
    write_text(args.results / "shortcut_ablation_digits.md", header + "\n" + table + "\n")
    write_json(
        args.results / "shortcut_ablation_digits.json",
        {
            "command": command,
            "rows": result["rows"],
            "histories": result["histories"],
            "config": result["config"],
            "machine": machine(),
            "provenance": provenance(),
        },
    )
    args.figures.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(result["figure"], args.figures / "shortcut_ablation_digits.png")
    print(
        f"wrote {args.results}/shortcut_ablation_digits.md/.json and {args.figures}/shortcut_ablation_digits.png"
    )


if __name__ == "__main__":
    main()

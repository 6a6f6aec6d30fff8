"""Trainable parameters and MACs of every He et al. 2016 ablation variant (Fig. 2 and Fig. 4).

Run: python examples/scripts/ablation_params.py [--model resnet110] [--out examples/results]
Builds the model with each `shortcut_variant` and each `unit_order` at its spec's CIFAR shapes
(32x32x3, 10 classes, option A at the two downsampling units) and writes ablation_params.{md,json},
with the paper's CIFAR-10 test error beside each.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet._utils.provenance import provenance
from keras_resnet.experiments.ablations import parameter_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet110")
    parser.add_argument("--out", type=Path, default=Path("examples/results"))
    args = parser.parse_args()

    rows = parameter_rows(args.model)
    base = rows[0]["trainable_params"]
    lines = [
        f"Parameters of {args.model} (CIFAR shapes: 32x32x3, 10 classes) with each variant of He et al. 2016; "
        "variants change identity shortcuts only, the downsampling units keep option A.",
        "",
        "| model | trainable parameters | vs original | MACs | paper CIFAR-10 error % |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        extra = row["trainable_params"] - base
        lines.append(
            f"| {row['model']} | {row['trainable_params']:,} | {extra:+,} | {row['macs'] / 1e6:.1f} M | {row['paper']} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    write_text(args.out / "ablation_params.md", text)
    write_json(
        args.out / "ablation_params.json", {"model": args.model, "rows": rows, "provenance": provenance()}
    )


if __name__ == "__main__":
    main()

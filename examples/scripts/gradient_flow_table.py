"""Gradient flow at initialisation: plain vs residual CIFAR nets of depth 20, 56 and 110.

Run: python examples/scripts/gradient_flow_table.py [--depths 20 56 110] [--out examples/results]
Writes gradient_flow.json and gradient_flow.md (--out) and gradient_flow_depth_profile.png
(--figures): for each depth the ratio ||grad conv1_conv|| / ||grad predictions kernel|| on one
fixed batch of sklearn digits (`keras_resnet.data.digits`, 32x32x3), seed 0, He-normal init,
BatchNorm in batch mode, with and without zero_init_residual; the figure draws, per depth (conv
and dense layers from the input), the norm of all gradients at that depth.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet.experiments.gradient_flow import format_table, gradient_flow
from keras_resnet.experiments.plots import plot_depth_profile


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[20, 56, 110])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path("examples/results"))
    parser.add_argument("--figures", type=Path, default=Path("examples/figures"))
    args = parser.parse_args()

    start = time.perf_counter()
    runs = {
        z: gradient_flow(args.depths, batch_size=args.batch_size, zero_init_residual=z) for z in (False, True)
    }
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "seconds": round(time.perf_counter() - start, 1),
        "command": ("python examples/scripts/gradient_flow_table.py " + " ".join(sys.argv[1:])).strip(),
    }
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        meta["tensorflow"] = tf.__version__
    report = {"meta": meta, "default_init": runs[False], "zero_init_residual": runs[True]}
    write_json(args.out / "gradient_flow.json", report)
    lines = [
        f"Measured {meta['date']} on {meta['machine']} ({meta['cpus']} CPUs), keras "
        f"{meta['keras']}, backend {meta['backend']}, {meta['seconds']} s. "
        f"Command: `{meta['command']}`",
        "",
        f"Ratio ||grad conv1_conv|| / ||grad predictions kernel|| at initialisation, seed 0, "
        f"one batch of {args.batch_size} sklearn digits at 32x32x3, BN in batch mode.",
        "",
        "Default initialisation (residual BN gammas 1):",
        "",
        format_table(runs[False]),
        "",
        "With `zero_init_residual=True` (plain nets have no residual branch, so their column is the same):",
        "",
        format_table(runs[True]),
        "",
        "`gradient_flow_depth_profile.png` (default initialisation) draws, per depth (conv and "
        "dense layers on the longest path from the input, so the classifier of a depth-d net "
        "is at d), the norm of all gradients at that depth.",
        "",
    ]
    write_text(args.out / "gradient_flow.md", "\n".join(lines))
    plot_depth_profile(runs[False]["profiles"], args.figures / "gradient_flow_depth_profile.png")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

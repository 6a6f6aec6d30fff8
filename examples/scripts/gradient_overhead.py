"""What recording gradient norms adds to epoch time: ResNet-20 on digits, batch 128, paper recipe.

Run: python examples/scripts/gradient_overhead.py [--epochs 2] [--repeats 3] [--out examples/results]
Writes gradient_overhead.json and gradient_overhead.md from one run of
`keras_resnet.overhead.gradient_norm_overhead`: median epoch seconds without the callback, with
probe mode at each epoch end and with train mode every 10 steps (interleaved, repeated), their
ratios to the baseline and the cost of one measurement in training steps. Issue targets: probe
<= 5 %, train every 10 steps <= 25 %.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_resnet.overhead import gradient_norm_overhead  # noqa: E402

TARGETS = {"probe_each_epoch": 0.05, "train_every_n": 0.25}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="resnet20")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("examples/results"))
    args = parser.parse_args()

    start = time.perf_counter()
    result = gradient_norm_overhead(args.model, "digits", epochs=args.epochs, repeats=args.repeats)
    result["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                         "note": "shared, loaded 2-core machine: compare ratios within this run only"}
    result["command"] = "python examples/scripts/gradient_overhead.py " + " ".join(
        f"--{k} {v}" for k, v in (("epochs", args.epochs), ("repeats", args.repeats)))
    result["wall_seconds"] = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    _write(args.out / "gradient_overhead.json", json.dumps(result, indent=2) + "\n")
    _write(args.out / "gradient_overhead.md", markdown(result))
    print(markdown(result))


def markdown(result: dict) -> str:
    median, ratio = result["median_epoch_seconds"], result["ratio_to_baseline"]
    cost = result["measurement_cost_in_steps"]
    lines = [f"{result['model']} on {result['dataset']}, batch {result['batch_size']}, "
             f"{result['steps_per_epoch']} steps per epoch, {result['backend']} backend; median of "
             f"{result['timed_epochs_per_configuration']} interleaved epochs per configuration.",
             "", "| configuration | median epoch s | overhead | target | one measurement, in steps |",
             "| --- | ---: | ---: | ---: | ---: |",
             f"| no callback | {median['baseline']:.2f} | - | - | - |"]
    labels = {"probe_each_epoch": "probe at each epoch end",
              "train_every_n": f"train mode every {result['every_n_batches']} steps"}
    for name, label in labels.items():
        lines.append(f"| {label} | {median[name]:.2f} | {100 * (ratio[name] - 1):+.1f} % | "
                     f"<= {100 * TARGETS[name]:.0f} % | {cost[name]:.2f} |")
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()

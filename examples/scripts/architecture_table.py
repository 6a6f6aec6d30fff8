"""Measure every named model: parameters and MACs against the papers, and how long it takes to build.

Run: python examples/scripts/architecture_table.py [--out examples/results]
Writes architectures.json and architectures.md (the README's parameter/MAC table).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

import keras_resnet as kr

# The papers' figures (He et al. 2015 Table 1 / section 4.2; 2016) and torchvision's exact counts.
REFERENCE = {
    "resnet18": ("11,689,512 (torchvision)", "1.8 G"),
    "resnet34": ("21,797,672", "3.6 G"),
    "resnet50": ("25,557,032", "3.8 G (v1)"),
    "resnet101": ("44,549,160", "7.6 G (v1)"),
    "resnet152": ("60,192,808", "11.3 G (v1)"),
    "resnet20": ("0.27 M", ""),
    "resnet32": ("0.46 M", ""),
    "resnet44": ("0.66 M", ""),
    "resnet56": ("0.85 M", ""),
    "resnet110": ("1.7 M", ""),
    "resnet1202": ("19.4 M", ""),
    "preact_resnet164": ("1.7 M", ""),
    "preact_resnet1001": ("10.2 M", ""),
}


def measure(names):
    rows = []
    bar = keras.utils.Progbar(len(names), unit_name="model")
    for name in names:
        start = time.perf_counter()
        model = kr.build(name)
        seconds = time.perf_counter() - start
        stats = kr.model_stats(model)
        paper_params, paper_macs = REFERENCE.get(name, ("", ""))
        rows.append(
            {
                "model": name,
                "input": list(model.input.shape[1:]),
                **stats,
                "build_seconds": round(seconds, 2),
                "paper_params": paper_params,
                "paper_macs": paper_macs,
            }
        )
        keras.backend.clear_session()
        bar.add(1)
    return rows


def to_markdown(rows, meta) -> str:
    lines = [
        f"Measured {meta['date']} on {meta['machine']} ({meta['cpus']} CPUs), keras "
        f"{meta['keras']}, backend {meta['backend']}. Command: `{meta['command']}`",
        "",
        "| model | input | trainable params | paper / torchvision | MACs | paper | build s |",
        "|---|---|---:|---|---:|---|---:|",
    ]
    for r in rows:
        shape = "x".join(map(str, r["input"]))
        macs = f"{r['macs'] / 1e9:.2f} G" if r["macs"] > 1e9 else f"{r['macs'] / 1e6:.1f} M"
        lines.append(
            f"| {r['model']} | {shape} | {r['trainable_params']:,} | {r['paper_params']} "
            f"| {macs} | {r['paper_macs']} | {r['build_seconds']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("examples/results"))
    parser.add_argument("--models", nargs="*", default=kr.list_models())
    args = parser.parse_args(argv)
    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "command": "python examples/scripts/architecture_table.py",
    }
    rows = measure(args.models)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "architectures.json").write_text(json.dumps({"meta": meta, "models": rows}, indent=2))
    table = to_markdown(rows, meta)
    (args.out / "architectures.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()

"""
Title: Cost of the lesion study and of a loss landscape on this machine
Author: keras-resnet contributors
Date created: 2026-12-01
Description: Wall time of a 21x21 landscape of ResNet-20 on 512 digits images and of a full
single-unit lesion sweep of ResNet-56 on the digits test split.

Cost does not depend on the weights' values, so the nets are the trained run folders when given
(`--resnet20 RUN`, `--resnet56 RUN`) and freshly built ones otherwise. Each job is timed once, end
to end (loading the data, every evaluation, the figures), as a user would run it. Results go to
`examples/results/analysis_cost.json` and `.md` with the machine, date and versions.

Run from the repository root:

    PYTHONPATH=. python examples/scripts/analysis_cost.py [--resnet56 runs/compare-digits/resnet56]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from keras_resnet._utils.atomic import write_json, write_text
from keras_resnet._utils.provenance import provenance

RESULTS = Path(__file__).resolve().parents[1] / "results"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--resnet20", help="a ResNet-20 run folder or .keras (default: freshly built)")
    parser.add_argument("--resnet56", help="a ResNet-56 run folder or .keras (default: freshly built)")
    parser.add_argument("--grid", type=int, default=21)
    parser.add_argument("--examples", type=int, default=512)
    parser.add_argument("--note", default="", help="a line on the machine's load, kept with the result")
    parser.add_argument("--out-dir", type=Path, default=RESULTS, help="where the .json and .md go")
    return parser.parse_args(argv)


def target(given, name: str, folder: Path) -> str:
    """The given run folder or .keras file, else a freshly built net saved as .keras."""
    if given:
        return given
    import keras_resnet as kr

    path = folder / f"{name}.keras"
    kr.build(name, input_shape=(32, 32, 3), classes=10).save(path)
    return str(path)


def main(argv=None) -> int:
    from keras_resnet.experiments.landscape import run_landscape
    from keras_resnet.experiments.lesion import run_lesion

    args = parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        resnet20 = target(args.resnet20, "resnet20", scratch)
        started = time.perf_counter()
        landscape = run_landscape(
            [resnet20], out=scratch / "landscape", dataset="digits", examples=args.examples, grid=args.grid
        )
        seconds = time.perf_counter() - started
        (result,) = landscape["results"].values()
        rows.append(
            {
                "job": f"landscape {args.grid}x{args.grid}, ResNet-20, {args.examples} digits train images",
                "model": resnet20,
                "evaluations": args.grid**2,
                "seconds": round(seconds, 1),
                "seconds_per_evaluation": round(result["seconds"] / args.grid**2, 3),
            }
        )
        resnet56 = target(args.resnet56, "resnet56", scratch)
        started = time.perf_counter()
        lesion = run_lesion([resnet56], out=scratch / "lesion", dataset="digits", counts=[])
        seconds = time.perf_counter() - started
        (study,) = lesion["studies"].values()
        evaluations = 1 + sum(unit["deletable"] for unit in study["units"])
        rows.append(
            {
                "job": f"single-unit lesion sweep, ResNet-56 ({len(study['units'])} units), "
                f"{study['examples']} digits test images",
                "model": resnet56,
                "evaluations": evaluations,
                "seconds": round(seconds, 1),
                "seconds_per_evaluation": round(seconds / evaluations, 3),
            }
        )
    report = {**provenance(), "note": args.note, "rows": rows}
    write_json(args.out_dir / "analysis_cost.json", report)
    lines = [
        f"Cost on {report['cpu']} ({report['cpu_count']} cores), {report['date']}. {args.note}".strip(),
        "",
        "| job | evaluations | wall time (s) | per evaluation (s) |",
        "|---|---:|---:|---:|",
        *(
            f"| {r['job']} | {r['evaluations']} | {r['seconds']} | {r['seconds_per_evaluation']} |"
            for r in rows
        ),
    ]
    write_text(args.out_dir / "analysis_cost.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How long `keras-resnet --help` takes, and what it loads, here and at an earlier revision.

Both trees run in this interpreter, one after the other, in one run (so the same machine and load):
the earlier one from a temporary `git worktree` of REV put first on PYTHONPATH. For each, the
median wall time of `python -m keras_resnet --help` over the repeats, whether Keras or TensorFlow
were imported, and how many TensorFlow C++ log lines reached stderr. Results go to
examples/results/cli_startup.{json,md}.

    python examples/scripts/cli_startup.py --before 1261513 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import runpy, sys\nsys.argv = ['keras-resnet', '--help']\n"
    "try:\n    runpy.run_module('keras_resnet', run_name='__main__')\nexcept SystemExit:\n    pass\n"
    "import json\nprint('LOADED', json.dumps(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules)),"
    " file=sys.stderr)"
)


def measure(tree: Path, repeats: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    seconds, loaded, log_lines = [], None, 0
    for _ in range(repeats):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, cwd=tree, capture_output=True, text=True, timeout=600
        )
        seconds.append(time.perf_counter() - start)
        loaded = json.loads(next(line for line in done.stderr.splitlines() if line.startswith("LOADED"))[7:])
        log_lines = sum(
            1
            for line in done.stderr.splitlines()
            if line[:1] in "IWEF" and line[1:5].isdigit() or "absl::InitializeLog" in line
        )
    return {
        "median_seconds": statistics.median(seconds),
        "seconds": seconds,
        "imported": loaded,
        "tensorflow_log_lines": log_lines,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="git revision to compare with")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "examples" / "results"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        before_tree = Path(folder) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before_tree), args.before],
            check=True,
            capture_output=True,
        )
        try:
            result = {
                "before": {"revision": args.before, **measure(before_tree, args.repeats)},
                "after": {"revision": "working tree", **measure(ROOT, args.repeats)},
            }
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)],
                check=False,
                capture_output=True,
            )
    result["command"] = " ".join([Path(sys.executable).name, *sys.argv])
    result["date"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    out = Path(args.out)
    (out / "cli_startup.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = [
        f"| {name} ({r['revision']}) | {r['median_seconds']:.2f} s | {', '.join(r['imported']) or 'neither'}"
        f" | {r['tensorflow_log_lines']} |"
        for name, r in (("before", result["before"]), ("after", result["after"]))
    ]
    table = "\n".join(
        [
            "| tree | `keras-resnet --help`, median | imported | TF log lines on stderr |",
            "|---|---:|---|---:|",
            *rows,
        ]
    )
    (out / "cli_startup.md").write_text(
        f"{table}\n\n`{result['command']}`, {result['date']}, {args.repeats} repeats each.\n"
    )
    print(table)


if __name__ == "__main__":
    main()

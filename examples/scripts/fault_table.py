"""Run the 27 faults of issue #17 through the CLI (or the Python API where the fault is an API call)
and tabulate what a user sees: exit code, whether a traceback was printed, the error line, and
whether the user's own files were left untouched.

Run: python examples/scripts/fault_table.py [--code CHECKOUT --label before|after] [--out DIR]
measures one checkout of keras-resnet (default: this one, as "after") into faults-LABEL.json, then
writes faults.md with a column for each of faults-before.json and faults-after.json found in DIR
(so the version before the fixes is measured with `--code OLD_CHECKOUT --label before`). Each case runs in a
fresh interpreter in its own temporary folder; the disk-full and read-only cases mount a small
tmpfs in a private mount namespace (`unshare`), and are marked skipped where that is not allowed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]
TINY = "--epochs 1 --model tiny_model:tiny_resnet --no-export --no-gradient-norms --progress none --batch-size 128"

PRELUDE = r"""
import hashlib, os, pathlib, shutil, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
W = pathlib.Path(os.environ["WORK"])
BASE = pathlib.Path(os.environ["BASE"])
TINY = os.environ["TINY"].split()
def run_copy():
    shutil.copytree(BASE, W / "run")
    return W / "run"
def trunc(p):
    d = p.read_bytes(); p.write_bytes(d[: len(d) // 2])
def hashes(folder):
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(pathlib.Path(folder).rglob("*")) if p.is_file()}
def cli(*args, keep=None):
    from keras_resnet.cli import main
    before = hashes(keep) if keep else None
    code = main([str(a) for a in args])
    if keep:
        print("INTACT", hashes(keep) == before)
    sys.exit(code)
def api(call):
    try:
        call()
    except Exception as err:
        text = str(err).strip().splitlines()[0] if str(err).strip() else ""
        print(f"API {type(err).__module__}.{type(err).__name__}: {text}", file=sys.stderr)
        sys.exit(2)
    print("API accepted without error", file=sys.stderr)
    sys.exit(0)
def images(root, classes, bad=None, bad_bytes=b""):
    import numpy as np
    from PIL import Image
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(6):
            Image.fromarray(np.full((8, 8, 3), i * 30, "uint8")).save(root / name / f"{i}.png")
    if bad:
        (root / classes[0] / bad).write_bytes(bad_bytes)
    return root
"""

MAKE_BASE = r"""
import keras
from keras_resnet.training.config import TrainConfig
from keras_resnet.training.fit import train
class Stop(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt
config = TrainConfig(model="tiny_model:tiny_resnet", dataset="digits", epochs=3, batch_size=128, seed=0,
                     gradient_norms=False)
try:
    train(config, out=str(BASE), verbose=0, extra_callbacks=[Stop()])
except KeyboardInterrupt:
    pass
"""

KILL_BETWEEN_RENAMES = r"""
import os, pathlib
from keras_resnet.export import destination
out = W / "export"
def fake(folder, tag):
    for name in ("export_report.json", "model_float32.tflite"):
        (pathlib.Path(folder) / name).write_text(tag)
with destination.staged_folder(out, overwrite=True) as p:
    fake(p, "old")
renames = []
real_rename, real_path_rename = os.rename, pathlib.Path.rename
def rename(a, b, *x, **k):
    renames.append(b)
    if len(renames) == 2:
        os._exit(137)
    return real_rename(a, b)
pid = os.fork()
if pid == 0:
    if hasattr(destination, "_reached"):  # one atomic swap: killed right after it, before cleaning up
        destination._reached = lambda step: os._exit(137) if step == "exchanged" else None
    else:  # two renames: killed between them
        os.rename = rename
        pathlib.Path.rename = lambda self, b: rename(self, b)
    with destination.staged_folder(out, overwrite=True) as p:
        fake(p, "new")
    os._exit(0)
os.waitpid(pid, 0)
state = "complete" if (out / "model_float32.tflite").is_file() else "MISSING"
with destination.staged_folder(out, overwrite=True) as p:
    fake(p, "next")
hidden = [q.name for q in W.iterdir() if q.name.startswith(".export.")]
print("API", f"after the kill the target was {state}; hidden folders after the next export: {len(hidden)}",
      file=sys.stderr)
sys.exit(0 if state == "complete" and not hidden else 1)
"""

FILL_DURING_TRAINING = r"""
mount -t tmpfs -o size=8m tmpfs "$WORK/mnt" || exit 99
python -m keras_resnet train $TINY --epochs 4 --out "$WORK/mnt/run" 2>&1 &
pid=$!
while [ ! -s "$WORK/mnt/run/history.csv" ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
dd if=/dev/zero of="$WORK/mnt/filler" bs=16k > /dev/null 2>&1
wait $pid
"""

READ_ONLY = r"""
mount -t tmpfs -o ro,size=1m tmpfs "$WORK/mnt" || exit 99
python -m keras_resnet train $TINY --epochs 1 --out "$WORK/mnt/run" 2>&1
"""

EXPORT_FULL = r"""
mount -t tmpfs -o size=64k tmpfs "$WORK/mnt" || exit 99
python -m keras_resnet export "$BASE/checkpoints/last.keras" --out "$WORK/mnt/export" 2>&1
"""


def _cases() -> list[tuple[str, str, str]]:
    """(group, case, Python code or `sh:` shell script) for each fault of the issue."""
    folder = 'images(W / "data", ["cat", "dog"], '
    return [
        ("data lost", "train --overwrite on a folder holding someone's config.json",
         'd = W / "site"; d.mkdir(); (d / "config.json").write_text("{}"); (d / "index.html").write_text("hi")\n'
         'cli("train", *TINY, "--out", d, "--overwrite", keep=d)'),
        ("data lost", "train --resume on a folder holding someone's config.json",
         'd = W / "site"; d.mkdir(); (d / "config.json").write_text("{}"); (d / "index.html").write_text("hi")\n'
         'cli("train", *TINY, "--out", d, "--resume", keep=d)'),
        ("data lost", "export --overwrite into a folder holding thesis.txt",
         'd = W / "thesis"; d.mkdir(); (d / "thesis.txt").write_text("years")\n'
         'cli("export", BASE / "checkpoints/last.keras", "--out", d, "--overwrite", keep=d)'),
        ("data lost", "kill -9 between the two renames of an overwriting export (target, leftovers)",
         KILL_BETWEEN_RENAMES),
        ("stuck", "resume a run whose best.keras is corrupt",
         'r = run_copy(); trunc(r / "checkpoints/best.keras")\ncli("train", *TINY, "--epochs", 3, "--out", r, "--resume")'),
        ("stuck", "evaluate a truncated .keras file",
         'p = W / "m.keras"; p.write_bytes((BASE / "checkpoints/last.keras").read_bytes()[:5000])\n'
         'cli("evaluate", p, "--dataset", "digits")'),
        ("stuck", "a disk that fills up while checkpointing", "sh:" + FILL_DURING_TRAINING),
        ("stuck", "a read-only --out", "sh:" + READ_ONLY),
        ("traceback", "a corrupt .jpg in a folder: dataset",
         folder + 'bad="broken.jpg", bad_bytes=b"\\xff\\xd8\\xff" + bytes(10))\n'
         'cli("train", *TINY, "--batch-size", 2, "--image-size", "8,8", "--dataset", f"folder:{W / \'data\'}", "--out", W / "r")'),
        ("traceback", "a non-image file named .png in a folder: dataset",
         folder + 'bad="notes.png", bad_bytes=b"just some text, not an image")\n'
         'cli("train", *TINY, "--batch-size", 2, "--image-size", "8,8", "--dataset", f"folder:{W / \'data\'}", "--out", W / "r")'),
        ("traceback", "train --model-arg nonsense=1",
         'cli("train", "--model", "resnet20", "--model-arg", "nonsense=1", "--epochs", 1, "--out", W / "r")'),
        ("traceback", "kr.build(20)", "import keras_resnet as kr\napi(lambda: kr.build(20))"),
        ("traceback", "--resume with a truncated backup/epoch-*.weights.h5",
         'r = run_copy()\nfor b in (r / "backup").glob("epoch-*.weights.h5"): trunc(b)\n'
         'cli("train", *TINY, "--epochs", 3, "--out", r, "--resume")'),
        ("traceback", "evaluate a 10-class run on a 20-class dataset",
         'cli("evaluate", BASE, "--dataset", "synthetic:32x32x3:20")'),
        ("traceback", "a bad regular expression in GradientNormCallback(layers=...)",
         "import numpy as np\nfrom keras_resnet.gradients.callback import GradientNormCallback\n"
         'api(lambda: GradientNormCallback((np.zeros((2, 32, 32, 3)), np.zeros(2)), layers=["conv(["]))'),
        ("traceback", "probe labels outside the model's classes (fails before the first step?)", _probe_code("labels")),
        ("traceback", "probe images of the wrong shape (fails before the first step?)", _probe_code("shape")),
        ("traceback", "GradientNormCallback output_dir that is a file",
         "import numpy as np\nfrom keras_resnet.gradients.callback import GradientNormCallback\n"
         '(W / "f").write_text("")\n'
         'api(lambda: GradientNormCallback((np.zeros((2, 32, 32, 3)), np.zeros(2)), output_dir=W / "f"))'),
        ("traceback", "export to a full disk", "sh:" + EXPORT_FULL),
        ("silent", "a dataset with a single class",
         'images(W / "data", ["cat"])\n'
         'cli("train", *TINY, "--epochs", 1, "--batch-size", 2, "--image-size", "8,8", "--dataset", f"folder:{W / \'data\'}", "--out", W / "r")'),
        ("silent", "evaluate a 10-class run on a 5-class dataset",
         'cli("evaluate", BASE, "--dataset", "synthetic:32x32x3:5")'),
        ("silent", "kr.resnet20(classes=True)", "import keras_resnet as kr\napi(lambda: kr.resnet20(classes=True))"),
        ("silent", "kr.resnet20(bn_momentum=5.0)", "import keras_resnet as kr\napi(lambda: kr.resnet20(bn_momentum=5.0))"),
        ("unclear", "a corrupt (truncated) weights file",
         'import keras_resnet as kr\np = W / "w.weights.h5"; kr.resnet20().save_weights(p); trunc(p)\n'
         "api(lambda: kr.resnet20(weights=str(p)))"),
        ("unclear", "normalization with a zero std",
         "import keras_resnet as kr\napi(lambda: kr.resnet20(normalization=([0, 0, 0], [1, 0, 1])))"),
        ("unclear", "a missing weights file", "import keras_resnet as kr\napi(lambda: kr.resnet20(weights=str(W / 'no.weights.h5')))"),
        ("unclear", "resume a finished run whose best.keras was corrupt, a second time",
         'r = run_copy(); trunc(r / "checkpoints/best.keras")\nimport subprocess\n'
         'subprocess.run([sys.executable, "-m", "keras_resnet", "train", *TINY, "--epochs", "3", "--out", str(r), "--resume"], capture_output=True)\n'
         'cli("train", *TINY, "--epochs", 3, "--out", r, "--resume")'),
    ]  # fmt: skip


def _probe_code(kind: str) -> str:
    x, y = ("(4, 32, 32, 3)", "[0, 1, 2, 12]") if kind == "labels" else ("(4, 16, 16, 3)", "[0, 1, 2, 3]")
    return (
        "import numpy as np, keras\nfrom tiny_model import tiny_resnet\n"
        "from keras_resnet.gradients.callback import GradientNormCallback\n"
        "m = tiny_resnet(); m.compile('sgd', 'sparse_categorical_crossentropy')\n"
        "class Count(keras.callbacks.Callback):\n    n = 0\n"
        "    def on_train_batch_end(self, b, logs=None): Count.n += 1\n"
        f"probe = (np.zeros({x}), np.array({y}))\n"
        "def fit():\n    try:\n"
        "        m.fit(np.zeros((64, 32, 32, 3)), np.zeros(64), epochs=1, verbose=0,\n"
        "              callbacks=[Count(), GradientNormCallback(probe)])\n"
        "    finally:\n        print(f'steps run before the error: {Count.n}')\n"
        "api(fit)"
    )


def run_case(code: str, *, checkout: Path, work: Path, base: Path) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(checkout), str(HERE / "tests")]),
        "WORK": str(work),
        "BASE": str(base),
        "TINY": TINY,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    if code.startswith("sh:"):
        (work / "mnt").mkdir()
        command = ["unshare", "-r", "-m", "sh", "-c", code[3:]]
    else:
        command = [sys.executable, "-c", PRELUDE + code]
    try:
        done = subprocess.run(command, env=env, cwd=work, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return {"exit": "timeout", "traceback": False, "line": "did not finish in 600 s", "intact": None}
    output = done.stdout + done.stderr
    if code.startswith("sh:") and done.returncode == 99:
        return {"exit": "skipped", "traceback": False, "line": "cannot mount a tmpfs here", "intact": None}
    lines = [line for line in output.splitlines() if line.strip()]
    said = [line for line in lines if "error:" in line or line.startswith("API ")]
    intact = next((line.split()[1] == "True" for line in lines if line.startswith("INTACT")), None)
    segfault = done.returncode in (139, -11)
    return {
        "exit": done.returncode,
        "traceback": "Traceback (most recent call last)" in output or segfault,
        "exception_ignored": output.count("Exception ignored"),
        "line": (said[-1] if said else (lines[-1] if lines else "")).removeprefix("API ")[:220],
        "notes": [line for line in lines if line.startswith(("note:", "resuming from", "steps run"))][:3],
        "intact": intact,
        "output_lines": len(lines),
    }


def measure(checkout: Path, only=None) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="faults-base-") as base_root:
        base = Path(base_root) / "run"
        made = run_case(MAKE_BASE, checkout=checkout, work=Path(base_root), base=base)
        if not (base / "checkpoints" / "last.keras").is_file():
            raise SystemExit(f"could not make the base run with {checkout}: {made}")
        rows = []
        for number, (group, case, code) in enumerate(_cases(), start=1):
            if only and number not in only:
                continue
            with tempfile.TemporaryDirectory(prefix="fault-") as work:
                result = run_case(code, checkout=checkout, work=Path(work), base=base)
            rows.append({"number": number, "group": group, "case": case, **result})
            print(
                f"{checkout.name} #{number} {case}: exit {result['exit']}, {result['line'][:100]}", flush=True
            )
        return rows


# What the CLI prints as one line (`keras_resnet.cli.main` catches these); any other exception an API
# case raises would reach a CLI user as a traceback.
ONE_LINE_TYPES = ("keras_resnet.errors.", "builtins.ValueError:", "builtins.FileNotFoundError:")


def crashed(row: dict) -> bool:
    """Whether the user saw a traceback or a crash: printed by the CLI, or an API exception that
    is not one the CLI reports in one line."""
    if row["traceback"]:
        return True
    is_exception = re.match(r"^[A-Za-z_]\w*(\.\w+)+: ", row["line"]) is not None
    return is_exception and not row["line"].startswith(ONE_LINE_TYPES)


def _cell(row: dict) -> str:
    if row["exit"] in ("skipped", "timeout"):
        return f"{row['exit']}: {row['line']}"
    parts = [f"exit {row['exit']}"]
    if crashed(row):
        parts.append("**traceback**")
    if row.get("exception_ignored"):
        parts.append(f"{row['exception_ignored']} h5py 'Exception ignored'")
    if row["intact"] is not None:
        parts.append("user files intact" if row["intact"] else "**user files changed**")
    line = row["line"].replace("|", "/").replace("\n", " ")
    notes = "; ".join(n.replace("|", "/") for n in row.get("notes", []))
    return ", ".join(parts) + f": `{line}`" + (f" ({notes})" if notes else "")


def write_table(results: dict[str, list[dict]], out: Path) -> None:
    names = list(results)
    header = "| # | case | " + " | ".join(names) + " |\n|---|---|" + "---|" * len(names) + "\n"
    rows = "".join(
        f"| {r['number']} | {r['case']} | " + " | ".join(_cell(results[n][i]) for n in names) + " |\n"
        for i, r in enumerate(results[names[0]])
    )
    counts = ", ".join(
        f"{name}: {sum(crashed(r) for r in results[name])} of {len(results[name])}" for name in names
    )
    text = (
        "# Faults of issue #17, through the CLI and the API\n\n"
        "Written by `examples/scripts/fault_table.py`. Each case ran in a fresh interpreter; "
        "columns are the checkouts measured. `exit 2` with one `error:` line is the CLI's answer to a "
        "fault; API cases show the exception type and its first line. **traceback** marks a case "
        "where the CLI printed a traceback or crashed, or the API raised an exception the CLI does "
        "not report in one line (IndexError, TypeError, re.error, TensorFlow's errors). Measured on "
        "a shared, busy 2-core machine.\n\n"
        f"Cases that print a traceback (or crash): {counts}.\n\n" + header + rows
    )
    (out / "faults.md").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=HERE, help="the keras-resnet checkout to measure")
    parser.add_argument("--label", default="after", help="its column in the table (before, after)")
    parser.add_argument("--out", type=Path, default=HERE / "examples" / "results")
    parser.add_argument("--only", type=int, nargs="+", help="measure only these case numbers again")
    parser.add_argument(
        "--table-only", action="store_true", help="only rewrite faults.md from the JSON files"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.table_only:
        rows = measure(args.code.resolve(), only=args.only)
        saved = args.out / f"faults-{args.label}.json"
        if args.only and saved.is_file():  # measured again: replace those rows only
            kept = [row for row in json.loads(saved.read_text()) if row["number"] not in args.only]
            rows = sorted(kept + rows, key=lambda row: row["number"])
        saved.write_text(json.dumps(rows, indent=2) + "\n")
    measured = {
        label: json.loads((args.out / f"faults-{label}.json").read_text())
        for label in ("before", "after")
        if (args.out / f"faults-{label}.json").is_file()
    }
    write_table(measured, args.out)


if __name__ == "__main__":
    main()

"""Cold `keras-resnet predict model.tflite IMAGE`, against the floor of importing LiteRT and Pillow.

Exports a model to a `.tflite` file once (untimed), then times, each in a fresh process and
interleaved so machine load hits all alike: the floor `python -c "import ai_edge_litert, PIL"`,
`python -m keras_resnet predict MODEL IMAGE` and the `keras-resnet` console script. With
`--before-tree PATH` (another checkout, such as the main branch) the same two predict commands
also run that tree's code, put first on PYTHONPATH. Reports medians over the repeats, each
predict as a ratio to the floor and as seconds above it, and which heavy frameworks each tree's
predict imported. Results go to examples/results/predict_cold_start.{json,md}. Goal: under 2 s
above the floor.

    python examples/scripts/predict_cold_start.py --before-tree /work/main --repeats 7
    python examples/scripts/predict_cold_start.py --model resnet20 --size 32 --repeats 3   # quick
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
FLOOR = "import ai_edge_litert, PIL"
PROBE = (
    "import runpy, sys\nsys.argv = ['keras-resnet', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('keras_resnet', run_name='__main__')\nexcept SystemExit:\n    pass\n"
    "import json\nheavy = ('tensorflow', 'keras', 'jax', 'torch')\n"
    "print('LOADED', json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)"
)


def export_once(work: Path, model_name: str, size: int, quantize: str) -> Path:
    """`work`/export/model_<quantize>.tflite of `model_name` (random weights), written if missing."""
    path = work / "export" / f"model_{quantize}.tflite"
    if path.is_file():
        return path
    import numpy as np

    import keras_resnet as kr

    model = kr.build(model_name, input_shape=(size, size, 3), classes=10)
    images = np.random.default_rng(0).uniform(0, 255, (16, size, size, 3)).astype("float32")
    kr.export_model(
        model,
        work / "export",
        formats=("tflite",),
        quantize=(quantize,),
        representative_data=images,
        latency_repeats=1,
        verbose=False,
        overwrite=True,
    )
    return path


def make_image(work: Path) -> Path:
    """A 640x480 JPEG photo stand-in (smooth gradients and noise)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 255, 640)[None, :, None] * np.linspace(0.2, 1, 480)[:, None, None]
    pixels = np.clip(ramp + rng.normal(0, 20, (480, 640, 3)), 0, 255).astype("uint8")
    path = work / "photo.jpg"
    Image.fromarray(pixels).save(path, quality=90)
    return path


def commands(model: Path, image: Path, trees: dict[str, Path]) -> dict[str, tuple[list[str], dict]]:
    """{label: (argv, environment)} for the floor and each tree's two predict commands.

    Every command runs in the image's folder, never in a checkout: `python -m` and `-c` put the
    working folder first on sys.path, which would run that folder's code instead of the tree's."""
    found = {"floor: import ai_edge_litert, PIL": ([sys.executable, "-c", FLOOR], dict(os.environ))}
    script = Path(sys.executable).parent / "keras-resnet"
    for name, tree in trees.items():
        env = {**os.environ, "PYTHONPATH": str(tree)}
        found[f"{name}: python -m keras_resnet predict"] = (
            [sys.executable, "-m", "keras_resnet", "predict", str(model), str(image)],
            env,
        )
        if script.is_file():
            found[f"{name}: keras-resnet predict"] = ([str(script), "predict", str(model), str(image)], env)
    return found


def imported(tree: Path, model: Path, image: Path) -> list[str]:
    """The heavy frameworks `predict MODEL IMAGE` imports with `tree` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "predict", str(model), str(image)],
        env=env,
        cwd=image.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    line = next((line for line in done.stderr.splitlines() if line.startswith("LOADED")), None)
    return json.loads(line[7:]) if line else ["(probe failed)"]


def measure(found: dict[str, tuple[list[str], dict]], repeats: int, cwd: Path) -> dict[str, list[float]]:
    """Seconds per command and repeat, the commands interleaved within each repeat."""
    seconds: dict[str, list[float]] = {label: [] for label in found}
    for _ in range(repeats):
        for label, (argv, env) in found.items():
            start = time.perf_counter()
            done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
            seconds[label].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit(f"{label} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return seconds


def write_results(result: dict, out: Path) -> str:
    """Write the JSON and the Markdown table; return the table."""
    floor = result["floor_median_seconds"]
    rows = [
        f"| {label} | {row['median_seconds']:.2f} s | {row['median_seconds'] / floor:.1f}x "
        f"| {row['median_seconds'] - floor:+.2f} s |"
        for label, row in result["commands"].items()
    ]
    table = "\n".join(["| command | median | vs floor | above floor |", "|---|---:|---:|---:|", *rows])
    trees = "; ".join(
        f"{name}: {info['path']} (imports: {', '.join(info['imported']) or 'none'})"
        for name, info in result["trees"].items()
    )
    (out / "predict_cold_start.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "predict_cold_start.md").write_text(
        f"{table}\n\nModel: {result['model']}. Trees: {trees}.\n`{result['command']}`, {result['date']}, "
        f"{result['repeats']} repeats each, interleaved; goal: under 2 s above the floor.\n"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-tree", type=Path, help="another checkout to time as 'before'")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", default="resnet18", help="model name to export (random weights)")
    parser.add_argument("--size", type=int, default=224, help="input size of the exported model")
    parser.add_argument("--quantize", default="int8", choices=("float32", "float16", "dynamic", "int8"))
    parser.add_argument("--work", type=Path, help="folder for the export and image (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        model, image = export_once(work, args.model, args.size, args.quantize), make_image(work)
        trees = {"after": ROOT, **({"before": args.before_tree.resolve()} if args.before_tree else {})}
        found = commands(model, image, trees)
        seconds = measure(found, args.repeats, cwd=image.parent)
        tree_info = {
            name: {"path": str(tree), "imported": imported(tree, model, image)}
            for name, tree in trees.items()
        }
    floor_label = next(iter(found))
    result = {
        "model": f"{args.model} {args.size}x{args.size} {args.quantize} .tflite",
        "repeats": args.repeats,
        "floor_median_seconds": statistics.median(seconds[floor_label]),
        "commands": {
            label: {"median_seconds": statistics.median(values), "seconds": values}
            for label, values in seconds.items()
        },
        "trees": tree_info,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    print(write_results(result, args.out))


if __name__ == "__main__":
    main()

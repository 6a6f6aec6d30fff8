"""torchvision's ResNet-50, eager and `torch.compile`d, timed for the runtime comparison.

Run by file name with the interpreter of a virtualenv that has torchvision (PyPI's torchvision
needs its own torch, which need not be the one Keras' PyTorch backend uses), so it imports neither
this library nor Keras: only torch, torchvision and `cells.py` beside it. Usage:

    /path/to/venv/bin/python benchmarks/torchvision_runtime.py '{"runtime": "torchvision_eager", ...}'

It prints progress lines and one `RESULT {json}` line, as `benchmarks.worker` expects.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cells import load_average, pin_cpus, timed_job  # this folder, not a package

CALL = {
    "torchvision_eager": "model(x) under torch.inference_mode()",
    "torchvision_compile": "torch.compile(model)(x) under torch.inference_mode()",
}


def torchvision_inference(
    *, runtime: str, cells: list, threads: int, repeats: int, warmup: int, iterations=None, seconds=2.0
) -> dict:
    """{cell: summary} for torchvision's resnet50 (random weights) on each (model, batch) cell."""
    start_load = load_average()
    cpus = pin_cpus(threads)
    import torch
    import torchvision

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    runner = torch.compile(model) if runtime == "torchvision_compile" else model
    calls, batch_sizes = {}, {}
    for cell in cells:
        if cell["model"] != "resnet50":
            raise ValueError(f"torchvision has no {cell['model']}")
        x = torch.rand(cell["batch"], 3, cell["image_size"], cell["image_size"])  # as the others: [0, 1)

        def call(x=x):
            with torch.inference_mode():
                return runner(x)

        calls[cell["name"]], batch_sizes[cell["name"]] = call, cell["batch"]
    say = lambda message: print(message, flush=True)  # noqa: E731
    return timed_job(
        runtime, calls, batch_sizes=batch_sizes, repeats=repeats, warmup=warmup, iterations=iterations,
        seconds=seconds, start_load=start_load, say=say,
        call=CALL[runtime], threads={"intra_op": torch.get_num_threads(), "inter_op": 1, "cpus": cpus},
        versions={"torch": torch.__version__, "torchvision": torchvision.__version__},
        python=sys.executable,
    )  # fmt: skip


def main(argv: list[str]) -> int:
    result = torchvision_inference(**json.loads(argv[0]))
    print("RESULT " + json.dumps({"status": "done", **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Measure how exactly each weight source ports: logits of the source model and of ours after the port.

Run: python examples/scripts/port_equality_table.py [--out examples/results]
Writes port_equality.json and port_equality.md (the README's table) and weight_sources.md (the
registry: URL, hash, published top-1 per source and model).
torchvision/timm: the real torch models' logits on seeded random weights were recorded by
tests/fixtures/make_port_fixtures.py (torch is not needed here); keras.applications models are
built with random weights and compared directly. Inputs are 64x64, models in inference mode.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np

import keras_resnet as kr
from keras_resnet.models.pretrained import registry

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
sys.path.insert(0, str(FIXTURES))

from seeded_state import seeded_images, seeded_state

KERAS_APPLICATIONS = {
    "resnet50": "ResNet50",
    "resnet101": "ResNet101",
    "resnet152": "ResNet152",
    "resnet50_v2": "ResNet50V2",
    "resnet101_v2": "ResNet101V2",
    "resnet152_v2": "ResNet152V2",
}
SHAPE = (64, 64, 3)


def _trainable(model) -> int:
    """Trainable parameters, the count torchvision and the papers report (Keras' count_params adds
    the BN moving statistics)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def _row(source: str, model: str, parameters: int, expected, actual) -> dict:
    scale = max(1.0, float(np.abs(expected).max()))
    diff = float(np.abs(np.asarray(actual) - expected).max())
    return {
        "source": source,
        "model": model,
        "parameters": parameters,
        "max_abs_logit": float(np.abs(expected).max()),
        "max_abs_diff": diff,
        "tolerance": 1e-4 * scale,
        "passes": diff <= 1e-4 * scale,
    }


def torch_rows() -> list[dict]:
    fixture = json.loads((FIXTURES / "torch_layouts.json").read_text())
    logits = np.load(FIXTURES / "torch_logits.npz")
    images = np.transpose(seeded_images(), (0, 2, 3, 1))
    rows = []
    for key, layout in fixture["layouts"].items():
        source, model = key.split("/")
        ours = kr.build(model, input_shape=SHAPE, classifier_activation=None)
        kr.port_weights(seeded_state(layout), ours, layout=source)
        rows.append(_row(source, model, _trainable(ours), logits[key], ours(images, training=False)))
        print(rows[-1], flush=True)
    return rows


def keras_applications_rows(rng) -> list[dict]:
    rows = []
    for model, constructor in KERAS_APPLICATIONS.items():
        source = getattr(keras.applications, constructor)(
            weights=None, input_shape=SHAPE, classifier_activation=None
        )
        for layer in source.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                gamma, beta, mean, var = layer.get_weights()
                layer.set_weights(
                    [rng.uniform(0.5, 1.0, gamma.shape), beta, mean, rng.uniform(0.5, 1.5, var.shape)]
                )
            elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):  # He-scaled: O(1) logits
                kernel, *rest = layer.get_weights()
                fan_in = int(np.prod(kernel.shape[:-1]))
                layer.set_weights([rng.normal(0, np.sqrt(2 / fan_in), kernel.shape), *rest])
        layout = "v2" if model.endswith("_v2") else "v1"
        ours = kr.build(
            model, input_shape=SHAPE, classifier_activation=None, **kr.KERAS_APPLICATIONS_OPTIONS[layout]
        )
        kr.port_weights(source, ours, layout="keras.applications")
        images = rng.uniform(-1, 1, (2, *SHAPE)).astype("float32")
        expected = np.asarray(source(images, training=False))
        rows.append(
            _row("keras.applications", model, _trainable(ours), expected, ours(images, training=False))
        )
        print(rows[-1], flush=True)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = [
        "| source | model | trainable parameters | max abs logit | max abs diff | tolerance 1e-4 x max(1, abs logit) |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        verdict = "pass" if row["passes"] else "FAIL"
        lines.append(
            f"| {row['source']} | {row['model']} | {row['parameters']:,} | {row['max_abs_logit']:.3g} "
            f"| {row['max_abs_diff']:.2e} | {verdict} ({row['tolerance']:.1e}) |"
        )
    return "\n".join(lines) + "\n"


def sources_markdown() -> str:
    lines = [
        "| source | model | published top-1 | hash | imagenet picks | preprocessing inside | URL |",
        "| --- | --- | ---: | --- | --- | --- | --- |",
    ]
    for row in registry.table_rows():
        digest = f"{row['hash_kind']} `{row['file_hash']}`" if row["file_hash"] else "unknown (not checked)"
        mean, std = row["normalization"]
        preprocessing = f"mean {[round(m, 3) for m in mean]}, std {[round(s, 3) for s in std]}"
        lines.append(
            f"| {row['source']} | {row['model']} | {row['top1']} ({row['top1_note']}) | {digest} "
            f"| {'yes' if row['best_for_imagenet'] else ''} | {preprocessing} | {row['url']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "results")
    args = parser.parse_args()
    fixture = json.loads((FIXTURES / "torch_layouts.json").read_text())
    rows = torch_rows() + keras_applications_rows(np.random.default_rng(0))
    result = {
        "recorded_with": fixture["versions"],
        "input": list(SHAPE),
        "keras": keras.__version__,
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "port_equality.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "port_equality.md").write_text(markdown(rows))
    (args.out / "weight_sources.md").write_text(sources_markdown())


if __name__ == "__main__":
    main()

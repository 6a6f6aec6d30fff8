"""The plain-vs-residual gradient-flow experiment (He et al. 2015, section 4.1; 2016, section 3).

For plain and residual CIFAR nets of several depths, built on one seed (He-normal init) and fed one
fixed batch with BatchNorm in batch mode, it measures every layer's gradient norm and summarises
each net by the ratio ||grad conv1_conv|| / ||grad predictions kernel||: the stem's gradient over
the classifier's. Residual nets keep it near 1 at any depth; plain nets do not. Each net's depth
profile gives, per depth (`keras_resnet.gradients.depth`), the norm of all gradients at that depth.
The batch comes from `keras_resnet.data.digits`, so the experiment runs without downloads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from keras_resnet._utils.types import Tensor

__all__ = ["layer_gradient_norms", "depth_profile", "stem_classifier_ratio", "gradient_flow", "format_table"]


def layer_gradient_norms(model: keras.Model, x: Tensor, y: Tensor) -> dict[str, dict[str, float]]:
    """{layer name: {weight path: gradient L2 norm}} of the model's loss on (x, y), statelessly."""
    from keras_resnet.gradients.measure import loss_and_gradients

    result = loss_and_gradients(model, x, y)
    norms: dict[str, dict[str, float]] = {}
    grads = {id(v): g for v, g in zip(model.trainable_variables, result.gradients)}
    for layer in model.layers:
        for v in layer.trainable_weights:
            if id(v) in grads:
                norms.setdefault(layer.name, {})[v.path] = float(np.linalg.norm(grads[id(v)]))
    return norms


def depth_profile(model: keras.Model, norms: dict[str, dict[str, float]]) -> list[dict]:
    """One row {depth, grad_norm} per depth: the norm of every gradient of the layers at that
    depth (the square root of the sum of their squared norms), input side first."""
    from keras_resnet.gradients.depth import layer_depths

    depths = layer_depths(model)
    squares: dict[int, float] = {}
    for name, weights in norms.items():
        depth = depths[name]
        squares[depth] = squares.get(depth, 0.0) + sum(n**2 for n in weights.values())
    return [{"depth": depth, "grad_norm": float(np.sqrt(squares[depth]))} for depth in sorted(squares)]


def stem_classifier_ratio(model: keras.Model, x: Tensor, y: Tensor) -> tuple[float, list[dict]]:
    """||grad conv1_conv|| / ||grad predictions kernel|| and the depth profile behind it."""
    norms = layer_gradient_norms(model, x, y)
    stem = np.sqrt(sum(n**2 for n in norms["conv1_conv"].values()))
    kernel = next(n for path, n in norms["predictions"].items() if path.endswith("kernel"))
    return float(stem / kernel), depth_profile(model, norms)


def gradient_flow(
    depths: Sequence[int] = (20, 56, 110),
    *,
    dataset: tuple[Tensor, Tensor] | None = None,
    steps: int = 0,
    batch_size: int = 64,
    seed: int = 0,
    zero_init_residual: bool = False,
    learning_rate: float = 0.01,
    verbose: bool = False,
) -> dict:
    """Stem/classifier gradient-norm ratios of plain and residual CIFAR nets of each depth.

    `dataset` is a fixed (x, y) batch (default `digits_batch(batch_size, seed=seed)`). Each
    net is built after `keras.utils.set_random_seed(seed)`. With `steps > 0` each net first trains
    that many SGD (momentum 0.9) steps on the batch at `learning_rate`, and the ratio is measured
    after training instead of at initialisation. With `verbose`, a line per net says which nets
    are done, the time elapsed and the time left at the pace so far (deeper nets take longer).
    Returns {"rows": [{depth, plain, residual}], "profiles": {"plain20": [...], ...}}.
    """
    from keras_resnet.data.digits import digits_batch
    from keras_resnet.models.named import cifar_resnet
    from keras_resnet.training.progress import format_duration

    x, y = dataset if dataset is not None else digits_batch(batch_size, seed=seed)
    classes = int(np.max(y)) + 1
    rows, profiles = [], {}
    start, total = time.monotonic(), 2 * len(depths)
    for depth in depths:
        row: dict[str, float] = {"depth": int(depth)}
        for kind, residual in (("plain", False), ("residual", True)):
            keras.utils.set_random_seed(seed)
            options: dict[str, Any] = {"zero_init_residual": zero_init_residual} if residual else {}
            model = cifar_resnet(
                depth, residual=residual, classes=classes, input_shape=tuple(x.shape[1:]), **options
            )
            if steps:
                model.compile(
                    optimizer=keras.optimizers.SGD(learning_rate, momentum=0.9),
                    loss="sparse_categorical_crossentropy",
                )
                model.fit(x, y, batch_size=len(x), epochs=steps, verbose=0, shuffle=False)
            name = f"{'plain' if not residual else 'resnet'}{depth}"
            row[kind], profiles[name] = stem_classifier_ratio(model, x, y)
            keras.backend.clear_session()
            if verbose:
                elapsed = time.monotonic() - start
                left = elapsed / len(profiles) * (total - len(profiles))
                print(
                    f"gradient-flow: {name} done ({len(profiles)} of {total} nets), elapsed "
                    f"{format_duration(elapsed)}, remaining ~{format_duration(left)}",
                    flush=True,
                )
        rows.append(row)
    return {
        "rows": rows,
        "profiles": profiles,
        "seed": seed,
        "steps": steps,
        "batch_size": int(len(x)),
        "zero_init_residual": zero_init_residual,
    }


def format_table(result: dict) -> str:
    """The ratios as a markdown table."""
    lines = [
        "| depth | plain: stem / classifier grad norm | residual: stem / classifier grad norm |",
        "|---:|---:|---:|",
    ]
    for row in result["rows"]:
        lines.append(f"| {row['depth']} | {row['plain']:.3g} | {row['residual']:.3g} |")
    return "\n".join(lines)

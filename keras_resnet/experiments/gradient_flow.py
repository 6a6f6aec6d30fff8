"""The plain-vs-residual gradient-flow experiment (He et al. 2015, section 4.1; 2016, section 3).

For plain and residual CIFAR nets of several depths, built on one seed (He-normal init) and fed one
fixed batch with BatchNorm in batch mode, it measures every layer's gradient norm and summarises
each net by the ratio ||grad conv1_conv|| / ||grad predictions kernel||: the stem's gradient over
the classifier's. Residual nets keep it near 1 at any depth; plain nets do not. The batch comes
from scikit-learn's bundled digits, so the experiment runs without downloads.
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np

__all__ = ["load_digits_batch", "layer_gradient_norms", "gradient_flow", "format_table"]


def load_digits_batch(batch_size: int = 64, *, seed: int = 0):
    """A fixed (x, y) batch of sklearn's 8x8 digits as 32x32x3 CIFAR-sized images.

    Pixels 0..16 are scaled to 0..255, upsampled 4x (nearest), copied to three channels and
    normalised by the whole set's mean and standard deviation; labels are 0..9.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype("float32") * (255.0 / 16.0)
    images = np.kron(images, np.ones((1, 4, 4), "float32"))[..., None].repeat(3, axis=-1)
    images = (images - images.mean()) / images.std()
    order = np.random.default_rng(seed).permutation(len(images))[:batch_size]
    return images[order], digits.target[order].astype("int32")


def layer_gradient_norms(model: keras.Model, x, y) -> dict[str, dict[str, float]]:
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


def stem_classifier_ratio(model: keras.Model, x, y) -> tuple[float, list[dict]]:
    """||grad conv1_conv|| / ||grad predictions kernel|| and the profile behind it (one row per
    conv or dense layer, depth counted over those layers only)."""
    norms = layer_gradient_norms(model, x, y)
    stem = np.sqrt(sum(n ** 2 for n in norms["conv1_conv"].values()))
    kernel = next(n for path, n in norms["predictions"].items() if path.endswith("kernel"))
    weighted = [(name, weights) for name, weights in norms.items()  # conv and dense layers
                if any(path.endswith("kernel") for path in weights)]
    profile = [{"layer": name, "depth": depth,
                "grad_norm": float(np.sqrt(sum(n ** 2 for n in weights.values())))}
               for depth, (name, weights) in enumerate(weighted)]
    return float(stem / kernel), profile


def gradient_flow(depths: Sequence[int] = (20, 56, 110), *, dataset=None, steps: int = 0,
                  batch_size: int = 64, seed: int = 0, zero_init_residual: bool = False,
                  learning_rate: float = 0.01) -> dict:
    """Stem/classifier gradient-norm ratios of plain and residual CIFAR nets of each depth.

    `dataset` is a fixed (x, y) batch (default `load_digits_batch(batch_size, seed=seed)`). Each
    net is built after `keras.utils.set_random_seed(seed)`. With `steps > 0` each net first trains
    that many SGD (momentum 0.9) steps on the batch at `learning_rate`, and the ratio is measured
    after training instead of at initialisation. Returns {"rows": [{depth, plain, residual}],
    "profiles": {"plain20": [...], "resnet20": [...], ...}}.
    """
    from keras_resnet.models.resnet import cifar_resnet

    x, y = dataset if dataset is not None else load_digits_batch(batch_size, seed=seed)
    classes = int(np.max(y)) + 1
    rows, profiles = [], {}
    for depth in depths:
        row = {"depth": int(depth)}
        for kind, residual in (("plain", False), ("residual", True)):
            keras.utils.set_random_seed(seed)
            options = {"zero_init_residual": zero_init_residual} if residual else {}
            model = cifar_resnet(depth, residual=residual, classes=classes,
                                 input_shape=tuple(x.shape[1:]), **options)
            if steps:
                model.compile(optimizer=keras.optimizers.SGD(learning_rate, momentum=0.9),
                              loss="sparse_categorical_crossentropy")
                model.fit(x, y, batch_size=len(x), epochs=steps, verbose=0, shuffle=False)
            row[kind], profiles[f"{'plain' if not residual else 'resnet'}{depth}"] = \
                stem_classifier_ratio(model, x, y)
            keras.backend.clear_session()
        rows.append(row)
    return {"rows": rows, "profiles": profiles, "seed": seed, "steps": steps,
            "batch_size": int(len(x)), "zero_init_residual": zero_init_residual}


def format_table(result: dict) -> str:
    """The ratios as a markdown table."""
    lines = ["| depth | plain: stem / classifier grad norm | residual: stem / classifier grad norm |",
             "|---:|---:|---:|"]
    for row in result["rows"]:
        lines.append(f"| {row['depth']} | {row['plain']:.3g} | {row['residual']:.3g} |")
    return "\n".join(lines)

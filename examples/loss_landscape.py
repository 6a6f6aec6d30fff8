"""
Title: Loss landscapes of residual and plain networks
Author: keras-resnet developers
Date created: 2026/12/01
Last modified: 2026/12/07
Description: Filter-normalised loss slices around trained weights, plain vs residual (Li et al. 2018).
Accelerator: None
Quick mode: under a minute on a CPU (tiny nets, a coarse grid)
Full mode: about 8 minutes on a 2-core CPU (ResNet-20 and plain-20, 30 epochs each, then the grids)
"""

"""
## Why this notebook

Li, Xu, Taylor, Studer and Goldstein (2018) drew the loss of a trained net on a plane through its
weights w: L(w + a d1 + b d2) for two random directions d1, d2 and a grid of (a, b). Raw random
directions mislead, because BatchNorm makes a net's function invariant to the scale of each filter:
a step of size 1 means little to a filter of norm 100 and a lot to one of norm 0.01. Their fix is
**filter normalisation**: each filter of a direction (one output channel of a conv or dense
kernel) is rescaled to the norm of the same filter of w. Biases and BatchNorm parameters get a zero
direction.

With this, their Fig. 5 shows ResNet-56's loss surface on CIFAR-10 smooth and nearly convex around
the minimum, and the same net without shortcuts (plain-56) chaotic, with sharp non-convex ridges:
one picture of why deep plain nets are hard to train.

`keras_resnet.experiments.landscape` computes such surfaces for any trained net.
"""

import os
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

import keras_resnet as kr
from keras_resnet.experiments.landscape import filter_normalized_direction, run_landscape

QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"  # CI and a fast first look: tiny version
# examples_output/ at the repository's root wherever this runs from (beside examples/ as a script or
# a notebook opened there; in the working folder elsewhere, such as Colab).
HERE = Path(globals().get("__file__", "notebook")).resolve().parent
ROOT = next((p for p in (HERE, *HERE.parents) if (p / "pyproject.toml").is_file()), HERE)
OUT = str(ROOT / "examples_output" / "loss_landscape")
os.makedirs(OUT, exist_ok=True)


def show(path, title=None):
    """Display a PNG the library wrote (its plots are saved files, not pyplot figures)."""
    plt.figure(figsize=(11, 5))
    plt.imshow(plt.imread(path))
    plt.axis("off")
    if title:
        plt.title(title)
    plt.show()


"""
## 1. Filter normalisation

One direction for ResNet-20's weights: every filter of the direction has the norm of the matching
filter of the weights, and the BatchNorm parameters do not move.
"""

model = kr.resnet20(input_shape=(32, 32, 3), classes=10)
weights = [keras.ops.convert_to_numpy(v) for v in model.trainable_variables]
direction = filter_normalized_direction(weights, np.random.default_rng(0))
for variable, w, d in list(zip(model.trainable_variables, weights, direction))[:4]:
    if w.ndim >= 2:
        w_norms = np.linalg.norm(w.reshape(-1, w.shape[-1]), axis=0)
        d_norms = np.linalg.norm(d.reshape(-1, d.shape[-1]), axis=0)
        print(
            f"{variable.path:28s} filter norms, weights {w_norms[:3].round(3)}, direction {d_norms[:3].round(3)}"
        )
    else:
        print(f"{variable.path:28s} direction all zero: {not d.any()}")

"""
## 2. Landscapes of a residual and a plain net

The full version trains ResNet-20 and plain-20 on the bundled digits (30 epochs each, the paper's
recipe) and evaluates a 21 x 21 grid in [-1, 1]^2 on 512 training images; the quick version uses
two untrained depth-8 nets on a 3 x 3 grid and 32 images, whose pictures mean nothing but run the
same code. Each grid point is one pass over the images in inference mode (BatchNorm uses its moving
statistics); the same seed gives both nets the same raw directions.
"""

if QUICK:
    targets = []
    for name, residual in (("resnet8", True), ("plain8", False)):
        path = os.path.join(OUT, f"{name}.keras")
        kr.cifar_resnet(8, input_shape=(32, 32, 3), classes=10, residual=residual).save(path)
        targets.append(path)
    settings = {"dataset": "digits", "examples": 32, "grid": 3}
else:
    from keras_resnet.experiments.degradation import compare_models

    runs = os.path.join(OUT, "runs")
    compare_models(["plain20", "resnet20"], dataset="digits", epochs=30, out=runs, seed=0, verbose=0)
    targets = [os.path.join(runs, "plain20"), os.path.join(runs, "resnet20")]
    settings = {"examples": 512, "grid": 21}
result = run_landscape(targets, out=os.path.join(OUT, "landscape"), span=1.0, seed=0, verbose=0, **settings)
print(result["summary"])

"""
The pair on shared contour levels (log scale; the cross marks the trained weights):
"""

show(result["pair"], "loss around the trained weights")

"""
And one net in detail: loss and accuracy contours, and the 1-D slices through the trained weights
along each direction.
"""

for net in result["results"].values():
    for figure in net["figures"]:
        show(figure)

"""
## What to look for

The summary counts the grid's local minima and the fraction of interior grid points where the
surface curves upwards along both axes ("locally convex"). A smooth bowl has one minimum and most
points convex; a chaotic surface has many minima.

What your full run should show, as the one on record does
(`examples/results/full_mode/loss_landscape.txt`): **no contrast at this depth.** Both nets fit
the 512 images (training accuracy 1.0000 at the centre), and both surfaces are one smooth bowl:
plain-20 with 1 local minimum and 50 % of its points locally convex, ResNet-20 with 2 and 44 %.
That is also what Li et al. find: their 20-layer net without shortcuts is still smooth and nearly
convex, and the chaotic surfaces of plain nets appear at 56 and 110 layers. The shortcuts matter
for the landscape only once depth makes a plain net hard to train, as the degradation curves of
`residual_vs_plain` show for the same depths. The repository's measurement on plain-56 and
ResNet-56 trained on digits (`examples/scripts/landscape_digits.sh`; figures
`examples/figures/landscape_*_digits.png`, numbers in `examples/results/landscape_digits.md`) is in
the README's loss-landscape section, including where digits, an easy dataset, makes even that
contrast weaker than the paper's CIFAR-10 picture.

## Try it yourself

- `keras-resnet landscape runs/plain56 runs/resnet56 --grid 21` on your own run folders (or
  `.keras` files with `--dataset`); `--1d` for a quick 1-D slice, `--span 0.5` to zoom in.
- `--seed` draws other directions: the picture should not depend on it much.
"""

"""
Title: Residual vs plain networks: gradient flow and the degradation problem
Author: keras-resnet developers
Date created: 2026/11/23
Last modified: 2026/12/07
Description: Gradient norms of plain vs residual nets at depth 20-110, then the paper's Figure 6 on digits.
Accelerator: None
Quick mode: 2 to 4 minutes on a CPU
Full mode: about 11 minutes on a 2-core CPU (four nets, 30 epochs each; measured 11.3 min); a GPU runtime is faster
"""

"""
## Why this notebook

He et al. (2015) observed that a deeper *plain* network (a stack of conv-BN-ReLU layers) trains
to a **higher** training error than a shallower one: the *degradation problem*. It is not
overfitting, since the training error itself is worse. Residual units `y = F(x) + x` fix it:
every unit's input reaches its output unchanged, so every layer receives a direct share of the
gradient and a deeper net can always fall back to the shallower one (`F = 0`).

This notebook makes both halves visible with the paper's CIFAR networks (3x3 convs, 16-32-64
channels, depth 6n+2), on scikit-learn's bundled handwritten digits so it runs offline:

1. the gradient norm of every layer at initialisation, plain vs residual, at depths 20, 56 and 110;
2. plain-20/56 and ResNet-20/56 trained with the same recipe and seed.
"""

import os
from pathlib import Path

import matplotlib.pyplot as plt

from keras_resnet.experiments.degradation import compare_models
from keras_resnet.experiments.gradient_flow import format_table, gradient_flow
from keras_resnet.experiments.plots import plot_depth_profile

QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"  # CI and a fast first look: tiny version


def show(path, title=None):
    """Display a PNG the library wrote (its plots are saved files, not pyplot figures)."""
    plt.figure(figsize=(10, 5))
    plt.imshow(plt.imread(path))
    plt.axis("off")
    if title:
        plt.title(title)
    plt.show()


"""
## Where the runs go

A long run should outlive the Colab runtime. Mount Google Drive first (the Files panel's "Mount
Drive" button, or `from google.colab import drive; drive.mount("/content/drive")`) and the run
goes to `MyDrive/keras-resnet`; otherwise it goes to `examples_output` at the repository's root
(the working folder outside a clone).
Set `OUTPUT_DIR` to choose another folder. The run folder is resumable: when a runtime is
recycled, run the notebook again with the same settings and training continues from the last
finished epoch (the library's `resume`). Quick runs always stay in `examples_output`.
"""

DRIVE = "/content/drive/MyDrive"
# examples_output/ at the repository's root wherever this runs from (beside examples/ as a script or
# a notebook opened there; in the working folder elsewhere, such as Colab).
HERE = Path(globals().get("__file__", "notebook")).resolve().parent
ROOT = next((p for p in (HERE, *HERE.parents) if (p / "pyproject.toml").is_file()), HERE)
OUTPUT_DIR = (
    os.path.join(DRIVE, "keras-resnet")
    if os.path.isdir(DRIVE) and not QUICK
    else str(ROOT / "examples_output")
)
OUT = os.path.join(OUTPUT_DIR, "residual_vs_plain")
os.makedirs(OUT, exist_ok=True)
print("runs go to", OUT)


"""
## 1. Gradient flow at initialisation

`gradient_flow` builds the plain and the residual net of each depth on the same seed (He-normal
initialisation), feeds one fixed batch of 64 digits with BatchNorm in training mode, and computes
every layer's loss gradient without changing any state. Each net is summarised by one number:
the stem convolution's gradient norm divided by the classifier's. If gradients passed through
the depth undisturbed, this ratio would stay of order 1.
"""

depths = [20] if QUICK else [20, 56, 110]
flow = gradient_flow(depths, batch_size=64, seed=0)
print(format_table(flow))

"""
With BatchNorm, the plain nets' gradients do not *vanish* at initialisation: they **explode**
towards the input, and more so the deeper the net (the ratio grows by orders of magnitude from
depth 20 to 56 and again to 110). The residual nets' ratio stays near 1 at every depth: the
identity shortcuts carry the classifier's gradient straight back to the stem. (The repository's
measured table is in `examples/results/gradient_flow.md`.)

The depth profile shows the same per layer: gradient norm (log scale) against depth, one curve
per net.
"""

profile = plot_depth_profile(flow["profiles"], os.path.join(OUT, "depth_profile.png"))
show(profile, "gradient norm per layer at initialisation")

"""
Plain nets' curves rise steeply towards the input (depth 0), each deeper net steeper; the
residual nets' curves are nearly flat. An optimiser facing gradients that differ by factors of
thousands between the first and the last layer has no single good learning rate, which is one
face of the degradation problem.

## 2. The degradation curves

Now train plain-20, plain-56, ResNet-20 and ResNet-56 with one recipe (the paper's CIFAR recipe on
batches of 64: SGD with momentum 0.9, lr 0.1 per 128 images, so 0.05, divided by 10 at 50 % and
75 % of training, weight decay 1e-4, and for all four the paper's warm-up: lr/10 until the
training error is below 80 %) and one seed. `compare_models` trains each into its own resumable
run folder, scores the test split after every epoch and draws the
paper's Figure 6: training loss, training error and test error per epoch, plain nets dashed,
residual solid. (The loss includes each net's L2 weight penalty, so compare the errors.)
"""

if QUICK:  # one epoch: numbers mean nothing, the code path is the full run's
    models, settings = ["plain20", "resnet20"], {"epochs": 1}
else:
    models, settings = ["plain20", "plain56", "resnet20", "resnet56"], {"epochs": 30}
result = compare_models(
    models, dataset="digits", out=os.path.join(OUT, "compare"), seed=0, batch_size=64, verbose=0, **settings
)
print(result["table"])
show(result["figure"], "plain (dashed) vs residual (solid)")

"""
What to look for in the full run (30 epochs): the deeper plain net ends with a **higher
training error** than the shallower plain net, the degradation the paper reports on CIFAR-10,
while the deeper residual net trains about as well as the shallower one. The table's "final train
error" and "final test error" columns give the numbers. In the full run on record
(`examples/results/full_mode/residual_vs_plain.txt`, 11.3 minutes on this project's 2-core CPU):
plain-20 0.24 % / 1.94 % (train / test error), plain-56 20.45 % / 21.11 %, ResNet-20 0.08 % /
1.11 %, ResNet-56 0.16 % / 0.83 %. `examples/scripts/compare_digits.sh` runs the same four nets
from the command line; the README's Figure 6 (`examples/figures/compare_digits.png`,
`examples/results/compare_digits.md`) is this run.

The warm-up and the batch size matter on a dataset this small. With a fixed one-epoch warm-up
(10 iterations of digits at batch 128, where the paper's rule takes about 400 on CIFAR-10)
ResNet-56 met lr 0.1 at 87 % training error, blew up and ended at 38 %. Ending the warm-up on the
training error, as the paper does, is not enough at batch 128 either: the gate then reads the
error of an epoch's first batch alone, and in a run of this notebook at batch 128 ResNet-56's
warm-up ended at step 11 on one lucky batch, the net blew up and ended at 74.70 % training error.
`examples/scripts/resnet56_stability_digits.py` trained ResNet-56 at both batch sizes with three
seeds (`examples/results/resnet56_stability_digits.md`): at batch 64 (lr 0.05, 20 steps an epoch)
all three reached 0.16 % training error or less, at batch 128 they did not all train. Hence batch 64
here.

## Try it yourself

- `keras-resnet gradient-flow --depths 20 56 110` prints the table of section 1.
- `keras-resnet compare plain20 plain56 resnet20 resnet56 --dataset digits --epochs 30` runs
  section 2 from the command line; on a GPU runtime, `--dataset tfds:cifar10` runs it on the
  paper's data.
"""

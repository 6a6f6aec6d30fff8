"""
Title: A tour of residual blocks and shortcut options
Author: keras-resnet developers
Date created: 2026/11/23
Last modified: 2026/12/01
Description: Basic, bottleneck and pre-activation units, shortcuts A-D, their parameters and MACs.
Accelerator: None
Quick mode: under a minute on a CPU
Full mode: under a minute on a CPU (nothing is trained; both modes run the same code)
"""

"""
## Setup

Every network in this library is a stem, stages of residual units, and a classifier. This tour
builds single units as small Keras models, with the same builders the full networks use, and
counts what each costs with `kr.model_stats`: trainable parameters (as the papers count them)
and multiply-accumulates (MACs, what the paper calls "FLOPs") at the unit's input size.
Nothing is trained, so quick mode and full mode run the same code.
"""

import os

QUICK = os.environ.get("KERAS_RESNET_QUICK") == "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import importlib.util
import shutil
from pathlib import Path

import keras
import matplotlib.pyplot as plt

import keras_resnet as kr
from keras_resnet.models.blocks import BLOCK_BUILDERS, BlockOptions
from keras_resnet.models.complexity import format_layer_table

# examples_output/ at the repository's root wherever this runs from (beside examples/ as a script or
# a notebook opened there; in the working folder elsewhere, such as Colab).
HERE = Path(globals().get("__file__", "notebook")).resolve().parent
ROOT = next((p for p in (HERE, *HERE.parents) if (p / "pyproject.toml").is_file()), HERE)
OUT = ROOT / "examples_output" / "blocks_tour"
OUT.mkdir(parents=True, exist_ok=True)


def unit(kind, *, in_channels, width, stride=1, size=56, version="v1.5", shortcut="B", name="conv2_block1"):
    """One residual unit as a model: `kind` "basic" or "bottleneck" on a size x size input."""
    inputs = keras.Input((size, size, in_channels))
    outputs = BLOCK_BUILDERS[kind](
        inputs,
        width=width,
        stride=stride,
        name=name,
        options=BlockOptions(version=version, shortcut=shortcut),
    )
    return keras.Model(inputs, outputs, name=f"{kind}_{version}_{shortcut}")


def row(label, model):
    stats = kr.model_stats(model)
    shape_in, shape_out = ("x".join(map(str, t.shape[1:])) for t in (model.input, model.output))
    return (
        f"{label:<44}{shape_in:>12}{shape_out:>12}"
        f"{stats['trainable_params']:>12,}{stats['macs'] / 1e6:>10.1f}"
    )


HEADER = f"{'unit':<44}{'input':>12}{'output':>12}{'trainable':>12}{'MACs (M)':>10}"

"""
## Basic and bottleneck units (the paper's Figure 5)

A **basic** unit is two 3x3 convolutions; ResNet-18/34 and the CIFAR nets use it. A
**bottleneck** unit is 1x1 (reduce to `width`), 3x3, 1x1 (expand to 4 x `width`); ResNet-50
and deeper use it. The paper's Figure 5 puts them side by side on 56x56 maps: the basic unit on
64 channels, the bottleneck on 256 channels (width 64). Each comes in the original
**post-activation** order (conv-BN-ReLU, add, ReLU; "v1"/"v1.5") and the **pre-activation**
order of He et al. 2016 (BN-ReLU-conv, add; "v2"), which leaves the identity path untouched.
"""

print(HEADER)
for label, model in [
    ("basic, post-activation (v1.5)", unit("basic", in_channels=64, width=64)),
    ("basic, pre-activation (v2)", unit("basic", in_channels=64, width=64, version="v2")),
    ("bottleneck, post-activation (v1.5)", unit("bottleneck", in_channels=256, width=64)),
    ("bottleneck, pre-activation (v2)", unit("bottleneck", in_channels=256, width=64, version="v2")),
]:
    print(row(label, model))

"""
The table shows the point of the bottleneck: on four times as many channels it costs about the
same MACs as the basic unit (compare the two MAC columns), because the 3x3 convolution works on
the reduced width. That is what lets ResNet-50 be deeper and wider than ResNet-34 at a similar
cost. Pre-activation changes where BatchNorm sits, not the convolutions: the BN on the last
convolution's output moves to the unit's input, so where a unit keeps its width, as here, the
counts are identical.

Where the stride goes matters in a downsampling bottleneck: "v1" (the paper, keras.applications)
strides the first 1x1, "v1.5" (torchvision, keras-hub) the 3x3, which then runs on four times
as many positions:
"""

print(HEADER)
for version in ("v1", "v1.5"):
    model = unit("bottleneck", in_channels=256, width=128, stride=2, version=version, name="conv3_block1")
    print(row(f"bottleneck 256 -> 512, stride 2, {version}", model))

"""
## Shortcut options A, B, C, D

When a unit changes shape (stride 2, more channels), the shortcut must too. The paper's options
(section 4.1), plus ResNet-D (He et al. 2019):

- **A**: subsample by the stride and zero-pad the new channels; no parameters (the paper's
  CIFAR nets).
- **B**: a 1x1 projection (+ BN) only where the shape changes, identity elsewhere (ImageNet
  default).
- **C**: a projection in every unit, even where the identity would fit.
- **D**: as B, but a 2x2 average pool does the striding before a stride-1 projection, so the
  shortcut sees every input position.

The table counts one basic unit that changes shape (56x56x64 -> 28x28x128, the first unit of
stage 3) and one that does not (28x28x128), for each option.
"""

print(HEADER)
for option in "ABCD":
    print(
        row(
            f"option {option}: 64 -> 128, stride 2",
            unit("basic", in_channels=64, width=128, stride=2, shortcut=option, name="conv3_block1"),
        )
    )
    print(
        row(
            f"option {option}: 128 -> 128, stride 1",
            unit("basic", in_channels=128, width=128, size=28, shortcut=option, name="conv3_block2"),
        )
    )

"""
In the table, A adds nothing to the two convolutions; B and D add the same 1x1 projection where
the shape changes (D's average pool has no parameters) and nothing elsewhere; C pays for a
projection in the stride-1 unit too. The paper found B slightly better than A and C slightly
better than B on ImageNet (Table 3), and kept B since C's small gain did not justify its cost.

The same comparison for a whole network: the paper's ResNet-20 (CIFAR, 32x32) with each option.
"""

print(f"{'model':<28}{'trainable':>12}{'MACs (M)':>10}")
for option in "ABCD":
    model = kr.resnet20(shortcut=option)
    stats = kr.model_stats(model)
    label = f"resnet20, option {option}"
    print(f"{label:<28}{stats['trainable_params']:>12,}{stats['macs'] / 1e6:>10.1f}")

"""
Option A's row is the paper's ResNet-20 with its 0.27 M parameters (269,722 trainable); the
other options add the projections' parameters, which on a network this small are a visible
share.

## Inside one unit

`keras_resnet.models.complexity.format_layer_table` lists a model's layers with output shapes, parameters
and MACs (the same table as `keras-resnet summary`). Here, a post-activation bottleneck unit
with a projection shortcut; the names follow keras.applications
(`conv3_block1_1_conv`, `..._bn`, `..._add`, `..._out`).
"""

bottleneck = unit("bottleneck", in_channels=256, width=128, stride=2, name="conv3_block1")
print(format_layer_table(bottleneck))

"""
## Drawing a unit

`keras.utils.plot_model` draws the graph when `pydot` and Graphviz's `dot` program are
installed (they are on Colab). Elsewhere the example prints how to get them and moves on.
"""

if importlib.util.find_spec("pydot") and shutil.which("dot"):
    path = OUT / "bottleneck_unit.png"
    keras.utils.plot_model(bottleneck, to_file=str(path), show_shapes=True, dpi=60)
    plt.figure(figsize=(6, 10))
    plt.imshow(plt.imread(path))
    plt.axis("off")
    plt.show()
else:
    print(
        "plot_model skipped: it needs pydot (pip install pydot) and Graphviz's dot program "
        "(apt-get install graphviz, brew install graphviz, or https://graphviz.org/download)."
    )

"""Porting is exact: torchvision and timm ResNets with random weights give the same logits as ours
after the port (max |diff| <= 1e-4 x max(1, |logits|)), and anything that does not fit is refused.

The source logits were recorded from the real torch models by tests/fixtures/make_port_fixtures.py
on weights drawn from a seeded NumPy generator; CI redraws the same weights and ports them, so it
needs no torch (installing it would pull gigabytes of CUDA libraries; see the README).
"""

import functools
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.errors import ArchitectureMismatchError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
sys.path.insert(0, str(FIXTURES))

from seeded_state import seeded_images, seeded_state  # noqa: E402

LAYOUTS = json.loads((FIXTURES / "torch_layouts.json").read_text())["layouts"]
LOGITS = np.load(FIXTURES / "torch_logits.npz")
PAIRS = [tuple(key.split("/")) for key in LAYOUTS]
SLOW_DEPTHS = {"resnet101": pytest.mark.slow, "resnet152": pytest.mark.slow}


@functools.lru_cache(maxsize=1)
def _ours(model: str):
    """One model per depth (kept while its sources run): v1.5, the default, as torch builds it."""
    return kr.build(model, input_shape=(64, 64, 3), classifier_activation=None)


@functools.lru_cache(maxsize=1)
def _state(layout: str) -> dict:
    """The seeded weights of a layout (torchvision and timm ResNets share theirs: drawn once)."""
    return seeded_state(json.loads(layout))


def _ported_logits(source: str, model: str) -> np.ndarray:
    ours = _ours(model)
    kr.port_weights(_state(json.dumps(LAYOUTS[f"{source}/{model}"])), ours, layout=source)
    images = np.transpose(seeded_images(), (0, 2, 3, 1))  # NCHW -> NHWC
    return np.asarray(ours(images, training=False))


@pytest.mark.parametrize(
    "source,model",
    [
        pytest.param(s, m, marks=[SLOW_DEPTHS[m]] if m in SLOW_DEPTHS else [])
        for m in sorted({m for _, m in PAIRS}, key=lambda m: int(m[6:]))
        for s in ("torchvision", "timm")
    ],
)
def test_ported_model_gives_the_source_models_logits(source, model):
    expected = LOGITS[f"{source}/{model}"]
    actual = _ported_logits(source, model)
    assert np.abs(expected).max() > 1.0  # a meaningful comparison, not two tiny numbers
    tolerance = 1e-4 * max(1.0, float(np.abs(expected).max()))
    assert np.abs(actual - expected).max() <= tolerance


def test_a_missing_tensor_is_refused_by_name():
    state = seeded_state(LAYOUTS["torchvision/resnet18"])
    del state["layer2.0.downsample.1.running_var"]
    with pytest.raises(ArchitectureMismatchError, match=r"missing \(1\): layer2.0.downsample.1.running_var"):
        kr.from_torchvision(state, kr.resnet18(input_shape=(64, 64, 3)))


def test_a_misshapen_or_extra_tensor_is_refused_by_name():
    state = seeded_state(LAYOUTS["timm/resnet18"])
    state["fc.weight"] = state["fc.weight"][:10]
    state["layer5.0.conv1.weight"] = np.zeros((1, 1, 1, 1), "float32")
    with pytest.raises(
        ArchitectureMismatchError, match=r"wrong shape \(1\): fc.weight.*not used \(1\): layer5"
    ):
        kr.from_timm(state, kr.resnet18(input_shape=(64, 64, 3)))


def test_weights_of_another_depth_are_refused():
    with pytest.raises(ArchitectureMismatchError, match="missing"):
        kr.from_torchvision(
            seeded_state(LAYOUTS["torchvision/resnet18"]), kr.resnet34(input_shape=(64, 64, 3))
        )


@pytest.mark.parametrize(
    "options,message",
    [({"version": "v1"}, "version='v1.5'"), ({"bn_epsilon": 1.001e-5}, "bn_epsilon=1e-05")],
)
def test_a_model_built_with_other_options_is_refused_though_shapes_match(options, message):
    state = seeded_state(LAYOUTS["torchvision/resnet50"])
    with pytest.raises(ArchitectureMismatchError, match=message):
        kr.from_torchvision(state, kr.resnet50(input_shape=(64, 64, 3), **options))


def test_a_new_head_keeps_the_backbone_without_the_classifier():
    state = seeded_state(LAYOUTS["torchvision/resnet18"])
    backbone = kr.resnet18(input_shape=(64, 64, 3), include_top=False, pooling="avg")
    copied = kr.from_torchvision(state, backbone)
    assert "conv1_conv" in copied and "predictions" not in copied
    np.testing.assert_array_equal(
        backbone.get_layer("conv1_conv").get_weights()[0], np.transpose(state["conv1.weight"], (2, 3, 1, 0))
    )

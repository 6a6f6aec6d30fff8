"""Claims about the plain-vs-residual gradient-flow experiment (He et al. 2015, section 4.1), its
depth profile and the plots drawn from gradient records."""

from pathlib import Path

import keras
import pytest

import keras_resnet as kr
from keras_resnet.data.digits import digits_batch
from keras_resnet.experiments.gradient_flow import gradient_flow, stem_classifier_ratio
from keras_resnet.gradients.callback import GradientNormCallback
from tests.gradients.test_callbacks import fit, tiny_data, tiny_net

# -- the depth effect (He et al. 2015, section 4.1) ------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    return digits_batch(16, seed=0)


@pytest.fixture(scope="module")
def flow(digits):
    return {row["depth"]: row for row in gradient_flow((20, 56), dataset=digits)["rows"]}


@pytest.mark.slow
def test_plain56_gradient_ratio_grows_with_depth(flow):
    assert flow[56]["plain"] >= 100 * flow[20]["plain"], flow


@pytest.mark.slow
@pytest.mark.parametrize("zero_init_residual", [False, True])
def test_residual_gradient_ratio_stays_near_one_up_to_depth_110(digits, zero_init_residual):
    for depth in (20, 56, 110):
        keras.utils.set_random_seed(0)
        model = kr.cifar_resnet(depth, classes=10, zero_init_residual=zero_init_residual)
        ratio, _ = stem_classifier_ratio(model, *digits)
        keras.backend.clear_session()
        assert 0.1 <= ratio <= 10.0, (depth, zero_init_residual, ratio)


def test_plots_are_written_from_callback_records(tmp_path):
    from keras_resnet.experiments.plots import plot_depth_profile, plot_gradient_heatmap

    x, y = tiny_data()
    callback = GradientNormCallback(probe=(x[:4], y[:4]), every_n_batches=2)
    fit(tiny_net(), [callback])
    heatmap = plot_gradient_heatmap(callback.records, tmp_path / "heatmap.png")
    profile = plot_depth_profile(
        {"a": callback.records, "b": callback.records}, tmp_path / "profile.png", epochs=[0, 1]
    )
    assert all(Path(p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in (heatmap, profile))
    with pytest.raises(ValueError, match="no gradient records"):
        plot_gradient_heatmap([], tmp_path / "empty.png")


def test_gradient_flow_command_prints_the_table_and_saves_the_plot(tmp_path, capsys):
    from keras_resnet.cli import main

    assert main(["gradient-flow", "--depths", "8", "--batch-size", "4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| 8 |" in out
    assert "gradient-flow: plain8 done (1 of 2 nets), elapsed" in out and "remaining ~" in out  # progress
    assert (tmp_path / "depth_profile.png").exists() and (tmp_path / "gradient_flow.json").exists()
    assert main(["gradient-flow", "--depths", "21", "--out", str(tmp_path)]) == 2


def test_depth_profile_has_one_point_per_depth_up_to_the_classifier(digits):
    result = gradient_flow((8,), dataset=(digits[0][:4], digits[1][:4]))
    for name in ("plain8", "resnet8"):
        profile = result["profiles"][name]
        assert [row["depth"] for row in profile] == list(range(1, 9)), name
        assert all(row["grad_norm"] > 0 for row in profile)


def test_depth_profile_plot_draws_the_norm_of_all_gradients_at_each_depth(tmp_path):
    from keras_resnet.experiments.plots import _norm_per_depth, plot_depth_profile

    records = [
        {"step": 1, "epoch": 0, "layer": "a_conv", "depth": 1, "grad_norm": 3.0},
        {"step": 1, "epoch": 0, "layer": "a_bn", "depth": 1, "grad_norm": 4.0},
        {"step": 1, "epoch": 0, "layer": "b_conv", "depth": 2, "grad_norm": 2.0},
    ]
    assert _norm_per_depth(records) == {1: 5.0, 2: 2.0}
    plot_depth_profile(records, tmp_path / "profile.png")
    assert [p.name for p in tmp_path.iterdir()] == ["profile.png"]  # written whole, no leftovers


def test_gradient_flow_reads_the_one_digits_loader():
    import keras_resnet.experiments.gradient_flow as flow_module

    assert not hasattr(flow_module, "load_digits_batch")

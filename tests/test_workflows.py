"""`keras-resnet train` as one job: training, then the run's figures, then the export."""

import json

import pytest

from keras_resnet.training.config import TrainConfig
from keras_resnet.workflows import train_run

TINY = dict(model="tiny_model:tiny_resnet", dataset="digits", epochs=2, batch_size=128, seed=0)


@pytest.fixture(scope="module")
def drawn_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "tiny"
    return out, train_run(TrainConfig(**TINY), out=str(out), verbose=0, export=False)


def test_a_trained_run_gets_its_curves_gradient_heatmap_and_depth_profile(drawn_run):
    out, metrics = drawn_run
    for name in ("curves.png", "gradient_heatmap.png", "gradient_depth_profile.png"):
        assert (out / name).stat().st_size > 0, name
    assert metrics["epochs_trained"] == 2 and "export" not in metrics
    assert not (out / "export").exists()


def test_a_bad_export_option_is_refused_before_anything_is_trained(tmp_path):
    with pytest.raises(ValueError, match="quantize must be one of .*got 'int4'"):
        train_run(TrainConfig(**TINY), out=str(tmp_path / "run"), export_quantize=("float32", "int4"))
    assert not (tmp_path / "run").exists()


def test_resuming_a_finished_run_draws_again_but_neither_trains_nor_exports(drawn_run):
    out, metrics = drawn_run
    history = (out / "history.csv").read_text()
    again = train_run(TrainConfig(**TINY), out=str(out), resume=True, verbose=0, export=False)
    assert again["test"] == metrics["test"] and (out / "history.csv").read_text() == history
    assert json.loads((out / "metrics.json").read_text())["test"] == metrics["test"]

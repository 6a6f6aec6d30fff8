"""`keras-resnet train` as one job: training, then the run's figures, then the export."""

import shutil

import pytest
from faults_helpers import commit_fake_export, tree_hashes

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


FIGURES = ("curves.png", "gradient_heatmap.png", "gradient_depth_profile.png")


@pytest.mark.slow
def test_resuming_a_finished_run_draws_again_but_neither_trains_nor_exports(drawn_run, tmp_path):
    out, metrics = drawn_run
    run = tmp_path / "run"
    shutil.copytree(out, run)  # the module's run stays as it was for the other tests
    commit_fake_export(run / "export", "A")  # a finished run holds its export, as `train` leaves it
    for name in FIGURES:
        (run / name).unlink()
    before = tree_hashes(run)
    again = train_run(TrainConfig(**TINY), out=str(run), resume=True, verbose=0)  # export on
    assert all((run / name).stat().st_size > 0 for name in FIGURES)  # drawn again
    after = {path: digest for path, digest in tree_hashes(run).items() if path not in FIGURES}
    assert after == before  # history, checkpoints, metrics.json and the export: all untouched
    assert again["test"] == metrics["test"] and "export" not in again

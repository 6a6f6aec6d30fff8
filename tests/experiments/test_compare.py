"""`compare_models` / `keras-resnet compare`: same recipe and seed per model, test error per epoch,
Figure 6."""

import json

import pytest

from keras_resnet.cli import main
from keras_resnet.experiments.degradation import compare_models

MODELS = ["tiny_model:tiny_plain", "tiny_model:tiny_resnet"]
DATA = "synthetic:16x16x3:4"


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    return out, compare_models(MODELS, dataset=DATA, epochs=2, out=out, batch_size=64)


@pytest.mark.slow
def test_each_model_trains_with_the_same_recipe_seed_and_data(comparison):
    out, _ = comparison
    configs = [
        json.loads((out / folder / "config.json").read_text())["train_config"]
        for folder in ("tiny_model-tiny_plain", "tiny_model-tiny_resnet")
    ]
    for config in configs:
        config.pop("model")
    assert configs[0] == configs[1] and configs[0]["seed"] == 0 and configs[0]["epochs"] == 2


@pytest.mark.slow
def test_test_error_is_recorded_every_epoch_and_ends_at_the_final_score(comparison):
    _, result = comparison
    for row in result["rows"]:
        history = result["histories"][row["model"]]
        assert [r["epoch"] for r in history] == [0, 1]
        assert all(0.0 <= r["test_accuracy"] <= 1.0 and r["test_loss"] > 0 for r in history)
        assert row["final_test_error"] == pytest.approx(100 * (1 - history[-1]["test_accuracy"]))
        assert row["best_test_error"] <= row["final_test_error"]
        assert row["params"] > 0 and row["train_seconds"] > 0


@pytest.mark.slow
def test_comparison_writes_the_figure_json_and_table(comparison):
    out, result = comparison
    assert (out / "comparison.png").stat().st_size > 10_000
    saved = json.loads((out / "comparison.json").read_text())
    assert [r["model"] for r in saved["rows"]] == MODELS
    table = (out / "comparison.md").read_text()
    assert table.startswith("| model |") and all(m in table for m in MODELS)


@pytest.mark.slow
def test_running_a_finished_comparison_again_reuses_the_runs(comparison, capsys):
    out, result = comparison
    again = compare_models(MODELS, dataset=DATA, epochs=2, out=out, batch_size=64)
    assert again["rows"] == result["rows"]
    assert capsys.readouterr().out.count("already complete") == 2


@pytest.mark.slow
def test_a_finished_run_with_other_options_is_refused(comparison):
    out, _ = comparison
    with pytest.raises(ValueError, match="cannot resume with different options.*epochs"):
        compare_models(MODELS, dataset=DATA, epochs=3, out=out, batch_size=64)


@pytest.mark.parametrize(
    "models, message",
    [
        ([], "at least one model"),
        (["resnet20", "resnet20"], "named more than once: resnet20"),
        (["resnet20", "resnet21"], "unknown model resnet21"),
    ],
)
def test_bad_model_lists_fail_before_anything_trains(tmp_path, models, message):
    with pytest.raises(ValueError, match=message):
        compare_models(models, out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_compare_reports_bad_input_in_one_line(tmp_path, capsys):
    assert main(["compare", "resnet20", "nosuchnet", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("keras-resnet compare: error: unknown model nosuchnet") and "Traceback" not in err


@pytest.mark.slow
def test_every_model_gets_the_same_warm_up(tmp_path):
    """paper-cifar warms up plain nets only; a comparison must not give the residual nets another recipe."""
    from keras_resnet.experiments.degradation import _share_warmup
    from keras_resnet.training.config import TrainConfig

    configs = {name: TrainConfig(model=name) for name in ("plain20", "resnet56")}
    _share_warmup(configs)
    assert [(c.warmup_epochs, c.warmup_until_error) for c in configs.values()] == [(None, 0.8)] * 2
    residual = {name: TrainConfig(model=name) for name in ("resnet20", "resnet56")}
    _share_warmup(residual)
    assert [(c.warmup_epochs, c.warmup_until_error) for c in residual.values()] == [(0.0, None)] * 2
    given = {name: TrainConfig(model=name, warmup_epochs=0.0) for name in ("plain20", "resnet56")}
    _share_warmup(given)
    assert [(c.warmup_epochs, c.warmup_until_error) for c in given.values()] == [(0.0, None)] * 2

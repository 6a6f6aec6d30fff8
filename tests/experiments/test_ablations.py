"""He et al. 2016's tables as `compare` runs: variant labels train the named net with their options,
and the tables put the paper's CIFAR-10 error beside ours."""

import json

import pytest

from keras_resnet.cli import main
from keras_resnet.experiments.ablations import (
    PAPER_TABLE_1,
    ablation_table,
    order_labels,
    paper_error,
    shortcut_labels,
)
from keras_resnet.experiments.degradation import compare_models
from keras_resnet.models.variants import SHORTCUT_VARIANTS, UNIT_ORDERS

GATED = "resnet20:shortcut_variant=gated,gate_bias=-6"
DATA = "synthetic:16x16x3:4"


def test_the_paper_numbers_are_table_1_and_2_of_he_et_al_2016():
    assert paper_error({}) == "6.61"
    assert paper_error({"shortcut_variant": "scaled"}) == "12.35"
    assert paper_error({"shortcut_variant": "scaled_shortcut"}) == "fail (>20)"
    assert paper_error({"shortcut_variant": "gated"}) == "8.70"  # at the default gate bias -6
    assert paper_error({"shortcut_variant": "gated", "gate_bias": 0}) == "fail (>20)"
    assert paper_error({"shortcut_variant": "gated_shortcut", "gate_bias": 0}) == "12.86"
    assert paper_error({"shortcut_variant": "gated_shortcut"}) == "6.91"
    assert paper_error({"shortcut_variant": "conv"}) == "12.22"
    assert paper_error({"shortcut_variant": "dropout"}) == "fail (>20)"
    assert paper_error({"unit_order": "full_preact"}) == "6.37 (110) / 5.46 (164)"
    assert paper_error({"shortcut_variant": "gated", "gate_bias": -3}) == "fail (>20)"  # 0 to -5 fail
    assert paper_error({"shortcut_variant": "gated", "gate_bias": -10}) == "-"  # not in the table
    assert {variant for variant, _ in PAPER_TABLE_1} == set(SHORTCUT_VARIANTS)


def test_the_labels_cover_every_variant_once():
    assert shortcut_labels("resnet110")[:2] == ["resnet110", "resnet110:shortcut_variant=scaled"]
    assert len(shortcut_labels()) == len(SHORTCUT_VARIANTS) and len(order_labels()) == len(UNIT_ORDERS)


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ablation")
    return out, compare_models([GATED], dataset=DATA, epochs=1, out=out, batch_size=64)


@pytest.mark.slow
def test_a_variant_label_trains_the_named_net_with_its_options(gated_run):
    out, result = gated_run
    config = json.loads((out / "resnet20-shortcut_variant-gated-gate_bias--6" / "config.json").read_text())
    assert config["train_config"]["model"] == "resnet20"
    assert config["train_config"]["model_args"] == {"shortcut_variant": "gated", "gate_bias": -6.0}
    row = result["rows"][0]
    assert row["model"] == GATED and row["depth"] == 20 and row["residual"] is True


@pytest.mark.slow
def test_the_variant_shows_in_the_table_and_the_figure_legend(gated_run):
    out, result = gated_run
    table = (out / "comparison.md").read_text()
    assert GATED in table and "Beside He et al. 2016" in table and "| 8.70 |" in table
    assert GATED in ablation_table(result["rows"]) and "8.70" in ablation_table(result["rows"])
    assert (out / "comparison.png").stat().st_size > 10_000


def test_cli_compare_reports_a_bad_variant_in_one_line(tmp_path, capsys):
    assert main(["compare", "resnet20:shortcut_variant=gate", "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "shortcut_variant must be one of" in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "c").exists()

"""`gradient_norm_overhead` in quick mode: the result's shape, not its timings."""

import json

import pytest

from benchmarks.gradient_overhead import CONFIGURATIONS, gradient_norm_overhead


@pytest.mark.slow
def test_quick_overhead_reports_positive_times_and_ratios_for_every_configuration():
    result = gradient_norm_overhead(quick=True)
    json.dumps(result)  # JSON-able as it is
    assert result["quick"] and result["steps_per_epoch"] == 3
    for name in CONFIGURATIONS:
        assert len(result["epoch_seconds"][name]) == result["timed_epochs_per_configuration"] == 1
        assert result["median_epoch_seconds"][name] > 0
        assert result["ratio_to_baseline"][name] > 0
    assert result["ratio_to_baseline"]["baseline"] == 1.0
    assert set(result["measurement_cost_in_steps"]) == {"probe_each_epoch", "train_every_n"}
    for name in ("probe_each_epoch", "train_every_n"):  # the callback's own time, measured
        assert 0 < result["median_callback_seconds"][name] < result["median_epoch_seconds"][name]
        assert result["callback_share_of_baseline_epoch"][name] > 0


@pytest.mark.parametrize(
    "options, message", [({"repeats": 0}, "repeats"), ({"every_n_batches": 1.5}, "every_n_batches")]
)
def test_bad_overhead_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        gradient_norm_overhead(**options)

"""The `pipeline` training option: a run-time choice that old run folders resume without."""

import pytest

from keras_resnet.training.config import TrainConfig, check_config, resumed_config


def test_a_config_saved_before_the_option_existed_resumes_with_pipeline_auto():
    saved = TrainConfig(epochs=3).to_dict()
    del saved["pipeline"]  # config.json of a run from an older version
    assert TrainConfig.from_dict(saved).pipeline == "auto"
    resumed = resumed_config(saved, TrainConfig(epochs=3, pipeline="numpy"))
    assert resumed.pipeline == "numpy" and resumed.epochs == 3  # it may change between sessions


def test_an_unknown_pipeline_is_refused_before_anything_runs():
    with pytest.raises(ValueError, match="pipeline must be one of 'auto', 'numpy', 'tfdata'"):
        check_config(TrainConfig(pipeline="torch"))

"""The builders are pure keras.layers / keras.ops: they run on JAX and on PyTorch."""

import pytest

from tests.conftest import run_on_backend

FORWARD_PASS = """
    import sys
    import keras
    import numpy as np
    import keras_resnet as kr
    assert "tensorflow" not in sys.modules, "importing keras_resnet pulled in TensorFlow"
    rng = np.random.default_rng(0)
    for name, kwargs in [("resnet20", {}), ("resnet50", {"input_shape": (64, 64, 3)}),
                         ("resnet50_v2", {"input_shape": (64, 64, 3)}),
                         ("resnet20", {"stochastic_depth_rate": 0.2, "se_ratio": 0.25,
                                       "shortcut": "D", "data_format": "channels_first",
                                       "input_shape": (3, 32, 32)})]:
        model = kr.build(name, **kwargs)
        x = rng.uniform(0, 1, (2, *model.input.shape[1:])).astype("float32")
        y = keras.ops.convert_to_numpy(model(x, training=True))
        assert y.shape == (2, model.output.shape[-1]) and np.isfinite(y).all(), name
    assert kr.model_stats(kr.resnet20())["trainable_params"] == 269_722
    print("ok", "tensorflow" in sys.modules)
"""


@pytest.mark.slow
def test_builders_run_on_jax_without_importing_tensorflow():
    assert run_on_backend("jax", FORWARD_PASS).stdout.split() == ["ok", "False"]


@pytest.mark.slow
def test_builders_run_on_torch():
    assert run_on_backend("torch", FORWARD_PASS).stdout.split()[0] == "ok"


def test_import_of_the_package_stays_light_on_jax():
    code = """
        import sys, keras_resnet
        heavy = [m for m in ("tensorflow", "tensorflow_datasets") if m in sys.modules]
        print(heavy)
    """
    assert run_on_backend("jax", code).stdout.strip() == "[]"

"""Files saved before the package was split into layers still load, with nothing but Keras.

`tests/fixtures/resnet20_v0.1.0.keras` was saved by release 0.1.0 (tests/fixtures/
make_fixture_v0_1_0.py): a ResNet-20 with input normalisation, stochastic depth, L2 and an SGD
optimizer on an `ErrorGatedWarmup` schedule. It names our classes by their registered names, and
the package registers them when Keras loads, whichever of the two is imported first; so each check
runs in a fresh interpreter, once for each import order.
"""

from pathlib import Path

import pytest

from tests.conftest import run_on_backend

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REGISTERED_NAMES = {
    "keras_resnet.models.layers": {
        "ZeroPadShortcut": "keras_resnet>ZeroPadShortcut",
        "StochasticDepth": "keras_resnet>StochasticDepth",
    },
    "keras_resnet.training.warmup": {"ErrorGatedWarmup": "keras_resnet>ErrorGatedWarmup"},
}
IMPORTS = {
    "keras_resnet_first": "import keras_resnet\nimport keras",
    "keras_first": "import keras\nimport keras_resnet",
}
LOAD_AND_COMPARE = """
import importlib, sys
import numpy as np
fixtures = {fixtures!r}
model = keras.saving.load_model(fixtures + "/resnet20_v0.1.0.keras")
io = np.load(fixtures + "/resnet20_v0.1.0_io.npz")
y = keras.ops.convert_to_numpy(model(io["x"], training=False))
np.testing.assert_allclose(y, io["y"], rtol=0, atol=1e-6)
assert any(type(layer).__name__ == "StochasticDepth" for layer in model.layers)
schedule = model.optimizer._learning_rate
assert type(schedule).__name__ == "ErrorGatedWarmup", type(schedule)
assert (schedule.factor, schedule.last_step) == (0.1, 99)
rates = [float(keras.ops.convert_to_numpy(schedule(step))) for step in (0, 99, 100, 150)]
np.testing.assert_allclose(rates, [0.1, 0.1, 0.01, 0.001], rtol=1e-6)
for module, names in {registered!r}.items():
    for cls, registered in names.items():
        name = keras.saving.get_registered_name(getattr(importlib.import_module(module), cls))
        assert name == registered, (cls, name)
print("ok", y.shape)
"""


@pytest.mark.slow
@pytest.mark.parametrize("order", IMPORTS)
def test_file_saved_by_0_1_0_loads_with_plain_keras_and_gives_the_same_outputs(order):
    code = IMPORTS[order] + LOAD_AND_COMPARE.format(fixtures=str(FIXTURES), registered=REGISTERED_NAMES)
    assert run_on_backend("tensorflow", code).stdout.split()[0] == "ok"


def test_import_of_the_package_imports_neither_keras_nor_tensorflow():
    code = """
        import sys
        import keras_resnet
        assert keras_resnet.MODEL_SPECS["resnet20"].depth == 20  # the table is read without Keras
        print(sorted(m for m in ("keras", "tensorflow") if m in sys.modules))
    """
    assert run_on_backend("tensorflow", code).stdout.strip() == "[]"

"""The `.pth` reader gives what `torch.load` gives, without PyTorch, and runs nothing in the file.

The small files in tests/fixtures/pth/ were written by PyTorch (tests/fixtures/make_pth_fixtures.py,
which also recorded what torch.load returns in expected.npz), so these claims hold in CI without
torch; where torch is installed, the reader is also compared with torch.load itself and on full
ResNet-18/50 state dicts in torchvision's layout.
"""

import collections
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import keras_resnet as kr
from keras_resnet.errors import CorruptFileError
from keras_resnet.models.pretrained.files import read_torch_state
from keras_resnet.models.pretrained.pth import read_pth, state_dict_arrays

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PTH = FIXTURES / "pth"
EXPECTED = np.load(PTH / "expected.npz")
sys.path.insert(0, str(FIXTURES))

from seeded_state import seeded_images, seeded_state  # noqa: E402
from torch_zip import save_state_dict  # noqa: E402

LAYOUTS = json.loads((FIXTURES / "torch_layouts.json").read_text())["layouts"]
LOGITS = np.load(FIXTURES / "torch_logits.npz")


def _state(stem: str) -> dict:
    loaded = read_pth(PTH / f"{stem}.pth")
    return loaded["state_dict"] if stem == "wrapped" else loaded


def _assert_identical(actual: dict, expected: dict) -> None:
    assert list(actual) == list(expected)
    for name, value in expected.items():
        assert actual[name].dtype == value.dtype, name
        assert actual[name].shape == value.shape, name
        assert np.array_equal(actual[name], value), name


def _torch_zip(path: Path, data_pkl: bytes, storages: dict | None = None) -> Path:
    """A zip laid out as torch.save lays it out, around a pickle of our own making."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", "little")
        for key, raw in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", raw)
        archive.writestr("archive/version", "3\n")
    return path


def _tensor_pickle(numel: int, offset: int, size: tuple, stride: tuple) -> bytes:
    """Protocol-0 pickle of {"x": float32 tensor viewing storage "0"}, written opcode by opcode."""
    ints = lambda values: b"(" + b"".join(b"I%d\n" % v for v in values) + b"t"  # noqa: E731
    storage = b"(S'storage'\nctorch\nFloatStorage\nS'0'\nS'cpu'\nI%d\ntQ" % numel  # Q: BINPERSID
    tensor = b"ctorch._utils\n_rebuild_tensor_v2\n(" + storage + b"I%d\n" % offset + ints(size) + ints(stride)
    tensor += b"I00\nccollections\nOrderedDict\n)RtR"
    return b"(dS'x'\n" + tensor + b"s."


@pytest.mark.parametrize("stem", ["views", "wrapped", "big_endian"])
def test_reader_equals_what_torch_load_gave_on_files_pytorch_wrote(stem):
    prefix = f"{stem}/"
    expected = {key[len(prefix) :]: EXPECTED[key] for key in EXPECTED.files if key.startswith(prefix)}
    _assert_identical(dict(_state(stem)), expected)


def test_the_fixture_covers_every_dtype_shared_storages_offsets_and_strided_views():
    state = _state("views")
    assert {str(v.dtype) for v in state.values()} >= {
        "float32",
        "float16",
        "float64",
        "int64",
        "int32",
        "int8",
        "bool",
    }
    with zipfile.ZipFile(PTH / "views.pth") as archive:
        storages = [n for n in archive.namelist() if "/data/" in n]
    assert len(storages) < len(state)  # the f32.* views share one storage, the f16 ones another
    np.testing.assert_array_equal(state["f32.transposed"], state["f32.base"].T)
    np.testing.assert_array_equal(state["f32.column_step"], state["f32.base"][1:, ::3])
    np.testing.assert_array_equal(state["f32.flat_step"], state["f32.base"].ravel()[1::4])
    np.testing.assert_array_equal(state["f32.broadcast"], np.broadcast_to(state["f32.base"][0], (3, 6)))
    assert state["i64"][0] == -(2**62) - 1 and state["i64"][4] == 2**53 + 1  # exact, never via float


def test_num_batches_tracked_is_a_0d_int64_and_a_parameter_is_its_tensor():
    state = _state("views")
    assert state["bn1.num_batches_tracked"].shape == () and state["bn1.num_batches_tracked"].dtype == np.int64
    assert int(state["bn1.num_batches_tracked"]) == 7
    assert isinstance(state, collections.OrderedDict) and state["fc.weight"].shape == (2, 3)


def test_every_tensor_is_its_own_writable_contiguous_array():
    state = _state("views")
    assert all(v.flags.c_contiguous and v.flags.writeable and v.dtype.isnative for v in state.values())
    before = state["f32.offset"].copy()
    state["f32.base"][...] = 0  # views of one storage in the file are separate arrays here
    np.testing.assert_array_equal(state["f32.offset"], before)


def test_a_state_dict_wrapper_is_unwrapped_to_its_tensors():
    assert list(state_dict_arrays(PTH / "wrapped.pth")) == [
        "conv1.weight",
        "bn1.weight",
        "bn1.num_batches_tracked",
    ]
    assert read_pth(PTH / "wrapped.pth")["epoch"] == 3


def test_a_pth_is_read_when_torch_cannot_be_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    assert read_torch_state(PTH / "views.pth")["f16"].dtype == np.float16


def test_reading_a_pth_never_imports_torch():
    code = (
        "import sys; from keras_resnet.models.pretrained.files import read_torch_state; "
        f"state = read_torch_state({str(PTH / 'views.pth')!r}); "
        "assert len(state) == 21, len(state); assert 'torch' not in sys.modules, 'torch imported'"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(kr.__file__).parents[1])}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "module, name, call",
    [
        ("os", "system", b"(S'touch {marker}'\ntR"),
        ("posix", "system", b"(S'touch {marker}'\ntR"),
        ("builtins", "eval", b"(S'open({marker!r}, \"w\")'\ntR"),
        ("subprocess", "call", b"((S'touch'\nS'{marker}'\nltR"),
    ],
    ids=["os.system", "posix.system", "builtins.eval", "subprocess.call"],
)
def test_a_pickle_that_pickle_load_would_run_is_refused_by_name_and_never_runs(tmp_path, module, name, call):
    marker = tmp_path / "ran"
    payload = call.replace(b"{marker}", str(marker).encode())
    payload = payload.replace(b"{marker!r}", repr(str(marker)).encode())
    data_pkl = b"c%s\n%s\n" % (module.encode(), name.encode()) + payload + b"."
    path = _torch_zip(tmp_path / "evil.pth", data_pkl)
    with pytest.raises(
        CorruptFileError, match=rf"refers to {module}\.{name}, .*refusing to run it"
    ) as caught:
        read_pth(path)
    assert "\n" not in str(caught.value)
    assert not marker.exists()
    pickle.loads(data_pkl)  # what an unrestricted unpickler (torch.load(weights_only=False)) does
    assert marker.exists()


def test_a_tensor_reaching_past_its_storage_is_refused_not_read_from_memory(tmp_path):
    path = _torch_zip(tmp_path / "x.pth", _tensor_pickle(4, 2, (3,), (1,)), {"0": bytes(16)})
    with pytest.raises(CorruptFileError, match="reaching element 4 of a storage of 4"):
        read_pth(path)
    fine = _torch_zip(
        tmp_path / "y.pth", _tensor_pickle(4, 1, (3,), (1,)), {"0": np.arange(4, dtype="<f4").tobytes()}
    )
    np.testing.assert_array_equal(read_pth(fine)["x"], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_pth_is_a_one_line_corrupt_file_error(tmp_path, keep):
    raw = (PTH / "views.pth").read_bytes()
    path = tmp_path / "views.pth"
    path.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(CorruptFileError, match="truncated") as caught:
        read_torch_state(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_legacy_torch_file_says_to_re_save_it_or_use_safetensors():
    with pytest.raises(CorruptFileError, match=r"legacy \(pre-1.6\).*re-save.*\.safetensors") as caught:
        read_pth(PTH / "legacy.pth")
    assert "\n" not in str(caught.value)


# ---- torch.load itself where PyTorch is installed, and full ResNet state dicts ----


@pytest.mark.parametrize("stem", ["views", "wrapped", "big_endian"])
def test_reader_equals_torch_load_itself(stem):
    torch = pytest.importorskip("torch")
    loaded = torch.load(PTH / f"{stem}.pth", weights_only=True)
    loaded = loaded["state_dict"] if stem == "wrapped" else loaded
    _assert_identical(dict(_state(stem)), {k: _numpy(v) for k, v in loaded.items()})


def _numpy(tensor) -> np.ndarray:
    import torch

    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).detach().numpy()


def _torchvision_arrays(depth: int) -> dict:
    """The seeded torchvision-layout state, with the 0-d int64 BN counters torchvision saves."""
    arrays = seeded_state(LAYOUTS[f"torchvision/resnet{depth}"])
    return {
        name: arrays.get(name, np.array(0, np.int64)) for name, _ in LAYOUTS[f"torchvision/resnet{depth}"]
    }


@pytest.mark.slow
@pytest.mark.parametrize("depth", [18, 50])
def test_reader_equals_torch_load_on_a_full_torchvision_resnet_state_dict(tmp_path, depth):
    torch = pytest.importorskip("torch")
    path = tmp_path / f"resnet{depth}.pth"
    torch.save(
        collections.OrderedDict((k, torch.from_numpy(v)) for k, v in _torchvision_arrays(depth).items()), path
    )
    expected = {k: v.numpy() for k, v in torch.load(path, weights_only=True).items()}
    _assert_identical(read_pth(path), expected)


def test_the_torch_free_test_writer_makes_files_torch_load_accepts(tmp_path):
    torch = pytest.importorskip("torch")
    state = {"w": np.arange(6, dtype="f4").reshape(2, 3), "n": np.array(7, np.int64), "h": np.ones(3, "f2")}
    save_state_dict(state, tmp_path / "made.pth")
    loaded = torch.load(tmp_path / "made.pth", weights_only=True)
    _assert_identical({k: v.numpy() for k, v in loaded.items()}, state)
    _assert_identical(read_pth(tmp_path / "made.pth"), state)


@pytest.mark.slow
def test_a_torchvision_layout_resnet18_pth_ports_into_ours_and_gives_its_logits_with_torch_never_imported(
    tmp_path,
):
    path = tmp_path / "resnet18.pth"
    save_state_dict(_torchvision_arrays(18), path)  # the torch.save layout, written without torch
    images = tmp_path / "images.npy"
    np.save(images, np.transpose(seeded_images(), (0, 2, 3, 1)))
    code = (
        "import sys, numpy as np, keras_resnet as kr\n"
        f"model = kr.resnet18(weights={str(path)!r}, input_shape=(64, 64, 3), classifier_activation=None)\n"
        f"logits = model(np.load({str(images)!r}), training=False)\n"
        f"np.save({str(tmp_path / 'logits.npy')!r}, np.asarray(logits))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(kr.__file__).parents[1]), "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    expected = LOGITS["torchvision/resnet18"]
    actual = np.load(tmp_path / "logits.npy")
    assert np.abs(actual - expected).max() <= 1e-4 * max(1.0, float(np.abs(expected).max()))


def test_the_pickle_refused_here_is_one_torch_load_would_run(tmp_path):
    """The contrast: torch.load(weights_only=False) runs the same kind of file we refuse."""
    torch = pytest.importorskip("torch")
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    torch.save({"fc.weight": torch.ones(2), "payload": Payload()}, tmp_path / "evil.pth")
    with pytest.raises(CorruptFileError, match=r"refers to (posix|os)\.system"):
        read_pth(tmp_path / "evil.pth")
    assert not marker.exists()
    torch.load(tmp_path / "evil.pth", weights_only=False)
    assert marker.exists()

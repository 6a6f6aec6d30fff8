"""Read PyTorch `.pth`/`.pt` checkpoints into NumPy arrays, without PyTorch and without running the file.

Since PyTorch 1.6, `torch.save` writes a zip archive: `ARCHIVE/data.pkl` is a pickle of the saved
object (for weights, an OrderedDict of tensor names to tensors), `ARCHIVE/data/KEY` holds the raw
bytes of each storage, `ARCHIVE/byteorder` says "little" or "big", `ARCHIVE/version` the format
version. In the pickle a tensor is a call `torch._utils._rebuild_tensor_v2(storage, offset, size,
stride, ...)` whose storage is a persistent id `("storage", torch.FloatStorage, KEY, device, numel)`;
several tensors may view one storage, at offsets and with strides of their own.

A pickle is a small program: each global it names is imported and may be called with arguments of
the file's choosing, so `torch.load(weights_only=False)` (or plain `pickle.load`) runs whatever the
file asks for, `os.system` included. Here `find_class` hands out our own NumPy stand-ins for the few
globals a weights file needs (the OrderedDict, the tensor and parameter rebuilders, the typed
storage classes) and refuses any other by name, before anything is called; storages come only from
the archive's own entries. Nothing in the file runs, and `torch` is never imported.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import zipfile
from typing import Any

import numpy as np

from keras_resnet.errors import CorruptFileError, MissingFileError

_STORAGE_DTYPES = {
    "DoubleStorage": "f8",
    "FloatStorage": "f4",
    "HalfStorage": "f2",
    "BFloat16Storage": "u2",  # read as 16-bit words, widened exactly to float32 (NumPy has no bfloat16)
    "LongStorage": "i8",
    "IntStorage": "i4",
    "ShortStorage": "i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
    "ComplexFloatStorage": "c8",
    "ComplexDoubleStorage": "c16",
}


class _RefusedError(Exception):
    """Why the file cannot be read; `read_pth` prefixes the path and raises CorruptFileError."""


class _StorageType:
    """What `torch.FloatStorage` and friends stand for here: a name and a NumPy dtype, read-only
    (no `__dict__`, no setattr), so a pickle's BUILD cannot change them for the next file."""

    __slots__ = ("name", "dtype")
    name: str
    dtype: np.dtype

    def __init__(self, name: str):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", np.dtype(_STORAGE_DTYPES[name]))

    def __setattr__(self, attribute, value):
        raise AttributeError(f"{self.name} is read-only")


def _rebuild_tensor(storage, offset, size, stride, *_ignored) -> np.ndarray:
    """`torch._utils._rebuild_tensor_v2`: the view (offset, size, stride) of `storage`, copied."""
    if not (isinstance(storage, np.ndarray) and storage.ndim == 1) or not all(
        isinstance(n, int) and n >= 0 for n in (offset, *size, *stride)
    ):
        raise _RefusedError("holds a tensor with a malformed storage, offset, size or stride")
    if len(size) != len(stride):
        raise _RefusedError(f"holds a tensor whose size {tuple(size)} and stride {tuple(stride)} disagree")
    if 0 in size:
        return np.zeros(size, storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= storage.size:  # as_strided would read past the storage: never allowed
        raise _RefusedError(f"holds a tensor reaching element {last} of a storage of {storage.size}")
    itemsize = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=[s * itemsize for s in stride], writeable=False
    )
    return np.array(view, dtype=storage.dtype.newbyteorder("="), order="C")


def _rebuild_parameter(data, *_ignored) -> np.ndarray:
    """`torch._utils._rebuild_parameter` (and `_with_state`): a parameter is just its tensor here."""
    return data


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in _STORAGE_DTYPES},
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickles `data.pkl` with the allow-list above; storages are read from `archive`."""

    def __init__(self, archive: zipfile.ZipFile, prefix: str, byteorder: str):
        super().__init__(io.BytesIO(archive.read(f"{prefix}data.pkl")))
        self.archive, self.prefix, self.byteorder = archive, prefix, byteorder
        self.raw: dict[str, bytes] = {}  # storage key -> bytes, read once however many tensors share it

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise _RefusedError(
                f"refers to {module}.{name}, which a weights file never needs; refusing to run it "
                "(a state dict saved alone, torch.save(model.state_dict(), path), or a .safetensors loads)"
            )
        return _ALLOWED[(module, name)]

    def persistent_load(self, pid) -> np.ndarray:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise _RefusedError(f"holds a reference {str(pid)[:60]!r} that is not a tensor storage")
        _, kind, key, _device, numel = pid
        if (
            not isinstance(kind, _StorageType)
            or not isinstance(key, str)
            or not isinstance(numel, int)
            or numel < 0
        ):
            raise _RefusedError(f"holds a malformed storage reference {str(pid)[:60]!r}")
        if key not in self.raw:
            try:
                self.raw[key] = self.archive.read(f"{self.prefix}data/{key}")
            except KeyError:
                raise _RefusedError(f"lacks the storage data/{key} its tensors refer to") from None
        raw = self.raw[key]
        if len(raw) < numel * kind.dtype.itemsize:
            raise _RefusedError(
                f"holds {len(raw)} bytes in data/{key}, too few for {numel} {kind.name} values"
            )
        dtype = kind.dtype.newbyteorder(">" if self.byteorder == ">" else "<")  # "<" or ">", as load() passes
        words = np.frombuffer(raw, dtype, count=numel)
        if kind.name == "BFloat16Storage":  # bfloat16 is the top half of a float32: widen exactly
            return (words.astype(np.uint32) << 16).view(np.float32)
        return words


def read_pth(path: str | os.PathLike) -> Any:
    """The object a `torch.save` zip checkpoint at `path` holds, each tensor a NumPy array.

    float32/float16/float64 and integer tensors keep their dtype; bfloat16 becomes float32 (exact).

    Args:
        path: a `.pth`/`.pt` file written by `torch.save` with PyTorch 1.6 or newer.

    Raises:
        MissingFileError: there is no file at `path`.
        CorruptFileError: the file is truncated, of another format, a legacy (pre-1.6) torch file, or
            names a global outside the allow-list (named in the message; it is not run).
    """
    name = repr(str(path))
    if not os.path.isfile(path):
        raise MissingFileError(f"weights file {name} does not exist")
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head != b"PK\x03\x04":
        if head.startswith(b"\x80"):  # a bare pickle: torch.save before 1.6, or its legacy option
            raise CorruptFileError(
                f"{name} is in PyTorch's legacy (pre-1.6) format, which is not read here: re-save it "
                "with a recent torch (torch.save(torch.load(f), f)) or use a .safetensors file"
            )
        raise CorruptFileError(
            f"{name} is not a PyTorch checkpoint (it does not begin as a zip archive): it is empty, "
            "truncated or of another format"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("data.pkl") and n.count("/") == 1]
            if len(pickles) != 1:
                raise _RefusedError("has no ARCHIVE/data.pkl: it is a zip, but not one torch.save wrote")
            prefix = pickles[0][: -len("data.pkl")]
            names = set(archive.namelist())
            order = archive.read(f"{prefix}byteorder").decode() if f"{prefix}byteorder" in names else "little"
            if order not in ("little", "big"):
                raise _RefusedError(f"gives the byte order {order[:20]!r}, neither 'little' nor 'big'")
            return _RestrictedUnpickler(archive, prefix, "<" if order == "little" else ">").load()
    except _RefusedError as err:
        raise CorruptFileError(f"{name} {err}") from None
    except Exception as err:  # BadZipFile, a CRC mismatch, EOFError, UnpicklingError on damaged bytes
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CorruptFileError(
            f"{name} is not a readable PyTorch checkpoint ({reason}): it is truncated or damaged; "
            "download it again"
        ) from err


def state_dict_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """The state dict in the `.pth` at `path` as {name: array}; a {"state_dict": ...} wrapper is unwrapped.

    Args:
        path: a `.pth`/`.pt` file holding a state dict, alone or under the key "state_dict".
    """
    state = read_pth(path)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise CorruptFileError(f"{str(path)!r} holds a {type(state).__name__}, not a state dict")
    return {key: value for key, value in state.items() if isinstance(value, np.ndarray)}

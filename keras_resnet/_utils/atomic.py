"""Atomic writing: the one scheme every file the package writes goes through.

A file appears whole or not at all. It is written under a unique temporary name in the target's
folder (so two writers never share one), flushed to disk with fsync, then renamed over the target
with `os.replace`, which is atomic. A crash leaves at most a hidden `.NAME.*` temporary file beside
the target, never half a target.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "write_text", "write_json", "to_jsonable"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a unique, not yet existing temporary path beside `path`; when the block ends without
    an error, the file written there is fsynced and renamed onto `path`. A block that wrote nothing
    leaves `path` alone; on an error the temporary file is removed and `path` is untouched.

    The temporary name keeps the target's suffixes (`.keras`, `.weights.h5`, `.png`), so writers
    that infer the format from the name (Keras, matplotlib) write the right one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp{''.join(path.suffixes)}")
    try:
        yield temporary
        if temporary.exists():
            _fsync(temporary)
            os.replace(temporary, path)
            _fsync_folder(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` (UTF-8) to `path` atomically; returns the path."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write `data` as indented JSON atomically (numpy values, tuples and paths made plain)."""
    return write_text(path, json.dumps(data, indent=2, default=to_jsonable) + "\n")


def to_jsonable(value: Any) -> Any:
    """JSON's fallback for the values the package records: arrays, tuples, sets and paths."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; folders cannot be opened for fsync on every platform."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)

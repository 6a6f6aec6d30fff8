"""Where an export goes, and how it appears there: whole or not at all.

The files are written into a hidden partial folder beside the destination, which is renamed onto it
only when every file is written and checked. An interrupted or failed export leaves nothing behind,
and an existing export is replaced only when asked, and only after the new one is complete.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

DEFAULT_ROOT = Path("saved_models")

__all__ = ["DEFAULT_ROOT", "default_out_dir", "check_out_dir", "staged_folder"]


def default_out_dir(model_name: str) -> Path:
    """`saved_models/<model name>/`, relative to the working folder."""
    return DEFAULT_ROOT / model_name


def check_out_dir(out_dir, *, overwrite: bool) -> Path:
    """The destination folder; an existing non-empty one is a ValueError unless `overwrite`."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir {str(out_dir)!r} is a file, not a folder; choose a folder path")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise ValueError(
            f"out_dir {str(out_dir)!r} already exists; pass overwrite=True "
            f"(CLI: --overwrite) to replace it, or choose another folder"
        )
    return out_dir


@contextlib.contextmanager
def staged_folder(out_dir: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield an empty partial folder beside `out_dir`; when the block succeeds it becomes `out_dir`.

    On an error (or an interrupt) the partial folder is removed and `out_dir` is left as it was.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    partial = out_dir.with_name(f".{out_dir.name}.partial-{uuid.uuid4().hex[:8]}")
    partial.mkdir()
    try:
        yield partial
        _commit(partial, out_dir, overwrite=overwrite)
    finally:
        if partial.exists():
            shutil.rmtree(partial)


def _commit(partial: Path, out_dir: Path, *, overwrite: bool) -> None:
    """Move the finished export into place; an existing export is replaced only with `overwrite`.

    The old export is renamed aside before the new one moves in, so at every moment `out_dir` is
    either the complete old export or the complete new one.
    """
    if not out_dir.exists():
        partial.rename(out_dir)
        return
    check_out_dir(out_dir, overwrite=overwrite)
    previous = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
    out_dir.rename(previous)
    partial.rename(out_dir)
    shutil.rmtree(previous)

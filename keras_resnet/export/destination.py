"""Where an export goes, and how it appears there: whole or not at all, in one atomic step.

The files are written into a hidden staging folder beside the destination (`.NAME.partial-*`,
marked as ours from its first moment). When every file is written and checked, the staging folder
and the destination swap in one atomic rename (`renameat2(RENAME_EXCHANGE)` on Linux,
`renamex_np(RENAME_SWAP)` on macOS; a plain rename when there is no old export). Where neither
exists, a journal (`.NAME.commit.json`) records the two renames so that the next export completes
a commit a kill interrupted. So after a `kill -9` at any moment the destination holds the old or
the new export complete, and the next export removes the leftovers, but only leftovers that carry
our marker. A non-empty destination that is not an export of ours is never replaced.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

from keras_resnet._utils import ownership
from keras_resnet._utils.atomic import write_json
from keras_resnet.errors import InvalidInputError

DEFAULT_ROOT = Path("saved_models")
KIND = "export"
# What an export folder holds; a marker-less folder holding only these is an export of ours.
EXPORT_ENTRIES = (
    "saved_model",
    "export_report.json",
    *(f"model_{q}.tflite" for q in ("float32", "float16", "dynamic", "int8")),
)

__all__ = ["DEFAULT_ROOT", "default_out_dir", "check_out_dir", "staged_folder", "clean_leftovers"]


def default_out_dir(model_name: str) -> Path:
    """`saved_models/<model name>/`, relative to the working folder."""
    return DEFAULT_ROOT / model_name


def check_out_dir(out_dir, *, overwrite: bool) -> Path:
    """The destination folder. A non-empty one that is not an export of ours is refused whatever
    `overwrite` says (ForeignPathError); one of ours is replaced only with `overwrite`."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InvalidInputError(f"out_dir {str(out_dir)!r} is a file, not a folder; choose a folder path")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return out_dir
    ownership.check_replaceable(out_dir, KIND, legacy_names=EXPORT_ENTRIES, what="out_dir")
    if not overwrite:
        raise InvalidInputError(
            f"out_dir {str(out_dir)!r} already exists; pass overwrite=True "
            f"(CLI: --overwrite) to replace the export there, or choose another folder"
        )
    return out_dir


@contextlib.contextmanager
def staged_folder(out_dir: Path, *, overwrite: bool) -> Iterator[Path]:
    """Yield an empty, marked staging folder beside `out_dir`; when the block succeeds it becomes
    `out_dir` in one atomic step. First completes or removes what killed exports left behind.

    On an error (or an interrupt) the staging folder is removed and `out_dir` is left as it was.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out_dir)
    partial = out_dir.with_name(f".{out_dir.name}.partial-{uuid.uuid4().hex[:8]}")
    ownership.claim(partial, KIND, pid=os.getpid())
    try:
        yield partial
        _commit(partial, out_dir, overwrite=overwrite)
    finally:
        if partial.exists() and ownership.is_ours(partial, KIND):
            ownership.remove_owned(partial)


def clean_leftovers(out_dir: Path) -> list[Path]:
    """Finish a commit a kill interrupted (from its journal), then remove the staging and old
    folders of killed exports of `out_dir` that carry our marker; returns what was removed.
    Folders of an export still running in another process are left alone."""
    out_dir = Path(out_dir)
    journal = _journal(out_dir)
    if journal.is_file():
        _complete_from_journal(out_dir, journal)
    removed = []
    for pattern in (f".{out_dir.name}.partial-*", f".{out_dir.name}.old-*"):
        for leftover in sorted(out_dir.parent.glob(pattern)):
            marker = ownership.marker_of(leftover)
            if leftover.is_dir() and marker is None and _holds_nothing(leftover):
                shutil.rmtree(leftover)
                removed.append(leftover)  # killed before its marker was written: nothing to lose
                continue
            if not leftover.is_dir() or marker is None or marker.get("kind") != KIND:
                continue  # not provably ours: left untouched
            if _running_elsewhere(marker.get("pid")):
                continue
            ownership.remove_owned(leftover)
            removed.append(leftover)
    return removed


def _holds_nothing(folder: Path) -> bool:
    """Empty, or holding only the temporary file of a marker that was being written."""
    prefix = f".{ownership.MARKER}."
    return all(entry.is_file() and entry.name.startswith(prefix) for entry in folder.iterdir())


def _reached(step: str) -> None:
    """A named point of the commit; fault-injection tests replace this to stop the process there."""


def _commit(partial: Path, out_dir: Path, *, overwrite: bool) -> None:
    """Move the finished export into place; an existing export is replaced only with `overwrite`.

    At every moment `out_dir` is either the complete old export or the complete new one (or, on
    a platform without an atomic swap, absent while the journal names both, which the next export
    resolves).
    """
    _reached("staged")
    if not out_dir.exists():
        os.rename(partial, out_dir)
        _reached("committed")
        return
    check_out_dir(out_dir, overwrite=overwrite)
    if not ownership.is_ours(out_dir, KIND):  # an export from before markers: mark it, as it goes
        ownership.claim(out_dir, KIND)
    if _exchange(partial, out_dir):  # `partial` now holds the old export, which goes
        _reached("exchanged")
        ownership.remove_owned(partial)
        return
    old = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
    journal = _journal(out_dir)
    write_json(journal, {"new": partial.name, "old": old.name})
    _reached("journal-written")
    os.rename(out_dir, old)
    _reached("old-moved-aside")
    os.rename(partial, out_dir)
    _reached("new-moved-in")
    journal.unlink()
    ownership.remove_owned(old)


def _journal(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.commit.json")


def _complete_from_journal(out_dir: Path, journal: Path) -> None:
    """After a kill between the journal's two renames: put the new export in place if it was
    staged completely, else the old one back; then drop the journal."""
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))
        staged: tuple[Path, ...] = (out_dir.with_name(entries["new"]), out_dir.with_name(entries["old"]))
    except (OSError, ValueError, KeyError, TypeError):
        staged = ()
    if not out_dir.exists():
        for candidate in staged:
            if candidate.is_dir() and ownership.is_ours(candidate, KIND):
                os.rename(candidate, out_dir)
                break
    journal.unlink(missing_ok=True)


def _running_elsewhere(pid) -> bool:
    """Whether `pid` is another live process (so its staging folder is in use)."""
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one atomic rename; False where the platform or filesystem cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    a, b = os.fsencode(first), os.fsencode(second)
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        result = libc.renameat2(-100, a, -100, b, 2)  # AT_FDCWD, RENAME_EXCHANGE
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        result = libc.renamex_np(a, b, 2)  # RENAME_SWAP
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), os.fspath(second))

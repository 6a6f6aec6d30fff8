"""Which folders the tool may overwrite, resume or clean up: only those it can prove it wrote.

Every folder the tool creates to hold an artefact (a training run, an export) gets a marker file,
`.keras-resnet.json`, naming the tool, its version and the kind of artefact. Overwriting, resuming
and cleaning up act only on a folder whose marker names the expected kind; any other non-empty
folder is refused with a `ForeignPathError`, whatever the flags, because it may be someone's data.

Folders written before markers existed are recognised by their content, never deleted on that
evidence alone: such a folder may be replaced only when every entry in it is a name the tool
writes for that kind of artefact (`legacy_names`), so a stray `thesis.txt` keeps it safe.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from keras_resnet._utils.atomic import write_json
from keras_resnet._utils.units import format_bytes
from keras_resnet._version import __version__
from keras_resnet.errors import DiskFullError, ForeignPathError, KerasResNetError

__all__ = [
    "MARKER",
    "TOOL",
    "claim",
    "marker_of",
    "is_ours",
    "only_tool_files",
    "foreign_entries",
    "check_replaceable",
    "probe_writable",
    "remove_owned",
    "remove_entries",
    "disk_full_error",
    "is_disk_error",
    "disk_errors_reported",
    "DISK_ERRNOS",
]

MARKER = ".keras-resnet.json"
TOOL = "keras-resnet"
# A full disk, a quota, a read-only mount or no permission: the user frees space or picks --out.
DISK_ERRNOS = {28, 122, 30, 13, 1}  # ENOSPC, EDQUOT, EROFS, EACCES, EPERM
PROBE_ATTEMPTS = 3  # a probe whose new folder another process removed meanwhile tries again
# How libraries that drop the errno (h5py, TensorFlow's C++ file system) word the same failures.
DISK_MESSAGES = ("No space left on device", "Disk quota exceeded", "Read-only file system")


def claim(folder: str | os.PathLike, kind: str, **fields: object) -> Path:
    """Create `folder` if needed and write its marker (tool, version, kind); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / MARKER, {"tool": TOOL, "version": __version__, "kind": kind, **fields})
    return folder


def marker_of(folder: str | os.PathLike) -> dict | None:
    """The folder's marker, or None when it has none (or one that is not ours)."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("tool") == TOOL else None


def is_ours(folder: str | os.PathLike, kind: str) -> bool:
    """Whether `folder` carries our marker for artefacts of `kind` ("run", "export", ...)."""
    marker = marker_of(folder)
    return marker is not None and marker.get("kind") == kind


def only_tool_files(folder: str | os.PathLike, names: Iterable[str]) -> bool:
    """Whether every entry of `folder` is one of `names` (what the tool writes there)."""
    names = set(names) | {MARKER}
    return all(
        entry.name in names or entry.name.startswith(".") and ".tmp" in entry.name
        for entry in Path(folder).iterdir()
    )


def foreign_entries(folder: str | os.PathLike, names: Iterable[str]) -> list[str]:
    """The entries of `folder` (sorted) that are neither one of `names`, nor the marker, nor a
    transient entry of the tool's own: what someone else put there."""
    names = set(names) | {MARKER}
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(e.name for e in folder.iterdir() if e.name not in names and not _vouched_for(e))


def _vouched_for(entry: Path) -> bool:
    """A transient entry of the tool's own: a hidden `.tmp` file (a write probe or an atomic write
    in progress) or a hidden folder carrying our marker (another worker's scratch folder)."""
    if not entry.name.startswith("."):
        return False
    return (".tmp" in entry.name and entry.is_file()) or (entry.is_dir() and marker_of(entry) is not None)


def check_replaceable(
    folder: str | os.PathLike, kind: str, *, legacy_names: Iterable[str] = (), what: str = "folder"
) -> None:
    """Refuse (ForeignPathError) to replace a non-empty `folder` the tool cannot prove it wrote.

    Ours: it carries the marker of `kind`, or (a folder from before markers) holds only
    `legacy_names`. An empty folder is always usable, and so is one holding only the tool's own
    transient entries (workers of one run start at once and probe the same folder).
    """
    folder = Path(folder)
    if not folder.is_dir() or all(_vouched_for(entry) for entry in folder.iterdir()) or is_ours(folder, kind):
        return
    if legacy_names and only_tool_files(folder, legacy_names):
        return
    marker = marker_of(folder)
    found = f"a keras-resnet {marker.get('kind')}" if marker else "files keras-resnet did not write"
    raise ForeignPathError(
        f"{what} {str(folder)!r} holds {found}, not a keras-resnet {kind}; it is left untouched "
        f"whatever the flags: choose another folder, or move its contents away yourself"
    )


def remove_owned(folder: str | os.PathLike) -> None:
    """Delete a folder of ours, its marker last, so a kill midway leaves a folder still marked."""
    import shutil

    folder = Path(folder)
    for entry in folder.iterdir():
        if entry.name == MARKER:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    (folder / MARKER).unlink(missing_ok=True)
    folder.rmdir()


def remove_entries(folder: str | os.PathLike, names: Iterable[str]) -> None:
    """Delete the entries `names` of a folder of ours and its transient entries; the folder, its
    marker and anything else in it stay (callers refuse first when there is anything else)."""
    import shutil

    names = set(names) - {MARKER}
    for entry in Path(folder).iterdir():
        if entry.name not in names and not _vouched_for(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def probe_writable(folder: str | os.PathLike, *, needed_bytes: int = 0) -> None:
    """Write, fsync and remove a probe file in `folder`; a DiskFullError when it is read-only, not
    ours to write, or has less than `needed_bytes` free. Folders it had to create for the probe are
    removed again, so a refused run leaves nothing behind."""
    import shutil
    import uuid

    folder = Path(folder)
    created = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    probe = folder / f".keras-resnet-probe-{uuid.uuid4().hex[:8]}.tmp"
    for attempt in range(PROBE_ATTEMPTS):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with open(probe, "wb") as file:
                file.write(b"\0" * 4096)
                file.flush()
                os.fsync(file.fileno())
            free = shutil.disk_usage(folder).free
            break
        except FileNotFoundError:
            # Two processes of one run probe the same new folder, and each removes the folders it
            # made: the other's removal can come between this one's mkdir and open. Not a full disk.
            if attempt == PROBE_ATTEMPTS - 1:
                raise
        except OSError as err:
            if err.errno not in DISK_ERRNOS:
                raise  # not the disk: a bug or an environment problem, shown as it is
            raise disk_full_error(err, folder, needed_bytes) from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink(missing_ok=True)
            for parent in created:  # deepest first; only the empty folders the probe made
                with contextlib.suppress(OSError):
                    parent.rmdir()
    if needed_bytes and free < needed_bytes:
        raise DiskFullError(
            f"{folder} has {format_bytes(free)} free but this needs about {format_bytes(needed_bytes)}; "
            f"free space there or choose another folder"
        )


def disk_full_error(err: OSError, folder: str | os.PathLike, needed_bytes: int = 0) -> DiskFullError:
    """The one-line DiskFullError for an OSError of `DISK_ERRNOS` while writing into `folder`."""
    need = f" (it needs about {format_bytes(needed_bytes)} free)" if needed_bytes else ""
    if err.errno in (30, 13, 1):
        return DiskFullError(
            f"cannot write into {folder}: {os.strerror(err.errno)}; choose a writable folder{need}"
        )
    return DiskFullError(
        f"no space left on the disk of {folder}{need}; free space there (or choose another folder) "
        f"and run the same command again: the last good state is intact"
    )


def is_disk_error(err: BaseException) -> bool:
    """Whether `err` (or an exception it was raised from) is a full disk or a refused write."""
    return any(
        (isinstance(e, OSError) and e.errno in DISK_ERRNOS) or any(m in str(e) for m in DISK_MESSAGES)
        for e in _chain(err)
    )


@contextlib.contextmanager
def disk_errors_reported(folder: str | os.PathLike, *, needed_bytes: int = 0) -> Iterator[None]:
    """Turn a full disk or a refused write inside the block into the one-line DiskFullError."""
    try:
        yield
    except KerasResNetError:
        raise
    except Exception as err:
        if not is_disk_error(err):
            raise
        code = next((e.errno for e in _chain(err) if isinstance(e, OSError) and e.errno), 28)
        if any("Read-only" in str(e) for e in _chain(err)):
            code = 30
        raise disk_full_error(OSError(code, os.strerror(code)), folder, needed_bytes) from None


def _chain(err, limit: int = 8):
    while err is not None and limit:
        yield err
        err, limit = err.__cause__ or err.__context__, limit - 1

"""Image verdicts: every image of a folder dataset fully decoded once, before any model is built.

A JPEG cut off after its header opens fine and only fails when its pixels are read, deep inside
TensorFlow's input pipeline, in the middle of an epoch. So before a folder is used, each file is
decoded completely with Pillow (`keras_resnet.data.images.check_image`), in parallel threads
(Pillow releases the GIL while it decodes; on 2 cores threads matched processes without their
start-up cost, and let a test count the decodes), with a progress bar when it takes a while.
The verdicts are cached by (path, size, modification time) in a cache folder, never in the user's
dataset folder, so the next run only looks at each file's size and time. The cache folder is
`$KERAS_RESNET_CACHE`, else `$XDG_CACHE_HOME/keras_resnet`, else `~/.cache/keras_resnet`.
Bad files are named in one line (`bad_images_message`); the caller refuses or skips them.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from keras_resnet._utils.atomic import write_json
from keras_resnet.data import images

__all__ = ["Verdicts", "check_images", "cache_folder", "bad_images_message", "CACHE_ENV"]

CACHE_ENV = "KERAS_RESNET_CACHE"
"""Environment variable naming the cache folder (the image verdicts go in its `image_verdicts/`)."""

CACHE_FORMAT = 1
NAMED_IN_MESSAGE = 3
"""How many bad files a message names before it says "and N more"."""

PROGRESS_AFTER_SECONDS = 1.0
"""A check that ends sooner shows no progress at all."""


@dataclasses.dataclass(frozen=True)
class Verdicts:
    """What the check of a set of files found, in the order the files were given.

    `formats` maps each good file to its Pillow format name ("JPEG", "WEBP", ...); `bad` holds
    (path, reason) for each file that does not fully decode; `decoded` counts the files decoded
    this time (0 when every verdict came from the cache).
    """

    formats: dict[Path, str]
    bad: tuple[tuple[Path, str], ...]
    decoded: int

    @property
    def good(self) -> list[Path]:
        return list(self.formats)


def cache_folder() -> Path:
    """The folder keras-resnet caches into ($KERAS_RESNET_CACHE, else the user's cache folder)."""
    given = os.environ.get(CACHE_ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "keras_resnet"


def check_images(
    paths: Sequence[str | os.PathLike],
    *,
    root: str | os.PathLike,
    progress: bool = True,
    workers: int | None = None,
) -> Verdicts:
    """Fully decode every file of `paths` whose size or modification time is not in the cache.

    The verdicts of `root`'s files are cached in one JSON file under `cache_folder()`, written
    atomically, holding only the files of this call (a file removed from the folder is forgotten).
    Nothing is ever written under `root`.

    Args:
        paths: the image files, under `root`.
        root: the dataset folder the files belong to (the cache's key; messages name files
            relative to it).
        progress: show a progress bar (or, without a terminal, a line or two) when the check
            takes longer than `PROGRESS_AFTER_SECONDS`.
        workers: decoding threads (default: one per available core).
    """
    files = [p if isinstance(p, Path) else Path(p) for p in paths]
    keys = _keys(files, root)
    root = Path(os.path.abspath(root))
    cache_file = _cache_file(root.resolve())
    cached = _read_cache(cache_file)
    entries: dict[str, list] = {}
    stamps: dict[Path, tuple[int, int] | None] = {}
    todo: list[Path] = []
    for path in files:
        stamp = stamps[path] = _stamp(path)
        old = cached.get(keys[path])
        if stamp is not None and old is not None and old[0] == stamp[0] and old[1] == stamp[1]:
            entries[keys[path]] = old
        else:
            todo.append(path)
    for path, verdict in _decode_all(todo, progress=progress, workers=workers):
        stamp = stamps[path] or (-1, -1)  # a file that vanished meanwhile is checked again next time
        entries[keys[path]] = [*stamp, verdict.format, verdict.problem]
    if todo or entries.keys() != cached.keys():
        _write_cache(cache_file, root, entries)
    formats, bad = {}, []
    for path in files:
        _size, _time, format_name, problem = entries[keys[path]]
        if problem is None:
            formats[path] = format_name
        else:
            bad.append((path, problem))
    return Verdicts(formats=formats, bad=tuple(bad), decoded=len(todo))


def bad_images_message(
    bad: Sequence[tuple[Path, str]], root: str | os.PathLike, *, skipping: bool = False
) -> str:
    """The first few bad files with their reasons, then a count, in one line (without the fix).

    Args:
        bad: (path, reason) of each file that does not decode, as `Verdicts.bad` holds them.
        root: the dataset folder; files are named relative to it.
        skipping: say that the files are left out, instead of that they cannot be decoded.
    """
    shown = [f"{_relative(path, root)} ({reason})" for path, reason in bad[:NAMED_IN_MESSAGE]]
    more = len(bad) - len(shown)
    images = f"{len(bad)} image{'s' if len(bad) != 1 else ''}"
    count = f"leaving out {images} that cannot be decoded" if skipping else f"{images} cannot be decoded"
    return f"{count}: {', '.join(shown)}" + (f", and {more} more" if more else "")


def _relative(path: Path, root: str | os.PathLike) -> str:
    """`path` relative to `root` (plain string work, no file system calls), else as given."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return str(path) if relative.startswith("..") else Path(relative).as_posix()


def _keys(files: list[Path], root: str | os.PathLike) -> dict[Path, str]:
    """Each file's cache key: its path relative to `root`, with "/" (a prefix cut where it can be,
    as `os.path.relpath` for a folder of 5,000 files costs more than the rest of a cached check)."""
    prefix = os.path.join(os.fspath(root), "")
    keys = {}
    for path in files:
        text = os.fspath(path)
        relative = text[len(prefix) :] if text.startswith(prefix) else _relative(path, root)
        keys[path] = relative.replace(os.sep, "/") if os.sep != "/" else relative
    return keys


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns)


def _cache_file(root: Path) -> Path:
    digest = hashlib.sha256(str(root).encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return cache_folder() / "image_verdicts" / f"{digest}.json"


def _pillow_version() -> str:
    import PIL

    return PIL.__version__


def _read_cache(path: Path) -> dict[str, list]:
    """The cached entries, or {} when there is no cache, it is damaged, or Pillow changed (a newer
    Pillow may read files an older one could not)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != CACHE_FORMAT or data.get("pillow") != _pillow_version():
            return {}
        files = data["files"]
        return {k: v for k, v in files.items() if isinstance(v, list) and len(v) == 4}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _write_cache(path: Path, root: Path, entries: dict[str, list]) -> None:
    """Write the cache atomically; a cache that cannot be written only costs the next run time."""
    data = {"format": CACHE_FORMAT, "pillow": _pillow_version(), "root": str(root), "files": entries}
    try:
        write_json(path, data)
    except OSError as err:
        print(f"note: cannot write the image check cache {path} ({err.strerror}); the next run checks again")


def _decode_all(paths: list[Path], *, progress: bool, workers: int | None) -> Iterable:
    """(path, `ImageVerdict`) for each path, decoded by a pool of threads, in completion order."""
    if not paths:
        return
    workers = workers or _cores()
    bar = _Progress(len(paths), enabled=progress)
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(images.check_image, path): path for path in paths}
        try:
            for future in concurrent.futures.as_completed(futures):
                yield futures[future], future.result()
                bar.advance()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        finally:
            bar.close()


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


class _Progress:
    """A bar on a terminal (stderr), at most two lines without one; nothing for a quick check."""

    def __init__(self, total: int, *, enabled: bool, stream=None):
        self.total, self.done, self.enabled = total, 0, enabled
        self.stream = stream or sys.stderr
        self.start = self.last = time.perf_counter()
        self.shown = False
        self.terminal = bool(getattr(self.stream, "isatty", lambda: False)())

    def advance(self) -> None:
        self.done += 1
        now = time.perf_counter()
        if not self.enabled or now - self.start < PROGRESS_AFTER_SECONDS:
            return
        if not self.terminal:
            if not self.shown:
                self._write(f"checking {self.total} images (a full decode, once; cached for later runs)...\n")
                self.shown = True
            return
        if not self.shown or now - self.last >= 0.1 or self.done == self.total:
            filled = int(30 * self.done / self.total)
            bar = "#" * filled + "." * (30 - filled)
            self._write(f"\rchecking images [{bar}] {self.done}/{self.total}")
            self.shown, self.last = True, now

    def close(self) -> None:
        if self.shown:
            seconds = time.perf_counter() - self.start
            end = "\r\x1b[K" if self.terminal else ""
            self._write(f"{end}checked {self.done} images in {seconds:.1f} s\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

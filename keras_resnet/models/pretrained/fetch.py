"""Fetch a registry entry's file into the Keras cache once, checked against its published hash.

`keras.utils.get_file` does the download into the Keras cache; the published hash (md5 for
keras.applications, the sha256 prefix torchvision puts in its file names, checked as torchvision
does) is checked here, on every load, for a cached file too. With no
network (or `KERAS_RESNET_OFFLINE=1`) the error comes at once and names the URL and the exact
path where a file downloaded by other means is picked up.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import socket
import urllib.parse
from pathlib import Path

from keras_resnet.errors import CorruptFileError, OfflineError
from keras_resnet.models.pretrained.registry import WeightSource

CACHE_SUBDIR = "models"  # keras.applications' folder, so its files are shared
PROBE_SECONDS = 1.5


def cache_path(entry: WeightSource) -> Path:
    """Where `entry`'s file lives in the Keras cache ($KERAS_HOME or ~/.keras, then models/).

    Args:
        entry: the weights' table entry.
    """
    home = os.path.expanduser(os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"))
    return Path(home) / CACHE_SUBDIR / entry.file_name


def fetch(entry: WeightSource) -> Path:
    """The local path of `entry`'s file, downloading it only when the cache lacks it.

    Args:
        entry: the weights' table entry.
    """
    import keras

    path = cache_path(entry)
    if path.exists():
        _check_hash(entry, path, "it is truncated or another file; replace it with that download")
        return path
    _check_online(entry, path)
    try:
        fetched = keras.utils.get_file(
            entry.file_name, entry.url, cache_subdir=CACHE_SUBDIR, cache_dir=str(path.parent.parent)
        )
    except Exception as err:  # get_file wraps every URL failure in a bare Exception
        raise OfflineError(_offline_message(entry, path, str(err).splitlines()[0])) from err
    _check_hash(entry, Path(fetched), "the download is corrupt: delete it and try again")
    return Path(fetched)


def _check_hash(entry: WeightSource, path: Path, advice: str) -> None:
    """CorruptFileError unless `path` has `entry`'s published hash (when one is published)."""
    if entry.file_hash and not _hash_matches(path, entry.file_hash, _algorithm(entry)):
        raise CorruptFileError(
            f"{str(path)!r} does not match the {_algorithm(entry)} published for {entry.url} "
            f"({entry.file_hash}): {advice}"
        )


def _algorithm(entry: WeightSource) -> str:
    return "sha256" if entry.hash_kind == "sha256-prefix" else entry.hash_kind


def _hash_matches(path: Path, expected: str, algorithm: str) -> bool:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest().startswith(expected)


def _offline_message(entry: WeightSource, path: Path, reason: str) -> str:
    return (
        f"cannot download {entry.source} weights for {entry.model} ({reason}): fetch {entry.url} "
        f"by other means and put it at {path}"
    )


def _check_online(entry: WeightSource, path: Path) -> None:
    """Raise OfflineError within PROBE_SECONDS when the file's host cannot be reached."""
    if os.environ.get("KERAS_RESNET_OFFLINE", "") not in ("", "0"):
        raise OfflineError(_offline_message(entry, path, "KERAS_RESNET_OFFLINE is set"))
    parts = urllib.parse.urlsplit(entry.url)
    if parts.scheme == "file":
        return
    address = (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    probe = pool.submit(socket.create_connection, address, PROBE_SECONDS)
    try:
        probe.result(timeout=PROBE_SECONDS).close()
    except (OSError, concurrent.futures.TimeoutError) as err:
        reason = (
            "no network" if isinstance(err, concurrent.futures.TimeoutError) else str(err) or "no network"
        )
        raise OfflineError(_offline_message(entry, path, f"{parts.hostname} unreachable: {reason}")) from None
    finally:
        pool.shutdown(wait=False)

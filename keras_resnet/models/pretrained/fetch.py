"""Fetch a registry entry's file into the Keras cache once, checked against its published hash.

`keras.utils.get_file` does the download, the cache and the md5/sha256 check; torchvision's files
carry only a sha256 prefix in their name, which is checked here as torchvision does. With no
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
    """Where `entry`'s file lives in the Keras cache ($KERAS_HOME or ~/.keras, then models/)."""
    home = os.path.expanduser(os.environ.get("KERAS_HOME") or os.path.join("~", ".keras"))
    return Path(home) / CACHE_SUBDIR / entry.file_name


def fetch(entry: WeightSource) -> Path:
    """The local path of `entry`'s file, downloading it only when the cache lacks it."""
    import keras

    path = cache_path(entry)
    if not path.exists():
        _check_online(entry, path)
    keras_hash = entry.file_hash if entry.hash_kind in ("md5", "sha256") else None
    try:
        fetched = keras.utils.get_file(
            entry.file_name,
            entry.url,
            file_hash=keras_hash,
            hash_algorithm=entry.hash_kind if keras_hash else "auto",
            cache_subdir=CACHE_SUBDIR,
            cache_dir=str(path.parent.parent),
        )
    except Exception as err:  # get_file wraps every URL failure in a bare Exception
        raise OfflineError(_offline_message(entry, path, str(err).splitlines()[0])) from err
    fetched = Path(fetched)
    if keras_hash and not _hash_matches(fetched, entry.file_hash, entry.hash_kind):
        raise CorruptFileError(
            f"{str(fetched)!r} does not match the {entry.hash_kind} published for {entry.url}; "
            "delete it and try again"
        )
    if entry.hash_kind == "sha256-prefix" and not _hash_matches(fetched, entry.file_hash, "sha256"):
        raise CorruptFileError(
            f"{str(fetched)!r} does not match the sha256 prefix {entry.file_hash} in its name "
            f"({entry.url}); delete it and try again"
        )
    return fetched


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

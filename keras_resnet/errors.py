"""The exceptions keras-resnet raises on purpose: one base class, one subclass per kind of problem.

Each also derives from the built-in exception it refines, so `except ValueError` keeps working.
The CLI prints any `KerasResNetError` as one line and exits with code 2; the message names the
problem and, where there is one, the fix.
"""

from __future__ import annotations

__all__ = [
    "KerasResNetError",
    "InvalidInputError",
    "ForeignPathError",
    "MissingFileError",
    "CorruptFileError",
    "ArchitectureMismatchError",
    "DiskFullError",
    "OfflineError",
    "TrainingError",
]


class KerasResNetError(Exception):
    """Base class: a failure the user can act on, reported without a traceback."""


class InvalidInputError(KerasResNetError, ValueError):
    """An argument, option, dataset or image that cannot be used as given."""


class ForeignPathError(KerasResNetError, FileExistsError):
    """A path the tool would overwrite or resume, but cannot prove it wrote itself."""


class MissingFileError(KerasResNetError, FileNotFoundError):
    """A file or folder that should exist does not."""


class CorruptFileError(KerasResNetError, ValueError):
    """A file that exists but cannot be read: truncated, corrupt or of another format."""


class ArchitectureMismatchError(KerasResNetError, ValueError):
    """Weights that were read but do not fit the model: missing, extra or mis-shaped tensors."""


class DiskFullError(KerasResNetError, OSError):
    """A write failed for lack of space or permission; the last good state is left intact."""


class OfflineError(KerasResNetError, ConnectionError):
    """A file to download could not be fetched; the message says where to put it by hand."""


class TrainingError(KerasResNetError, RuntimeError):
    """Training stopped for a reason the user must act on (e.g. the loss became NaN)."""

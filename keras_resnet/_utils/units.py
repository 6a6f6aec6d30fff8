"""Byte counts as people read them, written one way everywhere: powers of 1024 with IEC names
(KiB, MiB, GiB), so an export's file sizes and a disk-space message agree."""

from __future__ import annotations

__all__ = ["format_bytes"]


def format_bytes(count: float) -> str:
    """`count` bytes as "512 bytes", "1.5 KiB", "25.6 MiB" or "3.2 GiB".

    Args:
        count: a number of bytes (>= 0).
    """
    for unit in ("bytes", "KiB", "MiB"):
        if count < 1024:
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"

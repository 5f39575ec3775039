"""Memory checks made before a command starts work, so that a huge request fails at once, in one line."""
from __future__ import annotations

import os

from ._command import UsageError

__all__ = ["available_memory", "require_memory", "format_bytes"]


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or None when unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    """``n`` bytes as a short human-readable size (binary units)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover - the loop always returns


def require_memory(nbytes: float, what: str) -> None:
    """Raise ``UsageError`` when ``what`` needs more than the memory available now.

    ``nbytes`` is the caller's estimate of its peak working set; the message gives both numbers.
    """
    available = available_memory()
    if available is not None and nbytes > available:
        raise UsageError(f"{what} needs about {format_bytes(nbytes)} of memory; "
                         f"{format_bytes(available)} is available")

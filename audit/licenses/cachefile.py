"""Checked files of compiled license data in the depaudit cache directory.

The license index (:mod:`audit.licenses.ruledb`) and the shingled license texts
(:mod:`audit.licenses.texts`) are compiled once and kept as :mod:`marshal` files (plain
values only: nothing in them can run code). Each file is ``(format, CRC-32 of the payload,
payload)``, marshalled, the payload itself marshalled: a file of another format, truncated
or damaged is never used (the caller compiles its data again and writes it anew). Files
are written atomically (:mod:`audit.atomicfile`); a cache that cannot be
written is logged, never an error.
"""

from __future__ import annotations

import logging
import marshal
import zlib
from pathlib import Path
from typing import Any

from audit import atomicfile

log = logging.getLogger(__name__)


def dump(fmt: str, value: Any) -> bytes:
    """The bytes of a file of format ``fmt`` holding ``value`` (plain values only)."""
    payload = marshal.dumps(value)
    return marshal.dumps((fmt, zlib.crc32(payload), payload))


def load(fmt: str, data: bytes) -> Any:
    """The value a file's bytes hold, or ``None`` when they are not a file of format
    ``fmt`` or do not check."""
    try:
        found, crc, payload = marshal.loads(data)
        if found != fmt or not isinstance(payload, bytes) or zlib.crc32(payload) != crc:
            return None
        return marshal.loads(payload)
    except (ValueError, TypeError, EOFError):
        return None


def read(fmt: str, path: Path) -> Any:
    """:func:`load` of the file at ``path`` (``None`` too when it cannot be read)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return load(fmt, data)


def write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; a failure is logged, never raised."""
    try:
        atomicfile.write(path, data)
    except OSError as exc:
        log.warning("cannot cache %s in %s: %s", path.name, path.parent, exc)


__all__ = ["dump", "load", "read", "write"]

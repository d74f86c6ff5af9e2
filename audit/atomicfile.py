"""Files of the depaudit cache directory written whole or not at all.

A file is written to a temporary file beside it and renamed over the old one, so that a
reader (or a concurrent run) sees either the old file or the new one, never a part; the
temporary file is removed when writing fails. Directories made on the way are private
(mode 0700): the cache holds what depaudit read from scanned trees.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; raises :class:`OSError` (nothing left behind)."""
    import tempfile  # (and its random numbers) only when a cache is written

    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


__all__ = ["write"]

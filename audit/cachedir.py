"""Where depaudit keeps what it computes once and reads again: the cache directory.

``$DEPAUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/depaudit`` or ``~/.cache/depaudit``. Kept
apart from the caches themselves (:mod:`audit.scancache`, :mod:`audit.spdxcache`,
:mod:`audit.classcode`, the license data's files) so that asking for the directory imports
nothing else: :mod:`audit.classcode` needs it before any of depaudit's data classes exist.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``$DEPAUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/depaudit`` or ``~/.cache/depaudit``
    (:class:`RuntimeError` where there is no home directory to hold it)."""
    env = os.environ.get("DEPAUDIT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "depaudit"


__all__ = ["default_cache_dir"]

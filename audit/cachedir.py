"""Where depaudit keeps what it computes once and reads again: the cache directory.

``$DEPAUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/depaudit`` or ``~/.cache/depaudit``. Kept
apart from the caches themselves (:mod:`audit.scancache`, :mod:`audit.spdxcache`,
:mod:`audit.classcode`, the license data's files) so that asking for the directory imports
nothing else: :mod:`audit.classcode` needs it before any of depaudit's data classes exist.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path


def default_cache_dir() -> Path:
    """``$DEPAUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/depaudit`` or ``~/.cache/depaudit``
    (:class:`RuntimeError` where there is no home directory to hold it)."""
    env = os.environ.get("DEPAUDIT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(base) / "depaudit"


def prune(folder: Path, suffix: str, keep: int, companions: Sequence[str] = ()) -> None:
    """Remove all but the ``keep`` most recently written files named ``*<suffix>`` in
    ``folder``, each with the files of the same stem and a suffix in ``companions`` (a
    build lock). Where the folder cannot be read nothing is removed; a file that cannot be
    removed is left. Only regular files are removed (a symbolic link is not followed)."""
    try:
        with os.scandir(folder) as entries:
            found = [
                (entry.stat(follow_symlinks=False).st_mtime_ns, entry.name)
                for entry in entries
                if entry.name.endswith(suffix) and entry.is_file(follow_symlinks=False)
            ]
    except OSError:
        return
    found.sort(reverse=True)
    for _, name in found[keep:]:
        stem = name[: -len(suffix)] if suffix else name
        for gone in (name, *(stem + other for other in companions)):
            with contextlib.suppress(OSError):
                (folder / gone).unlink()


__all__ = ["default_cache_dir", "prune"]

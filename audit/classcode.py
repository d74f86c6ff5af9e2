"""The compiled methods of data classes, kept between runs.

Python writes the methods of each data class (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, a frozen class's ``__setattr__`` and ``__delattr__``) as source text when the
class is defined, and compiles that text: up to seven compilations per class, about 0.85 ms
per frozen class on CPython 3.11. A scan defines some 140 of depaudit's classes, 0.12 s:
a third of a warm scan of a 1,200-file tree, spent again on every run for the same texts.

The text depends only on the class's shape (its field names, which defaults it has, its
options), never on values, and compiling the same text with the same interpreter gives the
same code. So while :func:`install`-ed, the text :mod:`dataclasses` hands to ``exec`` is
looked up in ``<cache dir>/classcode/<interpreter>.bin`` and its code, compiled in an
earlier run, is run instead; a text not found is compiled as Python would and kept
(:func:`save`). Nothing else changes: the same code runs with the same names.

The file is read only when it is whole and checks (:mod:`audit.licenses.cachefile`: magic,
CRC-32, this format and this exact interpreter), when it is the user's own and no one else
may write it, and when its folder is the user's own and closed to others (mode 0700, as
depaudit makes it; :func:`audit.licenses.cachefile.read` with ``mine``): the code it holds
runs as depaudit's own. Anything wrong (damaged, foreign, not private, unreadable, an entry that
does not load) falls back to compiling, which is what Python does without this module.
The command line installs it for each command and saves once the command ends; the scan's
fork server installs it too (:mod:`audit.classcode_preloaded`), read only.
"""

from __future__ import annotations

import builtins
import dataclasses
import marshal
import sys
import threading
from pathlib import Path
from types import CodeType
from typing import Any

from audit.kept import Kept

FORMAT = "depaudit/classcode/1"
KEY = f"{sys.implementation.cache_tag} {sys.version}"
"""The interpreter the code was compiled by (marshal's format and the bytecode are its own)."""
MAX_ENTRIES = 4_000
"""Texts kept (depaudit's classes make about 1,200): past that, those of the last run."""


class _Store:
    """The texts and code of one process: those found in the file (read on first use),
    those compiled here."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.kept: Kept[bytes] | None = None
        self.hits = 0

    def _kept(self) -> Kept[bytes]:
        with self.lock:
            if self.kept is None:
                self.kept = Kept(_read(self.path), MAX_ENTRIES)
            return self.kept

    def code(self, text: str) -> CodeType:
        kept = self._kept()
        found = kept.get(text)
        if found is not None:
            try:
                code = marshal.loads(found)
            except (ValueError, EOFError, TypeError):
                code = None
            if isinstance(code, CodeType):
                self.hits += 1
                return code
            kept.forget(text)
        # As exec() compiles a text: file name "<string>", no flags of the caller's (the
        # dataclasses module has no __future__ imports).
        code = compile(text, "<string>", "exec", dont_inherit=True)
        kept.put(text, marshal.dumps(code))
        return code

    def compiled(self) -> int:
        return len(self.kept.new) if self.kept is not None else 0

    def save(self) -> None:
        from audit.licenses import cachefile

        entries = self.kept.take() if self.kept is not None and self.path is not None else None
        if self.path is not None and entries is not None:
            cachefile.write(self.path, cachefile.dump(FORMAT, KEY, entries))


def _read(path: Path | None) -> dict[str, bytes]:
    from audit.licenses import cachefile

    if path is None:
        return {}
    loaded = cachefile.read(FORMAT, KEY, path, mine=True)
    if loaded is None:
        return {}
    value = loaded.value
    if not isinstance(value, dict):
        return {}
    return {t: c for t, c in value.items() if isinstance(t, str) and isinstance(c, bytes)}


_STORE: _Store | None = None


def _exec(source: Any, globals: Any = None, locals: Any = None, /, **kwargs: Any) -> Any:
    """``exec`` as :mod:`dataclasses` calls it, with the kept code of a text it was given."""
    store = _STORE
    if store is not None and type(source) is str:
        source = store.code(source)
    return builtins.exec(source, globals, locals, **kwargs)


def install(cache_dir: Path | None = None) -> None:
    """Use (and keep) the compiled code of data classes defined from now on in this process,
    in ``cache_dir`` (default: :func:`audit.cachedir.default_cache_dir`; none where there is
    no home directory). Installing again changes nothing."""
    global _STORE
    if _STORE is not None:
        return
    if cache_dir is None:
        from audit.cachedir import default_cache_dir

        try:
            cache_dir = default_cache_dir()
        except RuntimeError:
            cache_dir = None
    _STORE = _Store(
        cache_dir / "classcode" / f"{sys.implementation.cache_tag}.bin" if cache_dir else None
    )
    dataclasses.exec = _exec  # type: ignore[attr-defined]


def uninstall() -> None:
    """Let :mod:`dataclasses` compile every text again (and forget what was read)."""
    global _STORE
    _STORE = None
    if getattr(dataclasses, "exec", None) is _exec:
        del dataclasses.exec  # type: ignore[attr-defined]


def save() -> None:
    """Keep the code compiled in this process (the command line calls it once a command
    ends); a failure to write is logged, never raised."""
    store = _STORE
    if store is not None:
        store.save()


def hits() -> int:
    """How many texts were answered from the kept code since :func:`install`."""
    return _STORE.hits if _STORE is not None else 0


def compiled() -> int:
    """How many texts were compiled since :func:`install` (or the last :func:`save`)."""
    return _STORE.compiled() if _STORE is not None else 0


__all__ = ["FORMAT", "KEY", "MAX_ENTRIES", "compiled", "hits", "install", "save", "uninstall"]

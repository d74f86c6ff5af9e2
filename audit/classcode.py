"""The compiled methods of data classes and the programs of regular expressions, kept
between runs.

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

Regular expressions are the same case: :mod:`re` parses a pattern and compiles it to a
program for its matching engine in pure Python (0.1–0.5 ms a pattern; a scan compiles some
250, most as its modules are imported: a tenth of its start-up). The program depends only on
the pattern, its flags and the interpreter, so while installed, a pattern :mod:`re` has not
compiled in this process yet is looked up in the same file (its program: the arguments
:mod:`re` hands to its engine, ``_sre.compile``), else compiled as :mod:`re` does and kept.
The engine checks a program before it takes it; :mod:`re`'s own cache is untouched.

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
import importlib
import marshal
import re
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
"""Texts kept (depaudit's classes make about 1,200, its patterns about 600): past that,
those of the last run."""

_RE_COMPILER: Any = getattr(re, "_compiler", None) or importlib.import_module("sre_compile")
_RE_PARSER: Any = getattr(re, "_parser", None) or importlib.import_module("sre_parse")
""":mod:`re`'s compiler and parser (``re._compiler`` from Python 3.11, ``sre_compile``
before)."""
_RE_COMPILE = _RE_COMPILER.compile
"""What :mod:`re` calls to compile a pattern it has not compiled yet in this process."""
_PATTERN = "\0re\0"
"""How a pattern's key starts (a data class's text never starts with a NUL)."""


class _Store:
    """The texts and code of one process: those found in the file (read on first use),
    those compiled here."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.reading = False
        self.kept: Kept[bytes] | None = None
        self.hits = 0
        self.pattern_hits = 0

    def _kept(self) -> Kept[bytes] | None:
        """The texts kept; None while this thread reads them (what reading imports is
        compiled as Python does)."""
        with self.lock:
            if self.kept is None:
                if self.reading:
                    return None
                self.reading = True
                try:
                    self.kept = Kept(_read(self.path), MAX_ENTRIES)
                finally:
                    self.reading = False
            return self.kept

    def code(self, text: str) -> CodeType:
        kept = self._kept()
        if kept is None:
            return compile(text, "<string>", "exec", dont_inherit=True)
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

    def pattern(self, pattern: str | bytes, flags: int) -> Any:
        """``pattern`` compiled from its kept program, else compiled as :mod:`re` does."""
        kept = self._kept()
        if kept is None:
            return _RE_COMPILE(pattern, flags)
        key = _pattern_key(pattern, flags)
        found = kept.get(key)
        if found is not None:
            try:
                compiled = _RE_COMPILER._sre.compile(pattern, *marshal.loads(found))
            except (ValueError, EOFError, TypeError, RuntimeError):  # not a (valid) program
                compiled = None
            if compiled is not None:
                self.pattern_hits += 1
                return compiled
            kept.forget(key)
        try:
            program = _program(pattern, flags)
        except Exception:  # an invalid pattern: re raises what it raises
            return _RE_COMPILE(pattern, flags)
        compiled = _RE_COMPILER._sre.compile(pattern, *program)
        kept.put(key, marshal.dumps(program))
        return compiled

    def compiled(self) -> int:
        if self.kept is None:
            return 0
        return sum(1 for text in self.kept.new if not text.startswith(_PATTERN))

    def patterns_compiled(self) -> int:
        if self.kept is None:
            return 0
        return sum(1 for text in self.kept.new if text.startswith(_PATTERN))

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


def _pattern_key(pattern: str | bytes, flags: int) -> str:
    if isinstance(pattern, str):
        return f"{_PATTERN}{flags}s\0{pattern}"
    return f"{_PATTERN}{flags}b\0{pattern.decode('latin-1')}"


def _program(pattern: str | bytes, flags: int) -> tuple[Any, ...]:
    """The arguments after the pattern that :mod:`re` hands its engine for ``pattern``
    (the body of ``re._compiler.compile``, Python 3.10 to 3.13)."""
    parsed = _RE_PARSER.parse(pattern, flags)
    code = list(map(int, _RE_COMPILER._code(parsed, flags)))  # its opcodes are int subclasses
    state = parsed.state
    groupindex = dict(state.groupdict)
    indexgroup: list[str | None] = [None] * state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    return (flags | state.flags, code, state.groups - 1, groupindex, tuple(indexgroup))


def _agrees() -> bool:
    """Whether this interpreter's engine takes what :func:`_program` makes and compiles it
    as :mod:`re` does (the body of re's compile is private: checked once, at install, with
    groups, a name, a back reference and an inline flag)."""
    probe = r"(?i)(?P<word>a+)b|(c)\2"
    try:
        mine = _RE_COMPILER._sre.compile(probe, *_program(probe, 0))
        theirs = _RE_COMPILE(probe, 0)
        return bool(
            mine == theirs
            and (mine.flags, mine.groups, mine.groupindex)
            == (theirs.flags, theirs.groups, theirs.groupindex)
        )
    except Exception:
        return False


def _compile(pattern: Any, flags: int = 0) -> Any:
    """``re._compiler.compile`` with the kept programs."""
    store = _STORE
    if store is None or type(pattern) not in (str, bytes) or flags & re.DEBUG:
        return _RE_COMPILE(pattern, flags)
    return store.pattern(pattern, int(flags))


def install(cache_dir: Path | None = None) -> None:
    """Use (and keep) the compiled code of data classes defined and patterns compiled from
    now on in this process, in ``cache_dir`` (default:
    :func:`audit.cachedir.default_cache_dir`; none where there is no home directory).
    Installing again changes nothing."""
    global _STORE
    if _STORE is not None:
        return
    # What reading the file needs is imported now, not by the first pattern compiled: that
    # may be compiled by a module half imported (logging's, in the scan's fork server).
    from audit.licenses import cachefile  # noqa: F401

    if cache_dir is None:
        from audit.cachedir import default_cache_dir

        try:
            cache_dir = default_cache_dir()
        except RuntimeError:
            cache_dir = None
    _STORE = _Store(
        cache_dir / "classcode" / f"{sys.implementation.cache_tag}.bin" if cache_dir else None
    )
    # Read now, before the modules imported next compile their patterns (logging's: it is
    # imported by what logs, after this), so that those are kept too.
    _STORE._kept()
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    if _agrees():
        _RE_COMPILER.compile = _compile


def uninstall() -> None:
    """Let :mod:`dataclasses` and :mod:`re` compile everything again (and forget what was
    read)."""
    global _STORE
    _STORE = None
    if getattr(dataclasses, "exec", None) is _exec:
        del dataclasses.exec  # type: ignore[attr-defined]
    if _RE_COMPILER.compile is _compile:
        _RE_COMPILER.compile = _RE_COMPILE


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


def pattern_hits() -> int:
    """How many patterns were compiled from their kept programs since :func:`install`."""
    return _STORE.pattern_hits if _STORE is not None else 0


def patterns_compiled() -> int:
    """How many patterns were compiled (and their programs kept) since :func:`install` (or
    the last :func:`save`)."""
    return _STORE.patterns_compiled() if _STORE is not None else 0


__all__ = [
    "FORMAT",
    "KEY",
    "MAX_ENTRIES",
    "compiled",
    "hits",
    "install",
    "pattern_hits",
    "patterns_compiled",
    "save",
    "uninstall",
]

"""The scanner interface: one file in, a :class:`ScanResult` out.

A scanner never reads other files, never executes anything and never raises for bad
input: a malformed file becomes a :class:`~audit.model.Problem` naming the path and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, overload

from audit.model import Evidence, Problem, ProblemKind, ScanResult
from audit.scanners import textmarks

_T = TypeVar("_T")


class once(Generic[_T]):
    """A property computed on first use and kept in the instance's ``__dict__``, as
    :func:`functools.cached_property` does, without the lock Python 3.11's takes at each
    first use (a third of the cost; a scanned file's values are made on one thread)."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, cls: type | None = None) -> once[_T]: ...
    @overload
    def __get__(self, obj: object, cls: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, cls: type | None = None) -> once[_T] | _T:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value


@dataclass(frozen=True)
class SourceFile:
    """A file handed to a scanner: its root-relative path and decoded text."""

    path: str
    """Relative to the scanned root, forward slashes."""
    text: str

    @once
    def lines(self) -> tuple[str, ...]:
        """The file's lines, computed on first use (most files never need them)."""
        return tuple(self.text.splitlines())

    @once
    def marks(self) -> frozenset[str]:
        """The strings of :data:`audit.scanners.textmarks.MARKS` the text holds, found in one
        pass on first use (the scanners of C and Go files test for them)."""
        return textmarks.find(self.text, self.utf8)

    @once
    def utf8(self) -> bytes:
        """The text in UTF-8 (a lone surrogate as its three bytes), made on first use: the
        bytes :mod:`audit.scanners.textmarks` searches. A file the scan decoded from clean
        UTF-8 has its own bytes here (:meth:`decoded`), not a copy of a 20 KB C file."""
        return self.text.encode("utf-8", "surrogatepass")

    @classmethod
    def decoded(cls, path: str, text: str, data: bytes) -> SourceFile:
        """The file at ``path`` whose ``text`` is ``data`` decoded as UTF-8 (strict, no BOM):
        ``data`` is then what :attr:`utf8` would make."""
        source = source_file(path, text)
        source.__dict__["utf8"] = data  # as once keeps a value
        return source

    def known_utf8(self) -> bytes | None:
        """:attr:`utf8` when it is made or given already (``None``: not yet)."""
        utf8: bytes | None = self.__dict__.get("utf8")
        return utf8

    def line(self, number: int) -> str:
        """The text of a 1-based line ('' when out of range)."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""

    def evidence(self, number: int, scanner: str, text: str | None = None) -> Evidence:
        """Evidence at a 1-based line of this file (its own text unless given)."""
        return Evidence(self.path, number, self.line(number) if text is None else text, scanner)

    def find_line(self, needle: str, start: int = 1, end: int | None = None) -> int:
        """First 1-based line in [start, end] containing ``needle``; ``start`` if none does."""
        last = len(self.lines) if end is None else min(end, len(self.lines))
        for n in range(max(start, 1), last + 1):
            if needle in self.lines[n - 1]:
                return n
        return start

    def problem(self, line: int, kind: ProblemKind, message: str, scanner: str) -> Problem:
        return Problem(self.path, line, kind, message, scanner)


def source_file(path: str, text: str) -> SourceFile:
    """``SourceFile(path, text)``, made in half the time (the scan makes one for each file
    it reads): a frozen data class's ``__init__`` sets each field through
    ``object.__setattr__``; these are written to the instance's ``__dict__`` at once, as
    the class keeps them (it has no ``__post_init__``)."""
    source = _new(SourceFile)
    fields = source.__dict__
    fields["path"] = path
    fields["text"] = text
    return source


_new = object.__new__


@dataclass(frozen=True)
class Names:
    """The base names a scanner can want, declared beside its module in the registry
    (:data:`audit.scanners.REGISTRY`) so that :func:`audit.scanners.select` asks it only about
    those, and imports its module only once it is asked.

    A necessary condition, lowercase: ``matches(path)`` is never true when the path's base
    name, lowercased, is not one of ``exact``, does not end with one of ``suffixes`` and does
    not start with one of ``prefixes`` (``matches`` then decides). Each suffix and prefix
    holds a dot: names are looked up by their last and first dotted parts. A scanner
    registered without names is asked about every path.
    """

    exact: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    undotted_in: tuple[str, ...] = ()
    """Words (lowercase): base names without a dot whose folder's name holds one of them
    (``docker/runner`` for ``docker``) are asked about too; the scanner then reads the
    content to decide."""


class Scanner(Protocol):
    """One scanner per file format. ``matches`` looks at the path only (no reading); the
    registry's :class:`Names` for it say which paths it is asked about.

    Optional: ``matches_ext(ext)``, where ``ext`` is a lowercase extension with its dot
    (``.c``): True or False when ``matches`` says so of every path whose base name (ASCII,
    with a dot after its first character) ends with that extension, lowercased from its
    last dot, whatever the rest of the name and the folders; None when it depends on them.
    The registry then chooses scanners by extension (:meth:`audit.scanners._Index.select`)."""

    name: str

    def matches(self, path: str) -> bool: ...

    def scan(self, source: SourceFile) -> ScanResult: ...


def finditer_at(
    pattern: re.Pattern[str], text: str, starts: Sequence[int], end: int | None = None
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text, 0, end)`` for a pattern that matches only at one of
    ``starts`` (sorted) and never matches nothing: it is tried there alone, rather than at
    every offset of the text (the regex engine looks behind the offset it is given, as at
    any other)."""
    last = len(text) if end is None else end
    after = 0
    for i in starts:
        if i >= after:
            m = pattern.match(text, i, last)
            if m is not None:
                yield m
                after = m.end()


__all__ = [
    "Names",
    "ScanResult",
    "Scanner",
    "SourceFile",
    "finditer_at",
    "source_file",
]

"""Marks: short strings the scanners of C-family and Go files test whole texts for.

The notices scanner asks a C file whether it holds ``MODULE_LICENSE``, ``license")`` and a
``SEC(``/``section(`` call; the UAPI scanner asks C and Go files whether they hold
``<linux/``. Each test was one search of the whole text (a C file of libs-0.13.1 is 20 KB on
average, ``vmlinux.h`` 3 MB: five searches of it took 7 ms); :attr:`SourceFile.marks
<audit.scanners.base.SourceFile.marks>` finds every mark in one pass, kept for each scanner
that asks. The marks are rare byte strings, which the automaton's prefilter skips to (a
tenth of the time of one ``in`` test of the text).

The pass reports non-overlapping matches, leftmost first: an occurrence of a mark is missed
only where it starts inside a reported one (a mark that starts where another ends is
found). :data:`OVERLAPS` lists, for each mark, the marks that can start inside it (its
suffix is their prefix, or it holds them): those of them not reported are tested for one by
one, which happens only in texts that hold a mark (``MODULE_LICENSE`` ends with ``SE``, the
start of ``SEC(``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ahocorasick_rs

MARKS = (
    "MODULE_LICENSE",
    'license")',
    'SEC("',
    "SEC (",
    'section("',
    "section (",
    "<linux/",
)
"""Every mark (case-sensitive, ASCII)."""


def overlapping(mark: str, other: str) -> bool:
    """Whether an occurrence of ``other`` can start inside one of ``mark`` (after its first
    character, or at it when ``mark`` is a proper prefix of it): ``mark`` holds ``other``
    past its start, or a suffix of ``mark`` is a prefix of ``other``."""
    if mark == other:
        return False
    if other in mark[1:] or other.startswith(mark) or mark.startswith(other):
        return True
    return any(mark.endswith(other[:k]) for k in range(1, min(len(mark), len(other))))


OVERLAPS: dict[str, tuple[str, ...]] = {
    mark: tuple(other for other in MARKS if overlapping(mark, other)) for mark in MARKS
}
"""For each mark, the marks an occurrence of which can start inside an occurrence of it."""

_FINDER: ahocorasick_rs.BytesAhoCorasick | None = None


def _finder() -> ahocorasick_rs.BytesAhoCorasick:
    """The automaton of :data:`MARKS` (built on first use: a scan of no C or Go file, or a
    warm one, does not import ahocorasick_rs for it)."""
    global _FINDER
    import ahocorasick_rs

    _FINDER = ahocorasick_rs.BytesAhoCorasick(
        [mark.encode() for mark in MARKS], matchkind=ahocorasick_rs.MatchKind.LeftmostFirst
    )
    return _FINDER


def find(text: str, data: bytes | None = None) -> frozenset[str]:
    """The marks ``text`` holds: ``frozenset(m for m in MARKS if m in text)``, in one pass
    over its UTF-8 bytes (each mark is ASCII: a mark is in the text exactly where its bytes
    are in the encoding, whose multi-byte sequences hold no ASCII byte); ``data``: those
    bytes when known (:attr:`SourceFile.utf8 <audit.scanners.base.SourceFile.utf8>`: no
    copy made)."""
    if data is None:
        data = text.encode() if text.isascii() else text.encode("utf-8", "surrogatepass")
    found = (_FINDER or _finder()).find_matches_as_indexes(data)
    if not found:
        return _NONE
    reported = frozenset([MARKS[i] for i, _, _ in found])
    marks = set(reported)
    for mark in reported:
        marks.update(o for o in OVERLAPS[mark] if o not in reported and o in text)
    return reported if len(marks) == len(reported) else frozenset(marks)


_NONE: frozenset[str] = frozenset()

_ESCAPES: ahocorasick_rs.BytesAhoCorasick | None = None


def holds_escape(text: str, data: bytes | None = None) -> bool:
    """Whether ``text`` holds ``\\u`` or ``\\U`` (the escapes that can spell a lone
    surrogate): in ASCII text, or where its UTF-8 bytes ``data`` are known (the escapes are
    ASCII, see :func:`find`), one pass that skips from backslash to backslash (a C file
    holds many ``u`` and a search for ``\\u`` stops at each: 1.8 ns per character of
    libs-0.13.1's sources, five times the pass)."""
    global _ESCAPES
    if "\\" not in text:
        return False
    if data is None:
        if not text.isascii():
            return "\\u" in text or "\\U" in text
        data = text.encode()
    if _ESCAPES is None:
        import ahocorasick_rs

        _ESCAPES = ahocorasick_rs.BytesAhoCorasick(
            [b"\\u", b"\\U"], matchkind=ahocorasick_rs.MatchKind.LeftmostFirst
        )
    return bool(_ESCAPES.find_matches_as_indexes(data))


__all__ = ["MARKS", "OVERLAPS", "find", "holds_escape", "overlapping"]

"""Identify whole license texts (LICENSE, COPYING, GPL2.txt...) by word-shingle containment.

The method is meant to be fast and explainable:

1. *Normalize*: lowercase; keep only words of letters and digits, so comment markers,
   punctuation, quotes, list numbering and line wrapping do not matter; drop copyright
   statement lines (``Copyright (c) 2023 The Falco Authors``) and ``All rights reserved``;
   fold spellings SPDX's matching guidelines treat as equal (``licence``/``license``).
2. *Shingle*: every run of :data:`SHINGLE` consecutive words is one shingle. Reference
   texts mark the parts each copy replaces (``Neither the name of <<the copyright
   holder>>``) and no reference shingle spans such a hole.
3. *Locate*: for each bundled reference (``data/license-texts/<SPDX-ID>.txt``, full
   texts), the candidate positions holding one of its shingles are split into runs where
   they are more than :data:`MAX_GAP` apart; each run is cut to its core (the segment
   where new reference shingles outnumber foreign words). ``similarity`` is the share of
   the reference's shingles found in that core.
4. *Cover*: the region with the best score = matched - missing reference shingles -
   foreign positions in it is accepted; its span is then explained and every reference
   is re-measured on what is left, until no region reaches ``MIN_SIMILARITY``. So a
   longer license that is fully present beats a shorter one it contains (ISC over 0BSD,
   BSD-3-Clause over BSD-2-Clause, MIT over MIT-0), a region padded with other text
   loses, and a file holding several licenses (MIT then GPL-2.0) yields one match per
   license.

The bundled references are shingled once and cached in the depaudit cache directory
(``license-texts/``, :mod:`audit.licenses.cachefile`: every distinct shingle once and arrays
of indexes, named by the hash of :data:`FORMAT` and of every text's name, size,
modification and change times, checked by a CRC-32): a run loads them instead of shingling
every text again, without reading the texts (any change made to a text through the file
system sets its change time: a changed text names another file); a file that does not
check or hold together is rebuilt.

Nothing below the threshold is reported: a file that matches nothing well yields no match
rather than a guess. Known limit: a license that is a bundled text plus extra terms
(e.g. the JSON license, MIT plus one sentence) contains the bundled text; the known cases
are excluded by phrase (:data:`_EXCLUDE`). The text of GPL version 2 is the same for
"only" and "or later": a match reports ``GPL-2.0-only``, the SPDX id of the text, and the
file notices that point at it decide the version clause.
"""

from __future__ import annotations

import bisect
import os
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import compress, repeat
from pathlib import Path

from audit.keyhash import sha256
from audit.licenses import cachefile
from audit.resources import data_dir

FORMAT = "depaudit/license-texts/2"
"""Format of the cached references (with :data:`SHINGLE` and the tokenization)."""
SHINGLE = 4
"""Words per shingle."""
MIN_SIMILARITY = 0.80
"""Smallest share of a reference's shingles that must be present to report it."""
MIN_DENSITY = 0.70
"""Smallest share of a region's positions that must hold reference shingles: a license
that is a bundled one with whole clauses added (OpenSSL's, to BSD-4-Clause) is not it."""
MAX_GAP = 40
"""Positions without a hit that may still separate two parts of one license text."""
_LEAD_IN = 16
"""Hits at most this many positions before a matched segment still belong to it."""
_MAX_ROUNDS = 64
"""At most this many license regions are accepted in one text."""
MAX_CHARS = 1_000_000
"""Only this much of a candidate is read (license files beyond it are rare and huge)."""

_WORD = re.compile(r"[a-z0-9]+")
_HOLE = re.compile(r"<<[^<>]{0,80}>>")
_COPYRIGHT_LINE = re.compile(r"^[\W_]*(?:copyright\b|\(c\)|©)", re.IGNORECASE)
_COPYRIGHT_MARK = re.compile(r"\d{4}|\(c\)|©|<", re.IGNORECASE)
_RESERVED = re.compile(r"^[\W_]*all rights reserved[\W_]*$", re.IGNORECASE)
_EQUIVALENT = {
    "licence": "license",
    "licences": "licenses",
    "licenced": "licensed",
    "sublicence": "sublicense",
    "acknowledgement": "acknowledgment",
    "noninfringement": "non infringement",
    "nonexclusive": "non exclusive",
    "https": "http",
}

_EXCLUDE: dict[str, tuple[str, ...]] = {
    # AGPL-3.0 is GPL-3.0 plus section 13 "Remote Network Interaction".
    "GPL-3.0-only": ("remote network interaction", "affero general public license version"),
    # The JSON license is MIT plus "The Software shall be used for Good, not Evil."
    "MIT": ("shall be used for good not evil",),
    "MIT-0": ("shall be used for good not evil",),
}
"""Phrases (normalized) that mark a near copy of a reference that is not that license."""


@dataclass(frozen=True)
class TextMatch:
    """One license found in a text."""

    license_id: str
    """SPDX id of the bundled reference text that matched."""
    line: int
    """1-based line (of the candidate) where the matched license text starts."""
    similarity: float
    """Share of the reference's shingles present in the candidate (0..1, two decimals)."""


class Reference:
    """One reference license text, as shingles: how many (all a match needs of them) and
    which (made the first time they are asked for: a reference loaded from the cache holds
    where they are, :meth:`loaded`)."""

    __slots__ = ("_made", "_members", "license_id", "size")

    def __init__(self, license_id: str, shingles: frozenset[str]) -> None:
        self.license_id = license_id
        self.size = len(shingles)
        """The number of its shingles."""
        self._made: frozenset[str] | None = shingles
        self._members: tuple[list[str], Sequence[int]] | None = None

    @classmethod
    def loaded(cls, license_id: str, shingles: list[str], members: Sequence[int]) -> Reference:
        """The reference whose shingles are ``shingles[i] for i in members`` (distinct)."""
        ref = cls(license_id, frozenset())
        ref.size = len(members)
        ref._made = None
        ref._members = (shingles, members)
        return ref

    @property
    def shingles(self) -> frozenset[str]:
        if self._made is None:
            assert self._members is not None
            shingles, members = self._members
            self._made = frozenset(map(shingles.__getitem__, members))
            self._members = None
        return self._made

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Reference):
            return NotImplemented
        return (self.license_id, self.shingles) == (other.license_id, other.shingles)

    def __hash__(self) -> int:
        return hash((self.license_id, self.shingles))

    def __repr__(self) -> str:
        return f"Reference({self.license_id!r}, {self.size} shingles)"


@dataclass(frozen=True)
class References:
    """A set of reference texts, with the union of their shingles for a quick first pass."""

    items: tuple[Reference, ...]
    known_index: dict[str, tuple[int, ...]] | None = field(
        default=None, compare=False, hash=False, repr=False
    )
    """:attr:`index` as loaded from the cache (``None``: built on first use)."""

    @cached_property
    def index(self) -> dict[str, tuple[int, ...]]:
        """Shingle -> indexes (in ``items``) of the references that hold it."""
        if self.known_index is not None:
            return self.known_index
        out: dict[str, list[int]] = {}
        for i, ref in enumerate(self.items):
            for shingle in ref.shingles:
                out.setdefault(shingle, []).append(i)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.license_id for r in self.items)


@dataclass(frozen=True)
class _Tokens:
    """A text's words, with the line of each."""

    words: tuple[str, ...]
    lines: tuple[int, ...]
    """1-based line of each word."""
    breaks: frozenset[int] = frozenset()
    """Word indexes that start a new segment: no shingle spans a ``<<hole>>``."""


def _tokens(text: str) -> _Tokens:
    """The words of ``text`` as compared (see the module docstring) and the line of each;
    copyright and "All rights reserved" lines are left out."""
    words: list[str] = []
    lines: list[int] = []
    breaks: set[int] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        low = line.lower()
        # In ASCII, each regex below matches only lines holding its words in lower case.
        ascii_line = line.isascii()
        if (not ascii_line or "reserved" in low) and _RESERVED.match(line):
            continue
        if (
            (not ascii_line or "copyright" in low or "(c)" in low)
            and _COPYRIGHT_LINE.match(line)
            and _COPYRIGHT_MARK.search(line)
        ):
            continue
        for index, segment in enumerate(_HOLE.split(low) if "<<" in low else (low,)):
            if index:
                breaks.add(len(words))
            # list numbering and version digits ("1.", "2.0") are no words
            found = [w for w in _WORD.findall(segment) if len(w) > 2 or not w.isdigit()]
            if not _EQUIVALENT.keys().isdisjoint(found):
                found = [part for w in found for part in _EQUIVALENT.get(w, w).split()]
            words += found
            lines += repeat(number, len(found))
    return _Tokens(tuple(words), tuple(lines), frozenset(breaks))


def _shingles(tokens: _Tokens) -> list[str]:
    """Shingles in word order; a window that crosses a hole yields ``""``."""
    words = tokens.words
    if len(words) < SHINGLE:
        return [" ".join(words)] if words else []
    if not tokens.breaks:
        return list(map(" ".join, zip(*(words[i:] for i in range(SHINGLE)), strict=False)))
    out: list[str] = []
    for i in range(len(words) - SHINGLE + 1):
        if tokens.breaks and any(b in tokens.breaks for b in range(i + 1, i + SHINGLE)):
            out.append("")
        else:
            out.append(" ".join(words[i : i + SHINGLE]))
    return out


def normalize(text: str) -> str:
    """The normalized word stream of a text, as compared (for tests and explanations)."""
    return " ".join(_tokens(text).words)


def reference_from_text(license_id: str, text: str) -> Reference:
    return Reference(license_id, frozenset(_shingles(_tokens(text))) - {""})


def load_references(directory: Path) -> References:
    """Every ``<SPDX-ID>.txt`` in ``directory``, sorted by id."""
    refs: list[Reference] = []
    for path in sorted(directory.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        refs.append(reference_from_text(path.stem, text))
    return References(tuple(refs))


@lru_cache(maxsize=1)
def bundled_references() -> References:
    """The reference texts shipped in ``data/license-texts/``, from the cache directory
    when they were shingled before (:func:`cached_references`)."""
    from audit.scancache import default_cache_dir

    return cached_references(data_dir() / "license-texts", default_cache_dir())


def cached_references(directory: Path, cache_dir: Path) -> References:
    """:func:`load_references` of ``directory``, cached under ``cache_dir`` by the hash
    of the texts' names and times (:func:`_texts_digest`, :mod:`audit.licenses.cachefile`):
    loaded when a cached file of that hash checks, else built and written."""
    digest = _texts_digest(directory)
    path = cache_dir / "license-texts" / f"{digest}.bin"
    refs = _load_references(cachefile.read(FORMAT, digest, path))
    if refs is None:
        refs = load_references(directory)
        cachefile.write(path, _dump_references(refs, digest))
    return refs


def _texts_digest(directory: Path) -> str:
    """Hash of :data:`FORMAT` and of the name, size, modification and change times of every
    text in ``directory``: no text is read (hashing their 250 KB took about a millisecond
    of every run), and any change made to one through the file system sets its change
    time, which only the system clock sets."""
    h = sha256(FORMAT.encode())
    with os.scandir(directory) as found:
        texts = sorted((e for e in found if e.name.endswith(".txt")), key=lambda e: e.name)
    for entry in texts:
        st = entry.stat()
        h.update(f"\0{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}".encode())
    return h.hexdigest()[:32]


def _dump_references(refs: References, digest: str) -> bytes:
    """A cache file of the references: every distinct shingle once (sorted, one string),
    each shingle's owners (an index into the distinct owner tuples) and each reference's
    shingles (indexes into the sorted shingles)."""
    index = refs.index
    shingles = sorted(index)
    where = {s: n for n, s in enumerate(shingles)}
    owners: dict[tuple[int, ...], int] = {}
    owner_ids = array("I", [owners.setdefault(index[s], len(owners)) for s in shingles])
    members = array("I")
    ends = array("I")
    for ref in refs.items:
        members.extend(sorted(where[s] for s in ref.shingles))
        ends.append(len(members))
    value = ([r.license_id for r in refs.items], "\n".join(shingles), list(owners))
    blobs = [owner_ids.tobytes(), members.tobytes(), ends.tobytes()]
    return cachefile.dump(FORMAT, digest, value, blobs)


def _load_references(loaded: cachefile.Loaded | None) -> References | None:
    """The references a cache file holds (:func:`audit.licenses.cachefile.read`), or
    ``None`` when they do not hold together."""
    if loaded is None:
        return None
    try:
        ids, text, owners = loaded.value
        owner_ids, members, ends = (array("I"), array("I"), array("I"))
        for a, blob in zip((owner_ids, members, ends), loaded.blobs, strict=True):
            a.frombytes(blob)
        shingles = text.split("\n") if text else []
        spans = list(zip([0, *ends[:-1]], ends, strict=True))
        refs = range(len(ids))
        if (
            not all(isinstance(i, str) for i in ids)
            or len(ends) != len(ids)
            or len(owner_ids) != len(shingles)
            or any(not isinstance(o, tuple) or not set(o) <= set(refs) for o in owners)
            or (ends and ends[-1] != len(members))
            or any(a > b for a, b in spans)
            # each reference's members are written in order: its last is its largest
            or any(a < b and members[b - 1] >= len(shingles) for a, b in spans)
        ):
            return None
        # An owner past the last raises IndexError here.
        index = dict(zip(shingles, map(owners.__getitem__, owner_ids), strict=True))
        items = tuple(
            Reference.loaded(lid, shingles, members[a:b])
            for lid, (a, b) in zip(ids, spans, strict=True)
        )
    except (ValueError, TypeError, AttributeError, IndexError):
        return None
    return References(items, index)


@dataclass(frozen=True)
class _Region:
    """Where one reference matched: candidate positions holding its shingles."""

    reference: Reference
    positions: tuple[int, ...]
    matched: frozenset[str]
    """The reference's shingles found at those positions."""

    @property
    def span(self) -> int:
        return self.positions[-1] - self.positions[0] + 1

    @property
    def density(self) -> float:
        """Share of the region's positions that hold a reference shingle."""
        return len(self.positions) / self.span

    @property
    def similarity(self) -> float:
        return len(self.matched) / self.reference.size

    @property
    def score(self) -> int:
        matched = len(self.matched)
        missing = self.reference.size - matched
        foreign = self.span - len(self.positions)
        return matched - missing - foreign


def _runs(positions: list[int]) -> list[list[int]]:
    """Split sorted positions where two are more than :data:`MAX_GAP` apart."""
    runs: list[list[int]] = []
    for pos in positions:
        if runs and pos - runs[-1][-1] <= MAX_GAP:
            runs[-1].append(pos)
        else:
            runs.append([pos])
    return runs


def _segment(run: list[int], shingle_at: dict[int, str], backward: bool) -> tuple[int, int]:
    """The maximum-sum segment ``(start, end)`` of a run's span, scanned one way.

    A hit on a reference shingle not seen before (in scan order) counts +2, a repeated
    one 0 and any other position -1.
    """
    hits = set(run)
    seen: set[str] = set()
    span = range(run[-1], run[0] - 1, -1) if backward else range(run[0], run[-1] + 1)
    best_sum, best = 0, (run[0], run[0] - 1)
    cur_sum, cur_start = 0, span[0]
    for pos in span:
        if pos in hits:
            shingle = shingle_at[pos]
            gain = 0 if shingle in seen else 2
            seen.add(shingle)
        else:
            gain = -1
        if cur_sum <= 0 and gain > 0:
            cur_sum, cur_start = 0, pos
        cur_sum += gain
        if cur_sum > best_sum:
            best_sum = cur_sum
            best = (pos, cur_start) if backward else (cur_start, pos)
    return best


def _lead_in(run: list[int], core: list[int], shingle_at: dict[int, str]) -> list[int]:
    """Hits just before ``core`` that it does not already hold (a title above a copyright
    or address line), never the tail of another license that repeats its phrases."""
    held = {shingle_at[pos] for pos in core}
    start = core[0]
    earlier = [pos for pos in run if pos < start]
    lead: list[int] = []
    while earlier and start - earlier[-1] <= _LEAD_IN:
        pos = earlier.pop()
        if shingle_at[pos] in held:
            break
        held.add(shingle_at[pos])
        lead.append(pos)
        start = pos
    return lead[::-1] + core


def _regions(
    ref: Reference, mine: list[int], shingle_at: dict[int, str], minimum: float
) -> list[_Region]:
    """Candidate regions of one reference, from the positions holding its shingles.

    Each run is cut to its core: the maximum-sum segment, scanned forward and backward
    (which occurrence of a phrase two licenses share counts depends on the direction),
    keeping the better-scoring of the two. The core drops stray shared phrases at the
    edges, bridges short foreign passages (a name, an address) and stops where another
    license only repeats phrases already matched.
    """
    need = minimum * ref.size
    out: list[_Region] = []
    if len(mine) < need:
        return out  # no run holds more positions than there are
    for run in _runs(mine):
        if len(run) < need:
            continue
        best: _Region | None = None
        for backward in (False, True):
            start, end = _segment(run, shingle_at, backward)
            core = [pos for pos in run if start <= pos <= end]
            if not core:
                continue
            core = _lead_in(run, core, shingle_at)
            region = _Region(ref, tuple(core), frozenset(shingle_at[pos] for pos in core))
            if best is None or region.score > best.score:
                best = region
        if best is not None and len(best.matched) >= need and best.density >= MIN_DENSITY:
            out.append(best)
    return out


def identify(
    text: str,
    references: References | None = None,
    minimum: float = MIN_SIMILARITY,
) -> tuple[TextMatch, ...]:
    """The licenses whose full text appears in ``text``, in order of appearance.

    A license copied twice is reported once, at its first copy.
    """
    text = text[:MAX_CHARS]
    if references is None and len(text) <= _REMEMBERED_CHARS:
        return _identify_bundled(text, minimum)
    refs = bundled_references() if references is None else references
    return _identify(text, refs, minimum)


_REMEMBERED_CHARS = 65536
"""Texts up to this long are remembered (at most 256 of them: a bounded memory)."""


@lru_cache(maxsize=256)
def _identify_bundled(text: str, minimum: float) -> tuple[TextMatch, ...]:
    """:func:`identify` with the bundled texts, remembered: vendored trees repeat the same
    license files and headers many times."""
    return _identify(text, bundled_references(), minimum, _COVERED)


_Hits = tuple[tuple[int, str, int], ...]
"""``(position, shingle, line)`` of each shingle of a text that a reference holds."""
_COVERED: dict[tuple[_Hits, frozenset[str], float], tuple[TextMatch, ...]] = {}
"""What :func:`_cover` found with the bundled texts, by what it read: texts that differ
only where no reference shingle is (the code under the same license header, another
copyright line) are covered once. At most :data:`_COVERED_SIZE` of up to
:data:`_COVERED_HITS` hits (a bounded memory), the oldest dropped first."""
_COVERED_SIZE = 64
_COVERED_HITS = 1024


def forget() -> None:
    """Drop the remembered texts (benchmarks: each run as a first one)."""
    _identify_bundled.cache_clear()
    _COVERED.clear()


def _identify(
    text: str,
    refs: References,
    minimum: float,
    covered: dict[tuple[_Hits, frozenset[str], float], tuple[TextMatch, ...]] | None = None,
) -> tuple[TextMatch, ...]:
    """:func:`identify`; ``covered``: what :func:`_cover` found for texts read before with
    ``refs`` (filled here)."""
    tokens = _tokens(text)
    shingles = _shingles(tokens)
    held = list(compress(range(len(shingles)), map(refs.index.get, shingles)))
    if not held:
        return ()
    lines = tokens.lines
    hits = tuple([(pos, shingles[pos], lines[pos]) for pos in held])
    joined = " ".join(tokens.words)
    excluded = frozenset(
        lid for lid, phrases in _EXCLUDE.items() if any(p in joined for p in phrases)
    )
    if covered is None or len(hits) > _COVERED_HITS:
        return _cover(hits, excluded, refs, minimum)
    key = (hits, excluded, minimum)
    found = covered.get(key)
    if found is None:
        found = _cover(hits, excluded, refs, minimum)
        if len(covered) >= _COVERED_SIZE:
            del covered[next(iter(covered))]
        covered[key] = found
    return found


def _cover(
    hits: _Hits, excluded: frozenset[str], refs: References, minimum: float
) -> tuple[TextMatch, ...]:
    """The licenses whose texts cover the ``hits`` of a text (see the module docstring),
    but those ``excluded`` (:data:`_EXCLUDE`)."""
    index = refs.index
    shingle_at: dict[int, str] = {}
    line_at: dict[int, int] = {}
    per_ref: dict[int, list[int]] = {}
    for pos, shingle, line in hits:
        shingle_at[pos] = shingle
        line_at[pos] = line
        for i in index[shingle]:
            per_ref.setdefault(i, []).append(pos)
    hits_of = {
        i: mine for i, mine in sorted(per_ref.items()) if refs.items[i].license_id not in excluded
    }
    cache = {i: _regions(refs.items[i], mine, shingle_at, minimum) for i, mine in hits_of.items()}
    found: dict[str, TextMatch] = {}
    for _ in range(_MAX_ROUNDS):
        regions = [r for rs in cache.values() for r in rs]
        if not regions:
            break
        best = min(regions, key=lambda r: (-r.score, r.reference.license_id, r.positions[0]))
        lid = best.reference.license_id
        line = line_at[best.positions[0]]
        if lid not in found or line < found[lid].line:
            found[lid] = TextMatch(lid, line, round(best.similarity, 2))
        # The accepted span is explained: every reference is re-measured without it.
        first, last = best.positions[0], best.positions[-1]
        for i, mine in hits_of.items():
            lo, hi = bisect.bisect_left(mine, first), bisect.bisect_right(mine, last)
            if lo < hi:
                hits_of[i] = mine[:lo] + mine[hi:]
                cache[i] = _regions(refs.items[i], hits_of[i], shingle_at, minimum)
    return tuple(sorted(found.values(), key=lambda m: (m.line, m.license_id)))


__all__ = [
    "MIN_SIMILARITY",
    "SHINGLE",
    "Reference",
    "References",
    "TextMatch",
    "bundled_references",
    "cached_references",
    "identify",
    "load_references",
    "normalize",
    "reference_from_text",
]

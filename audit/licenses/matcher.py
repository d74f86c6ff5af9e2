"""depaudit's license matcher over the compiled database (:mod:`audit.licenses.ruledb`).

How a text is matched, precision first:

1. The text is tokenized line by line as the rules were and encoded as a token string.
2. *Exact*: an Aho-Corasick automaton (pyahocorasick) holds the first :data:`ANCHOR`
   tokens of every rule; each anchor found is checked against the whole rule with one
   string comparison. All matches are found in one pass over the text. The automaton is
   compiled once and cached beside the index (:class:`Compiled`).
3. *Approximate*: a rule whose anchor matched but whose whole text did not is compared
   with the text that follows (difflib's matching blocks over token strings): only the few
   rules whose opening words are present are ever compared. Its *coverage* is the share of
   the rule's tokens found in order.
4. *Choice*: matches are taken longest first (then texts before notices before references
   before tags), never two over the same tokens; a false-positive rule takes its tokens
   and says nothing. Matches whose rule says too little (:data:`MIN_RELEVANCE`) are not
   taken. A match below :data:`MIN_COVERAGE` (or the rule's own minimum) is no license:
   it is returned as *partial*, for the caller to report as unknown with the rule named.
"""

from __future__ import annotations

import difflib
import re
import struct
import sys
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import accumulate, repeat
from pathlib import Path
from typing import Any, overload

from audit.licenses import cachefile
from audit.licenses.ruledb import (
    SEPARATORS_NEWLINE,
    UNKNOWN,
    LicenseIndex,
    Rule,
    data_digest,
    fold,
    license_index,
    token_codes,
)

ANCHOR = 6
"""Tokens of a rule's opening held in the automaton."""
MIN_COVERAGE = 0.9
"""Smallest share of a rule that an approximate match must cover to name its license."""
MIN_PARTIAL = 0.5
"""Smallest coverage reported at all (as a partial match, license unknown)."""
MIN_RELEVANCE = 90
"""Rules saying less than this (ScanCode's relevance: one-word references...) are ignored."""
MAX_APPROXIMATE = 4
"""At most this many approximate comparisons per text."""
MAX_APPROXIMATE_TOKENS = 400
"""Longer rules (whole license texts) are matched exactly only; license files also go
through :mod:`audit.licenses.texts`."""
REMEMBERED = 256
REMEMBERED_CHARS = 32768
_LONG = 20
"""An exact match this long hides the rule openings inside it (they would lose to it)."""
_KIND_ORDER = {"text": 0, "notice": 1, "reference": 2, "tag": 3}


@dataclass(frozen=True)
class RuleMatch:
    """One rule found in a text."""

    rule: Rule
    start_line: int
    """1-based line of the first matched token."""
    end_line: int
    """1-based line of the last matched token."""
    coverage: float
    """Share of the rule's tokens matched, in order (1.0: exact)."""
    start: int
    end: int
    """Token span ``[start, end)`` in the text."""

    @property
    def exact(self) -> bool:
        return self.coverage >= 1.0

    @property
    def partial(self) -> bool:
        """Too little of the rule matched to name its license."""
        floor = max(MIN_COVERAGE, self.rule.min_coverage / 100)
        return self.coverage < floor


@dataclass(frozen=True)
class Tokens:
    """A text as tokens; the line of each is worked out only when a match needs it."""

    chars: str
    """Token string (see :func:`audit.licenses.ruledb.encode`)."""
    separated: str
    """The folded text with separators made spaces, line ends kept: its words are the
    tokens (a ``+`` that ends a word is followed by a space, any other is a space)."""

    @cached_property
    def _ends(self) -> list[int]:
        """The number of tokens up to the end of each line."""
        return list(accumulate(map(len, map(str.split, self.separated.split("\n")))))

    def line(self, token: int) -> int:
        """The 1-based line of token number ``token``."""
        return bisect_right(self._ends, token) + 1


_LONE_PLUS = re.compile(r"\+(?<![^\s+]\+)")
"""A ``+`` first, after whitespace or after another ``+``: no part of a word. Spelled as
the ``+`` then a look back over it and the character before it: the same signs as the
look-behind first (tests/test_matcher.py), but a pattern that opens with its literal is
searched for that character, one that opens with a look-behind is tried at every offset
(40 times slower on a file's head)."""


class Matcher:
    """The automaton and rules of one index."""

    def __init__(self, index: LicenseIndex, compiled: Compiled | None = None) -> None:
        self.index = index
        self.rules = index.rules
        """Every rule of the index; those the automaton holds are relevant enough
        (:data:`MIN_RELEVANCE`) or false positives."""
        self._spell = _Spelling(index.vocabulary)
        if compiled is None:
            compiled = Compiled.of(index, self._spell)
        self.automaton = compiled.automaton
        self._anchored = compiled.openings
        """The rules (indices) of each opening, in the automaton's order."""
        self._sizes = compiled.sizes
        """The tokens of each opening."""
        self._buckets: list[_Bucket | None] = [None] * len(self._anchored)
        """Each opening's bucket, made the first time the opening is found (most never are)."""
        self.unknown = UNKNOWN
        self._get = index.vocabulary.get
        self._seen: dict[tuple[str, bool], tuple[Tokens, tuple[RuleMatch, ...]]] = {}

    def bucket(self, b: int) -> _Bucket:
        """The bucket of opening number ``b`` (see :class:`_Bucket`)."""
        bucket = self._buckets[b]
        if bucket is None:
            bucket = self._buckets[b] = _Bucket.of(self.rules, self._anchored[b])
        return bucket

    @property
    def openings(self) -> int:
        """The number of distinct openings (buckets)."""
        return len(self._anchored)

    def words(self, chars: str) -> list[str]:
        """The words of a token string (for explanations and tests)."""
        if not hasattr(self, "_words"):
            self._words = {c: w for w, c in self.index.vocabulary.items()}
        return [self._words.get(c, "?") for c in chars]

    def tokens(self, text: str) -> Tokens:
        """``text`` tokenized as the rules were."""
        separated = fold(text).translate(SEPARATORS_NEWLINE)
        if "+" in separated:
            # A "+" ends the word it follows; alone it is no word.
            separated = _LONE_PLUS.sub(" ", separated).replace("+", "+ ")
        words = separated.split()
        return Tokens("".join(map(self._get, words, repeat(UNKNOWN))), separated)

    def find(self, text: str, approximate: bool = True) -> tuple[Tokens, tuple[RuleMatch, ...]]:
        """``text`` tokenized and matched (:meth:`match_tokens`). The last
        :data:`REMEMBERED` texts (up to :data:`REMEMBERED_CHARS` long) are remembered:
        vendored trees repeat the same license files and headers many times."""
        key = (text, approximate)
        seen = self._seen.get(key)
        if seen is not None:
            return seen
        toks = self.tokens(text)
        seen = (toks, self.match_tokens(toks, approximate))
        if len(text) <= REMEMBERED_CHARS:
            if len(self._seen) >= REMEMBERED:
                del self._seen[next(iter(self._seen))]  # the oldest
            self._seen[key] = seen
        return seen

    def forget(self) -> None:
        """Drop the remembered texts (benchmarks: each run as a first one)."""
        self._seen.clear()

    def match(self, text: str) -> tuple[RuleMatch, ...]:
        """The rules found in ``text``, in text order (see the module docstring)."""
        toks = self.tokens(text)
        return self.match_tokens(toks)

    def match_tokens(self, toks: Tokens, approximate: bool = True) -> tuple[RuleMatch, ...]:
        """The rules found in ``toks``; ``approximate=False``: exact matches only."""
        hay = toks.chars
        if not hay:
            return ()
        rules = self.rules
        buckets = self._buckets
        found: list[tuple[int, int, float, Rule]] = []
        openings: list[tuple[int, _Bucket, tuple[int, ...]]] = []
        covered = -1  # the end of the long exact matches so far: openings inside are skipped
        width = self._spell.width
        sizes = self._sizes
        for end, b in self.automaton.iter(self._spell.encode(hay)):
            start = end // width - sizes[b] + 1
            if start < covered:
                continue
            bucket = buckets[b] or self.bucket(b)
            exact = bucket.prefixes(hay, start)
            for i in exact:
                rule = rules[i]
                size = len(rule.tokens)
                found.append((start, start + size, 1.0, rule))
                if size >= _LONG:
                    covered = max(covered, start + size)
            if approximate:
                openings.append((start, bucket, exact))
        if openings and not found:  # approximate only where nothing matched exactly
            near = [
                (start, rules[i])
                for start, bucket, exact in openings
                for i in bucket.near
                if i not in exact
            ]
            found.extend(self._approximate(hay, near, found))
        return self._choose(found, toks)

    def _approximate(
        self, hay: str, near: list[tuple[int, Rule]], exact: list[tuple[int, int, float, Rule]]
    ) -> list[tuple[int, int, float, Rule]]:
        """Coverage of the rules whose opening matched, longest rules first."""
        covered = [(s, e) for s, e, _, _ in exact]
        out: list[tuple[int, int, float, Rule]] = []
        near.sort(key=lambda p: (-len(p[1].tokens), p[0], p[1].name))
        done = 0
        for start, rule in near[: MAX_APPROXIMATE * 8]:
            if done >= MAX_APPROXIMATE:
                break
            size = len(rule.tokens)
            if any(s <= start < e for s, e in covered):
                continue  # an exact match holds its opening already
            window = hay[start : start + size + size // 4]
            if len(window) < size * MIN_PARTIAL:
                continue
            if _bag_overlap(rule.tokens, window) < size * MIN_PARTIAL:
                continue
            done += 1
            sm = difflib.SequenceMatcher(None, rule.tokens, window, autojunk=False)
            if sm.real_quick_ratio() * (len(window) + size) / 2 < size * MIN_PARTIAL:
                continue
            blocks = sm.get_matching_blocks()
            matched = sum(b.size for b in blocks)
            coverage = matched / size
            if coverage >= MIN_PARTIAL:
                last = max((b.b + b.size for b in blocks if b.size), default=0)
                out.append((start, start + last, round(coverage, 2), rule))
        return out

    @staticmethod
    def _choose(found: list[tuple[int, int, float, Rule]], toks: Tokens) -> tuple[RuleMatch, ...]:
        found.sort(
            key=lambda m: (
                -(m[1] - m[0]) * m[2],
                -m[2],
                _KIND_ORDER.get(m[3].kind, 9),
                m[0],
                m[3].name,
            )
        )
        taken: list[tuple[int, int]] = []
        out: list[RuleMatch] = []
        for start, end, coverage, rule in found:
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            if rule.false_positive:
                continue
            line = toks.line
            out.append(RuleMatch(rule, line(start), line(end - 1), coverage, start, end))
        return tuple(sorted(out, key=lambda m: (m.start, m.rule.name)))


@dataclass(frozen=True)
class _Bucket:
    """The rules that share one opening (:data:`ANCHOR` tokens)."""

    keys: tuple[str, ...]
    """Their distinct token strings, sorted."""
    ids: tuple[tuple[int, ...], ...]
    """The rules (indices) of each key."""
    longest: int
    near: tuple[int, ...]
    """The rules an approximate match may be tried with (long enough, not exact-only)."""

    @classmethod
    def of(cls, rules: Sequence[Rule], ids: Sequence[int]) -> _Bucket:
        by_key: dict[str, list[int]] = {}
        for i in ids:
            by_key.setdefault(rules[i].tokens, []).append(i)
        keys = tuple(sorted(by_key))
        near = tuple(
            i
            for i in ids
            if ANCHOR < len(rules[i].tokens) <= MAX_APPROXIMATE_TOKENS
            and rules[i].min_coverage < 100
        )
        return cls(keys, tuple(tuple(by_key[k]) for k in keys), max(map(len, keys)), near)

    def prefixes(self, hay: str, start: int) -> tuple[int, ...]:
        """The rules whose whole token string is in ``hay`` at ``start``.

        The keys that are prefixes of the text are nested; each step takes the largest key
        not after the text left to explain: a prefix of it is found, else the text is cut to
        what they share (no longer key can be a prefix)."""
        keys = self.keys
        text = hay[start : start + self.longest]
        out: tuple[int, ...] = ()
        while text:
            p = bisect_right(keys, text)
            if not p:
                break
            key = keys[p - 1]
            if text.startswith(key):
                out += self.ids[p - 1]
                text = key[:-1]
            else:
                text = text[: _common(key, text)]
        return out


def _common(a: str, b: str) -> int:
    """The length of the common prefix of ``a`` and ``b`` (which differ)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


class _Spelling:
    """Token strings spelled for the automaton: each token as three characters (its index in
    base :attr:`base`, one alphabet per digit), so that every node of the automaton has at
    most :attr:`base` children. pyahocorasick looks a node's children up one by one: over
    one character per token the root would have thousands (every rule's first word)."""

    width = 3

    def __init__(self, vocabulary: dict[str, str]) -> None:
        size = len(vocabulary) + 1
        base = 2
        while base**3 < size:
            base += 1
        self.base = base
        first, second, third = ([chr(start + d) for d in range(base)] for start in _DIGITS)
        pairs = [a + b for a in first for b in second]
        # The spellings of 0, 1, 2... in order (base**3 of them, at least one more than the
        # tokens: UNKNOWN's comes last).
        spelled = [p + c for p in pairs for c in third]
        low, high = token_codes(len(vocabulary))
        table: list[str | None] | dict[int, str]
        if not vocabulary or next(reversed(vocabulary.values())) == chr((high or low)[-1]):
            # By code point, as ruledb gives the tokens their characters (in order, from
            # U+0100): one list, filled by slices, read by str.translate without hashing.
            table = [None] * max(0x10000, high.stop)
            table[low.start : low.stop] = spelled[: len(low)]
            table[high.start : high.stop] = spelled[len(low) : len(low) + len(high)]
            table[ord("\n")] = "\n"
        else:  # not made by ruledb: its characters in order
            table = dict(zip(sorted(map(ord, vocabulary.values())), spelled, strict=False))
        table[ord(UNKNOWN)] = spelled[size - 1]
        self._table = table

    def encode(self, chars: str) -> str:
        """A token string (its lines, ``\n``-separated) spelled: each token as three
        characters (any other character is dropped: a token string holds none)."""
        return chars.translate(self._table)


_DIGITS = (0xE000, 0xE100, 0xE200)
"""Where each digit's alphabet starts (private use characters, disjoint: a spelled anchor
is found only where a token starts)."""


def _bag_overlap(rule: str, window: str) -> int:
    """Tokens of ``rule`` present in ``window`` counted with repeats: an upper bound of
    the in-order match, computed in linear time."""
    have = Counter(window)
    return sum(min(n, have[c]) for c, n in Counter(rule).items())


class _Openings(Sequence[Sequence[int]]):
    """The rules (indices) of each opening: one array of every opening's rules, one after
    the other, and where each opening's end."""

    def __init__(self, ids: array[int], ends: array[int]) -> None:
        if (ends[-1] if ends else 0) != len(ids):
            raise ValueError("openings: rules and ends do not agree")
        self._ids = ids
        self._ends = ends

    @classmethod
    def of(cls, groups: Iterable[list[int]]) -> _Openings:
        ids: array[int] = array("I")
        ends: array[int] = array("I")
        for group in groups:
            ids.extend(group)
            ends.append(len(ids))
        return cls(ids, ends)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, b: int) -> Sequence[int]: ...

    @overload
    def __getitem__(self, b: slice) -> list[Sequence[int]]: ...

    def __getitem__(self, b: int | slice) -> Sequence[int] | list[Sequence[int]]:
        if isinstance(b, slice):
            return [self[i] for i in range(*b.indices(len(self)))]
        if b < 0:
            b += len(self)
        return self._ids[self._ends[b - 1] if b > 0 else 0 : self._ends[b]]


@dataclass(frozen=True)
class Compiled:
    """What a :class:`Matcher` compiles from an index: the automaton of the openings,
    each valued by its number (pyahocorasick's ``STORE_INTS``: kept in the nodes, no Python
    object per opening), the tokens in each opening and the rules of each opening; cached
    in the depaudit cache directory beside the index (``license-matcher/``,
    :mod:`audit.licenses.cachefile`), loaded in a few milliseconds instead of compiled in a
    tenth of a second."""

    automaton: Any
    sizes: bytes
    """The tokens in each opening (1 to :data:`ANCHOR`), by opening number."""
    openings: _Openings

    @classmethod
    def of(cls, index: LicenseIndex, spell: _Spelling) -> Compiled:
        import ahocorasick

        anchors: dict[str, list[int]] = {}
        rules = index.rules
        openings = rules.openings(ANCHOR)
        for i, row in enumerate(rules.rows):
            if row[5] >= MIN_RELEVANCE or row[4]:  # relevance, false positive
                anchors.setdefault(openings[i], []).append(i)
        automaton: Any = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        # All openings spelled at once ("\n" is no token character and spells as itself).
        spelled = spell.encode("\n".join(anchors)).split("\n")
        for b, word in enumerate(spelled):
            automaton.add_word(word, b)
        automaton.make_automaton()
        sizes = bytes(map(len, anchors))
        return cls(automaton, sizes, _Openings.of(anchors.values()))

    def dump(self, key: str) -> bytes:
        """The bytes of a cache file: the automaton's nodes as it pickles them, but kept
        as plain bytes (its values are in them), and the openings as arrays (never
        :mod:`pickle`)."""
        nodes, *fields, _ = self.automaton.__reduce__()[1]
        openings = self.openings
        blobs = [self.sizes, openings._ids.tobytes(), openings._ends.tobytes(), *nodes]
        return cachefile.dump(FORMAT, key, (fields, len(nodes)), blobs)

    @classmethod
    def load(cls, loaded: cachefile.Loaded | None, rules: int) -> Compiled | None:
        """What a cache file holds, or ``None`` when it does not hold together (for the
        index of ``rules`` rules).

        The automaton's nodes go to pyahocorasick's own loader, which checks that they
        are whole and link to one another but not every invariant, nor the opening numbers
        they hold: the file is read only when it is the user's own
        (:func:`audit.licenses.cachefile.private`), checks (CRC-32) and was made from this
        database by this very pyahocorasick (:func:`_key`); a number past the last
        opening would stop a match (an :class:`IndexError`), never name another rule.
        """
        if loaded is None:
            return None
        import ahocorasick

        ids, ends = array("I"), array("I")
        try:
            fields, chunks = loaded.value
            sizes = bytes(loaded.blobs[0])
            for a, blob in zip((ids, ends), loaded.blobs[1:3], strict=True):
                a.frombytes(blob)
            nodes = [bytes(b) for b in loaded.blobs[3:]]
            openings = _Openings(ids, ends)
            count = len(openings)
            if (
                not count
                or len(fields) != 5
                or fields[1] != ahocorasick.STORE_INTS
                or len(nodes) != chunks
                or not nodes
                or any(len(n) < _CHUNK for n in nodes)
                or max(ids) >= rules
                or len(sizes) != count
                or sizes.translate(None, _SIZES)  # a size not from 1 to ANCHOR
            ):
                return None
            automaton = ahocorasick.Automaton(nodes, *fields, None)
            if automaton.kind != ahocorasick.AHOCORASICK or len(automaton) != count:
                return None
        except (ValueError, TypeError):
            return None
        return cls(automaton, sizes, openings)


_SIZES = bytes(range(1, ANCHOR + 1))
"""The sizes an opening may have."""
_CHUNK = 8
"""Bytes of the node count that starts each chunk of pyahocorasick's nodes."""


FORMAT = f"depaudit/license-matcher/2/{ANCHOR}/{MIN_RELEVANCE}"
"""Format of the cached :class:`Compiled` (with the constants it depends on)."""


def _key(digest: str) -> str:
    """What a cached :class:`Compiled` must have been made from: the database ``digest``
    names, and this very pyahocorasick (its nodes are stored as it lays them out)."""
    import ahocorasick

    library = Path(ahocorasick.__file__ or "")
    try:
        st = library.stat()
        built = f"{library}/{st.st_size}/{st.st_mtime_ns}"
    except OSError:
        built = str(library)
    return f"{digest}/{built}/{sys.implementation.cache_tag}/{struct.calcsize('P')}"


def compiled(index: LicenseIndex, cache_dir: Path, digest: str) -> Compiled:
    """The compiled matcher of ``index`` (the database ``digest`` names), from the cache
    under ``cache_dir``, else compiled and cached."""
    key = _key(digest)
    path = cache_dir / "license-matcher" / f"{digest}.bin"
    found = Compiled.load(cachefile.read(FORMAT, key, path, mine=True), len(index.rules))
    if found is None:
        found = Compiled.of(index, _Spelling(index.vocabulary))
        cachefile.write(path, found.dump(key))
    return found


@lru_cache(maxsize=1)
def default_matcher() -> Matcher | None:
    """The matcher of the installed database, or ``None`` when it is not installed."""
    index = license_index()
    digest = data_digest()
    if index is None or digest is None:
        return None
    from audit.scancache import default_cache_dir

    try:
        return Matcher(index, compiled(index, default_cache_dir(), digest))
    except ImportError:
        return None


__all__ = [
    "ANCHOR",
    "MIN_COVERAGE",
    "MIN_RELEVANCE",
    "Matcher",
    "RuleMatch",
    "Tokens",
    "default_matcher",
]

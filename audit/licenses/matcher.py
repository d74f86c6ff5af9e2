"""depaudit's license matcher over the compiled database (:mod:`audit.licenses.ruledb`).

How a text is matched, precision first:

1. The text is tokenized line by line as the rules were and encoded as a token string.
2. *Exact*: an Aho-Corasick automaton (pyahocorasick) holds the first :data:`ANCHOR`
   tokens of every rule; each anchor found is checked against the whole rule with one
   string comparison. All matches are found in one pass over the text.
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
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from audit.licenses.ruledb import (
    SEPARATORS_NEWLINE,
    UNKNOWN,
    LicenseIndex,
    Rule,
    fold,
    license_index,
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
    """The folded text with separators made spaces, line ends kept."""

    @cached_property
    def lines(self) -> tuple[int, ...]:
        """The 1-based line of each token."""
        out: list[int] = []
        for number, line in enumerate(self.separated.split("\n"), start=1):
            words = line.split()
            if "+" in line:
                words = [w for w in words if w != "+"]
            out.extend([number] * len(words))
        return tuple(out)


class Matcher:
    """The automaton and rules of one index."""

    def __init__(self, index: LicenseIndex) -> None:
        import ahocorasick

        self.index = index
        self.rules = tuple(
            r for r in index.rules if r.relevance >= MIN_RELEVANCE or r.false_positive
        )
        anchors: dict[str, list[int]] = {}
        for i, rule in enumerate(self.rules):
            anchors.setdefault(rule.tokens[:ANCHOR], []).append(i)
        automaton: Any = ahocorasick.Automaton()
        for anchor, ids in anchors.items():
            automaton.add_word(anchor, (len(anchor), tuple(ids)))
        automaton.make_automaton()
        self.automaton = automaton
        self.unknown = UNKNOWN
        self._char = _Vocabulary(index.vocabulary)
        """Word -> its character, :data:`UNKNOWN` for any other word."""

    def words(self, chars: str) -> list[str]:
        """The words of a token string (for explanations and tests)."""
        if not hasattr(self, "_words"):
            self._words = {c: w for w, c in self.index.vocabulary.items()}
        return [self._words.get(c, "?") for c in chars]

    def tokens(self, text: str) -> Tokens:
        """``text`` tokenized as the rules were."""
        separated = fold(text).translate(SEPARATORS_NEWLINE)
        words = separated.split()
        if "+" in separated:
            words = [w for w in words if w != "+"]
        return Tokens("".join(map(self._char.__getitem__, words)), separated)

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
        found: list[tuple[int, int, float, Rule]] = []
        near: list[tuple[int, Rule]] = []
        covered = -1  # the end of the long exact matches so far: openings inside are skipped
        for end, (size, ids) in self.automaton.iter(hay):
            start = end - size + 1
            if start < covered:
                continue
            for i in ids:
                rule = rules[i]
                size = len(rule.tokens)
                if hay.startswith(rule.tokens, start):
                    found.append((start, start + size, 1.0, rule))
                    if size >= _LONG:
                        covered = max(covered, start + size)
                elif ANCHOR < size <= MAX_APPROXIMATE_TOKENS and rule.min_coverage < 100:
                    near.append((start, rule))
        if near and approximate and not found:  # only where nothing matched exactly
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
            lines = toks.lines
            out.append(RuleMatch(rule, lines[start], lines[end - 1], coverage, start, end))
        return tuple(sorted(out, key=lambda m: (m.start, m.rule.name)))


class _Vocabulary(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return UNKNOWN


def _bag_overlap(rule: str, window: str) -> int:
    """Tokens of ``rule`` present in ``window`` counted with repeats: an upper bound of
    the in-order match, computed in linear time."""
    have = Counter(window)
    return sum(min(n, have[c]) for c, n in Counter(rule).items())


@lru_cache(maxsize=1)
def default_matcher() -> Matcher | None:
    """The matcher of the installed database, or ``None`` when it is not installed."""
    index = license_index()
    if index is None:
        return None
    try:
        return Matcher(index)
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

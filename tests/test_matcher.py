"""The license matcher's fast paths give what the plain definitions give.

The matcher tokenizes with one-for-one character tables, spells tokens for the automaton
in three characters, and finds the rules of an opening by bisection: each is checked here
against the definition it replaces (:func:`audit.licenses.ruledb.tokenize`, whole-rule
comparison of every rule of the opening).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from licensedb import licensedb_matcher

from audit.licenses.ruledb import UNKNOWN, tokenize

PIECES = [*"ab +-.\n\t/*#c©é\u3000", "gpl", "2.0", "licence", "MIT", "++"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_tokens_are_the_rules_tokenization(text: str) -> None:
    m = licensedb_matcher()
    toks = m.tokens(text)
    vocabulary = m.index.vocabulary
    assert toks.chars == "".join(vocabulary.get(w, UNKNOWN) for w in tokenize(text))
    # The line of every token: the line its word is on.
    lines = [n for n, line in enumerate(text.split("\n"), 1) for _ in tokenize(line)]
    assert [toks.line(i) for i in range(len(toks.chars))] == lines


def test_prefixes_are_every_rule_of_the_opening_found_whole() -> None:
    m = licensedb_matcher()
    # Openings shared by many rules (BSD and Apache texts, GNU notices...).
    buckets = sorted(map(m.bucket, range(m.openings)), key=lambda b: -len(b.keys))[:5]
    for bucket in buckets:
        for key in bucket.keys[:: max(1, len(bucket.keys) // 20)]:
            for cut in (len(key), len(key) - 1, len(key) + 3):
                hay = "\u0101" + (key + key)[:cut]
                brute = {
                    i
                    for ids, other in zip(bucket.ids, bucket.keys, strict=True)
                    if hay.startswith(other, 1)
                    for i in ids
                }
                assert set(bucket.prefixes(hay, 1)) == brute


def test_spelled_openings_are_found_only_where_a_token_starts() -> None:
    m = licensedb_matcher()
    text = "Licensed under the Apache License, Version 2.0"
    toks = m.tokens(text)
    found = m.match_tokens(toks)
    assert [(x.rule.expression, x.start, x.end) for x in found][:1] == [
        ("Apache-2.0", 0, len(toks.chars))
    ]
    spelled = m._spell.encode(toks.chars)
    assert len(spelled) == 3 * len(toks.chars)
    assert all(end % 3 == 2 for end, _ in m.automaton.iter(spelled))


@given(st.lists(st.sampled_from([*"a+ \n\t\x0b\x1c\u2028\xa0\u3000.é"]), max_size=30).map("".join))
@settings(max_examples=500, deadline=None)
def test_lone_plus_is_the_look_behind_it_replaces(text: str) -> None:
    """``_LONE_PLUS`` (the ``+`` first, then a look back) removes the very ``+`` signs that
    ``(?<![^\\s+])\\+`` does: those first, after whitespace of any kind, or after another."""
    import re

    from audit.licenses.matcher import _LONE_PLUS

    definition = re.compile(r"(?<![^\s+])\+")
    assert _LONE_PLUS.sub(" ", text) == definition.sub(" ", text)


def test_lone_plus_examples() -> None:
    from audit.licenses.matcher import _LONE_PLUS

    assert _LONE_PLUS.sub("_", "+a gpl-2.0+ ++ a\u2028+b c++") == "_a gpl-2.0+ __ a\u2028_b c+_"


def test_spelling_follows_the_tokens_in_order() -> None:
    """Token ``n`` (in the vocabulary's order, which ruledb gives the characters in) is
    spelled as ``n`` in base ``base``, UNKNOWN as the number after the last token; a
    vocabulary ruledb did not make is spelled by its characters' order."""
    from audit.licenses.matcher import _DIGITS, _Spelling

    def spelled(n: int, base: int) -> str:
        digits = (n // base**2, n // base % base, n % base)
        return "".join(chr(d + s) for d, s in zip(digits, _DIGITS, strict=True))

    m = licensedb_matcher()
    spell = m._spell
    chars = list(m.index.vocabulary.values())
    for n in (0, 1, spell.base, len(chars) // 2, len(chars) - 1):
        assert spell.encode(chars[n]) == spelled(n, spell.base)
    assert spell.encode(UNKNOWN) == spelled(len(chars), spell.base)
    assert isinstance(spell._table, list)  # by code point: no hashing in str.translate
    assert spell.encode("\n".join(chars[:2])) == "\n".join(spelled(n, spell.base) for n in (0, 1))
    other = _Spelling({"b": "\u0150", "a": "\u0200", "c": "\u0100"})
    assert other.base == 2 and isinstance(other._table, dict)
    assert other.encode("\u0100\u0150\u0200\uffff") == "".join(spelled(n, 2) for n in range(4))

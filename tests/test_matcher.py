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

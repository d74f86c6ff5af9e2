"""What the notices scanner works out once per file and shares, and its anchored searches.

- A regex whose every match starts with a known word is tried only where the word is
  (:func:`audit.scanners.base.finditer_at`); case-insensitive ones only in ASCII text, where
  ``lower()`` keeps offsets. Each such search must find exactly what the regex finds.
- The license database reads a file's head once (:attr:`notices._Head.database`), however
  many finders ask for its reading.
- Lines of the file come from the head where it holds them whole
  (:meth:`notices._Head.file_line`): the same text as :meth:`SourceFile.line`.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from licensedb import licensedb_matcher
from test_notices_gates import PIECES, TEXTS, _clean_reference

from audit.scanners import notices
from audit.scanners.base import SourceFile, finditer_at

CASED = [
    (notices._REF_BARE, notices._REF_NAMES),
    (notices._PROGRAM_SECTION, notices._SECTION_STARTS),
    (notices._MODULE_LICENSE, notices._MODULE_STARTS),
    (notices._LICENSE_SECTION, notices._LICENSE_SECTION_STARTS),
]
"""Case-sensitive patterns and the words each match starts with."""
CASELESS = [
    (notices._DUAL, notices._DUAL_STARTS),
    (notices._APACHE, notices._APACHE_STARTS),
    *((pattern, starts) for _, pattern, _, starts, _ in notices._STATEMENTS),
]
"""Case-insensitive ones."""

WORDS = [
    "LICENSE",
    "LICENCE.md",
    "COPYING-2",
    "NOTICE.txt",
    "xLICENSE",
    "/LICENSE",
    "a.txt",
    "b.rst ",
    ".mdx",
    'SEC("tp/x")',
    'SEC ( "kprobe/y" )',
    "__section(",
    "__section (",
    "x__bpf_section",
    "section (",
    "_section",
    "SEC(",
    '__bpf_section("xdp")',
    'xSEC("a")',
    'SEC("license") = "GPL"',
    'section("license") char l[] = "Dual MIT/GPL"',
    'MODULE_LICENSE("GPL")',
    "MODULE_LICENSE(X)",
    'xMODULE_LICENSE("GPL")',
    "Dual licensed",
    "dual-LICENCED",
    "DUAL",
    "under the Apache License, Version 2.0",
    "UNDER THE TERMS OF THE APACHE LICENSE V2.0",
    "Distributed under the Boost Software License, Version 1.0.",
    "on the same terms as Perl",
    "is placed in the public domain",
    "not in the public domain",
    "are released into the PUBLIC DOMAIN",
    "\u212a",
    "\u017f",
    "\u0130",
    "dual licen\u017fed",
]
SEARCHED = st.lists(st.sampled_from(PIECES + WORDS), max_size=30).map("".join)


def _spans(matches: object) -> list[tuple[int, int, dict[str, str | None]]]:
    return [(m.start(), m.end(), m.groupdict()) for m in matches]  # type: ignore[attr-defined]


@given(SEARCHED)
@settings(max_examples=500, deadline=None)
def test_anchored_searches_find_what_the_regex_finds(text: str) -> None:
    for pattern, words in CASED:
        found = finditer_at(pattern, text, notices._starts(text, words))
        assert _spans(found) == _spans(pattern.finditer(text)), pattern.pattern
    for pattern, words in CASELESS:
        found = notices._finditer_ci(pattern, text, text.lower(), words)
        assert _spans(found) == _spans(pattern.finditer(text)), pattern.pattern
        match = notices._search_ci(pattern, text, text.lower(), words)
        expected = pattern.search(text)
        assert (match and match.span()) == (expected and expected.span())


@given(SEARCHED)
@settings(max_examples=500, deadline=None)
def test_every_ascii_statement_match_holds_the_words_its_gate_needs(text: str) -> None:
    """The words :func:`notices._may_state` asks the raw head for are in every match of
    the statement's pattern in ASCII text, in lower case."""
    if not text.isascii():
        return
    for _, pattern, _, _, needs in notices._STATEMENTS:
        for m in pattern.finditer(text):
            assert all(word in m[0].lower() for word in needs), (pattern.pattern, m[0])


def test_anchored_search_sees_what_comes_before_the_word() -> None:
    """Look-behinds and word boundaries look before the offset a search is given."""
    text = "see xLICENSE or the LICENSE file, /NOTICE, NOTICE"
    found = finditer_at(notices._REF_BARE, text, notices._starts(text, ("LICEN",)))
    assert [m["name"] for m in found] == ["LICENSE"]
    assert [m.start() for m in notices._REF_BARE.finditer(text)] == [20, 43]
    assert notices._starts(text, notices._REF_NAMES) == [5, 20, 35, 43]


def test_caseless_search_in_other_text_is_the_regex() -> None:
    """Outside ASCII, ``lower()`` is no guide: the long s of "i\u017f" folds to "is" in the
    regex only, and the statement is found all the same."""
    _, pattern, expression, starts, _ = notices._STATEMENTS[2]
    assert expression == "LicenseRef-scancode-public-domain"
    text = "This code i\u017f in the public domain."
    assert 10 not in notices._starts(text.lower(), starts)
    match = notices._search_ci(pattern, text, text.lower(), starts)
    assert match is not None and match.span() == (10, 33)


@given(TEXTS)
@settings(max_examples=300, deadline=None)
def test_lines_cleaned_together_or_remembered_are_cleaned_lines(text: str) -> None:
    lines = text.splitlines()
    expected = [_clean_reference(line) for line in lines]
    assert notices._clean_lines(lines) == expected
    notices._CLEANED.clear()
    first = notices._head(text)
    assert first.cleaned == "\n".join(expected[: len(first.lines)])
    # The second time from the lines remembered (all of them up to 200 characters).
    again = notices._head(text)
    assert again.cleaned == first.cleaned
    assert set(notices._CLEANED.known) == {line for line in first.lines if len(line) <= 200}


@given(TEXTS)
@settings(max_examples=300, deadline=None)
def test_file_lines_from_the_head_are_the_file_lines(text: str) -> None:
    source = SourceFile("a.c", text)
    head = notices._head(text, source)
    for number in range(0, len(source.lines) + 2):
        assert head.file_line(number) == source.line(number)


MIT_OPENING = """\
/*
 * Copyright (c) 2020 Example Authors
 *
 * Permission is hereby granted, free of charge, to any person obtaining a copy of this
 * software, to deal in the Software without restriction, provided that the Software is
 * used for peaceful purposes only.
 */
int main(void) { return 0; }
"""


def test_the_database_reads_a_head_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A permission paragraph that shares only MIT's opening: the permission finder asks for
    the database's reading, and so does the last step when no finder decided the file;
    the database reads the head once."""
    licensedb_matcher()
    calls: list[tuple[str, bool]] = []
    real = notices._database

    def counted(source: SourceFile, whole: bool, head: notices._Head) -> list[notices.Notice]:
        calls.append((source.path, whole))
        return real(source, whole, head)

    monkeypatch.setattr(notices, "_database", counted)
    found = notices.scan_notices(SourceFile("src/x.c", MIT_OPENING)).notices
    assert [(n.line, n.kind, n.expression) for n in found] == [(4, "partial", None)]
    assert found[0].raw.startswith("MIT? only its opening sentence matched: Permission is")
    assert calls == [("src/x.c", False)]


def test_a_head_without_a_database_word_is_not_matched(monkeypatch: pytest.MonkeyPatch) -> None:
    """No gate word in a short file: the database pass stops before tokenizing anything."""
    licensedb_matcher()
    from audit.licenses import matcher

    m = matcher.default_matcher()
    assert m is not None
    seen: list[str] = []
    monkeypatch.setattr(m, "find", lambda text, approximate=True: seen.append(text))
    text = "int add(int a, int b) { return a + b; }\n"
    assert notices.scan_notices(SourceFile("src/add.c", text)).notices == ()
    assert seen == []


def test_words_are_found_where_they_start() -> None:
    assert notices._starts("SEC SECSEC __section", notices._SECTION_STARTS) == [0, 4, 7, 11]
    assert notices._starts("aaa", ("aa",)) == [0, 1]
    assert notices._starts("", ("x",)) == []


def test_cleaned_lines_are_looked_up_while_they_repeat() -> None:
    memo = notices._CLEANED
    memo.clear()
    header = "\n".join(f"// line {k} of the same header" for k in range(60))
    for _ in range(70):
        assert notices._head(header).cleaned.startswith("line 0 of the same header\nline 1")
    assert (memo.looked, memo.found, memo.pays()) == (4200, 4140, True)
    memo.clear()
    for n in range(70):
        text = "\n".join(f"// line {k} of file {n}" for k in range(60))
        assert notices._head(text).cleaned.startswith(f"line 0 of file {n}\n")
    # 69 heads looked up (4,140 lines, none found): the 70th is not
    assert (memo.looked, memo.found, memo.pays()) == (4140, 0, False)
    assert notices._head("// a\n#  b  c */").cleaned == "a\nb c"
    assert memo.looked == 4140
    notices.forget()
    assert (memo.known, memo.looked, memo.pays()) == ({}, 0, True)


def test_a_value_computed_once_is_kept_in_the_instance() -> None:
    """:class:`audit.scanners.base.once`: computed at the first look, then read from the
    instance (the head's cleaned text, a file's lines)."""
    from audit.scanners.base import SourceFile, once

    calls: list[int] = []

    class Thing:
        @once
        def value(self) -> int:
            calls.append(1)
            return 42

    thing = Thing()
    assert (thing.value, thing.value) == (42, 42)
    assert calls == [1]
    assert thing.__dict__ == {"value": 42}
    assert isinstance(Thing.value, once)
    source = SourceFile("a.c", "one\ntwo\n")
    assert source.lines == ("one", "two")
    assert source.line(2) == "two"

"""The notices scanner's shortcuts change no result.

To stay fast on large trees, the finders skip their costly work (cleaning the head's lines,
case-insensitive searches) after cheap tests: a keyword in the raw head, a word that every
match of a regex holds. Forcing every such test true must find exactly the same. The head's
line numbers, tag search and URL blanking are checked against their line-by-line
definitions.
"""

from __future__ import annotations

import bisect
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from licensedb import licensedb_matcher

from audit.scanners import notices
from audit.scanners.base import SourceFile

GATES = (
    "_may_hold_prose",
    "_raw_has",
    "_may_name_file",
    "_may_be_bare_name",
    "_may_be_mit",
    "_may_trigger",
    "_may_be_apache_license",
    "_may_rest_hold_gate",
    "_may_state",
    "_may_permit",
)
"""The cheap tests of :mod:`audit.scanners.notices` (each may say yes for nothing)."""

PIECES = [
    # line ends of every kind str.splitlines() knows, comment markers, whitespace
    "\n",
    "\r\n",
    "\r",
    "\x0c",
    "\x1c",
    "\u2028",
    "\x85",
    " * ",
    "// ",
    "# ",
    "/*",
    "*/",
    "dnl ",
    "rem ",
    "-->",
    '"""',
    " ",
    "  ",
    "\t",
    "\xa0",
    ". ",
    "\n\n",
    # what the finders look for
    "SPDX-License-Identifier: MIT",
    "SPDX-License-Identifier: GPL-2.0+ */",
    "dual licensed under the MIT or GPL 2",
    "Dual-Licensed",
    "BSD",
    "under the Apache License, Version 2.0",
    "Apache",
    "License",
    "licence",
    "GNU General Public License",
    "GNU Lesser General Public License, version 2.1",
    "either version 2 of the License, or (at your option) any later version",
    "as published by the Free Software Foundation; version 2",
    "or later",
    "Permission is hereby granted, free of charge",
    "PERMISSION IS HEREBY GRANTED",
    "Permission to use, copy, modify",
    "Redistribution and use in source and binary forms",
    "This software is provided 'as-is'",
    "This is free and unencumbered software",
    "see LICENSE file",
    "See the COPYING file",
    "found in the LICENSE file",
    "NOTICE",
    "GPL.txt",
    "MIT.md",
    "LICENSE.rst",
    "LICENSE-2.0",
    "http://www.apache.org/licenses/LICENSE-2.0",
    "see https://x.org/GPL.txt",
    'MODULE_LICENSE("GPL")',
    'SEC("license")',
    "under the same terms as Perl itself",
    "on the same\nterms as perl",
    "properly",
    "is in the public domain",
    "placed into the\npublic domain",
    "Distributed under the Boost Software License, Version 1.0.",
    # letters that case-insensitive matching folds but lower() does not
    "\u212a",
    "\u017f",
    "\u0130",
    "Permi\u017f\u017fion i\u017f hereby granted",
    "x",
    "y z",
]
ISC = """\
Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
"""
PIECES += [ISC, ISC.replace("Permission to use", "Permi\u017f\u017fion to u\u017fe")]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
PATHS = st.sampled_from(["src/x.c", "LICENSE", "Makefile", "lib/a.py", "GPL.txt"])


@given(TEXTS, PATHS)
@settings(max_examples=400, deadline=None)
def test_shortcuts_change_no_result(text: str, path: str) -> None:
    source = SourceFile(path, text)
    fast = notices.scan_notices(source)
    with pytest.MonkeyPatch.context() as mp:
        for name in GATES:
            mp.setattr(notices, name, lambda *args: True)
        assert notices.scan_notices(source) == fast


def _clean_reference(line: str) -> str:
    """The definition of a cleaned head line."""
    clean = line.strip().lstrip("/*#;!%-<>'\"").lstrip()
    if clean.startswith(("dnl ", "rem ", "REM ", "@rem ")):
        clean = clean.split(" ", 1)[1]
    for closer in ("*/", "-->", '"""', "'''"):
        if clean.endswith(closer):
            clean = clean[: -len(closer)].rstrip("*").rstrip()
            break
    return " ".join(clean.split())


def _blank_urls_reference(text: str) -> str:
    out = text
    pos = text.find("://")
    while pos >= 0:
        start = pos
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "+.-"):
            start -= 1
        end = pos + 3
        while end < len(text) and not text[end].isspace() and text[end] not in "<>\"'":
            end += 1
        out = out[:start] + " " * (end - start) + out[end:]
        pos = text.find("://", end)
    return out


@given(TEXTS)
@settings(max_examples=300, deadline=None)
def test_head_joins_cleaned_lines_and_numbers_them(text: str) -> None:
    head = notices._head(text)
    parts = [_clean_reference(line) for line in head.lines]
    assert [notices._clean(line) for line in head.lines] == parts
    assert head.joined == " ".join(parts)
    starts: list[int] = []
    offset = 0
    for part in parts:
        starts.append(offset)
        offset += len(part) + 1
    if parts:
        for off in range(len(head.joined) + 1):
            assert head.line_of(off) == bisect.bisect_right(starts, off)
    tag = "SPDX-License-Identifier"
    expected = [(n, line, line.find(tag)) for n, line in enumerate(head.lines, 1) if tag in line]
    assert list(notices._tag_lines(head, tag)) == expected


@given(st.lists(st.sampled_from(["://", "http", "+", ".", "-", " ", "<", '"', "a", "\xe9"])))
def test_urls_are_blanked_in_place(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert notices._blank_urls(text) == _blank_urls_reference(text)


def test_head_is_sixty_lines_within_4096_characters() -> None:
    tag = "// SPDX-License-Identifier: MIT\n"
    at_60 = "x\n" * 59 + tag
    at_61 = "x\n" * 60 + tag
    found = notices.scan_notices(SourceFile("a.c", at_60)).notices
    assert [(n.line, n.expression) for n in found] == [(60, "MIT")]
    assert notices.scan_notices(SourceFile("a.c", at_61)).notices == ()
    # a carriage return or a form feed ends a line too
    text = "/*\r * SPDX-License-Identifier: MIT\x0c// SPDX-License-Identifier: GPL-2.0\n"
    found = notices.scan_notices(SourceFile("a.c", text)).notices
    assert [(n.line, n.expression, n.evidence.text) for n in found] == [
        (2, "MIT", "* SPDX-License-Identifier: MIT"),
        (3, "GPL-2.0-only", "// SPDX-License-Identifier: GPL-2.0"),
    ]


# -- the database's regions and the gates before them -----------------------------------

REGION_PIECES = [
    "\n",
    "\r\n",
    "\r",
    "\x0c",
    "\u2028",
    "x",
    "code();",
    "\u03a3",
    "A\u03a3",
    "// licensed under the MIT license",
    'MODULE_LICENSE("GPL");',
    'char _license[] SEC("license") = "GPL";',
    'char _license[] SEC("license"\n) = "GPL";',
    "y" * 700,
    "\n" * 30,
]
REGION_TEXTS = st.lists(st.sampled_from(REGION_PIECES), max_size=120).map("".join)


@given(REGION_TEXTS)
@settings(max_examples=500, deadline=None)
def test_the_short_region_is_the_head_cut_again(text: str) -> None:
    """The short database region taken from the head is the region cut from the text."""
    source = SourceFile("src/x.c", text)
    region, lower = notices._short_region(source, notices._head(text, source))
    expected = notices._db_region(source, notices.HEAD_CHARS, notices.HEAD_LINES)
    assert (region, lower) == (expected, expected.lower())


@pytest.mark.parametrize("lines", [58, 59, 60, 61, 62])
@pytest.mark.parametrize("tail", ["", "\n", "\nx", "\n\n", "\r\n"])
def test_the_short_region_around_the_sixtieth_line(lines: int, tail: str) -> None:
    for text in ("a\n" * lines + tail, "a\n" * lines + "b" + tail):
        source = SourceFile("src/x.c", text)
        region, lower = notices._short_region(source, notices._head(text, source))
        expected = notices._db_region(source, notices.HEAD_CHARS, notices.HEAD_LINES)
        assert (region, lower) == (expected, expected.lower())


@given(REGION_TEXTS)
@settings(max_examples=500, deadline=None)
def test_no_gate_word_after_the_short_head_when_the_text_has_none(text: str) -> None:
    """What the gate of the longer head tests holds no gate word when the text at the same
    offsets holds none (the longer head is cut out of the text and emptied of lines)."""
    source = SourceFile("src/x.c", text)
    short, _ = notices._short_region(source, notices._head(text, source))
    rest = len(short) - 200
    longer = notices._db_region(source, notices.DB_HEAD_CHARS, notices.DB_HEAD_LINES)
    if not notices._may_rest_hold_gate(text, rest):
        assert not notices._has_any(longer[max(rest, 0) :].lower(), notices._DB_GATES)


def _code(lines: int) -> str:
    return "".join(f"value_{i:05d} = compute({i});\n" for i in range(lines))


def test_the_longer_head_is_read_where_its_rest_holds_a_gate_word() -> None:
    """A notice below the short head (line 81) is found; one beyond the longer head's
    16,384 characters is not, and its text is not even cut out (no gate word up to there)."""
    licensedb_matcher()
    text = _code(80) + "// Licensed under the MIT License.\n" + _code(3)
    found = notices.scan_notices(SourceFile("src/x.c", text)).notices
    assert [(n.line, n.kind, n.expression, n.rule) for n in found] == [
        (81, "matched", "MIT", "mit_1019")
    ]
    assert notices._may_rest_hold_gate(text, len(_code(60)) - 1 - 200)
    far = _code(700) + "// Licensed under the MIT License.\n"
    assert len(_code(700)) == 19490
    assert notices.scan_notices(SourceFile("src/x.c", far)).notices == ()
    assert not notices._may_rest_hold_gate(far, len(_code(60)) - 1 - 200)


def test_the_longer_head_is_read_below_a_short_head_of_few_characters() -> None:
    """A short head of under 200 characters (60 short lines): the whole longer head is
    looked at for a gate word, not only its last characters (a notice on line 61 was
    missed when the code after it held none)."""
    licensedb_matcher()
    text = "x\n" * 60 + "// Licensed under the MIT License.\n" + _code(100)
    found = notices.scan_notices(SourceFile("src/x.c", text)).notices
    assert [(n.line, n.kind, n.expression, n.rule) for n in found] == [
        (61, "matched", "MIT", "mit_1019")
    ]


def test_the_longer_head_ends_after_400_lines() -> None:
    """A gate word on line 451 (within 16,384 characters): the text may hold one, the
    longer head (400 lines) does not; nothing found."""
    licensedb_matcher()
    text = "x = 1;\n" * 450 + "// Licensed under the MIT License.\n"
    assert len(text) < notices.DB_HEAD_CHARS
    assert notices._may_rest_hold_gate(text, len("x = 1;\n" * 60) - 1 - 200)
    assert notices.scan_notices(SourceFile("src/x.c", text)).notices == ()


def test_the_longer_head_without_run_time_strings() -> None:
    """A run-time license string below the short head holds a gate word in the text
    (``MODULE_LICENSE``) but its line is emptied in the longer head: the module license
    alone is found."""
    licensedb_matcher()
    text = _code(80) + 'MODULE_LICENSE("GPL");\n' + _code(3)
    found = notices.scan_notices(SourceFile("src/x.c", text)).notices
    assert [(n.line, n.kind, n.expression) for n in found] == [
        (81, "module-license", "GPL-2.0-only")
    ]
    assert notices._may_rest_hold_gate(text, len(_code(60)) - 1 - 200)


APACHE_PIECES = [
    "Apache",
    "APACHE",
    " License",
    "-2.0",
    "Apache-2.0",
    "\n",
    " ",
    "\t",
    "\xa0",
    "*/",
    "-->",
    '"""',
    "'''",
    "*",
    "-",
    "// ",
    " * ",
    "x",
    "\u0130",
    "SPDX-License-Identifier: ",
]


@given(st.lists(st.sampled_from(APACHE_PIECES), max_size=30).map("".join))
@settings(max_examples=1000, deadline=None)
def test_no_apache_license_in_the_cleaned_head_when_the_gate_says_so(text: str) -> None:
    head = notices._head(text)
    if not notices._may_be_apache_license(head):
        assert "apache license" not in head.lower


@pytest.mark.parametrize(
    ("text", "may", "expected"),
    [
        ("// SPDX-License-Identifier: Apache-2.0\n", False, [(1, "spdx-tag", "Apache-2.0")]),
        ("/* apache-2.0 */\n", False, [(1, "matched", "Apache-2.0")]),
        (
            "/* Licensed under the Apache\n * License, Version 2.0 */\n",
            True,
            [(1, "prose", "Apache-2.0")],
        ),
        (
            "<!-- Licensed under the Apache-->\n<!-- License, Version 2.0 -->\n",
            True,
            [(1, "prose", "Apache-2.0")],
        ),
        ("# under the Apache License, v2.0\n", True, [(1, "prose", "Apache-2.0")]),
    ],
)
def test_the_apache_gate(text: str, may: bool, expected: list[tuple[int, str, str]]) -> None:
    assert notices._may_be_apache_license(notices._head(text)) is may
    assert _readings(text) == expected


def _readings(text: str) -> list[tuple[int, str, str | None]]:
    """(line, kind, expression) of each notice found in a C file holding ``text``."""
    found = notices.scan_notices(SourceFile("src/x.c", text)).notices
    return [(n.line, n.kind, n.expression) for n in found]


LINE_PIECES = [
    "\n",
    "\r\n",
    "\r",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
    "x",
    "ab",
    "\xe9",
    "y" * 300,
    "\n" * 20,
]


@given(st.lists(st.sampled_from(LINE_PIECES), max_size=200).map("".join))
@settings(max_examples=500, deadline=None)
def test_head_lines_are_the_first_lines_of_the_text(text: str) -> None:
    """Split at ``"\\n"`` alone where nothing else ends a line: the lines
    :meth:`str.splitlines` makes."""
    head = notices._head(text)
    raw = head.raw  # made first: a short text's head is cut into lines when they are asked for
    assert head.lines == text[: notices.HEAD_CHARS].splitlines()[: notices.HEAD_LINES]
    assert raw == "\n".join(head.lines)


@given(st.lists(st.sampled_from([*LINE_PIECES, "SPDX-License-Identifier: MIT"]), max_size=60))
@settings(max_examples=300, deadline=None)
def test_tag_lines_are_the_head_lines(pieces: list[str]) -> None:
    """An SPDX tag's line, cut from the raw head, is the head's line of that number."""
    head = notices._head("".join(pieces))
    for number, line, idx in notices._tag_lines(head, notices._SPDX_TAG):
        assert line == head.lines[number - 1]
        assert line[idx:].startswith(notices._SPDX_TAG)


def test_a_short_texts_lines_are_cut_when_asked_for() -> None:
    # Fewer line ends than the head's lines, shorter than the head: raw is the text but
    # for its last line end, its lines cut on first use as the head's lines of any text.
    for text in ["", "\n", "a", "a\n", "a\n\n", "x\n" * 59, "x\n" * 59 + "y", "x\n" * 60]:
        head = notices._head(text)
        assert head.raw == "\n".join(text.splitlines()[: notices.HEAD_LINES])
        assert ("lines" in vars(head)) is (text.count("\n") >= notices.HEAD_LINES)
        assert head.lines == text.splitlines()[: notices.HEAD_LINES]


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", ()),
        ("a", ("a",)),
        ("a\n", ("a",)),
        ("a\n\n", ("a", "")),
        ("a\r\nb\n", ("a", "b")),
        ("a\x0cb", ("a", "b")),
        ("x\n" * 61, ("x",) * 60),
        ("x\n" * 60 + "y", ("x",) * 60),
        # other line ends and other characters after the sixtieth line: the same lines
        ("x\n" * 60 + "\r\x0c\u2028y", ("x",) * 60),
        ("x\n" * 60 + "\xe9", ("x",) * 60),
        ("x\n" * 59 + "y\rz\n", ("x",) * 59 + ("y",)),
        ("x\n" * 59 + "\xe9\x85z\n", ("x",) * 59 + ("\xe9",)),
    ],
)
def test_head_lines(text: str, lines: tuple[str, ...]) -> None:
    head = notices._head(text)
    assert tuple(head.lines) == lines == tuple(text.splitlines()[:60])
    assert head.raw == "\n".join(lines)


def test_lines_that_need_more_cleaning_are_cleaned_alone() -> None:
    """A line that ends with a comment closer, or holds a tab, is cleaned by itself; the
    others' runs of spaces are collapsed together."""
    lines = ["/* a  b */", "int  x;", "\tc\td", "// e"]
    assert notices._clean_lines(lines) == ["a b", "int x;", "c d", "e"]
    assert notices._clean_lines(lines) == [notices._clean(line) for line in lines]


def test_finders_without_their_words_are_not_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A head without any finder's word: no finder runs, nothing is found."""
    asked: list[str] = []
    for name in ("_dual", "_apache", "_gnu", "_permission_texts", "_statements", "_references"):
        monkeypatch.setattr(notices, name, lambda *args, name=name: asked.append(name))
    text = "// SPDX-License-Identifier: MIT\nint main(void) { return 0; }\n"
    found = notices.scan_notices(SourceFile("src/x.c", text)).notices
    assert [(n.line, n.kind, n.expression) for n in found] == [(1, "spdx-tag", "MIT")]
    assert asked == []


@pytest.mark.parametrize(
    ("text", "may", "expected"),
    [
        ("// Check the mapping properly.\nint x;\n", [False, False, False], []),
        (
            "# This library is free software; you can redistribute it and/or modify it\n"
            "# under the same terms as Perl itself.\n",
            [False, True, False],
            [(1, "prose", "Artistic-1.0-Perl OR GPL-1.0-or-later")],
        ),
        (
            "/* This file is placed in the public domain. */\n",
            [False, False, True],
            [(1, "prose", "LicenseRef-scancode-public-domain")],
        ),
        # Not ASCII: the long s matches "s" under IGNORECASE, so the gate lets it through.
        (
            "# under the \u017fame terms as Perl\n",
            [True, True, True],
            [(1, "prose", "Artistic-1.0-Perl OR GPL-1.0-or-later")],
        ),
    ],
)
def test_the_statement_gates(text: str, may: list[bool], expected: list[tuple]) -> None:
    """Each short statement is looked for only where the raw head holds every word its
    matches hold (``perl`` alone is in ``properly``)."""
    head = notices._head(text)
    assert [notices._may_state(head, s[4]) for s in notices._STATEMENTS] == may
    assert _readings(text) == expected


CLEAN_PIECES = [
    *"x */#;!%-<>'\"\t\xa0\x7f\x00",
    "dnl ",
    "rem ",
    "@rem ",
    "REM ",
    "-->",
    '"""',
    "'''",
    "  ",
    "\u3000",
    "\xe9",
]


@given(st.lists(st.lists(st.sampled_from(CLEAN_PIECES), max_size=12).map("".join), max_size=8))
@settings(max_examples=1000, deadline=None)
def test_lines_cleaned_together_are_each_line_cleaned(lines: list[str]) -> None:
    """Which lines need more than the first step is told from the lines joined: the
    result is :func:`_clean` of each line."""
    assert notices._clean_lines(list(lines)) == [_clean_reference(line) for line in lines]


APACHE_HEADED = Path(__file__).parent.parent / "examples/falco-2023/userspace/engine/falco_engine.h"
"""A file whose head is the usual Apache-2.0 header (lines 1-15), as in kepler-0.7.11's
vendor/k8s.io/apimachinery/pkg/types/nodename.go:1-15."""


@pytest.mark.parametrize(
    ("text", "may", "expected"),
    [
        (APACHE_HEADED.read_text(), False, [(4, "prose", "Apache-2.0")]),
        (
            "// Permission is hereby granted, free of charge, to any person obtaining a copy\n",
            True,
            [(1, "partial", None)],
        ),
        (ISC, True, [(1, "prose", "ISC")]),
        ("// Permi\u017f\u017fion is granted\n", True, []),
    ],
)
def test_the_permission_gate(text: str, may: bool, expected: list[tuple]) -> None:
    """Permission paragraphs are looked for only where the raw head holds a word of their
    openings: not in an Apache-2.0 header (``permissions`` in its last sentence)."""
    assert notices._may_permit(notices._head(text)) is may
    assert _readings(text) == expected


def test_a_call_after_many_occurrences_of_the_word() -> None:
    """eBPF program sections are looked for where the text holds a call of ``SEC`` or
    ``section`` (:attr:`SourceFile.marks`, tests/test_textmarks.py), however many times it
    holds the word alone before."""
    many = "x = NSEC_PER_SEC;\n" * 40
    assert not notices._CALL_MARKS.isdisjoint(SourceFile("a.c", many + 'SEC("tp/x")\n').marks)
    assert not notices._CALL_MARKS.isdisjoint(SourceFile("a.c", many + "SEC (").marks)
    assert notices._CALL_MARKS.isdisjoint(SourceFile("a.c", many).marks)
    found = notices.scan_notices(SourceFile("a.c", many + 'SEC("tp_btf/sys_enter")\nint f() {}\n'))
    assert [(n.line, n.kind, n.raw) for n in found.notices] == [
        (41, "ebpf-program", "tp_btf/sys_enter")
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("// SPDX-License-Identifier: GPL-2.0+ */", [(1, "GPL-2.0-or-later", "GPL-2.0+")]),
        ("# SPDX-License-Identifier: MIT OR Nope-1", [(1, None, "MIT OR Nope-1")]),
        ("x = 1; // SPDX-License-Identifier: MIT", []),
        ("// SPDX-License-Identifier: MIT " + "x" * 200, [(1, None, "MIT " + "x" * 200)]),
    ],
)
def test_a_tag_line_read_again_reads_the_same(
    line: str, expected: list[tuple[int, str | None, str]]
) -> None:
    """SPDX tag lines are remembered (up to 200 characters): the second file with the line
    gets what the first one got, problems included."""
    notices.forget()
    first = notices.scan_notices(SourceFile("a.c", line + "\nint x;\n"))
    assert (line in notices._TAG_TEXTS) is (len(line) <= 200)
    again = notices.scan_notices(SourceFile("a.c", line + "\nint x;\n"))
    assert again == first
    tags = [(n.line, n.expression, n.raw) for n in again.notices if n.kind == "spdx-tag"]
    assert tags == expected
    assert len(again.problems) == sum(1 for _, expr, _ in expected if expr is None)


@given(TEXTS)
@settings(max_examples=400, deadline=None)
def test_the_words_a_head_holds_are_found_in_one_pass(text: str) -> None:
    """The head's words (:data:`notices._HEAD_WORDS`, found by one Aho-Corasick pass in
    ASCII heads) are the words its lower-case raw text holds, and the last gate word is
    where the last one starts (the definitions: one substring search per word)."""
    head = notices._head(text)
    low = head.raw_lower
    for word in notices._HEAD_WORDS:
        assert head.has((word,)) == (word in low)
    assert head.has_all(("same", "terms")) == ("same" in low and "terms" in low)
    assert head.words == frozenset(w for w in notices._HEAD_WORDS if w in low)
    assert notices._may_hold_prose(head) == notices._has_any(low, notices._PROSE_WORDS)
    for cut in range(len(low) + 1):
        assert head.gate_after(cut) == any(low.find(word, cut) >= 0 for word in notices._DB_GATES)
    for cut in (0, 1, len(low) // 2, len(low)):
        for region in (low, low + "\n", low + "s"):
            expected = notices._has_any(region[cut:], notices._DB_GATES)
            assert notices._gate_after(head, region, cut) == expected
    assert notices._holds_gate(low) == notices._has_any(low, notices._DB_GATES)
    assert notices._may_be_bare_name(text) == notices._has_any(text, notices._REF_NAMES)
    _assert_name_gate(text)
    joined = "\n".join(text.splitlines())
    assert notices._marks(joined) == _marks_by_definition(joined)


@pytest.mark.parametrize(
    ("text", "may"),
    [
        ("", False),
        ("see the file", False),
        ("LICENSE", True),
        ("LICENOTICE", True),  # NOTICE hidden by LICEN: a name either way
        ("GPL.txt", True),
        ("GPL.txtx", False),  # an extension, but no match of _REF_EXT
        ("x.txtx and y.md", True),
        ("readme.MD", False),
        ("é COPYING", True),
        ("é a.rst", True),
        ("é a.rstx", False),
        ("notice.txt" * 300 + ".md", True),
    ],
)
def test_a_head_that_may_name_a_license_file(text: str, may: bool) -> None:
    """Names and extensions found in one leftmost-first pass, then _REF_EXT where only an
    extension is: what the definition (a name, or a match of _REF_EXT) says."""
    assert notices._may_name_file(text) is may
    assert may == (
        notices._has_any(text, notices._REF_NAMES) or notices._REF_EXT.search(text) is not None
    )


def _may_name_by_definition(text: str) -> bool:
    return notices._has_any(text, notices._REF_NAMES) or notices._REF_EXT.search(text) is not None


def _assert_name_gate(text: str) -> None:
    """The name gate of a raw head: yes where the text with its URLs blanked names a file
    (the definition), no where the text names none; a name or extension after a URL's
    ``://`` does not count; and where it says no, the reference finder finds nothing."""
    may = notices._may_name_file(text)
    if _may_name_by_definition(notices._blank_urls(text)):
        assert may
    if may:
        assert _may_name_by_definition(text)
    else:
        head = notices._head(text)
        if not notices._may_name_file(head.raw):
            assert list(notices._references(SourceFile("a.c", text), head)) == []


@pytest.mark.parametrize(
    ("text", "may"),
    [
        ("http://www.apache.org/licenses/LICENSE-2.0", False),
        (" *     http://www.apache.org/licenses/LICENSE-2.0\n * See the LICENSE file", True),
        ("see https://x.org/GPL.txt", False),
        ("see https://x.org/ GPL.txt", True),
        ("see https://x.org/GPL.txt*/", False),
        ("LICENSEhttp://x.org/", True),  # before the "://": looked for in the cleaned head
        ("http://a/LICENSE http://b/NOTICE", False),
        ("http://a/\tLICENSE", True),
        ('http://a/"LICENSE', True),
        ("http://a/x://b/COPYING.md", False),
        ("caf\xe9 http://a/LICENSE", True),  # not ASCII: each name looked for
    ],
)
def test_names_in_urls_name_no_file(text: str, may: bool) -> None:
    """A license file name or extension after the ``://`` of a URL (the Apache-2.0
    header's ``http://www.apache.org/licenses/LICENSE-2.0``) is no reference: such a head is
    not cleaned and searched for names."""
    assert notices._may_name_file(text) is may
    _assert_name_gate(text)
    if not may:
        found = notices.scan_notices(SourceFile("a.c", text)).notices
        assert [n for n in found if n.kind == "reference"] == []


URL_TEXTS = st.lists(
    st.sampled_from(
        [
            "://",
            "http",
            "http://x/",
            "LICENSE",
            "COPYING",
            "LICENOTICE",
            ".txt",
            "GPL.txt",
            "MIT.md",
            "a.rst",
            "see the ",
            "found in the ",
            " file",
            " ",
            "\t",
            "\xa0",
            "\x1c",
            "\n",
            "\r\n",
            "\n * ",
            "\n// ",
            "\n# ",
            "*/",
            "-->",
            '"""',
            "'",
            '"',
            "<",
            ">",
            "-",
            ".",
            "+",
            "dnl ",
            "rem ",
        ]
    ),
    max_size=20,
).map("".join)


@given(URL_TEXTS)
@settings(max_examples=1000, deadline=None)
def test_names_in_urls_of_the_raw_head_are_in_urls_of_the_cleaned_head(text: str) -> None:
    """Where the name gate says no, the reference finder (URLs blanked in the cleaned
    head) finds nothing: for texts built of URLs, names, comment markers, closers and
    whitespace of every kind."""
    _assert_name_gate(text)
    source = SourceFile("src/x.c", text)
    fast = notices.scan_notices(source)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(notices, "_may_name_file", lambda *args: True)
        assert notices.scan_notices(source) == fast


def test_the_words_of_a_head() -> None:
    text = (
        "// Copyright 2024 The Authors\n"
        "// SPDX-License-Identifier: Apache-2.0\n"
        "/* Dual licensed: permission is hereby granted */\n"
        "int a;\n"
    )
    head = notices._head(text)
    assert notices._may_hold_prose(head)
    found = [w for w in notices._HEAD_WORDS if head.has((w,))]
    assert found == ["dual", "apache", "permission", "hereby"]
    assert not head.has(("general",))
    # the last gate word: "permission" on line 3
    assert [head.gate_after(cut) for cut in (0, 87, 88)] == [True, True, False]
    # not ASCII: each word looked for ("licenſe" is no "licens")
    other = notices._head("// Licen\u017fe \u00e9 GPL\n")
    assert not notices._may_hold_prose(other)
    assert [other.gate_after(cut) for cut in (0, 13, 14)] == [True, True, False]
    assert notices._marks("dnl x\nfoo */") == (True, True, False, False)
    assert notices._marks("x -->") == (False, True, False, False)
    assert notices._marks("a\nb") == (False, False, False, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (False, False, False, False)),
        ("a  b", (False, False, False, True)),
        ("a\n\nb", (False, False, False, False)),  # empty lines: no two spaces
        ("a \n b", (False, False, False, False)),
        # two spaces that start inside a word marker's match: looked for
        ("dnl  x", (True, False, False, True)),
        ("@rem  x", (True, False, False, True)),
        ("x rem ", (True, False, False, False)),
        ("x \"\"\" y ''''", (False, True, False, False)),
        ("-->  ", (False, True, False, True)),
        ("a\tb", (False, False, True, False)),
        ("a\x7fb\x1f", (False, False, True, False)),
        ("a\rb", (False, False, True, False)),
        ("é  dnl \u2028", (True, False, True, True)),
        ("é x", (False, False, False, False)),
    ],
)
def test_the_marks_of_joined_lines(text: str, expected: tuple[bool, bool, bool, bool]) -> None:
    """What one leftmost-first pass and a byte table tell of head lines joined by line
    ends: what their definitions (a search per mark, each character's class) say."""
    assert notices._marks(text) == expected == _marks_by_definition(text)


def _marks_by_definition(text: str) -> tuple[bool, bool, bool, bool]:
    return (
        notices._has_any(text, notices._WORD_MARKERS),
        notices._has_any(text, notices._CLOSERS),
        not "".join(text.split("\n")).isprintable(),
        "  " in text,
    )


def test_every_word_a_finder_asks_the_head_about_is_looked_for() -> None:
    """:meth:`_Head.has` knows only the words of :data:`notices._HEAD_WORDS`."""
    asked = {
        "dual",
        "general",
        "apache",
        *notices._TEXT_KEYWORDS,
        *notices._STATEMENT_WORDS,
        *notices._PERMIT_WORDS,
        *notices._ALTERNATIVE_WORDS,
    }
    assert asked <= set(notices._HEAD_WORDS)
    # a head without any first word of a finder asks for none (_may_hold_prose)
    firsts = {"dual", "apache", "general", *notices._TEXT_KEYWORDS, *notices._STATEMENT_WORDS}
    assert set(notices._PROSE_WORDS) == firsts


def _overlapped(words: tuple[str, ...]) -> list[str]:
    """Texts where one of ``words`` starts inside another (``gplicens``, ``mozillapache``,
    ``unencumberedual``)."""
    return [
        a + b[k:]
        for a in words
        for b in words
        for k in range(1, min(len(a), len(b)))
        if a != b and a.endswith(b[:k])
    ]


def _gates_overlapping() -> list[str]:
    return _overlapped(notices._DB_GATES)


WORD_TEXTS = st.lists(
    st.sampled_from(
        [
            *notices._HEAD_WORDS,
            *_overlapped(notices._HEAD_WORDS),
            "'",
            "x",
            " ",
            "\n",
            "\xe9",
            "Dual",
            "AS-IS",
            "alternatively",
        ]
    ),
    max_size=12,
).map("".join)


@given(WORD_TEXTS)
@settings(max_examples=400, deadline=None)
def test_the_words_of_a_head_hidden_inside_another_are_found(text: str) -> None:
    """Words reported leftmost first, and those that start inside a reported one
    (``dual`` at the end of ``unencumbered``, ``as-is`` in ``'as-is'``): every word the
    lower-case head holds, as one search per word finds them."""
    assert {"unencumberedual", "generalternativ", "apachereby"} <= set(
        _overlapped(notices._HEAD_WORDS)
    )
    head = notices._head(text)
    low = head.raw_lower
    assert head.words == frozenset(w for w in notices._HEAD_WORDS if w in low)
    assert notices._may_hold_prose(head) == notices._has_any(low, notices._PROSE_WORDS)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("unencumbered", {"unencumbered"}),
        ("unencumberedual", {"unencumbered", "dual"}),
        ("unencumberedistribution", {"unencumbered", "redistribution"}),
        ("'as-is'", {"'as-is'", "as-is"}),
        ("apachereby", {"apache", "hereby"}),
        ("Dual-Licensed: GENERALternative", {"dual", "general", "alternativ"}),
        ("caf\xe9 at your option", {"at your option"}),
    ],
)
def test_words_hidden_inside_another(text: str, words: set[str]) -> None:
    assert notices._head(text).words == words


GATE_TEXTS = st.lists(
    st.sampled_from(
        [*notices._DB_GATES, *_gates_overlapping(), "x", " ", "\n", "\xe9", "LICENSE", "Gpl"]
    ),
    max_size=12,
).map("".join)


@given(GATE_TEXTS)
@settings(max_examples=400, deadline=None)
def test_a_gate_word_after_each_offset_of_the_head(text: str) -> None:
    """Whether a gate word starts at or after an offset of the head, told from the words
    reported leftmost first (a word hidden inside a reported one, like ``licens`` in
    ``gplicens``, is looked for): what one search per word says."""
    assert "gplicens" in _gates_overlapping()
    head = notices._head(text)
    low = head.raw_lower
    for cut in range(len(low) + 1):
        expected = any(low.find(word, cut) >= 0 for word in notices._DB_GATES)
        assert head.gate_after(cut) == expected
        assert notices._gate_after(head, low, cut) == expected


def test_a_gate_word_hidden_inside_the_last_reported_one() -> None:
    head = notices._head("x gplicense")
    assert [head.gate_after(cut) for cut in (2, 3, 4, 5)] == [True, True, True, False]
    assert head._gates == [(notices._DB_GATES.index("gpl"), 2, 5)]  # "licens" at 4 hidden


C_PATHS = st.sampled_from(["src/x.c", "src/x.bpf.c", "x.h", "Makefile", "Kbuild", "dkms.conf"])


@given(TEXTS, C_PATHS)
@settings(max_examples=300, deadline=None)
def test_hints_are_asked_only_where_they_may_find_something(text: str, path: str) -> None:
    """scan_notices asks for run-time strings only where the text has a mark, for program
    sections only where it has a call's mark or the name ends in ``.bpf.c``, for kernel
    build hints only for the names they read: elsewhere each finds nothing."""
    source = SourceFile(path, text + '\nSEC("kprobe/x") int f(void) { return 0; }\nobj-m := x.o\n')
    name = path.rsplit("/", 1)[-1].lower()
    if not source.marks:
        assert list(notices._runtime(source)) == []
    if notices._CALL_MARKS.isdisjoint(source.marks) and not path.endswith(".bpf.c"):
        assert list(notices._ebpf_hint(source)) == []
    for other in ("x.c", "makefile.am", "dkms", "kbuild.inc"):
        assert other not in notices._KERNEL_BUILD_NAMES
        assert list(notices._kernel_build_hint(source, other)) == []
    assert (name in notices._KERNEL_BUILD_NAMES) == (name in ("makefile", "kbuild", "dkms.conf"))


@given(TEXTS, st.integers(min_value=0, max_value=400))
@settings(max_examples=300, deadline=None)
def test_run_time_lines_of_a_start_of_a_text_told_by_its_marks(text: str, cut: int) -> None:
    """The lines of run-time strings are looked for in a start of a file only where the
    file's marks hold one (a mark the file lacks is in none of its starts)."""
    full = text + '\nMODULE_LICENSE("GPL");\n' if cut % 2 else text
    start = full[:cut]
    marks = SourceFile("a.c", full).marks
    expected = notices._without_runtime_lines(start)
    assert notices._without_runtime_lines(start, marks) == expected

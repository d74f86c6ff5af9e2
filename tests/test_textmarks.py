"""The marks scanners test whole texts for, found in one pass (:mod:`audit.scanners.textmarks`).

One leftmost-first pass misses an occurrence of a mark that starts inside a reported one
(``MODULE_LICENSEC("``): those are tested for one by one. Each answer must be what testing
the text for each mark with ``in`` says, in ASCII and other text, at its start and end.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.scanners import textmarks
from audit.scanners.base import SourceFile
from audit.scanners.notices import scan_notices
from audit.scanners.uapi import SCANNER as UAPI


def _by_in(text: str) -> frozenset[str]:
    return frozenset(m for m in textmarks.MARKS if m in text)


def test_the_marks_that_can_start_inside_another() -> None:
    """Only ``SEC(``/``SEC (`` can start inside another mark (``MODULE_LICENSE`` ends with
    ``SE``); no mark holds another."""
    assert {m: o for m, o in textmarks.OVERLAPS.items() if o} == {
        "MODULE_LICENSE": ('SEC("', "SEC ("),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", set()),
        ("int x;\n", set()),
        ('MODULE_LICENSE("GPL");', {"MODULE_LICENSE"}),
        # a mark inside another's occurrence: not reported by the pass, tested for
        ('MODULE_LICENSEC("x")', {"MODULE_LICENSE", 'SEC("'}),
        ("MODULE_LICENSEC (x)", {"MODULE_LICENSE", "SEC ("}),
        # marks that touch: each found
        ('SEC("license")', {'SEC("', 'license")'}),
        ('section("license")\n#include <linux/bpf.h>', {'section("', 'license")', "<linux/"}),
        # at the text's very start and end
        ("<linux/", {"<linux/"}),
        ("x SEC (", {"SEC ("}),
        # no mark: near misses
        ("NSEC_PER_SEC; SEC(x); section(1); <linux", set()),
        ('Section("x") sec("x") License")', set()),
        # in text that is not ASCII (its UTF-8 bytes are searched)
        ('é SEC("tp/x") ü', {'SEC("'}),
        ("\u2028MODULE_LICENSE\ud800", {"MODULE_LICENSE"}),
        ('\U0001f600license")', {'license")'}),
    ],
)
def test_marks(text: str, expected: set[str]) -> None:
    assert textmarks.find(text) == expected == _by_in(text)
    assert SourceFile("a.c", text).marks == expected
    utf8 = text.encode("utf-8", "surrogatepass")
    assert textmarks.find(text, utf8) == expected
    assert SourceFile("a.c", text).utf8 == utf8


def test_a_file_decoded_by_the_scan_keeps_its_bytes() -> None:
    """The scan's clean UTF-8 files keep the bytes they were decoded from as their UTF-8
    (no copy made for the marks and escapes passes); others make it on first use."""
    data = 'é SEC("tp/x") \\u00e9\n'.encode()
    source = SourceFile.decoded("a.c", data.decode("utf-8"), data)
    assert source.known_utf8() is data
    assert source.utf8 is data
    assert source.marks == {'SEC("'}
    assert source == SourceFile("a.c", data.decode("utf-8"))
    other = SourceFile("a.c", "x")
    assert other.known_utf8() is None
    assert other.utf8 == b"x"
    assert other.known_utf8() == b"x"


@given(
    st.lists(
        st.sampled_from(
            [
                *textmarks.MARKS,
                "MODULE_LICENSE",
                "MODULE_LICEN",
                "SE",
                "SEC",
                "C(",
                'C("',
                "C (",
                "section",
                "license",
                '")',
                "<linux",
                "/",
                "(",
                '"',
                " ",
                "x",
                "\n",
                "é",
                "\U0001f600",
            ]
        ),
        max_size=40,
    ).map("".join)
)
@settings(max_examples=2000, deadline=None)
def test_marks_are_what_in_says(text: str) -> None:
    assert textmarks.find(text) == _by_in(text)
    assert textmarks.find(text, text.encode("utf-8", "surrogatepass")) == _by_in(text)


@given(
    st.lists(
        st.sampled_from(["\\", "u", "U", "\\u", "\\U", "x", "\n", "é", "\\\\", "\U0001f600"]),
        max_size=30,
    ).map("".join)
)
@settings(max_examples=1000, deadline=None)
def test_escapes_are_what_in_says(text: str) -> None:
    holds = "\\u" in text or "\\U" in text
    assert textmarks.holds_escape(text) is holds
    assert textmarks.holds_escape(text, text.encode("utf-8", "surrogatepass")) is holds


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("", False),
        ("\\", False),
        ("u\\", False),
        ("\\u", True),
        ("x\\\\U", True),
        ("\\n\\t" * 10000 + "\\ud800", True),
        ("\\n\\t" * 10000, False),
        ("é\\u", True),
        ("é\\x", False),
    ],
)
def test_escapes(text: str, holds: bool) -> None:
    assert textmarks.holds_escape(text) is holds
    assert textmarks.holds_escape(text, text.encode()) is holds


def test_a_long_text_with_a_mark_at_its_end() -> None:
    many = "x = NSEC_PER_SEC; /* section */ #include <linuxx/y.h>\n" * 5000
    assert textmarks.find(many) == frozenset()
    assert textmarks.find(many + 'SEC("tp/x")') == {'SEC("'}
    assert textmarks.find('SEC("tp/x")' + many) == {'SEC("'}
    assert textmarks.find(many + "é<linux/") == {"<linux/"}


def test_the_scanners_read_their_marks() -> None:
    """The notices scanner's run-time strings and eBPF programs, and the UAPI scanner's
    includes, where a text's marks say they may be."""
    text = (
        "// SPDX-License-Identifier: GPL-2.0\n"
        "#include <linux/bpf.h>\n"
        'SEC("tp_btf/sys_enter")\n'
        "int f(void) { return 0; }\n"
        'char LICENSE[] SEC("license") = "Dual BSD/GPL";\n'
        'MODULE_LICENSE("GPL");\n'
    )
    source = SourceFile("a.c", text)
    found = scan_notices(source)
    assert [(n.line, n.kind, n.expression, n.raw) for n in found.notices] == [
        (1, "spdx-tag", "GPL-2.0-only", "GPL-2.0"),
        (3, "ebpf-program", None, "tp_btf/sys_enter"),
        (5, "ebpf-section", "GPL-2.0-only OR LicenseRef-BSD-unspecified", "Dual BSD/GPL"),
        (6, "module-license", "GPL-2.0-only", "GPL"),
    ]
    assert [
        (e.line, e.text) for c in UAPI.scan(SourceFile("a.c", text)).components for e in c.evidence
    ] == [(2, "#include <linux/bpf.h>")]
    bare = SourceFile("b.c", text.replace("<linux/", "<linuX/").replace("SEC", "SEc"))
    bare = SourceFile("b.c", bare.text.replace("MODULE_", "MODULe_"))
    assert [(n.line, n.kind) for n in scan_notices(bare).notices] == [(1, "spdx-tag")]
    assert UAPI.scan(bare).components == ()

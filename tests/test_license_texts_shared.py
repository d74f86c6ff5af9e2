"""identify() reads a text once and covers what it read once (audit.licenses.texts).

- The words of a text (``_tokens``) are those of their definition, line by line: copyright
  and "All rights reserved" lines left out, list numbering dropped, equivalent spellings
  folded, no shingle across a ``<<hole>>``.
- Texts that hold the same reference shingles on the same lines (the same license header
  above different code) are covered once: the second costs no covering step and finds
  the same.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from test_notices_gates import ISC

from audit.licenses import texts
from audit.licenses.texts import TextMatch, bundled_references, identify

_WORD = re.compile(r"[a-z0-9]+")
_HOLE = re.compile(r"<<[^<>]{0,80}>>")
_COPYRIGHT_LINE = re.compile(r"^[\W_]*(?:copyright\b|\(c\)|©)", re.IGNORECASE)
_COPYRIGHT_MARK = re.compile(r"\d{4}|\(c\)|©|<", re.IGNORECASE)
_RESERVED = re.compile(r"^[\W_]*all rights reserved[\W_]*$", re.IGNORECASE)


def _tokens_reference(text: str) -> tuple[list[str], list[int], set[int]]:
    """The definition of a text's words, word by word."""
    words: list[str] = []
    lines: list[int] = []
    breaks: set[int] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if _RESERVED.match(line):
            continue
        if _COPYRIGHT_LINE.match(line) and _COPYRIGHT_MARK.search(line):
            continue
        for index, segment in enumerate(_HOLE.split(line.lower())):
            if index:
                breaks.add(len(words))
            for word in _WORD.findall(segment):
                if word.isdigit() and len(word) <= 2:
                    continue
                for part in texts._EQUIVALENT.get(word, word).split():
                    words.append(part)
                    lines.append(number)
    return words, lines, breaks


PIECES = [
    "\n",
    "\r\n",
    " ",
    "Copyright (c) 2020 X",
    "COPYRIGHT 1999",
    "copyright holders",
    "(C) Y",
    "© Z",
    "All Rights Reserved.",
    "all rights reserved, and more",
    "A\u017f\u017f rights re\u017ferved",  # the long s: the regex folds it, lower() does not
    "\u212a",
    "\u0130",
    "1. ",
    "2.0",
    "100",
    "licence",
    "Noninfringement",
    "https://x",
    "<<the copyright holder>>",
    "<<",
    ">>",
    "Permission is hereby granted",
    "the software is provided as is",
]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@given(TEXTS)
@settings(max_examples=400, deadline=None)
def test_words_are_their_definition(text: str) -> None:
    words, lines, breaks = _tokens_reference(text)
    tokens = texts._tokens(text)
    assert (list(tokens.words), list(tokens.lines), set(tokens.breaks)) == (words, lines, breaks)
    assert texts._shingles(tokens) == _shingles_reference(words, breaks)


def _shingles_reference(words: list[str], breaks: set[int]) -> list[str]:
    if len(words) < texts.SHINGLE:
        return [" ".join(words)] if words else []
    out: list[str] = []
    for i in range(len(words) - texts.SHINGLE + 1):
        crosses = any(b in breaks for b in range(i + 1, i + texts.SHINGLE))
        out.append("" if crosses else " ".join(words[i : i + texts.SHINGLE]))
    return out


def _header(year: int, code: str) -> str:
    body = "".join(f" * {line}".rstrip() + "\n" for line in ISC.splitlines())
    return f"/*\n * Copyright (c) {year} Example Authors\n *\n{body} */\n{code}"


def test_one_header_above_different_code_is_covered_once() -> None:
    refs = bundled_references()
    covered: dict[object, tuple[TextMatch, ...]] = {}
    first = _header(2019, "int main(void) { return 0; }\n")
    second = _header(2024, "static int add(int a, int b) { return a + b; }\n")
    expected = (TextMatch("ISC", 4, 1.0),)
    assert texts._identify(first, refs, texts.MIN_SIMILARITY, covered) == expected
    assert len(covered) == 1
    assert texts._identify(second, refs, texts.MIN_SIMILARITY, covered) == expected
    assert len(covered) == 1
    # The same text, not remembered: the same matches.
    assert texts._identify(second, refs, texts.MIN_SIMILARITY) == expected
    # The header one line lower: other lines, covered again (lines are part of what it read).
    lower = "\n" + first
    assert texts._identify(lower, refs, texts.MIN_SIMILARITY, covered) == (
        TextMatch("ISC", 5, 1.0),
    )
    assert len(covered) == 2


def test_remembered_coverings_are_bounded() -> None:
    texts.forget()
    for n in range(texts._COVERED_SIZE + 5):
        identify("\n" * n + ISC)
    assert len(texts._COVERED) == texts._COVERED_SIZE
    texts.forget()
    assert texts._COVERED == {}

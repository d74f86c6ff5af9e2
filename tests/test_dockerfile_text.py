"""audit.scanners.dockerfile_text: the text handed to BuildKit's parser.

Joined continuation lines must change nothing the parser returns: the property test
compares the parser's instructions for the prepared text with those for the text as
written, on random mixtures of continuations, comments, empty lines and heredocs.
"""

from __future__ import annotations

import dockerfile
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.scanners.base import SourceFile
from audit.scanners.dockerfile_text import JOIN_CHARS, Layout, OpenHeredoc, layout_of, parse

TEXT = (
    "# syntax=docker/dockerfile:1\n"  # 1
    "FROM alpine:3.19\n"  # 2
    "RUN apk add \\\n"  # 3
    "    curl \\\n"  # 4   joinable
    "    # a comment\n"  # 5
    "    git \\\n"  # 6   joinable
    "\n"  # 7
    "    jq \\\n"  # 8   joinable
    "    make\n"  # 9
    "RUN <<EOF \\\n"  # 10
    "  && true\n"  # 11
    "body \\\n"  # 12  a heredoc body line: never joined
    "EOF\n"  # 13
    "COPY <<-A <<'B' /x\n"  # 14
    "\ta\n"  # 15
    "\tA\n"  # 16
    "b \\\n"  # 17  body
    "B\n"  # 18
)


def lines_of(text: str) -> list[str]:
    return text.split("\n")[:-1]


def test_layout() -> None:
    assert layout_of(lines_of(TEXT)) == Layout(
        spans=frozenset({(2, 2), (3, 9), (10, 13), (14, 18)}),
        joinable=(3, 5, 7),
        escape="\\",
        heredocs={10: (("EOF", range(11, 12)),), 14: (("A", range(14, 15)), ("B", range(16, 17)))},
    )


def test_layout_with_backtick_escape() -> None:
    text = "# escape=`\nFROM a:1\nRUN a `\n  b `\n  c\\\nRUN d\n"
    assert layout_of(lines_of(text)) == Layout(
        spans=frozenset({(2, 2), (3, 5), (6, 6)}), joinable=(3,), escape="`"
    )


def test_layout_refuses_an_escape_the_parser_refuses() -> None:
    assert layout_of(["# escape=x", "FROM a:1"]) is None


def test_open_heredoc() -> None:
    text = "FROM a:1\nRUN <<A \\\n  <<B\nA\nno B here\n"
    layout = layout_of(lines_of(text))
    assert layout is not None
    assert layout.open_heredoc == OpenHeredoc(start=2, line=3, name="B", last=5, body=3)


def _handed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each text handed to BuildKit's parser."""
    seen: list[str] = []
    real = dockerfile.parse_string
    monkeypatch.setattr(dockerfile, "parse_string", lambda t: seen.append(t) or real(t))
    return seen


def test_heredoc_bodies_are_left_out_and_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = tuple(dockerfile.parse_string(TEXT))
    seen = _handed(monkeypatch)
    parsed = parse(SourceFile("Dockerfile", TEXT), "dockerfile")
    assert parsed.commands == expected
    assert parsed.problems == ()
    # lines 4, 6 and 8 are not neighbours (a comment, an empty line): nothing to join;
    # the bodies (lines 12, 15 and 17) are left out
    dropped = {12, 15, 17}
    assert seen == [
        "".join(line for n, line in enumerate(TEXT.splitlines(True), 1) if n not in dropped)
    ]


def test_runs_are_joined_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    piece = "x" * 1000
    text = "FROM a:1\nRUN a \\\n" + f"  {piece} \\\n" * 20 + "  b\n"
    expected = tuple(dockerfile.parse_string(text))
    seen = _handed(monkeypatch)
    parsed = parse(SourceFile("Dockerfile", text), "dockerfile")
    assert parsed.commands == expected
    assert [(c.start_line, c.end_line) for c in parsed.commands] == [(1, 1), (2, 23)]
    per_line = JOIN_CHARS // 1004  # 8 lines of 1,004 characters fit in 8,192
    assert per_line == 8
    joined = f"  {piece} " * 7 + f"  {piece} \\"
    assert seen[0].split("\n") == [
        "FROM a:1",
        "RUN a \\",
        joined,
        joined,
        f"  {piece} " * 3 + f"  {piece} \\",
        "  b",
        "",
    ]


def test_long_line_is_blanked_and_reported() -> None:
    text = "FROM a:1\nLABEL x=" + "y" * 70_000 + "\nRUN true\n"
    parsed = parse(SourceFile("Dockerfile", text), "dockerfile")
    assert parsed.commands is not None
    assert [(c.cmd, c.start_line) for c in parsed.commands] == [("FROM", 1), ("RUN", 3)]
    assert [(p.line, p.kind, p.message) for p in parsed.problems] == [
        (2, "parse-error", "line of 70008 bytes is over BuildKit's 64 KiB limit: skipped")
    ]


def test_open_heredoc_with_nothing_before_it() -> None:
    parsed = parse(SourceFile("Dockerfile", "# a\nRUN <<X\ntrue\n"), "dockerfile")
    assert (parsed.commands, parsed.problems, parsed.error_line) == (None, (), 2)
    assert parsed.error == (
        "heredoc `<<X` is never closed (no line `X` before the end of the file): lines 2-3 not read"
    )


def test_other_parse_errors_are_not_recovered() -> None:
    parsed = parse(SourceFile("Dockerfile", "# escape=x\nFROM a:1\n"), "dockerfile")
    assert parsed.commands is None
    assert parsed.error == "invalid escape token 'x' does not match ` or \\"


# Property: joining never changes what the parser returns -------------------------------

LINES = [
    "FROM a:1\n",
    "RUN a \\\n",
    "  b \\\n",
    "  c\n",
    "x \\  \n",
    "  \\\n",
    "\\\n",
    "\n",
    "   \n",
    "# c \\\n",
    "  # c\n",
    "RUN <<EOF \\\n",
    "RUN <<-EOF\n",
    "RUN cat <<'Q' <<\"R\" \\\n",
    "\tEOF\n",
    "EOF\n",
    "Q\n",
    "R\n",
    "COPY <<A <<B /\n",
    "A\n",
    "B\n",
    "ONBUILD RUN <<X\n",
    "X\n",
    "LABEL k=v \\\n",
    "RUN y\r\n",
    "RUN z `\n",
    "ENV A=1 \\\n",
]


def _outcome(text: str) -> tuple[object, ...] | str:
    try:
        return tuple(dockerfile.parse_string(text))
    except Exception as exc:
        return str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(st.sampled_from(LINES), max_size=40),
    escape=st.sampled_from(["", "# escape=`\n", "# escape=\\\n"]),
)
def test_prepared_text_parses_as_written(lines: list[str], escape: str) -> None:
    text = escape + "".join(lines)
    expected = _outcome(text)
    got = parse(SourceFile("Dockerfile", text), "dockerfile")
    if not isinstance(expected, str):
        assert got.commands == expected
        assert got.problems == ()
    elif "unterminated heredoc" not in expected:
        assert got.commands is None
        assert got.error == expected
    elif got.commands is None:
        # nothing before the heredoc: the file's one problem says which heredoc
        assert got.error is not None and "is never closed" in got.error
    else:
        # recovered: exactly the instructions of the text up to the open heredoc
        (problem,) = got.problems
        assert "is never closed" in problem.message
        last = max((c.end_line for c in got.commands), default=0)
        cut = "".join(text.splitlines(keepends=True)[:last])
        before = _outcome(cut)
        assert not isinstance(before, str)
        assert got.commands == before

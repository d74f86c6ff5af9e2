"""The fallback tokenizer: a script's simple commands as words with their offsets.

Plain, linear and quote-aware; it reads what bashlex cannot (``case``, ``[[ ]]``,
arithmetic, arrays...). Commands are split on ``&& || ; | &``, parentheses and newlines;
redirection targets and here-document bodies are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.shell.spans import skip_backtick, skip_dquote, skip_group
from audit.shell.words import expand_text


@dataclass(frozen=True)
class Word:
    """One word of a simple command."""

    raw: str
    """The word as written, quotes included."""
    start: int
    """Offset of the word in the script."""


Command = tuple[Word, ...]
"""A simple command: its words in order (assignments first, as written)."""


@dataclass
class Lexed:
    """What :func:`lex` read from one text."""

    commands: list[Command]
    nested: list[tuple[int, int]]
    """Offsets of ``$(...)``, backtick and ``<(...)`` bodies (commands run there too)."""
    breaks: list[int]
    """Offsets just after each top-level newline that ends a command."""
    errors: list[tuple[int, str]]
    """``(offset, message)`` of constructs that end the reading (unterminated quotes)."""


def lex(text: str, base: int = 0) -> Lexed:
    """The commands of ``text``; offsets are ``base`` plus the offset in ``text``."""
    out = Lexed([], [], [], [])
    current: list[Word] = []
    n = len(text)
    i = 0
    word_start = -1
    skip_target = False  # the next word is a redirection target
    want_delim = False  # the next word is a here-document delimiter
    heredocs: list[str] = []

    def end_word(j: int) -> None:
        nonlocal word_start, skip_target, want_delim
        if word_start < 0:
            return
        raw = text[word_start:j]
        if want_delim:
            heredocs.append(expand_text(raw, {})[0])
            want_delim = False
        elif skip_target:
            skip_target = False
        else:
            current.append(Word(raw, base + word_start))
        word_start = -1

    def end_command() -> None:
        if current:
            out.commands.append(tuple(current))
            current.clear()

    def begin() -> None:
        nonlocal word_start
        if word_start < 0:
            word_start = i

    while i < n:
        c = text[i]
        if c == "\\":
            if text.startswith("\\\n", i) or text.startswith("\\\r\n", i):
                i += 2 if text[i + 1] == "\n" else 3
                continue
            begin()
            i += 2
            continue
        if c in " \t\r":
            end_word(i)
            i += 1
            continue
        if c == "\n":
            end_word(i)
            end_command()
            i = _skip_heredoc_bodies(text, i + 1, heredocs)
            out.breaks.append(base + i)
            continue
        if c == "#" and word_start < 0:
            k = text.find("\n", i)
            i = n if k < 0 else k
            continue
        if c == "'":
            begin()
            k = text.find("'", i + 1)
            if k < 0:
                out.errors.append((base + i, "unterminated single quote"))
                i = n
                current.clear()
                word_start = -1
                break
            i = k + 1
            continue
        if c == '"':
            begin()
            nested: list[tuple[int, int]] = []
            end, closed = skip_dquote(text, i, nested)
            out.nested.extend((base + a, base + b) for a, b in nested)
            if not closed:
                out.errors.append((base + i, "unterminated double quote"))
                current.clear()
                word_start = -1
                i = n
                break
            i = end
            continue
        if c == "`":
            begin()
            end = skip_backtick(text, i)
            out.nested.append((base + i + 1, base + end - 1))
            i = end
            continue
        if c == "$" and text.startswith(("$(", "${"), i):
            begin()
            if text[i + 1] == "(":
                end = skip_group(text, i + 1, "(", ")")
                if not text.startswith("$((", i):
                    out.nested.append((base + i + 2, base + end - 1))
            else:
                end = skip_group(text, i + 1, "{", "}")
            i = end
            continue
        if c in "<>":
            if text.startswith(("<(", ">("), i):
                begin()
                end = skip_group(text, i + 1, "(", ")")
                out.nested.append((base + i + 2, base + end - 1))
                i = end
                continue
            if word_start >= 0 and text[word_start:i].isdigit():
                word_start = -1
            else:
                end_word(i)
            if text.startswith("<<<", i):
                i += 3
                skip_target = True
            elif text.startswith("<<", i):
                i += 3 if text.startswith("<<-", i) else 2
                want_delim = True
            else:
                i += 1
                if i < n and text[i] in ">&|":
                    i += 1
                if text[i - 1] == "&" and i < n and (text[i].isdigit() or text[i] == "-"):
                    while i < n and (text[i].isdigit() or text[i] == "-"):
                        i += 1
                else:
                    skip_target = True
            continue
        if c in ";&|()":
            if text.startswith("&>", i):
                end_word(i)
                i += 3 if text.startswith("&>>", i) else 2
                skip_target = True
                continue
            end_word(i)
            end_command()
            i += 2 if text[i : i + 2] in ("&&", "||", ";;", "|&") else 1
            continue
        begin()
        i += 1
    end_word(n)
    end_command()
    return out


def _skip_heredoc_bodies(text: str, i: int, heredocs: list[str]) -> int:
    """Offset after the bodies of the pending here-documents that start at ``text[i]``."""
    n = len(text)
    for delim in heredocs:
        while i < n:
            k = text.find("\n", i)
            line_end = n if k < 0 else k
            line = text[i:line_end]
            i = line_end + 1 if k >= 0 else n
            if line.strip() == delim:
                break
    heredocs.clear()
    return i

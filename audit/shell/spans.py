"""Where a quoted string, a backtick substitution or a bracketed group ends.

Shared by word expansion and the tokenizer; every scan is linear and iterative, and an
unterminated construct ends at the end of the text.
"""

from __future__ import annotations


def skip_backtick(text: str, i: int) -> int:
    """End (exclusive) of the backtick substitution starting at ``text[i]``."""
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "`":
            return j + 1
        j += 1
    return n


def skip_dquote(text: str, i: int, nested: list[tuple[int, int]]) -> tuple[int, bool]:
    """End (exclusive) of the double-quoted string at ``text[i]`` and whether it is closed.

    The bodies of ``$(...)`` and backtick substitutions inside it are appended to ``nested``.
    """
    j = i + 1
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            return j + 1, True
        if c == "$" and text.startswith("$(", j):
            end = skip_group(text, j + 1, "(", ")")
            if not text.startswith("$((", j):
                nested.append((j + 2, end - 1))
            j = end
            continue
        if c == "`":
            end = skip_backtick(text, j)
            nested.append((j + 1, end - 1))
            j = end
            continue
        j += 1
    return n, False


def skip_group(text: str, i: int, open_: str, close: str) -> int:
    """End (exclusive) of the bracketed group whose opening bracket is ``text[i]``.

    Iterative and quote-aware; an unterminated group ends at the end of the text.
    """
    depth = 0
    j = i
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "'" and open_ == "(":
            k = text.find("'", j + 1)
            j = n if k < 0 else k + 1
            continue
        if c == '"':
            k = j + 1
            while k < n and text[k] != '"':
                k += 2 if text[k] == "\\" else 1
            j = k + 1
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return n

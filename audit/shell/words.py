"""Shell words: quote removal and parameter expansion (``$VAR``, ``${VAR:-default}``...).

A word that needs an unknown variable or a command substitution keeps those parts as
written and names them in :attr:`Expansion.missing`; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from audit.shell.spans import skip_backtick, skip_group

_MAX_EXPANSION_DEPTH = 8
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_PARAMS = frozenset("0123456789@*#?$!-")
_PLAIN_RE = re.compile(r"[^\\'\"`$]*")


@dataclass(frozen=True)
class Expansion:
    """A shell word after quote removal and parameter expansion."""

    fields: tuple[str, ...]
    """The resulting words (unquoted expansions are split on whitespace)."""
    missing: tuple[str, ...] = ()
    """Unknown variables (``NAME``) and substitutions (``$(...)``) the word needs; when
    not empty, ``fields`` keep those parts as written."""


def expand_word(raw: str, env: Mapping[str, str], *, split: bool = True) -> Expansion:
    """Quote removal and ``$VAR``/``${VAR}``/``${VAR:-default}`` expansion of one word.

    ``split`` splits unquoted expansions on whitespace as a shell does; with ``split``
    false the result is always one field (Dockerfile instruction arguments).
    """
    fields, missing = _expand(raw, env, split, 0)
    return Expansion(tuple(fields), tuple(dict.fromkeys(missing)))


def expand_text(raw: str, env: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """One word expanded without field splitting: ``(text, missing)``."""
    if _PLAIN_RE.fullmatch(raw):
        return raw, ()  # no quote, escape or expansion: the word is itself
    exp = expand_word(raw, env, split=False)
    return ("".join(exp.fields), exp.missing)


def short(text: str, limit: int = 40) -> str:
    """``text`` on one line, cut to ``limit`` characters (for messages)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


MAX_VALUE = 64 * 1024
"""A variable whose value is longer than this counts as unknown: ``A1=${A0}${A0}`` repeated
line after line would otherwise double a string until memory runs out."""


def _lookup(name: str, env: Mapping[str, str]) -> str | None:
    value = env.get(name)
    if value is None or "$" in value or len(value) > MAX_VALUE:
        return None
    return value


def _expand(
    raw: str, env: Mapping[str, str], split: bool, depth: int
) -> tuple[list[str], list[str]]:
    fields: list[str] = []
    cur: list[str] = []
    has = False  # the current field exists even if empty (quotes were seen)
    missing: list[str] = []
    in_dq = False
    i = 0
    n = len(raw)

    def flush() -> None:
        nonlocal has
        if cur or has:
            fields.append("".join(cur))
            cur.clear()
            has = False

    def add(value: str, quoted: bool) -> None:
        nonlocal has
        if not split or quoted:
            cur.append(value)
            has = has or quoted
            return
        pieces = value.split()
        if not pieces:
            if value:
                flush()
            return
        if value[0].isspace():
            flush()
        cur.append(pieces[0])
        for piece in pieces[1:]:
            flush()
            cur.append(piece)
        if value[-1].isspace():
            flush()

    while i < n:
        c = raw[i]
        if c == "\\":
            if i + 1 >= n:
                cur.append("\\")
                i += 1
                continue
            nxt = raw[i + 1]
            if nxt == "\n":
                i += 2
                continue
            if in_dq and nxt not in '$`"\\':
                cur.append("\\")
                i += 1
                continue
            cur.append(nxt)
            has = True
            i += 2
            continue
        if c == "'" and not in_dq:
            j = raw.find("'", i + 1)
            j = n if j < 0 else j
            cur.append(raw[i + 1 : j])
            has = True
            i = j + 1
            continue
        if c == '"':
            in_dq = not in_dq
            has = True
            i += 1
            continue
        if c == "`":
            j = skip_backtick(raw, i)
            text = raw[i:j]
            missing.append(short(text))
            cur.append(text)
            has = True
            i = j
            continue
        if c == "$" and i + 1 < n:
            value, end, miss = _dollar(raw, i, env, depth)
            if miss:
                missing.extend(miss)
                cur.append(raw[i:end])
                has = True
            elif value is None:
                cur.append("$")
            else:
                add(value, in_dq)
            i = end
            continue
        if split and not in_dq and c in " \t\n":
            flush()
            i += 1
            continue
        cur.append(c)
        i += 1
    if split:
        flush()
    else:
        fields.append("".join(cur))
    return fields, missing


def _dollar(
    raw: str, i: int, env: Mapping[str, str], depth: int
) -> tuple[str | None, int, list[str]]:
    """Expand the ``$`` at ``raw[i]``: ``(value or None for a literal $, end, missing)``."""
    n = len(raw)
    nxt = raw[i + 1]
    if nxt == "{":
        j = skip_group(raw, i + 1, "{", "}")
        inner = raw[i + 2 : j - 1] if raw[j - 1 : j] == "}" else raw[i + 2 : j]
        value, missing = _braced(inner, env, depth)
        return value, j, missing
    if nxt == "(":
        j = skip_group(raw, i + 1, "(", ")")
        return None, j, [short(raw[i:j])]
    if nxt == "'":
        j = raw.find("'", i + 2)
        j = n if j < 0 else j
        body = raw[i + 2 : j].replace("\\n", "\n").replace("\\t", "\t").replace("\\'", "'")
        return body, j + 1, []
    if nxt == '"':
        return "", i + 1, []
    m = _NAME_RE.match(raw, i + 1)
    if m:
        name = m.group()
        value = _lookup(name, env)
        return (value, m.end(), []) if value is not None else (None, m.end(), [name])
    if nxt in _SPECIAL_PARAMS:
        return None, i + 2, [nxt]
    return None, i + 1, []


def _braced(inner: str, env: Mapping[str, str], depth: int) -> tuple[str | None, list[str]]:
    """``${...}`` contents: ``NAME``, ``NAME:-word``, ``NAME-word``, ``NAME:+word``..."""
    m = _NAME_RE.match(inner)
    if not m:
        if inner[:1] in _SPECIAL_PARAMS and len(inner) == 1:
            return None, [inner]
        return None, ["${" + short(inner) + "}"]
    name = m.group()
    rest = inner[m.end() :]
    value = _lookup(name, env)
    if not rest:
        return (value, []) if value is not None else (None, [name])
    colon = rest.startswith(":")
    op = rest[1:2] if colon else rest[:1]
    word = rest[2:] if colon else rest[1:]
    is_set = value is not None and (value != "" or not colon)
    if op in "-=" and op:
        if is_set:
            return value, []
        return _expand_operand(word, env, depth)
    if op == "+":
        if is_set:
            return _expand_operand(word, env, depth)
        if value is None and name not in env:
            # unknown: we cannot tell whether the alternative applies
            return None, [name]
        return "", []
    if op == "?":
        return (value, []) if is_set else (None, [name])
    return None, ["${" + short(inner) + "}"]


def _expand_operand(word: str, env: Mapping[str, str], depth: int) -> tuple[str | None, list[str]]:
    if depth >= _MAX_EXPANSION_DEPTH:
        return None, ["${...}"]
    fields, missing = _expand(word, env, False, depth + 1)
    if missing:
        return None, missing
    return "".join(fields), []

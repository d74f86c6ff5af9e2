"""A script to its simple commands in source order: bashlex where it can, the tokenizer elsewhere.

A script of simple commands only (no control flow, substitution, redirection or grouping:
most CI steps and ``RUN`` lines) is read by :func:`audit.shell.lexer.lex` alone, which
gives the same commands as bashlex there at a fraction of the cost. Otherwise bashlex reads
the whole script if it can, else one top-level line at a time; a line it cannot read (or
one past the size budget) is read by the tokenizer, with the ``$(...)``/backtick bodies in
it read the same way up to :data:`MAX_NESTING` deep. Results are remembered by script text
for the run (one process), so that a step repeated across workflows is read once.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise

from audit.shell.lexer import Command, Word, lex

MAX_BASHLEX_CHARS = 64_000
"""Longer scripts or top-level lines go to the tokenizer only (bashlex is slow on them)."""
MAX_BASHLEX_TOTAL = 100_000
"""Past this many characters of one script, bashlex is not tried on further lines."""
MAX_NESTING = 3
"""How deep ``$(...)`` and ``sh -c '...'`` are followed."""
_ASSIGN_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")


@dataclass(frozen=True)
class Parsed:
    """The commands of one script and what could not be read."""

    commands: tuple[Command, ...]
    errors: tuple[tuple[int, str], ...]
    """``(offset, message)``: the rest of the command at that offset was not read."""


_NOT_SIMPLE_CHARS = frozenset("()<>`\r")
"""Characters of grouping, substitution, redirection (here-documents too) and carriage
returns: a script holding one anywhere, even quoted, is not read by the tokenizer alone."""
_NOT_SIMPLE_WORDS = frozenset(
    {"if", "then", "elif", "else", "fi", "for", "while", "until", "do", "done", "case",
     "esac", "select", "function", "coproc", "time", "in", "!", "{", "}", "[[", "]]"}
)  # fmt: skip
"""Words that make a command compound (or not a plain command) when they begin it."""


@functools.lru_cache(maxsize=2048)
def parse(script: str, base: int = 0, depth: int = 0) -> Parsed:
    """The script's commands in source order: the tokenizer alone for a script of simple
    commands (:func:`simple_commands`), else bashlex where it can and the tokenizer
    elsewhere (:func:`parse_compound`). Remembered by its arguments (the result is
    immutable)."""
    simple = simple_commands(script, base)
    if simple is not None:
        return Parsed(simple, ())
    return parse_compound(script, base, depth)


def simple_commands(script: str, base: int = 0) -> tuple[Command, ...] | None:
    """The commands of ``script`` when it is a list of simple commands joined by newlines,
    ``;``, ``&&``, ``||``, ``|`` or ``&`` (words quoted or not, ``$VAR``, ``${VAR...}``,
    comments), else None. None as well for anything the tokenizer would report (an
    unterminated quote), so that the full reading decides those."""
    if _NOT_SIMPLE_CHARS.intersection(script) or "$(" in script or script.endswith("\\"):
        return None
    lexed = lex(script, base)
    if lexed.errors or lexed.nested:
        return None
    for command in lexed.commands:
        for word in command:
            if not _ASSIGN_WORD.match(word.raw):
                if word.raw in _NOT_SIMPLE_WORDS:
                    return None
                break
    return tuple(lexed.commands)


def parse_compound(script: str, base: int = 0, depth: int = 0) -> Parsed:
    """The script's commands in source order: bashlex where it can, the tokenizer elsewhere."""
    whole = _bashlex_commands(script, base)
    if whole is not None:
        return Parsed(tuple(whole), ())
    lexed = lex(script, base)
    commands: list[Command] = []
    errors: list[tuple[int, str]] = []
    budget = MAX_BASHLEX_TOTAL - min(len(script), MAX_BASHLEX_CHARS)
    bounds = [base, *lexed.breaks, base + len(script)]
    lexed_cmds = sorted(lexed.commands, key=lambda c: c[0].start)
    starts = [c[0].start for c in lexed_cmds]
    for a, b in pairwise(bounds):
        if b <= a:
            continue
        chunk = script[a - base : b - base]
        if _is_blank(chunk):
            continue
        parsed = _bashlex_commands(chunk, a) if budget > 0 else None
        budget -= len(chunk)
        if parsed is not None:
            commands.extend(parsed)
            continue
        lo = bisect_right(starts, a - 1)
        hi = bisect_right(starts, b - 1)
        inner: list[Command] = []
        if depth < MAX_NESTING:
            for na, nb in lexed.nested:
                if a <= na < b and nb > na:
                    sub = parse(script[na - base : nb - base], na, depth + 1)
                    inner.extend(sub.commands)
        commands.extend(inner)
        commands.extend(lexed_cmds[lo:hi])
        errors.extend(e for e in lexed.errors if a <= e[0] < b)
    return Parsed(tuple(commands), tuple(errors))


def _is_blank(text: str) -> bool:
    return all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines())


def _bashlex_commands(text: str, base: int) -> list[Command] | None:
    """Commands of ``text`` by bashlex, or None when bashlex cannot parse it."""
    if len(text) > MAX_BASHLEX_CHARS:
        return None
    try:
        import bashlex

        trees = bashlex.parse(text)
        out: list[Command] = []
        for tree in trees:
            _walk(tree, text, base, out, bashlex.ast.node)
        return out
    except Exception:  # bashlex raises its own errors, and RecursionError on deep input
        return None


def _walk(node: object, text: str, base: int, out: list[Command], node_type: type) -> None:
    """Append the simple commands under ``node``, substitutions before their command."""
    kind = getattr(node, "kind", None)
    if kind == "command":
        words: list[Word] = []
        for part in getattr(node, "parts", ()):
            pkind = getattr(part, "kind", None)
            if pkind in ("word", "assignment"):
                for sub in getattr(part, "parts", ()) or ():
                    _walk(sub, text, base, out, node_type)
                a, b = part.pos
                words.append(Word(text[a:b], base + a))
            elif pkind == "redirect":
                target = getattr(part, "output", None)
                if isinstance(target, node_type):
                    for sub in getattr(target, "parts", ()) or ():
                        _walk(sub, text, base, out, node_type)
        if words:
            out.append(tuple(words))
        return
    if kind in ("commandsubstitution", "processsubstitution"):
        _walk(getattr(node, "command", None), text, base, out, node_type)
        return
    if kind in ("word", "assignment"):
        for sub in getattr(node, "parts", ()) or ():
            _walk(sub, text, base, out, node_type)
        return
    for attr in ("parts", "list"):
        children = getattr(node, attr, None)
        if isinstance(children, list):
            for child in children:
                if isinstance(child, node_type):
                    _walk(child, text, base, out, node_type)

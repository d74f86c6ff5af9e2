"""A script to its simple commands in source order: bashlex where it can, the tokenizer elsewhere.

A script of simple commands only (no control flow, substitution, redirection or grouping:
most CI steps and ``RUN`` lines) is read by :func:`audit.shell.lexer.lex` alone, which
gives the same commands as bashlex there at a fraction of the cost. Otherwise bashlex reads
the whole script if it can, else one top-level line at a time; a line it cannot read (or
one past the size budget) is read by the tokenizer, with the ``$(...)``/backtick bodies in
it read the same way up to :data:`MAX_NESTING` deep. Results are remembered by script text
for the run (one process), so that a step repeated across workflows is read once.

Where bashlex reads a script, each command also carries its :data:`Guard`: the conditions
it runs under (``if C; then X; elif D; then Y; else Z; fi`` gives X ``C``, Y ``not C, D``
and Z ``not C, not D``; ``C && X`` gives X ``C``; ``C || X`` gives X ``not C``). A
condition is kept only when it is one test command (``[ "$TARGETARCH" = amd64 ]``,
``test``, ``[[``); the interpreter decides which it can evaluate. Commands the tokenizer
reads have no guard, so a script with a test command (``[``, ``test``) is never read by the
tokenizer alone.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from audit.shell import reader
from audit.shell.lexer import Command, Word, lex

MAX_BASHLEX_CHARS = 64_000
"""Longer scripts or top-level lines go to the tokenizer only (bashlex is slow on them)."""
MAX_BASHLEX_TOTAL = 100_000
"""Past this many characters of one script, bashlex is not tried on further lines."""
MAX_NESTING = 3
"""How deep ``$(...)`` and ``sh -c '...'`` are followed."""
_ASSIGN_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")


Condition = tuple[Command, bool]
"""A simple command, and whether it must succeed (True) or fail (False)."""
Guard = tuple[Condition, ...]
"""The conditions a command runs under, outermost first (empty: it always runs)."""


@dataclass(frozen=True)
class Parsed:
    """The commands of one script and what could not be read."""

    commands: tuple[Command, ...]
    errors: tuple[tuple[int, str], ...]
    """``(offset, message)``: the rest of the command at that offset was not read."""
    guards: tuple[Guard, ...] = ()
    """The guard of each command (same order); shorter when the rest have none."""

    def guarded(self) -> list[tuple[Command, Guard]]:
        """Each command with its guard."""
        return [
            (c, self.guards[i] if i < len(self.guards) else ()) for i, c in enumerate(self.commands)
        ]


_NOT_SIMPLE_CHARS = frozenset("()<>`\r")
"""Characters of grouping, substitution, redirection (here-documents too) and carriage
returns: a script holding one anywhere, even quoted, is not read by the tokenizer alone."""
_NOT_SIMPLE_WORDS = frozenset(
    {"if", "then", "elif", "else", "fi", "for", "while", "until", "do", "done", "case",
     "esac", "select", "function", "coproc", "time", "in", "!", "{", "}", "[[", "]]",
     "[", "test"}
)  # fmt: skip
"""Words that make a command compound (or not a plain command) when they begin it; a test
(``[``, ``test``) may guard what follows it (``[ "$X" = a ] && curl ...``), which only the
full reading sees."""


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
    if "${" in script and not _plain_parameters(script):
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


def _plain_parameters(script: str) -> bool:
    """Every ``${`` has a ``}`` after it with no brace or quote between: where the tokenizer
    and bashlex agree on where the word ends (bashlex ends ``${`` at its first ``}``)."""
    start = script.find("${")
    while start >= 0:
        end = script.find("}", start + 2)
        if end < 0 or any(c in "{'\"" for c in script[start + 2 : end]):
            return False
        start = script.find("${", end)
    return True


def parse_compound(script: str, base: int = 0, depth: int = 0) -> Parsed:
    """The script's commands in source order: bashlex where it can, the tokenizer elsewhere."""
    whole = _bashlex_commands(script, base)
    if whole is not None:
        return Parsed(tuple(c for c, _ in whole), (), _trimmed([g for _, g in whole]))
    lexed = lex(script, base)
    commands: list[Command] = []
    guards: list[Guard] = []
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
            guards.extend([()] * (len(commands) - len(guards)))
            commands.extend(c for c, _ in parsed)
            guards.extend(g for _, g in parsed)
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
    return Parsed(tuple(commands), tuple(errors), _trimmed(guards))


def _trimmed(guards: list[Guard]) -> tuple[Guard, ...]:
    """Guards without the trailing empty ones (a script without conditions has none)."""
    while guards and not guards[-1]:
        guards = guards[:-1]
    return tuple(guards)


def _is_blank(text: str) -> bool:
    return all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines())


def _bashlex_commands(text: str, base: int) -> list[tuple[Command, Guard]] | None:
    """Commands of ``text`` with their guards as bashlex reads them, or None when bashlex
    cannot parse it: by :func:`audit.shell.reader.read` where that knows the answer, else by
    bashlex itself."""
    if len(text) > MAX_BASHLEX_CHARS:
        return None
    trees = reader.read(text)
    if trees is reader.FAILS:
        return None
    if isinstance(trees, list):
        walker = _Walker(text, base, reader.Node)
        for tree in trees:
            walker.walk(tree, ())
        return walker.out
    return _by_bashlex(text, base)


def _by_bashlex(text: str, base: int) -> list[tuple[Command, Guard]] | None:
    """Commands of ``text`` with their guards by bashlex, or None when bashlex cannot parse
    it."""
    if len(text) > MAX_BASHLEX_CHARS:
        return None
    try:
        bashlex = _bashlex()
        trees = bashlex.parse(text)
        walker = _Walker(text, base, bashlex.ast.node)
        for tree in trees:
            walker.walk(tree, ())
        return walker.out
    except Exception:  # bashlex raises its own errors, and RecursionError on deep input
        return None


@functools.cache
def _bashlex() -> Any:
    """bashlex, with its parameter expansion guarded: bashlex 0.18 loops for ever, growing a
    string until memory runs out, on a word holding ``${`` without a ``}`` after it (such
    as ``'${a'``, valid shell); the guard raises bashlex's own parsing error instead. Its
    parser tables are kept in the cache directory (:mod:`audit.shell.bashlex_tables`)."""
    from audit.cachedir import default_cache_dir
    from audit.shell import bashlex_tables

    try:
        cache_dir: Path | None = default_cache_dir()
    except RuntimeError:  # no home directory
        cache_dir = None
    bashlex = bashlex_tables.load(cache_dir)
    expand = bashlex.subst._paramexpand

    def guarded(parser: object, string: str, index: int) -> object:
        if string.startswith("${", index) and string.find("}", index + 2) < 0:
            raise bashlex.errors.ParsingError("unclosed ${", string, index)
        return expand(parser, string, index)

    bashlex.subst._paramexpand = guarded
    return bashlex


_SEPARATORS = frozenset({";", "&", "\n"})


class _Walker:
    """The simple commands under a bashlex tree, substitutions before their command, each
    with the conditions it runs under."""

    def __init__(self, text: str, base: int, node_type: type) -> None:
        self.text = text
        self.base = base
        self.node_type = node_type
        self.out: list[tuple[Command, Guard]] = []

    def walk(self, node: object, guard: Guard) -> None:
        kind = getattr(node, "kind", None)
        if kind == "command":
            words = self.words(node, guard)
            if words:
                self.out.append((words, guard))
            return
        if kind in ("commandsubstitution", "processsubstitution"):
            self.walk(getattr(node, "command", None), guard)
            return
        if kind in ("word", "assignment"):
            self.children(getattr(node, "parts", None), guard)
            return
        if kind == "if":
            self.if_node(getattr(node, "parts", None) or [], guard)
            return
        if kind == "list":
            self.list_node(getattr(node, "parts", None) or [], guard)
            return
        for attr in ("parts", "list"):
            self.children(getattr(node, attr, None), guard)

    def children(self, children: object, guard: Guard) -> None:
        if isinstance(children, list):
            for child in children:
                if isinstance(child, self.node_type):
                    self.walk(child, guard)

    def words(self, node: object, guard: Guard) -> Command:
        """The words of a command node (substitutions in them are walked first)."""
        words: list[Word] = []
        for part in getattr(node, "parts", ()):
            pkind = getattr(part, "kind", None)
            if pkind in ("word", "assignment"):
                self.children(getattr(part, "parts", None), guard)
                a, b = part.pos
                words.append(Word(self.text[a:b], self.base + a))
            elif pkind == "redirect":
                target = getattr(part, "output", None)
                if isinstance(target, self.node_type):
                    self.children(getattr(target, "parts", None), guard)
        return tuple(words)

    def if_node(self, parts: list[object], guard: Guard) -> None:
        """``if C; then X; [elif D; then Y;] [else Z;] fi``."""
        negated: list[Condition] = []  # earlier conditions that failed
        condition: Command | None = None
        expect = ""
        for part in parts:
            if getattr(part, "kind", None) == "reservedword":
                expect = getattr(part, "word", "")
                continue
            here = (*guard, *negated)
            if expect in ("if", "elif"):
                self.walk(part, here)
                condition = _single_command(part, self.text, self.base)
            elif expect == "then":
                self.walk(part, (*here, (condition, True)) if condition else here)
                if condition:
                    negated.append((condition, False))
                condition = None
            else:  # else
                self.walk(part, here)

    def list_node(self, parts: list[object], guard: Guard) -> None:
        """``A && B``: B runs when A succeeds; ``A || B``: when A fails; ``;`` and newlines
        end the chain."""
        chain: Guard = ()
        previous: Command | None = None
        for part in parts:
            if getattr(part, "kind", None) == "operator":
                op = getattr(part, "op", "")
                if op == "&&":
                    chain = (*chain, (previous, True)) if previous else chain
                elif op == "||":
                    chain = ((previous, False),) if previous and not chain else ()
                elif op in _SEPARATORS:
                    chain = ()
                previous = None
                continue
            self.walk(part, (*guard, *chain))
            previous = _single_command(part, self.text, self.base)


_TESTS = frozenset({"[", "test", "[["})
"""Commands a condition is kept for: tests of values (audit/shell/conditions.py); any
other command's outcome is not known here, so it guards nothing."""


def _single_command(node: object, text: str, base: int) -> Command | None:
    """The words of ``node`` when it is one test command (a condition), else None."""
    kind = getattr(node, "kind", None)
    if kind == "list":
        parts = [p for p in getattr(node, "parts", ()) if getattr(p, "kind", None) != "operator"]
        ops = [
            getattr(p, "op", "")
            for p in getattr(node, "parts", ())
            if getattr(p, "kind", None) == "operator"
        ]
        if len(parts) != 1 or any(op not in _SEPARATORS for op in ops):
            return None
        node = parts[0]
        kind = getattr(node, "kind", None)
    if kind != "command":
        return None
    words = []
    for part in getattr(node, "parts", ()):
        pkind = getattr(part, "kind", None)
        if pkind == "word":
            a, b = part.pos
            words.append(Word(text[a:b], base + a))
        elif pkind != "redirect":
            return None
    return tuple(words) if words and words[0].raw in _TESTS else None

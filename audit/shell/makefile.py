"""Makefiles as depaudit reads them: variables, rules and recipes, expanded for the targets a
CI step names. Nothing is run.

Read: assignments ``NAME = v``, ``:=``, ``::=``, ``?=``, ``+=`` (also after ``export`` or
``override``); rules ``T1 T2: P1 P2`` with their tab-indented recipe lines (``\\``
continuations kept); references ``$(NAME)``/``${NAME}``, ``$$``, ``$@``, ``$(CURDIR)``
or ``$(shell pwd)`` (the directory make runs in), and ``$(shell CMD)`` as the shell's
``$(CMD)`` (``$(shell go env GOARCH)`` is then read per architecture). A variable's value
is, in make's order: the command line's (``make NAME=v``), the environment's for ``?=`` and
for names the Makefile does not set, else the Makefile's.

Not read, so unknown: other functions (``$(or ...)``, ``$(subst ...)``...),
assignments inside conditionals (``ifeq``/``ifdef`` blocks), pattern rules and ``include``d
files. An unknown function stays as written (the shell reader sees a command substitution
it cannot know and says so); an unknown variable becomes ``${NAME}``, which the shell reader
takes from the environment or reports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

MAX_TARGETS = 64
"""At most this many targets (with prerequisites) are read for one ``make`` command."""
MAX_DEPTH = 16
"""How deep variable references are expanded."""

_ASSIGN = re.compile(
    r"^(?:(?:export|override)\s+)*([A-Za-z_][A-Za-z0-9_.\-]*)\s*(\?=|::?:?=|\+=|!=|=)\s?(.*)$"
)
_RULE = re.compile(r"^([^:=#\t][^:=#]*?)\s*::?(?!=)\s*([^=;#]*?)\s*(?:;\s*(.*))?$")
_COMMENT = re.compile(r"(?<!\\)#.*$", re.S)
"""A comment, outside recipes (``\\#`` is a literal ``#``)."""
_CONTINUED = re.compile(r"[ \t]*\\\n\s*")
"""A backslash-newline outside recipes: make reads it as one space."""
_CONDITIONAL = re.compile(r"^\s*(ifeq|ifneq|ifdef|ifndef)\b")
_AUTOMATIC = "@<^?*+%|"


@dataclass(frozen=True)
class Rule:
    """One Makefile rule: its prerequisites and recipe."""

    prerequisites: tuple[str, ...]
    recipe: tuple[tuple[int, str], ...]
    """``(first line, text)`` of each recipe line (continuations joined by newlines)."""


@dataclass
class Makefile:
    """What depaudit reads of a Makefile: its variables and rules."""

    variables: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Name -> (operator, value as written)."""
    unknown: set[str] = field(default_factory=set)
    """Names set in a conditional or by ``!=``: their value is not known."""
    rules: dict[str, Rule] = field(default_factory=dict)
    default: str | None = None
    """The first target (what ``make`` alone builds)."""


@lru_cache(maxsize=64)
def parse(text: str) -> Makefile:
    """The variables and rules of a Makefile's text (cached: one Makefile serves every
    target CI runs from it; the result is not to be changed)."""
    mk = Makefile()
    lines = text.splitlines()
    depth = 0
    current: list[str] | None = None  # targets whose recipe is being read
    recipe: list[tuple[int, str]] = []
    prereqs: list[str] = []
    i = 0

    def close() -> None:
        nonlocal current, recipe, prereqs
        if current:
            for target in current:
                old = mk.rules.get(target)
                if old is None or (recipe and not old.recipe):
                    mk.rules[target] = Rule(tuple(prereqs), tuple(recipe))
        current, recipe, prereqs = None, [], []

    while i < len(lines):
        start = i
        line = lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line + "\n" + lines[i]
        i += 1
        if line.startswith("\t"):
            body = line[1:]
            if current is not None and body.strip() and not body.lstrip().startswith("#"):
                recipe.append((start + 1, body))
            continue
        stripped = _COMMENT.sub("", _CONTINUED.sub(" ", line)).strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _CONDITIONAL.match(line):
            depth += 1
            continue
        if stripped == "endif":
            depth = max(0, depth - 1)
            continue
        if stripped.startswith("else"):
            continue
        assign = _ASSIGN.match(stripped)
        if assign is not None:
            close()
            name, op, value = assign[1], assign[2], assign[3]
            if depth or op == "!=":
                mk.unknown.add(name)
                mk.variables.pop(name, None)
            elif op == "+=" and name in mk.variables:
                old_op, old = mk.variables[name]
                mk.variables[name] = (old_op, f"{old} {value}")
            elif name not in mk.unknown:
                mk.variables[name] = (op, value)
            continue
        rule = _RULE.match(stripped)
        if rule is not None and "%" not in rule[1]:
            close()
            targets = rule[1].split()
            if not targets or any(t.startswith(".") for t in targets):
                current = []
                continue
            current = targets
            prereqs = rule[2].split()
            if rule[3]:
                recipe.append((start + 1, rule[3]))
            if mk.default is None and "$" not in targets[0]:
                mk.default = targets[0]
            continue
        close()
    close()
    return mk


@dataclass(frozen=True)
class Context:
    """What a ``make`` command supplies: command-line variables, environment, directory."""

    overrides: Mapping[str, str]
    env: Mapping[str, str]
    directory: str


def recipes(mk: Makefile, targets: Sequence[str], ctx: Context) -> list[tuple[int, str, str]]:
    """``(line, target, expanded recipe text)`` of each recipe line the targets run,
    prerequisites first, each target once (at most :data:`MAX_TARGETS`)."""
    out: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    stack = [(t, False) for t in reversed(targets or ([mk.default] if mk.default else []))]
    while stack and len(seen) <= MAX_TARGETS:
        target, ready = stack.pop()
        rule = mk.rules.get(target)
        if ready:
            if rule is not None:
                for line, text in rule.recipe:
                    text = expand(mk, text, ctx, target).lstrip(" \t@-+")  # echo, errors
                    out.append((line, target, text))
            continue
        if target in seen:
            continue
        seen.add(target)
        stack.append((target, True))
        if rule is not None:
            for pre in reversed(rule.prerequisites):
                name = expand(mk, pre, ctx, target)
                if name not in seen and "$" not in name:
                    stack.append((name, False))
    return out


def expand(mk: Makefile, text: str, ctx: Context, target: str = "", depth: int = 0) -> str:
    """``text`` with the references make would expand replaced (see the module docstring)."""
    if "$" not in text:
        return text
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt in "({":
            end = _closing(text, i + 1)
            if end < 0:
                out.append(text[i:])
                break
            out.append(_reference(mk, text[i + 2 : end], ctx, target, depth, text[i : end + 1]))
            i = end + 1
        elif nxt in _AUTOMATIC:
            out.append(target if nxt == "@" else f"$(make-automatic-{nxt})")
            i += 2
        else:
            out.append(_variable(mk, nxt, ctx, target, depth))
            i += 2
    return "".join(out)


def _closing(text: str, at: int) -> int:
    """Index of the bracket closing the one at ``at``; -1 when it is not closed."""
    opening = text[at]
    closing = ")" if opening == "(" else "}"
    level = 0
    for j in range(at, len(text)):
        if text[j] == opening:
            level += 1
        elif text[j] == closing:
            level -= 1
            if level == 0:
                return j
    return -1


def _reference(
    mk: Makefile, inner: str, ctx: Context, target: str, depth: int, written: str
) -> str:
    name = inner.strip()
    if name == "shell pwd":
        return ctx.directory
    if name.startswith("shell "):  # the same command substitution, for the shell reader
        return "$(" + expand(mk, name[6:], ctx, target, depth + 1) + ")"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.\-]*", name):
        return _variable(mk, name, ctx, target, depth)
    return written  # a function: unknown, left for the shell reader to report


def _variable(mk: Makefile, name: str, ctx: Context, target: str, depth: int) -> str:
    if name in ctx.overrides:
        return ctx.overrides[name]
    if name in ("MAKE",):
        return "make"
    if name == "CURDIR":
        return ctx.directory
    defined = mk.variables.get(name)
    if defined is not None and defined[0] == "?=" and name in ctx.env:
        return ctx.env[name]
    if defined is not None and depth < MAX_DEPTH:
        return expand(mk, defined[1], ctx, target, depth + 1)
    if name in ctx.env and name not in mk.unknown:
        return ctx.env[name]
    return "${" + name + "}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else "${MAKE_VAR}"

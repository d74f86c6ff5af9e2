"""Shell command lines (Dockerfile RUN, CI ``run:`` steps, GitLab ``script:``) to components.

CONTRACT (other modules call this; keep the signature):

    scan_script(script, source, first_line, consumer, scanner, *,
                line_map=None, env=None, os_hint=None) -> ScanResult

- ``script``: the shell text. Script line i (0-based) is file line ``first_line + i``
  unless ``line_map`` gives the file line of each script line.
- ``consumer``: graph id of what runs the script (``ci-job:...``, ``dockerfile:...``);
  edges start there.
- ``env``: known variable values (Dockerfile ARG/ENV, CI ``environment:``) substituted
  before interpretation; anything still holding ``$`` is reported as ``unresolved``.
- ``os_hint``: distro of the base image (``fedora``, ``debian``...) for OS package ids.
Never raises on bad input: parse failures become Problems with path and line.

How it reads a script: bashlex parses it (whole, else one top-level line at a time); what
bashlex cannot parse (``case``, ``[[ ]]``, arithmetic, arrays...) is read by a small
quote-aware tokenizer of this module that splits commands on ``&& || ; | &`` and newlines.
Both give words with their offsets, so evidence points at the file line of the word.
Words are then expanded here (quotes, ``$VAR``, ``${VAR:-default}``); a word that still
needs an unknown variable or a command substitution is reported, never guessed.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from audit.components import (
    dockerfile_id,
    download_component,
    git_component,
    image_component,
    manifest_id,
    package_component,
    parse_image_ref,
)
from audit.model import Component, Edge, Evidence, Problem, Relation, ScanResult
from audit.scanners.base import SourceFile

MAX_SCRIPT_CHARS = 1_000_000
"""Scripts longer than this are not read (a Problem says so)."""
MAX_BASHLEX_CHARS = 64_000
"""Longer scripts or top-level lines go to the tokenizer only (bashlex is slow on them)."""
MAX_BASHLEX_TOTAL = 100_000
"""Past this many characters of one script, bashlex is not tried on further lines."""
MAX_NESTING = 3
"""How deep ``$(...)`` and ``sh -c '...'`` are followed."""
_MAX_EXPANSION_DEPTH = 8

# ---------------------------------------------------------------------------------------
# Word expansion
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expansion:
    """A shell word after quote removal and parameter expansion."""

    fields: tuple[str, ...]
    """The resulting words (unquoted expansions are split on whitespace)."""
    missing: tuple[str, ...] = ()
    """Unknown variables (``NAME``) and substitutions (``$(...)``) the word needs; when
    not empty, ``fields`` keep those parts as written."""


_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_PARAMS = frozenset("0123456789@*#?$!-")


def expand_word(raw: str, env: Mapping[str, str], *, split: bool = True) -> Expansion:
    """Quote removal and ``$VAR``/``${VAR}``/``${VAR:-default}`` expansion of one word.

    ``split`` splits unquoted expansions on whitespace as a shell does; with ``split``
    false the result is always one field (Dockerfile instruction arguments).
    """
    fields, missing = _expand(raw, env, split, 0)
    return Expansion(tuple(fields), tuple(dict.fromkeys(missing)))


def expand_text(raw: str, env: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """One word expanded without field splitting: ``(text, missing)``."""
    exp = expand_word(raw, env, split=False)
    return ("".join(exp.fields), exp.missing)


def _lookup(name: str, env: Mapping[str, str]) -> str | None:
    value = env.get(name)
    if value is None or "$" in value:
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
            j = _skip_backtick(raw, i)
            text = raw[i:j]
            missing.append(_short(text))
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


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _dollar(
    raw: str, i: int, env: Mapping[str, str], depth: int
) -> tuple[str | None, int, list[str]]:
    """Expand the ``$`` at ``raw[i]``: ``(value or None for a literal $, end, missing)``."""
    n = len(raw)
    nxt = raw[i + 1]
    if nxt == "{":
        j = _skip_group(raw, i + 1, "{", "}")
        inner = raw[i + 2 : j - 1] if raw[j - 1 : j] == "}" else raw[i + 2 : j]
        value, missing = _braced(inner, env, depth)
        return value, j, missing
    if nxt == "(":
        j = _skip_group(raw, i + 1, "(", ")")
        return None, j, [_short(raw[i:j])]
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
        return None, ["${" + _short(inner) + "}"]
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
    return None, ["${" + _short(inner) + "}"]


def _expand_operand(word: str, env: Mapping[str, str], depth: int) -> tuple[str | None, list[str]]:
    if depth >= _MAX_EXPANSION_DEPTH:
        return None, ["${...}"]
    fields, missing = _expand(word, env, False, depth + 1)
    if missing:
        return None, missing
    return "".join(fields), []


def _skip_backtick(text: str, i: int) -> int:
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


def _skip_dquote(text: str, i: int, nested: list[tuple[int, int]]) -> tuple[int, bool]:
    """End (exclusive) of the double-quoted string at ``text[i]`` and whether it is closed."""
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
            end = _skip_group(text, j + 1, "(", ")")
            if not text.startswith("$((", j):
                nested.append((j + 2, end - 1))
            j = end
            continue
        if c == "`":
            end = _skip_backtick(text, j)
            nested.append((j + 1, end - 1))
            j = end
            continue
        j += 1
    return n, False


def _skip_group(text: str, i: int, open_: str, close: str) -> int:
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


# ---------------------------------------------------------------------------------------
# Splitting a script into commands (bashlex first, the tokenizer below otherwise)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Word:
    raw: str
    """The word as written, quotes included."""
    start: int
    """Offset of the word in the script."""


_Command = tuple[_Word, ...]


@dataclass
class _Lexed:
    commands: list[_Command]
    nested: list[tuple[int, int]]
    """Offsets of ``$(...)``, backtick and ``<(...)`` bodies (commands run there too)."""
    breaks: list[int]
    """Offsets just after each top-level newline that ends a command."""
    errors: list[tuple[int, str]]


def _lex(text: str, base: int = 0) -> _Lexed:
    """A plain, linear, quote-aware tokenizer: commands of words with their offsets."""
    out = _Lexed([], [], [], [])
    current: list[_Word] = []
    n = len(text)
    i = 0
    word_start = -1
    skip_target = False  # the next word is a redirection target
    want_delim: bool | None = None  # None, or strip-tabs flag for a pending here-doc word
    heredocs: list[tuple[str, bool]] = []

    def end_word(j: int) -> None:
        nonlocal word_start, skip_target, want_delim
        if word_start < 0:
            return
        raw = text[word_start:j]
        if want_delim is not None:
            heredocs.append(("".join(_expand(raw, {}, False, 0)[0]), want_delim))
            want_delim = None
        elif skip_target:
            skip_target = False
        else:
            current.append(_Word(raw, base + word_start))
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
            end, closed = _skip_dquote(text, i, nested)
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
            end = _skip_backtick(text, i)
            out.nested.append((base + i + 1, base + end - 1))
            i = end
            continue
        if c == "$" and text.startswith(("$(", "${"), i):
            begin()
            if text[i + 1] == "(":
                end = _skip_group(text, i + 1, "(", ")")
                if not text.startswith("$((", i):
                    out.nested.append((base + i + 2, base + end - 1))
            else:
                end = _skip_group(text, i + 1, "{", "}")
            i = end
            continue
        if c in "<>":
            if text.startswith(("<(", ">("), i):
                begin()
                end = _skip_group(text, i + 1, "(", ")")
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
                strip = text.startswith("<<-", i)
                i += 3 if strip else 2
                want_delim = strip
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


def _skip_heredoc_bodies(text: str, i: int, heredocs: list[tuple[str, bool]]) -> int:
    n = len(text)
    for delim, _strip in heredocs:
        while i < n:
            k = text.find("\n", i)
            line_end = n if k < 0 else k
            line = text[i:line_end]
            i = line_end + 1 if k >= 0 else n
            if line.strip() == delim:
                break
    heredocs.clear()
    return i


def _bashlex_commands(text: str, base: int) -> list[_Command] | None:
    """Commands of ``text`` by bashlex, or None when bashlex cannot parse it."""
    if len(text) > MAX_BASHLEX_CHARS:
        return None
    try:
        import bashlex

        trees = bashlex.parse(text)
        out: list[_Command] = []
        for tree in trees:
            _walk(tree, text, base, out, bashlex.ast.node)
        return out
    except RecursionError:
        return None
    except Exception:
        return None


def _walk(node: object, text: str, base: int, out: list[_Command], node_type: type) -> None:
    kind = getattr(node, "kind", None)
    if kind == "command":
        words: list[_Word] = []
        for part in getattr(node, "parts", ()):
            pkind = getattr(part, "kind", None)
            if pkind in ("word", "assignment"):
                for sub in getattr(part, "parts", ()) or ():
                    _walk(sub, text, base, out, node_type)
                a, b = part.pos
                words.append(_Word(text[a:b], base + a))
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


def _is_blank(text: str) -> bool:
    return all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines())


@dataclass(frozen=True)
class _Parsed:
    commands: tuple[_Command, ...]
    errors: tuple[tuple[int, str], ...]


def _parse(script: str, base: int = 0, depth: int = 0) -> _Parsed:
    """The script's commands in source order: bashlex where it can, the tokenizer elsewhere."""
    lexed = _lex(script, base)
    whole = _bashlex_commands(script, base)
    if whole is not None:
        return _Parsed(tuple(whole), ())
    commands: list[_Command] = []
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
        inner: list[_Command] = []
        if depth < MAX_NESTING:
            for na, nb in lexed.nested:
                if a <= na < b and nb > na:
                    sub = _parse(script[na - base : nb - base], na, depth + 1)
                    inner.extend(sub.commands)
        commands.extend(inner)
        commands.extend(lexed_cmds[lo:hi])
        errors.extend(e for e in lexed.errors if a <= e[0] < b)
    return _Parsed(tuple(commands), tuple(errors))


# ---------------------------------------------------------------------------------------
# Interpretation
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Arg:
    value: str | None
    """The expanded word; None when it needs something unknown."""
    raw: str
    line: int
    """File line of the word."""
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Opt:
    flag: str | None
    """``-x`` or ``--long``; None for a positional argument."""
    value: _Arg | None


def _options(
    args: Sequence[_Arg],
    short_val: str = "",
    long_val: Iterable[str] = (),
    *,
    stop: bool = False,
) -> list[_Opt]:
    """GNU-style option parsing: clusters, ``--x=v``, ``--x v``, ``-xv``, ``--``.

    With ``stop``, everything after the first positional is positional (a sub-command's
    own arguments).
    """
    longs = frozenset(long_val)
    out: list[_Opt] = []
    only_pos = False
    i = 0
    n = len(args)
    while i < n:
        a = args[i]
        v = a.value
        i += 1
        if only_pos or v is None or v == "-" or not v.startswith("-"):
            out.append(_Opt(None, a))
            only_pos = only_pos or stop
            continue
        if v == "--":
            only_pos = True
            continue
        if v.startswith("--"):
            name, eq, val = v.partition("=")
            if eq:
                out.append(_Opt(name, replace(a, value=val)))
            elif name in longs:
                out.append(_Opt(name, args[i] if i < n else None))
                i += 1
            else:
                out.append(_Opt(name, None))
            continue
        for j in range(1, len(v)):
            ch = v[j]
            if ch in short_val:
                rest = v[j + 1 :]
                if rest:
                    out.append(_Opt("-" + ch, replace(a, value=rest.removeprefix("="))))
                else:
                    out.append(_Opt("-" + ch, args[i] if i < n else None))
                    i += 1
                break
            out.append(_Opt("-" + ch, None))
    return out


def _positionals(opts: Iterable[_Opt]) -> list[_Arg]:
    return [o.value for o in opts if o.flag is None and o.value is not None]


def _last(opts: Iterable[_Opt], *flags: str) -> _Opt | None:
    found = None
    for o in opts:
        if o.flag in flags:
            found = o
    return found


_ASSIGN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".egg")
_RESERVED_PREFIX = frozenset(
    {"if", "then", "elif", "else", "do", "while", "until", "!", "{", "time"}
)
_RESERVED_SKIP = frozenset({"for", "case", "select", "function", "fi", "done", "esac", "}", "in"})
_DECLARE = frozenset({"export", "readonly", "declare", "local", "typeset"})
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh"})
_VERBS = frozenset({"install", "add", "clone", "pull", "run", "build", "get"})

# Wrappers that run the command after their own options: (short value flags, long value
# flags, positional arguments of their own before the command).
_WRAPPERS: dict[str, tuple[str, frozenset[str], int]] = {
    "sudo": ("ugpCDrtUTh", frozenset({"--user", "--group", "--prompt", "--chdir"}), 0),
    "doas": ("uC", frozenset(), 0),
    "env": ("uCS", frozenset({"--unset", "--chdir", "--split-string"}), 0),
    "time": ("fo", frozenset({"--format", "--output"}), 0),
    "nice": ("n", frozenset({"--adjustment"}), 0),
    "ionice": ("cnp", frozenset({"--class", "--classdata", "--pid"}), 0),
    "nohup": ("", frozenset(), 0),
    "exec": ("a", frozenset(), 0),
    "command": ("", frozenset(), 0),
    "stdbuf": ("ioe", frozenset({"--input", "--output", "--error"}), 0),
    "timeout": ("sk", frozenset({"--signal", "--kill-after"}), 1),
    "eatmydata": ("", frozenset(), 0),
    "fakeroot": ("", frozenset(), 0),
    "chronic": ("", frozenset(), 0),
    "xargs": ("EILPnsdaP", frozenset({"--max-args", "--max-procs", "--delimiter"}), 0),
}


def _cmd_name(value: str) -> str:
    return posixpath.basename(value)


def _norm_path(path: str) -> str:
    norm = posixpath.normpath(path.replace("\\", "/"))
    return norm


class _Interpreter:
    """Reads commands of one script and records what they fetch."""

    def __init__(
        self,
        source: SourceFile,
        consumer: str,
        scanner: str,
        env: Mapping[str, str] | None,
        os_hint: str | None,
    ) -> None:
        self.source = source
        self.consumer = consumer
        self.scanner = scanner
        self.env: dict[str, str] = {k: v for k, v in (env or {}).items() if isinstance(v, str)}
        self.os_hint = os_hint
        self.components: list[Component] = []
        self.edges: list[Edge] = []
        self.problems: list[Problem] = []

    # -- results -------------------------------------------------------------------------

    def result(self) -> ScanResult:
        return ScanResult(
            components=tuple(dict.fromkeys(self.components)),
            edges=tuple(dict.fromkeys(self.edges)),
            problems=tuple(dict.fromkeys(self.problems)),
        )

    def evidence(self, line: int) -> Evidence:
        return self.source.evidence(line, self.scanner)

    def problem(self, line: int, kind: str, message: str) -> None:
        self.problems.append(Problem(self.source.path, line, kind, message, self.scanner))

    def emit(self, comp: Component, relation: Relation, ev: Evidence, how: str = "") -> None:
        self.components.append(comp)
        self.edges.append(Edge(self.consumer, comp.id, relation, ev, how))

    def unresolved(self, arg: _Arg, command: Sequence[_Arg]) -> None:
        names = ", ".join(m if m.startswith(("$", "`")) else f"${m}" for m in arg.missing)
        text = _short(" ".join(a.raw for a in command), 120)
        self.problem(
            arg.line,
            "unresolved",
            f"`{_short(arg.raw, 80)}` in `{text}` needs {names}, which is not known here;"
            " nothing recorded for it",
        )

    # -- scripts and commands ------------------------------------------------------------

    def run_script(self, script: str, line_of: Callable[[int], int], depth: int) -> None:
        if len(script) > MAX_SCRIPT_CHARS:
            self.problem(
                line_of(0),
                "skipped",
                f"shell script of {len(script)} characters is over the"
                f" {MAX_SCRIPT_CHARS} limit; not read",
            )
            return
        parsed = _parse(script)
        for offset, message in parsed.errors:
            self.problem(
                line_of(offset),
                "parse-error",
                f"shell: {message}; the rest of this command is not read",
            )
        for command in parsed.commands:
            self.command(command, line_of, depth)

    def command(self, words: Sequence[_Word], line_of: Callable[[int], int], depth: int) -> None:
        i = 0
        while i < len(words) and _ASSIGN_RE.match(words[i].raw):
            i += 1
        prefix, rest = words[:i], words[i:]
        if not rest:
            for w in prefix:
                self.assign(w.raw)
            return
        first = rest[0].raw
        if first in _RESERVED_PREFIX:
            self.command(rest[1:], line_of, depth)
            return
        if first in _RESERVED_SKIP:
            if first in ("for", "select") and len(rest) > 1:
                self.env.pop(rest[1].raw, None)
            return
        if first in _DECLARE:
            for w in rest[1:]:
                if _ASSIGN_RE.match(w.raw):
                    self.assign(w.raw)
            return
        if first == "unset":
            for w in rest[1:]:
                self.env.pop(w.raw, None)
            return
        if first == "read":
            for w in rest[1:]:
                if not w.raw.startswith("-"):
                    self.env.pop(w.raw, None)
            return
        args = self.expand_all(rest, line_of)
        self.dispatch(args, depth)

    def assign(self, raw: str) -> None:
        name, _, value_raw = raw.partition("=")
        append = name.endswith("+")
        name = name.rstrip("+")
        value, missing = expand_text(value_raw, self.env)
        if missing:
            self.env.pop(name, None)
            return
        self.env[name] = (self.env.get(name, "") + value) if append else value

    def expand_all(self, words: Sequence[_Word], line_of: Callable[[int], int]) -> list[_Arg]:
        args: list[_Arg] = []
        for w in words:
            exp = expand_word(w.raw, self.env)
            line = line_of(w.start)
            if exp.missing:
                args.append(_Arg(None, w.raw, line, exp.missing))
            else:
                args.extend(_Arg(f, w.raw, line) for f in exp.fields)
        return args

    def dispatch(self, args: list[_Arg], depth: int) -> None:
        full = args
        for _ in range(8):
            if not args:
                return
            head = args[0].value
            if head is None:
                if any(a.value in _VERBS for a in args[1:3]):
                    self.unresolved(args[0], full)
                return
            name = _cmd_name(head)
            spec = _WRAPPERS.get(name)
            if spec is None:
                break
            if name == "command" and any(a.value in ("-v", "-V") for a in args[1:2]):
                return
            opts = _options(args[1:], spec[0], spec[1], stop=True)
            pos = _positionals(opts)
            pos = pos[spec[2] :]
            while pos and pos[0].value and _ASSIGN_RE.match(pos[0].value):
                pos = pos[1:]
            args = pos
        if not args or args[0].value is None:
            return
        name = _cmd_name(args[0].value)
        rest = args[1:]
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, rest, full)
        elif re.fullmatch(r"pip[0-9.]*", name):
            self.pip(rest, full)
        elif re.fullmatch(r"python[0-9.]*|py", name):
            self.python(rest, full)
        elif name in _SHELLS:
            self.shell(rest, full, depth)

    # -- python ----------------------------------------------------------------------------

    def python(self, args: list[_Arg], full: list[_Arg]) -> None:
        i = 0
        while i < len(args):
            v = args[i].value
            if v is None:
                return
            if v == "-m" and i + 1 < len(args):
                module, rest = args[i + 1].value, args[i + 2 :]
                break
            if v.startswith("-m") and len(v) > 2:
                module, rest = v[2:], args[i + 1 :]
                break
            if v in ("-W", "-X"):
                i += 2
                continue
            if v.startswith("-") and v not in ("-c", "-"):
                i += 1
                continue
            return
        else:
            return
        if module in ("pip", "pipx"):
            self.pip(rest, full)

    def pipx(self, args: list[_Arg], full: list[_Arg]) -> None:
        self.pip(args, full)

    def uv(self, args: list[_Arg], full: list[_Arg]) -> None:
        if args and args[0].value in ("pip", "tool"):
            self.pip(args[1:], full)

    _PIP_SHORT = "rceitfCb"
    _PIP_LONG = frozenset(
        {
            "--requirement", "--constraint", "--editable", "--index-url", "--extra-index-url",
            "--find-links", "--target", "--prefix", "--root", "--src", "--upgrade-strategy",
            "--platform", "--python-version", "--implementation", "--abi", "--trusted-host",
            "--proxy", "--retries", "--timeout", "--cache-dir", "--log", "--log-file",
            "--global-option", "--install-option", "--config-settings", "--progress-bar",
            "--root-user-action", "--only-binary", "--no-binary", "--report", "--python",
            "--exists-action", "--cert", "--client-cert", "--keyring-provider",
            "--use-feature", "--use-deprecated", "--build", "--build-option", "--group",
        }
    )  # fmt: skip

    def pip(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(args, self._PIP_SHORT, self._PIP_LONG)
        pos = _positionals(opts)
        if not pos or pos[0].value != "install":
            return
        first = pos[0]
        for o in opts:
            if o.flag is None:
                if o.value is not first:
                    self.pip_requirement(o.value, full)
            elif o.flag in ("-r", "--requirement", "-c", "--constraint"):
                if o.value is None:
                    continue
                if o.value.value is None:
                    self.unresolved(o.value, full)
                    continue
                ev = self.evidence(o.value.line)
                target = manifest_id(_norm_path(o.value.value))
                self.edges.append(
                    Edge(self.consumer, target, Relation.INCLUDES, ev, f"pip {o.flag}")
                )
            elif o.flag in ("-e", "--editable") and o.value is not None:
                self.pip_requirement(o.value, full)

    def pip_requirement(self, arg: _Arg | None, full: list[_Arg]) -> None:
        if arg is None:
            return
        v = arg.value
        if v is None:
            self.unresolved(arg, full)
            return
        low = v.lower()
        ev = self.evidence(arg.line)
        if re.match(r"(git|hg|svn|bzr)\+", low):
            self.vcs(v, ev, {})
            return
        if low.startswith(("http://", "https://", "ftp://")):
            self.emit(download_component(v, (ev,)), Relation.INSTALLS, ev)
            return
        if low.startswith("file:"):
            return
        if "@" not in v and (
            "/" in v or "\\" in v or v.startswith((".", "~")) or low.endswith(_ARCHIVE_SUFFIXES)
        ):
            return
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            req = Requirement(v)
        except InvalidRequirement:
            self.problem(arg.line, "parse-error", f"pip: `{_short(v, 80)}` is not a requirement")
            return
        props: dict[str, str] = {}
        if req.extras:
            props["extras"] = ",".join(sorted(req.extras))
        if req.marker is not None:
            props["marker"] = str(req.marker)
        if req.url:
            if req.url.lower().startswith("git+"):
                self.vcs(req.url, ev, {"package": req.name, **props})
            elif not req.url.lower().startswith("file:"):
                comp = download_component(req.url, (ev,), name=req.name, props=props)
                self.emit(comp, Relation.INSTALLS, ev)
            return
        specs = list(req.specifier)
        version = None
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            version = specs[0].version
        elif specs:
            props["constraint"] = str(req.specifier)
        self.emit(package_component("pypi", req.name, version, (ev,), props), Relation.INSTALLS, ev)

    def vcs(self, spec: str, ev: Evidence, props: dict[str, str]) -> None:
        """``git+https://host/o/r.git@ref#egg=name`` (pip) or ``git+ssh://...#ref`` (npm)."""
        kind, _, url = spec.partition("+")
        url, _, fragment = url.partition("#")
        egg = re.search(r"(?:^|&)egg=([^&]+)", fragment)
        if egg and "package" not in props:
            props = {**props, "package": egg[1]}
        ref = None
        scheme, sep, rest = url.partition("://")
        if sep:
            host, slash, path = rest.partition("/")
            if "@" in path:
                path, ref = path.rsplit("@", 1)
            url = f"{scheme}://{host}{slash}{path}"
        elif "@" in url.rsplit("/", 1)[-1]:
            url, ref = url.rsplit("@", 1)
        if kind.lower() != "git":
            comp = download_component(spec, (ev,), props={"vcs": kind.lower(), **props})
        else:
            comp = git_component(url, (ev,), ref=ref or None, props=props)
        self.emit(comp, Relation.INSTALLS, ev)

    # -- OS packages ------------------------------------------------------------------------

    def apt(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(
            args, "oct", {"--option", "--config-file", "--target-release", "--default-release"}
        )
        pos = _positionals(opts)
        if not pos or pos[0].value != "install":
            return
        for arg in pos[1:]:
            v = arg.value
            if v is None:
                self.unresolved(arg, full)
                continue
            if v.endswith(".deb") or v.startswith(("/", ".", "~")) or _has_glob(v):
                continue
            name, _, version = v.partition("=")
            props: dict[str, str] = {}
            name, _, release = name.partition("/")
            name, _, arch = name.partition(":")
            if release:
                props["release"] = release
            if arch:
                props["arch"] = arch
            if not re.fullmatch(r"[a-z0-9][a-z0-9+.\-]+", name) or name.endswith("-"):
                continue
            ev = self.evidence(arg.line)
            comp = package_component(
                "deb", name, version or None, (ev,), props, namespace=self.os_hint
            )
            self.emit(comp, Relation.INSTALLS, ev)

    _RPM_LONG = frozenset(
        {
            "--setopt", "--enablerepo", "--disablerepo", "--repo", "--repoid", "--releasever",
            "--installroot", "--exclude", "--excludepkgs", "--forcearch", "--repofrompath",
            "--downloaddir", "--destdir", "--config", "--color", "--comment", "--advisory",
            "--from", "--type", "--rpmverbosity",
        }
    )  # fmt: skip

    def rpm(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(args, "cdexRrt", self._RPM_LONG)
        pos = _positionals(opts)
        if not pos or pos[0].value not in ("install", "in"):
            return
        for arg in pos[1:]:
            v = arg.value
            if v is None:
                self.unresolved(arg, full)
                continue
            ev = self.evidence(arg.line)
            if v.lower().startswith(("http://", "https://", "ftp://")):
                self.emit(download_component(v, (ev,)), Relation.INSTALLS, ev)
                continue
            if v.endswith(".rpm") or v.startswith(("/", ".", "~", "@")) or _has_glob(v):
                continue
            if not re.fullmatch(r"[A-Za-z0-9_+][A-Za-z0-9._+\-]*", v):
                continue
            comp = package_component("rpm", v, None, (ev,), namespace=self.os_hint)
            self.emit(comp, Relation.INSTALLS, ev)

    _APK_RE = re.compile(
        r"([A-Za-z0-9][A-Za-z0-9+._\-]*)(?:@([A-Za-z0-9_\-]+))?(?:(>=|<=|~=|=|~|>|<)(\S+))?"
    )

    def apk(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(
            args,
            "tXp",
            {"--virtual", "--repository", "--root", "--arch", "--keys-dir",
             "--repositories-file", "--cache-dir", "--cache-max-age", "--wait", "--progress-fd"},
        )  # fmt: skip
        pos = _positionals(opts)
        if not pos or pos[0].value != "add":
            return
        for arg in pos[1:]:
            v = arg.value
            if v is None:
                self.unresolved(arg, full)
                continue
            if v.endswith(".apk") or v.startswith(("/", ".", "~")) or _has_glob(v):
                continue
            m = self._APK_RE.fullmatch(v)
            if not m:
                continue
            name, tag, op, ver = m.groups()
            props: dict[str, str] = {}
            if tag:
                props["repository-tag"] = tag
            version = None
            if op == "=":
                version = ver
            elif op:
                props["constraint"] = op + ver
            ev = self.evidence(arg.line)
            comp = package_component("apk", name, version, (ev,), props, namespace=self.os_hint)
            self.emit(comp, Relation.INSTALLS, ev)

    # -- language package managers ------------------------------------------------------

    _JS_LONG = frozenset(
        {
            "--prefix", "--registry", "--workspace", "--tag", "--cache", "--userconfig",
            "--globalconfig", "--omit", "--include", "--install-strategy", "--loglevel",
            "--cache-folder", "--modules-folder", "--global-folder", "--network-timeout",
            "--mutex", "--cwd", "--filter", "--dir", "--store-dir", "--reporter",
        }
    )  # fmt: skip
    _NPM_INSTALL = frozenset(
        {"install", "i", "add", "in", "ins", "inst", "insta", "instal", "isnt", "isnta",
         "isntal", "isntall"}
    )  # fmt: skip

    def npm(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(args, "wCF", self._JS_LONG)
        pos = _positionals(opts)
        if not pos or pos[0].value not in self._NPM_INSTALL:
            return
        self.js_specs(pos[1:], full, _is_global(opts))

    def yarn(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(args, "", self._JS_LONG)
        pos = _positionals(opts)
        if len(pos) >= 2 and pos[0].value == "global" and pos[1].value == "add":
            self.js_specs(pos[2:], full, True)
        elif pos and pos[0].value == "add":
            self.js_specs(pos[1:], full, False)

    def pnpm(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(args, "CF", self._JS_LONG)
        pos = _positionals(opts)
        if pos and pos[0].value in ("add", "install", "i"):
            self.js_specs(pos[1:], full, _is_global(opts))

    _NPM_NAME = re.compile(r"(@[a-z0-9][\w.~\-]*/)?[a-z0-9~][\w.~\-]*")
    _SEMVER = re.compile(r"v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+\-]*)?")

    def js_specs(self, specs: list[_Arg], full: list[_Arg], global_: bool) -> None:
        props = {"scope": "global"} if global_ else {}
        for arg in specs:
            v = arg.value
            if v is None:
                self.unresolved(arg, full)
                continue
            ev = self.evidence(arg.line)
            low = v.lower()
            if low.startswith(("git+", "git://")):
                self.vcs(v if low.startswith("git+") else "git+" + v, ev, dict(props))
                continue
            gh = re.fullmatch(r"(?:github:)?([\w.\-]+)/([\w.\-]+)(?:#(.+))?", v)
            if gh and not v.startswith("@"):
                url = f"https://github.com/{gh[1]}/{gh[2]}"
                comp = git_component(url, (ev,), ref=gh[3], props=props)
                self.emit(comp, Relation.INSTALLS, ev)
                continue
            if low.startswith(("http://", "https://")):
                self.emit(download_component(v, (ev,), props=props), Relation.INSTALLS, ev)
                continue
            if v.startswith((".", "/", "~", "file:")) or low.endswith((".tgz", ".tar.gz")):
                continue
            m = self._NPM_NAME.match(v)
            if not m:
                continue
            name, rest = m.group(), v[m.end() :]
            if rest and not rest.startswith("@"):
                continue
            spec = rest[1:]
            version = None
            p = dict(props)
            if spec and self._SEMVER.fullmatch(spec):
                version = spec.removeprefix("v")
            elif spec:
                p["constraint"] = spec
            self.emit(package_component("npm", name, version, (ev,), p), Relation.INSTALLS, ev)

    _GO_VALUE_FLAGS = frozenset(
        {
            "-C", "-p", "-o", "-ldflags", "-gcflags", "-asmflags", "-tags", "-mod", "-modfile",
            "-pkgdir", "-toolexec", "-buildmode", "-compiler", "-gccgoflags", "-installsuffix",
            "-overlay", "-pgo", "-covermode", "-coverpkg", "-exec",
        }
    )  # fmt: skip

    def go(self, args: list[_Arg], full: list[_Arg]) -> None:
        if not args or args[0].value not in ("install", "get", "run"):
            return
        sub = args[0].value
        pos: list[_Arg] = []
        i = 1
        while i < len(args):
            a = args[i]
            v = a.value
            i += 1
            if v is not None and v.startswith("-") and not pos:
                flag = "-" + v.lstrip("-")
                if "=" not in flag and flag in self._GO_VALUE_FLAGS:
                    i += 1
                continue
            pos.append(a)
        if sub == "run":
            pos = pos[:1]
        for arg in pos:
            v = arg.value
            if v is None:
                if sub != "run":
                    self.unresolved(arg, full)
                continue
            path, at, version = v.partition("@")
            if not at and sub != "get":
                continue
            first = path.split("/", 1)[0]
            if path.startswith((".", "/")) or "." not in first or version == "none":
                continue
            ev = self.evidence(arg.line)
            module = _go_module(path)
            props = {"package": path} if module != path else {}
            exact = version if re.fullmatch(r"v\d+\.\d+\.\d+\S*", version) else None
            if version and not exact:
                props["constraint"] = version
            comp = package_component("golang", module, exact, (ev,), props)
            self.emit(comp, Relation.INSTALLS, ev)

    def gem(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(
            args,
            "vinspgP",
            {"--version", "--install-dir", "--bindir", "--source", "--http-proxy", "--platform",
             "--file", "--build-root", "--trust-policy", "--document"},
        )  # fmt: skip
        pos = _positionals(opts)
        if not pos or pos[0].value not in ("install", "i"):
            return
        version_opt = _last(opts, "-v", "--version")
        vv: str | None = None
        if version_opt is not None and version_opt.value is not None:
            if version_opt.value.value is None:
                self.unresolved(version_opt.value, full)
                return
            vv = version_opt.value.value
        for arg in pos[1:]:
            v = arg.value
            if v is None:
                self.unresolved(arg, full)
                continue
            if v.endswith(".gem") or v.startswith((".", "/", "~")):
                continue
            name, _, spec = v.partition(":")
            spec = spec or vv or ""
            if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
                continue
            ev = self.evidence(arg.line)
            props: dict[str, str] = {}
            version = None
            if re.fullmatch(r"=?\s*\d+(?:\.[0-9A-Za-z]+)*", spec):
                version = spec.lstrip("= ")
            elif spec:
                props["constraint"] = spec
            self.emit(package_component("gem", name, version, (ev,), props), Relation.INSTALLS, ev)

    _CARGO_LONG = frozenset(
        {
            "--version", "--vers", "--git", "--branch", "--tag", "--rev", "--path", "--root",
            "--registry", "--index", "--target", "--target-dir", "--features", "--profile",
            "--jobs", "--bin", "--example", "--config",
        }
    )  # fmt: skip

    def cargo(self, args: list[_Arg], full: list[_Arg]) -> None:
        while args and args[0].value and args[0].value.startswith("+"):
            args = args[1:]
        opts = _options(args, "FjZ", self._CARGO_LONG)
        pos = _positionals(opts)
        if not pos or pos[0].value not in ("install", "binstall"):
            return
        if _last(opts, "--path") is not None:
            return
        for o in opts:
            if (
                o.value is not None
                and o.value.value is None
                and o.flag in ("--version", "--vers", "--git", "--tag", "--branch", "--rev")
            ):
                self.unresolved(o.value, full)
                return
        git = _last(opts, "--git")
        if git is not None and git.value is not None and git.value.value:
            ref_opt = _last(opts, "--tag", "--rev", "--branch")
            ref = ref_opt.value.value if ref_opt and ref_opt.value else None
            ev = self.evidence(git.value.line)
            props = {"package": ",".join(a.value for a in pos[1:] if a.value)}
            comp = git_component(git.value.value, (ev,), ref=ref, props=props)
            self.emit(comp, Relation.INSTALLS, ev)
            return
        vopt = _last(opts, "--version", "--vers")
        vflag = vopt.value.value if vopt and vopt.value else None
        for arg in pos[1:]:
            v = arg.value
            if v is None:
                self.unresolved(arg, full)
                continue
            name, _, spec = v.partition("@")
            spec = spec or vflag or ""
            if not re.fullmatch(r"[A-Za-z0-9_\-]+", name):
                continue
            ev = self.evidence(arg.line)
            props: dict[str, str] = {}
            version = None
            if re.fullmatch(r"=?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.\-+]*)?", spec):
                version = spec.lstrip("=")
            elif spec:
                props["constraint"] = spec
            self.emit(
                package_component("cargo", name, version, (ev,), props), Relation.INSTALLS, ev
            )

    # -- downloads -------------------------------------------------------------------------

    _CURL_SHORT = "oHuAexdFTXwmbcKrzCEYyUQtPD"
    _CURL_LONG = frozenset(
        {
            "--output", "--header", "--user", "--user-agent", "--referer", "--proxy", "--data",
            "--data-raw", "--data-binary", "--data-urlencode", "--form", "--upload-file",
            "--request", "--write-out", "--max-time", "--cookie", "--cookie-jar", "--config",
            "--range", "--retry", "--retry-delay", "--retry-max-time", "--connect-timeout",
            "--cacert", "--cert", "--key", "--output-dir", "--limit-rate", "--resolve", "--url",
            "--oauth2-bearer", "--dump-header", "--proto", "--proto-redir", "--max-redirs",
            "--max-filesize", "--interface", "--continue-at", "--expect100-timeout",
            "--netrc-file", "--unix-socket", "--create-file-mode", "--variable", "--json",
            "--form-string", "--capath", "--ciphers", "--trace", "--trace-ascii", "--aws-sigv4",
        }
    )  # fmt: skip
    _CURL_SENDS = frozenset(
        {"-d", "--data", "--data-raw", "--data-binary", "--data-urlencode", "-F", "--form",
         "--form-string", "-T", "--upload-file", "--json", "-I", "--head"}
    )  # fmt: skip
    _WGET_SHORT = "OoaPUteiTwQBlARDXI"
    _WGET_LONG = frozenset(
        {
            "--output-document", "--header", "--user", "--password", "--post-data",
            "--post-file", "--method", "--body-data", "--body-file", "--tries", "--timeout",
            "--directory-prefix", "--user-agent", "--output-file", "--input-file",
            "--ca-certificate", "--certificate", "--private-key", "--load-cookies",
            "--save-cookies", "--wait", "--limit-rate", "--append-output", "--execute",
            "--http-user", "--http-password", "--referer", "--quota", "--base",
        }
    )  # fmt: skip
    _WGET_SENDS = frozenset(
        {"--post-data", "--post-file", "--body-data", "--body-file", "--spider"}
    )

    def curl(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(args, self._CURL_SHORT, self._CURL_LONG)
        self.fetch(opts, full, self._CURL_SENDS, ("-X", "--request"), ("--url",))

    def wget(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(args, self._WGET_SHORT, self._WGET_LONG)
        self.fetch(opts, full, self._WGET_SENDS, ("--method",), ())

    def fetch(
        self,
        opts: list[_Opt],
        full: list[_Arg],
        sends: frozenset[str],
        method_flags: tuple[str, ...],
        url_flags: tuple[str, ...],
    ) -> None:
        for o in opts:
            if o.flag in sends:
                return
            method = o.value.value if o.flag in method_flags and o.value is not None else None
            if method and method.upper() != "GET":
                return
        for o in opts:
            if o.flag is not None and o.flag not in url_flags:
                continue
            arg = o.value
            if arg is None:
                continue
            if arg.value is None:
                if re.match(r"['\"]?(https?|ftp)://", arg.raw) or arg.raw.startswith(
                    ("$", "'$", '"$')
                ):
                    self.unresolved(arg, full)
                continue
            url = arg.value
            if not re.match(r"(?i)(https?|ftp)://", url) or not _public_host(url):
                continue
            ev = self.evidence(arg.line)
            self.emit(download_component(url, (ev,)), Relation.INSTALLS, ev)

    _GIT_CLONE_LONG = frozenset(
        {
            "--branch", "--depth", "--origin", "--reference", "--reference-if-able",
            "--config", "--filter", "--shallow-since", "--shallow-exclude", "--jobs",
            "--separate-git-dir", "--template", "--upload-pack", "--server-option",
            "--bundle-uri", "--revision",
        }
    )  # fmt: skip

    def git(self, args: list[_Arg], full: list[_Arg]) -> None:
        top = _options(
            args, "Cc", {"--git-dir", "--work-tree", "--namespace", "--config-env"}, stop=True
        )
        pos = _positionals(top)
        if not pos or pos[0].value != "clone":
            return
        opts = _options(pos[1:], "bojuc", self._GIT_CLONE_LONG)
        cpos = _positionals(opts)
        if not cpos:
            return
        url_arg = cpos[0]
        ref_opt = _last(opts, "-b", "--branch", "--revision")
        if url_arg.value is None:
            self.unresolved(url_arg, full)
            return
        url = url_arg.value
        if not re.match(r"(?i)(https?|git|ssh)://|[\w.\-]+@[\w.\-]+:", url):
            return
        ref = None
        if ref_opt is not None and ref_opt.value is not None:
            if ref_opt.value.value is None:
                self.unresolved(ref_opt.value, full)
                return
            ref = ref_opt.value.value
        ev = self.evidence(url_arg.line)
        self.emit(git_component(url, (ev,), ref=ref), Relation.INSTALLS, ev)

    # -- containers ------------------------------------------------------------------------

    _DOCKER_RUN_SHORT = "acehlmpuvw"
    _DOCKER_RUN_LONG = frozenset(
        {
            "--attach", "--add-host", "--annotation", "--blkio-weight", "--blkio-weight-device",
            "--cap-add", "--cap-drop", "--cgroup-parent", "--cgroupns", "--cidfile",
            "--cpu-period", "--cpu-quota", "--cpu-rt-period", "--cpu-rt-runtime",
            "--cpu-shares", "--cpus", "--cpuset-cpus", "--cpuset-mems", "--device",
            "--device-cgroup-rule", "--device-read-bps", "--device-read-iops",
            "--device-write-bps", "--device-write-iops", "--dns", "--dns-option", "--dns-opt",
            "--dns-search", "--domainname", "--entrypoint", "--env", "--env-file", "--expose",
            "--gpus", "--group-add", "--health-cmd", "--health-interval", "--health-retries",
            "--health-start-period", "--health-start-interval", "--health-timeout",
            "--hostname", "--ip", "--ip6", "--ipc", "--isolation", "--kernel-memory", "--label",
            "--label-file", "--link", "--link-local-ip", "--log-driver", "--log-opt",
            "--mac-address", "--memory", "--memory-reservation", "--memory-swap",
            "--memory-swappiness", "--mount", "--name", "--network", "--net",
            "--network-alias", "--net-alias", "--oom-score-adj", "--pid", "--pids-limit",
            "--platform", "--publish", "--pull", "--restart", "--runtime", "--security-opt",
            "--shm-size", "--stop-signal", "--stop-timeout", "--storage-opt", "--sysctl",
            "--tmpfs", "--ulimit", "--user", "--userns", "--uts", "--volume", "--volume-driver",
            "--volumes-from", "--workdir", "--detach-keys", "--cgroup-conf", "--secret",
            "--arch", "--os", "--variant", "--pod", "--tz",
        }
    )  # fmt: skip
    _DOCKER_BUILD_SHORT = "tfmco"
    _DOCKER_BUILD_LONG = frozenset(
        {
            "--tag", "--file", "--build-arg", "--label", "--target", "--platform", "--network",
            "--add-host", "--cache-from", "--cache-to", "--iidfile", "--cgroup-parent",
            "--secret", "--ssh", "--output", "--progress", "--shm-size", "--ulimit", "--memory",
            "--memory-swap", "--cpu-shares", "--cpu-period", "--cpu-quota", "--cpuset-cpus",
            "--cpuset-mems", "--isolation", "--security-opt", "--build-context", "--builder",
            "--metadata-file", "--annotation", "--allow", "--call", "--attest",
        }
    )  # fmt: skip

    def docker(self, args: list[_Arg], full: list[_Arg]) -> None:
        top = _options(
            args,
            "Hlc",
            {"--host", "--log-level", "--context", "--config", "--tlscacert", "--tlscert",
             "--tlskey"},
            stop=True,
        )  # fmt: skip
        pos = _positionals(top)
        if not pos:
            return
        sub = pos[0].value
        rest = pos[1:]
        if sub in ("buildx", "image", "container", "builder") and rest:
            sub = rest[0].value
            rest = rest[1:]
        if sub in ("run", "create"):
            opts = _options(rest, self._DOCKER_RUN_SHORT, self._DOCKER_RUN_LONG, stop=True)
            self.image_use(_positionals(opts)[:1], full)
        elif sub == "pull":
            opts = _options(rest, "", {"--platform"}, stop=True)
            self.image_use(_positionals(opts)[:1], full)
        elif sub in ("build", "b"):
            self.docker_build(rest, full)

    def image_use(self, images: list[_Arg], full: list[_Arg]) -> None:
        for arg in images:
            if arg.value is None:
                self.unresolved(arg, full)
                continue
            ref = parse_image_ref(arg.value)
            if ref is None:
                self.problem(
                    arg.line, "parse-error", f"`{_short(arg.value, 80)}` is not an image reference"
                )
                continue
            ev = self.evidence(arg.line)
            self.emit(image_component(ref, (ev,)), Relation.RUNS_IN, ev)

    def docker_build(self, args: list[_Arg], full: list[_Arg]) -> None:
        opts = _options(args, self._DOCKER_BUILD_SHORT, self._DOCKER_BUILD_LONG)
        pos = _positionals(opts)
        context = pos[0] if pos else None
        file_opt = _last(opts, "-f", "--file")
        dockerfile: str | None = None
        if file_opt is not None and file_opt.value is not None:
            if file_opt.value.value is None:
                self.unresolved(file_opt.value, full)
            elif file_opt.value.value != "-":
                dockerfile = _norm_path(file_opt.value.value)
        elif context is not None:
            if context.value is None:
                self.unresolved(context, full)
            elif context.value != "-" and "://" not in context.value:
                dockerfile = _norm_path(posixpath.join(context.value, "Dockerfile"))
        for o in opts:
            if o.flag not in ("-t", "--tag") or o.value is None:
                continue
            tag = o.value
            if tag.value is None:
                self.unresolved(tag, full)
                continue
            ref = parse_image_ref(tag.value)
            if ref is None:
                self.problem(
                    tag.line, "parse-error", f"`{_short(tag.value, 80)}` is not an image reference"
                )
                continue
            ev = self.evidence(tag.line)
            comp = image_component(ref, (ev,), {"built-by": "docker build"})
            self.components.append(comp)
            if dockerfile is not None:
                self.edges.append(
                    Edge(
                        comp.id, dockerfile_id(dockerfile), Relation.BUILT_FROM, ev,
                        "docker build -t",
                    )
                )  # fmt: skip

    # -- nested shells ---------------------------------------------------------------------

    def shell(self, args: list[_Arg], full: list[_Arg], depth: int) -> None:
        has_c = False
        i = 0
        while i < len(args):
            v = args[i].value
            if v is None:
                return
            if v in ("-o", "+o"):
                i += 2
                continue
            if v.startswith(("-", "+")) and v not in ("-", "--"):
                has_c = has_c or "c" in v
                i += 1
                continue
            break
        if not has_c or i >= len(args) or depth >= MAX_NESTING:
            return
        arg = args[i]
        if arg.value is None:
            self.unresolved(arg, full)
            return
        last = arg.line + arg.raw.count("\n")
        starts = _line_starts(arg.value)

        def line_of(offset: int) -> int:
            return min(arg.line + bisect_right(starts, offset) - 1, last)

        self.run_script(arg.value, line_of, depth + 1)


_HANDLERS: dict[str, Callable[[_Interpreter, list[_Arg], list[_Arg]], None]] = {
    "pipx": _Interpreter.pipx,
    "uv": _Interpreter.uv,
    "apt-get": _Interpreter.apt,
    "apt": _Interpreter.apt,
    "aptitude": _Interpreter.apt,
    "dnf": _Interpreter.rpm,
    "yum": _Interpreter.rpm,
    "microdnf": _Interpreter.rpm,
    "tdnf": _Interpreter.rpm,
    "zypper": _Interpreter.rpm,
    "apk": _Interpreter.apk,
    "npm": _Interpreter.npm,
    "yarn": _Interpreter.yarn,
    "pnpm": _Interpreter.pnpm,
    "go": _Interpreter.go,
    "gem": _Interpreter.gem,
    "cargo": _Interpreter.cargo,
    "curl": _Interpreter.curl,
    "wget": _Interpreter.wget,
    "git": _Interpreter.git,
    "docker": _Interpreter.docker,
    "podman": _Interpreter.docker,
    "nerdctl": _Interpreter.docker,
}


def _has_glob(value: str) -> bool:
    return any(ch in value for ch in "*?[{")


def _is_global(opts: Iterable[_Opt]) -> bool:
    for o in opts:
        if o.flag in ("-g", "--global"):
            return True
        if o.flag == "--location" and o.value is not None and o.value.value == "global":
            return True
    return False


def _public_host(url: str) -> bool:
    """False for localhost, loopback and single-label hosts (CI service containers)."""
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    if not host or host == "localhost" or host.startswith(("127.", "0.")) or host == "::1":
        return False
    return "." in host or ":" in host


def _go_module(path: str) -> str:
    """The module of a package path on hosts whose module layout is fixed."""
    parts = path.split("/")
    if parts[0] in ("github.com", "gitlab.com", "bitbucket.org") and len(parts) > 3:
        keep = 4 if re.fullmatch(r"v\d+", parts[3]) else 3
        return "/".join(parts[:keep])
    if parts[:2] == ["golang.org", "x"] and len(parts) > 3:
        return "/".join(parts[:3])
    return path


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def scan_script(
    script: str,
    source: SourceFile,
    first_line: int,
    consumer: str,
    scanner: str,
    *,
    line_map: Sequence[int] | None = None,
    env: Mapping[str, str] | None = None,
    os_hint: str | None = None,
) -> ScanResult:
    """Components, edges and problems of the commands in ``script`` (see module docstring)."""
    interp = _Interpreter(source, consumer, scanner, env, os_hint)
    starts = _line_starts(script) if len(script) <= MAX_SCRIPT_CHARS else [0]
    mapping = list(line_map) if line_map else []

    def line_of(offset: int) -> int:
        index = bisect_right(starts, offset) - 1
        if index < len(mapping):
            return mapping[index]
        if mapping:
            return mapping[-1] + index - len(mapping) + 1
        return first_line + index

    try:
        interp.run_script(script, line_of, 0)
    except RecursionError:
        interp.problem(
            line_of(0), "skipped", "shell script nested too deeply to read; not read further"
        )
    return interp.result()


__all__ = ["Expansion", "expand_text", "expand_word", "scan_script"]

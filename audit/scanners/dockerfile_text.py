"""The text handed to BuildKit's parser, prepared so that hostile input costs linear time
and one broken line does not cost the whole file.

BuildKit's parser (the ``dockerfile`` package) reads a file line by line as ``docker build``
does. Four of its ways are a problem for a scanner:

* a physical line of 64 KiB or more fails the whole file: such a line is blanked here, with
  a problem naming it;
* each continuation line (ending in the escape character, ``\\`` unless ``# escape=``) is
  appended to a growing string, so n continuation lines cost O(n²): runs of continuation
  lines are joined here into one physical line each (at most :data:`JOIN_CHARS`
  characters), which gives the parser the same instruction in a few pieces;
* each heredoc body line is appended to a growing string too: bodies are left out of the
  parser's text (it sees each heredoc empty) and taken from the file's own lines;
* a heredoc without its terminator (``RUN <<EOF`` and no ``EOF`` line) fails the whole
  file: what comes before the instruction that opens it is parsed on its own, with a
  problem at the heredoc's line.

The parser's text then has fewer lines than the file: a line map gives each of its lines'
number in the file, and the instructions come back with the file's line numbers and full
heredoc bodies, as the parser would have given them for the file as written.

Which line is a continuation and which a heredoc body is decided by :class:`Layout`, a
small model of the parser's line grammar (parser directives, comments, continuations,
heredocs). The parser's instructions are checked against the model (where each starts and
ends, the names of its heredocs); where they disagree (unusual heredoc words), the text as
written is parsed instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.model import Problem
from audit.scanners.base import SourceFile

MAX_LINE_BYTES = 64 * 1024 - 1
"""BuildKit's parser refuses a line of 64 KiB or more, and with it the whole file."""
JOIN_CHARS = 8 * 1024
"""Joined continuation lines are at most this long (at most 32 KiB in UTF-8), well under
:data:`MAX_LINE_BYTES`; the parser then appends one piece per 8 Ki characters."""

_DIRECTIVE = re.compile(r"#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_WORD = re.compile(r"(\d*)<<(-?)([^<]*)")
_HEREDOC_COMMANDS = frozenset({"run", "copy", "add"})


@dataclass(frozen=True)
class OpenHeredoc:
    """A heredoc whose terminator line never comes."""

    start: int
    """1-based line of the instruction that opens it."""
    line: int
    """1-based line of its ``<<NAME`` word."""
    name: str
    last: int
    """Last line of the file."""
    body: int
    """0-based index of the line after the instruction's own lines (its bodies start)."""


@dataclass(frozen=True)
class Layout:
    """Where the parser's instructions are, as far as the model sees."""

    spans: frozenset[tuple[int, int]]
    """(first line, last line) of each instruction, heredoc bodies included, 1-based."""
    joinable: tuple[int, ...]
    """0-based indices of continuation lines that end in the escape character: lines after
    an instruction's first, outside heredoc bodies, neither empty nor comments."""
    escape: str
    heredocs: dict[int, tuple[tuple[str, range], ...]] = field(default_factory=dict)
    """First line (1-based) of each instruction with heredocs -> (terminator, 0-based
    indices of its body lines) of each heredoc, in order."""
    open_heredoc: OpenHeredoc | None = None


@dataclass(frozen=True)
class Parsed:
    """The parser's instructions (None when the file could not be read) and the problems."""

    commands: tuple[Any, ...] | None
    problems: tuple[Problem, ...]
    error: str | None = None
    """The parser's message when ``commands`` is None."""
    error_line: int | None = None
    """The line the error is at, when the model knows it (an open heredoc)."""


def parse(source: SourceFile, scanner: str) -> Parsed:
    """Parse ``source`` with BuildKit's parser (see the module docstring)."""
    lines = _physical_lines(source.text)
    problems = _blank_long_lines(source, lines, scanner)
    layout = layout_of(lines)
    commands, error = _parse_lines(lines, layout)
    if commands is not None:
        return Parsed(commands, tuple(problems))
    opened = layout.open_heredoc if layout is not None else None
    if opened is None or "unterminated heredoc" not in str(error):
        return Parsed(None, tuple(problems), error)
    # what comes before the heredoc, parsed on its own (unless nothing does)
    message = _open_message(opened)
    kept = lines[: opened.start - 1]
    commands, _ = _parse_lines(kept, layout_of(kept))
    if commands is None:
        return Parsed(None, tuple(problems), message, opened.line)
    problems.append(source.problem(opened.line, "parse-error", f"Dockerfile: {message}", scanner))
    return Parsed(commands, tuple(problems))


def _open_message(opened: OpenHeredoc) -> str:
    lines = (
        f"line {opened.start}"
        if opened.start == opened.last
        else f"lines {opened.start}-{opened.last}"
    )
    return (
        f"heredoc `<<{opened.name}` is never closed (no line `{opened.name}` before the end "
        f"of the file): {lines} not read"
    )


def _physical_lines(text: str) -> list[str]:
    """The lines as the parser reads them: split on ``\\n`` only (a ``\\r`` before it
    stays: the parser keeps it in heredoc bodies and ignores it elsewhere)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _blank_long_lines(source: SourceFile, lines: list[str], scanner: str) -> list[Problem]:
    """Blank lines the parser would refuse (line numbers kept); a problem for each, so that
    one hostile line does not cost the rest of the file."""
    problems: list[Problem] = []
    if len(source.text) <= MAX_LINE_BYTES // 4:
        return problems
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_LINE_BYTES // 4 and len(line.encode("utf-8")) > MAX_LINE_BYTES:
            lines[n - 1] = ""
            size = len(line.encode("utf-8"))
            message = f"line of {size} bytes is over BuildKit's 64 KiB limit: skipped"
            problems.append(source.problem(n, "parse-error", message, scanner))
    return problems


def _parse_text(text: str) -> tuple[tuple[Any, ...] | None, str | None]:
    try:
        import dockerfile

        return tuple(dockerfile.parse_string(text)), None
    except Exception as exc:  # the parser's own errors, and anything its binding raises
        return None, str(exc)


def _parse_lines(
    lines: list[str], layout: Layout | None
) -> tuple[tuple[Any, ...] | None, str | None]:
    """Parse the compact text (runs joined, bodies left out) and restore the file's line
    numbers and bodies; the text as written if the model and the parser disagree, or if
    the compact text fails for another reason than an open heredoc."""
    if layout is not None and (layout.joinable or layout.heredocs or layout.open_heredoc):
        text, origin = _compact(lines, layout)
        commands, error = _parse_text(text)
        if commands is not None:
            restored = _restore(commands, origin, lines, layout)
            if restored is not None:
                return restored, None
        elif layout.open_heredoc and "unterminated heredoc" in str(error):
            return None, error
    return _parse_text("\n".join(lines) + "\n")


def _compact(lines: Sequence[str], layout: Layout) -> tuple[str, list[int]]:
    """The parser's text: each run of consecutive joinable lines in one line, heredoc bodies
    left out; and the 1-based file line of each of its lines."""
    skip = {r.start: r.stop for docs in layout.heredocs.values() for _, r in docs if r}
    if layout.open_heredoc is not None:
        skip[layout.open_heredoc.body] = len(lines)
    runs = _runs(lines, layout.joinable)
    out: list[str] = []
    origin: list[int] = []
    i = 0
    while i < len(lines):
        if i in skip:
            i = skip[i]
            continue
        stop = runs.get(i)
        if stop is None:
            out.append(lines[i])
            i += 1
        else:
            # every line but the run's last loses its escape character, as the parser
            # drops it; the last keeps it, so the instruction goes on after it
            pieces = [_trim(lines[k], layout.escape) for k in range(i, stop - 1)]
            out.append("".join(pieces) + lines[stop - 1])
            i = stop
        origin.append(i)  # the 1-based number of the line just taken (a run's last)
    return "\n".join(out) + "\n", origin


def _runs(lines: Sequence[str], joinable: Sequence[int]) -> dict[int, int]:
    """First index -> index after the last of each run of at least two consecutive
    joinable lines, a run being at most :data:`JOIN_CHARS` characters long."""
    runs: dict[int, int] = {}
    start = -1
    last = -2
    size = 0
    for i in joinable:
        width = len(lines[i])
        if i != last + 1 or size + width > JOIN_CHARS:
            if last > start >= 0:
                runs[start] = last + 1
            start, size = i, 0
        size += width
        last = i
    if last > start >= 0:
        runs[start] = last + 1
    return runs


def _restore(
    commands: Sequence[Any], origin: Sequence[int], lines: Sequence[str], layout: Layout
) -> tuple[Any, ...] | None:
    """The parser's instructions with the file's line numbers and heredoc bodies; None when
    they are not the instructions the model saw."""
    restored = []
    for cmd in commands:
        if not (1 <= cmd.start_line <= cmd.end_line <= len(origin)):
            return None
        start, end = origin[cmd.start_line - 1], origin[cmd.end_line - 1]
        if (start, end) not in layout.spans:
            return None
        docs = layout.heredocs.get(start, ())
        if cmd.heredocs:
            if [d.name for d in cmd.heredocs] != [name for name, _ in docs]:
                return None
            if any(d.content for d in cmd.heredocs):
                return None
            cmd = _with_bodies(cmd, [_body(lines, body) for _, body in docs])
        elif docs and str(cmd.cmd).lower() != "onbuild":  # the binding drops ONBUILD's
            return None
        restored.append(cmd._replace(start_line=start, end_line=end))
    return tuple(restored)


def _body(lines: Sequence[str], body: range) -> str:
    return "".join(lines[k] + "\n" for k in body)


def _with_bodies(cmd: Any, bodies: Sequence[str]) -> Any:
    """``cmd`` with its heredocs' content (and its original text) as in the file."""
    heredocs = tuple(d._replace(content=b) for d, b in zip(cmd.heredocs, bodies, strict=True))
    original = str(cmd.original)
    empty = "".join(f"{d.name}\n" for d in cmd.heredocs)
    if original.endswith(empty):
        full = "".join(f"{b}{d.name}\n" for d, b in zip(cmd.heredocs, bodies, strict=True))
        original = original[: len(original) - len(empty)] + full
    return cmd._replace(heredocs=heredocs, original=original)


# The model of the parser's line grammar -----------------------------------------------


def layout_of(lines: Sequence[str]) -> Layout | None:
    """The instructions of ``lines`` as BuildKit's parser reads them; None when the escape
    character is one the parser refuses (the parser reports it)."""
    escape = _escape(lines)
    if escape is None:
        return None
    spans: set[tuple[int, int]] = set()
    joinable: list[int] = []
    heredocs: dict[int, tuple[tuple[str, range], ...]] = {}
    n = len(lines)
    i = 0
    while i < n:
        first = (lines[i].removeprefix("\ufeff") if i == 0 else lines[i]).lstrip()
        if not first or first.startswith("#"):
            i += 1
            continue
        start = i
        more = _continues(first, escape)
        pieces = [_trim(first, escape) if more else first]
        i += 1
        while more and i < n:
            line = lines[i]
            i += 1
            stripped = line.lstrip()
            if not stripped or stripped.startswith("#"):
                continue
            more = _continues(line, escape)
            if more:
                joinable.append(i - 1)
                pieces.append(_trim(line, escape))
            else:
                pieces.append(line)
        logical = "".join(pieces)
        if "<<" in logical and _may_hold_heredocs(logical):
            words_end = i
            docs = []
            for name, chomp in _heredocs(logical):
                body_start = i
                while i < n:
                    body = _bare(lines[i])
                    i += 1
                    if (body.lstrip("\t") if chomp else body) == name:
                        break
                else:
                    marker = _marker_line(lines, start, words_end, name)
                    opened = OpenHeredoc(start + 1, marker, name, n, words_end)
                    return Layout(frozenset(spans), tuple(joinable), escape, heredocs, opened)
                docs.append((name, range(body_start, i - 1)))
            if docs:
                heredocs[start + 1] = tuple(docs)
        spans.add((start + 1, i))
    return Layout(frozenset(spans), tuple(joinable), escape, heredocs)


def _escape(lines: Sequence[str]) -> str | None:
    """The escape character the parser directives at the top of the file set."""
    escape = "\\"
    for n, line in enumerate(lines):
        text = line.removeprefix("\ufeff") if n == 0 else line
        m = _DIRECTIVE.match(text.lstrip())
        if m is None or m[1].lower() not in _DIRECTIVES:
            break
        if m[1].lower() == "escape":
            escape = m[2]
    return escape if escape in ("\\", "`") else None


def _bare(line: str) -> str:
    """The line without the ``\\r`` of a CRLF line end."""
    return line[:-1] if line.endswith("\r") else line


def _continues(line: str, escape: str) -> bool:
    return _bare(line).rstrip(" \t").endswith(escape)


def _trim(line: str, escape: str) -> str:
    """The line without its trailing escape character (and the blanks after it)."""
    return _bare(line).rstrip(" \t")[: -len(escape)]


def _may_hold_heredocs(logical: str) -> bool:
    words = logical.split(None, 2)
    if not words:
        return False
    command = words[0].lower()
    if command == "onbuild" and len(words) > 1:
        command = words[1].lower()
    return command in _HEREDOC_COMMANDS


def _heredocs(logical: str) -> list[tuple[str, bool]]:
    """(terminator, strips leading tabs) of each ``<<NAME`` word, in order."""
    found = []
    for word in _words(logical):
        m = _HEREDOC_WORD.fullmatch(word)
        if m is None or not m[3]:
            continue
        name = m[3].replace('"', "").replace("'", "")
        found.append((name, m[2] == "-"))
    return found


def _words(text: str) -> list[str]:
    """Words split on blanks outside quotes, quotes and backslashes kept."""
    words: list[str] = []
    cur: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            cur.append(c)
            if c == "\\" and quote == '"' and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
            elif c == quote:
                quote = ""
        elif c.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(c)
            if c in "'\"":
                quote = c
            elif c == "\\" and i + 1 < len(text):
                cur.append(text[i + 1])
                i += 1
        i += 1
    if cur:
        words.append("".join(cur))
    return words


def _marker_line(lines: Sequence[str], start: int, end: int, name: str) -> int:
    """1-based line of the ``<<NAME`` word among the 0-based lines [start, end)."""
    for k in range(start, end):
        at = lines[k].find("<<")
        if at >= 0 and name in lines[k][at:]:
            return k + 1
    return start + 1

"""CMake build files (``CMakeLists.txt``, ``*.cmake``): what they fetch at build time.

A small lexer for the CMake language (command invocations, quoted, bracket and unquoted
arguments, line and bracket comments) feeds an evaluator that follows ``set()`` within the
file (``${VAR}`` substitution, nested references) and turns ``FetchContent_Declare``,
``ExternalProject_Add`` and ``file(DOWNLOAD)`` into download or git components. A URL that
still holds a variable after substitution gives an ``unresolved`` Problem naming it, never
a guessed component. ``include()``, ``add_subdirectory()`` and ``option()`` calls are kept
as properties of the build-file node.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from audit import memo
from audit.components import build_file_id, download_component, git_component, github_release
from audit.model import Component, Edge, Node, Problem, ProblemKind, Relation, ScanResult
from audit.scanners.base import SourceFile

NAME = "cmake"

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACKET_OPEN = re.compile(r"\[(=*)\[")
_QUOTED_RUN = re.compile(r'[^"\\]*')
"""Characters of a quoted argument taken as written (up to a quote or a backslash)."""
_UNQUOTED_RUN = re.compile(r'[^ \t\r\n()#\\"]*')
"""Characters of an unquoted argument taken as written (up to what ends or escapes it)."""
_REF = re.compile(r"\$\{([A-Za-z0-9_./+-]+)\}")
_ANY_REF = re.compile(r"\$(?:ENV|CACHE)?\{([^${}]*)\}")
_VERSION = re.compile(r"\d+(?:\.\d+)+(?:-?(?:rc|alpha|beta)\d*)?")
_ARCHIVE_EXT = (".tar.gz", ".tar.xz", ".tar.bz2", ".tgz", ".zip", ".tar", ".7z")
_LOCAL_DIR_VARS = (
    "CMAKE_CURRENT_SOURCE_DIR",
    "CMAKE_CURRENT_LIST_DIR",
    "CMAKE_SOURCE_DIR",
    "PROJECT_SOURCE_DIR",
    "CMAKE_CURRENT_BINARY_DIR",
    "CMAKE_BINARY_DIR",
    "PROJECT_BINARY_DIR",
)
_MAX_RECOVERIES = 50
_MAX_EXPANSIONS = 16
_MAX_VALUE = 8192
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", ";": "\\;"}


# Lexer ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """One command argument as written (escapes decoded), with its 1-based line."""

    value: str
    line: int
    quoted: bool = False
    """Quoted or bracket argument: never a keyword, never split on ``;``."""


@dataclass(frozen=True)
class Command:
    """One command invocation; ``name`` is lowercased (CMake commands are case-insensitive)."""

    name: str
    line: int
    args: tuple[Arg, ...]


@dataclass(frozen=True)
class Parsed:
    """A CMake file's commands, and its syntax errors."""

    commands: tuple[Command, ...]
    errors: tuple[tuple[int, str], ...]
    """``(line, message)`` of each syntax error; lexing resumes after each one."""


class _Unbalanced(Exception):
    pass


def _taken(run: re.Pattern[str], text: str, i: int, out: list[str]) -> int:
    """Where the characters ``run`` takes as written from offset ``i`` end; they are added
    to ``out``."""
    m = run.match(text, i)
    end = m.end() if m else i
    if end > i:
        out.append(text[i:end])
    return end


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        # The offset of each line end: each line's length and one more, added up.
        lengths = map((1).__add__, map(len, text.split("\n")[:-1]))
        self.newlines = list(accumulate(lengths, initial=-1))[1:]

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def next_line(self, pos: int) -> int:
        """Offset of the start of the line after the one holding ``pos``."""
        end = self.text.find("\n", pos)
        return self.n if end < 0 else end + 1

    def bracket_end(self, pos: int) -> tuple[int, int, int] | None:
        """For ``[==[`` at ``pos``: ``(content start, content end, end after ]==])``."""
        m = _BRACKET_OPEN.match(self.text, pos)
        if not m:
            return None
        close = "]" + m[1] + "]"
        end = self.text.find(close, m.end())
        if end < 0:
            raise _Unbalanced("unterminated bracket argument or comment")
        return m.end(), end, end + len(close)

    def comment_end(self, pos: int) -> int:
        """Offset after the comment starting with ``#`` at ``pos``."""
        bracket = self.bracket_end(pos + 1) if self.text.startswith("[", pos + 1) else None
        return bracket[2] if bracket else self.next_line(pos)

    def quoted(self, pos: int) -> tuple[str, int]:
        text, n = self.text, self.n
        out: list[str] = []
        i = pos + 1
        while True:
            i = _taken(_QUOTED_RUN, text, i, out)
            if i >= n:
                raise _Unbalanced("unterminated quoted argument")
            if text[i] == '"':
                return "".join(out), i + 1
            # a backslash
            if i + 1 < n:
                nxt = text[i + 1]
                if nxt != "\n":  # else a line continuation
                    out.append(_ESCAPES.get(nxt, nxt))
                i += 2
            else:
                out.append("\\")
                i += 1

    def unquoted(self, pos: int) -> tuple[str, int]:
        text, n = self.text, self.n
        out: list[str] = []
        i = pos
        while i < n:
            i = _taken(_UNQUOTED_RUN, text, i, out)
            if i >= n:
                break
            c = text[i]
            if c in " \t\r\n()#":
                break
            if c == "\\" and i + 1 < n:
                out.append(_ESCAPES.get(text[i + 1], text[i + 1]))
                i += 2
                continue
            if c == '"':  # legacy: a="b c" inside an unquoted argument
                end = text.find('"', i + 1)
                if end < 0:
                    raise _Unbalanced("unterminated quote")
                out.append(text[i : end + 1])
                i = end + 1
                continue
            out.append(c)  # a backslash that ends the text
            i += 1
        return "".join(out), i

    def arguments(self, pos: int) -> tuple[list[Arg], int]:
        """Arguments after ``(`` up to the matching ``)``: ``(args, offset after ')')``."""
        args: list[Arg] = []
        depth = 1
        i = pos
        while i < self.n:
            c = self.text[i]
            if c in " \t\r\n":
                i += 1
            elif c == "#":
                i = self.comment_end(i)
            elif c == "(":
                depth += 1
                args.append(Arg("(", self.line(i)))
                i += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return args, i + 1
                args.append(Arg(")", self.line(i)))
                i += 1
            elif c == '"':
                value, end = self.quoted(i)
                args.append(Arg(value, self.line(i), quoted=True))
                i = end
            elif c == "[" and _BRACKET_OPEN.match(self.text, i):
                found = self.bracket_end(i)
                assert found is not None
                start, stop, end = found
                content = self.text[start:stop]
                if content.startswith("\n"):
                    content = content[1:]
                args.append(Arg(content, self.line(i), quoted=True))
                i = end
            else:
                value, end = self.unquoted(i)
                if end == i:  # a lone character the grammar does not allow here
                    end = i + 1
                    value = self.text[i]
                args.append(Arg(value, self.line(i)))
                i = end
        raise _Unbalanced("unbalanced parentheses: no closing ')'")

    def run(self) -> Parsed:
        commands: list[Command] = []
        errors: list[tuple[int, str]] = []
        i = 0
        while i < self.n:
            c = self.text[i]
            if c in " \t\r\n":
                i += 1
                continue
            start = i
            try:
                if c == "#":
                    i = self.comment_end(i)
                    continue
                m = _IDENT.match(self.text, i)
                if not m:
                    errors.append((self.line(i), f"unexpected {c!r} outside a command"))
                    i = self.next_line(i)
                    continue
                j = m.end()
                while j < self.n and self.text[j] in " \t":
                    j += 1
                if j >= self.n or self.text[j] != "(":
                    errors.append((self.line(i), f"expected '(' after {m[0]}"))
                    i = self.next_line(i)
                    continue
                args, i = self.arguments(j + 1)
                commands.append(Command(m[0].lower(), self.line(start), tuple(args)))
            except _Unbalanced as exc:
                errors.append((self.line(start), str(exc)))
                if len(errors) > _MAX_RECOVERIES:
                    break
                i = self.next_line(start)
        return Parsed(tuple(commands), tuple(errors))


_REMEMBERED = 256
_REMEMBERED_CHARS = memo.MAX_CHARS


@memo.per_text(_REMEMBERED, _REMEMBERED_CHARS)
def parse_cmake(text: str) -> Parsed:
    """Tokenize a CMake file into commands; never raises.

    The scan and the include graph (:mod:`audit.cmake_graph`) both read each CMake file:
    a file of at most :data:`_REMEMBERED_CHARS` characters is tokenized once per process
    (the last :data:`_REMEMBERED` such texts are kept; the result is immutable)."""
    return _Lexer(text).run()


# Evaluation -------------------------------------------------------------------------------


def expand(value: str, variables: Mapping[str, str]) -> tuple[str, frozenset[str]]:
    """Substitute ``${VAR}`` (innermost first, so nested references work).

    Unknown variables are left as written. Returns the value and the names substituted.
    Bounded in rounds and in length (a self-doubling chain stops, unresolved).
    """
    used: set[str] = set()

    def sub(m: re.Match[str]) -> str:
        name = m[1]
        if name in variables:
            used.add(name)
            return variables[name]
        return m[0]

    for _ in range(_MAX_EXPANSIONS):
        new = _REF.sub(sub, value)
        if new == value or len(new) > _MAX_VALUE:
            break
        value = new
    return value, frozenset(used)


def unresolved_names(value: str) -> tuple[str, ...]:
    """Variable references still in a value, in order of appearance."""
    names: list[str] = []
    for m in _ANY_REF.finditer(value):
        prefix = m[0][1 : m[0].index("{")]
        name = f"{prefix}{{{m[1]}}}" if prefix else m[1]
        if name not in names:
            names.append(name)
    return tuple(names)


def version_from_url(url: str) -> str | None:
    """A version-looking part of a URL's path (last segment first)."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    segments = [s for s in path.split("/")[3:] if s]
    for segment in reversed(segments):
        for ext in _ARCHIVE_EXT:
            if segment.endswith(ext):
                segment = segment[: -len(ext)]
                break
        found: list[str] = _VERSION.findall(segment)
        if found:
            return found[-1]
    return None


@dataclass
class _State:
    """Mutable evaluation state for one file (local to one ``scan`` call)."""

    variables: dict[str, str] = field(default_factory=dict)
    derived: dict[str, frozenset[str]] = field(default_factory=dict)
    """Variable -> every variable its value was built from (transitively)."""
    overridable: set[str] = field(default_factory=set)
    conditions: list[frozenset[str]] = field(default_factory=list)
    includes: set[str] = field(default_factory=set)
    subdirectories: set[str] = field(default_factory=set)
    options: dict[str, str] = field(default_factory=dict)

    def eval(self, arg: Arg) -> tuple[str, frozenset[str]]:
        value, used = expand(arg.value, self.variables)
        closure = set(used)
        for name in used:
            closure |= self.derived.get(name, frozenset())
        return value, frozenset(closure)

    def assign(self, name: str, value: str, used: frozenset[str], overridable: bool) -> None:
        self.variables[name] = value
        self.derived[name] = used
        if overridable or any(name in cond for cond in self.conditions):
            self.overridable.add(name)


def _condition_names(args: Sequence[Arg]) -> frozenset[str]:
    names: set[str] = set()
    for arg in args:
        names.update(m[1] for m in _REF.finditer(arg.value))
        if _IDENT.fullmatch(arg.value):
            names.add(arg.value)
    return frozenset(names)


def _set(state: _State, args: Sequence[Arg]) -> None:
    if not args:
        return
    name, _ = state.eval(args[0])
    if not name or "{" in name:
        return
    values = list(args[1:])
    cache = False
    if values and not values[-1].quoted and values[-1].value == "PARENT_SCOPE":
        values = values[:-1]
    for i, arg in enumerate(values):
        if not arg.quoted and arg.value == "CACHE":
            values, cache = values[:i], True
            break
    if not values:
        if not cache:
            state.variables.pop(name, None)
        return
    parts: list[str] = []
    used: set[str] = set()
    for arg in values:
        value, names = state.eval(arg)
        parts.append(value)
        used |= names
    if cache and name in state.variables:
        return  # a cache entry never overrides a normal variable already set
    state.assign(name, ";".join(parts), frozenset(used), cache)


def _option(state: _State, args: Sequence[Arg]) -> None:
    if not args:
        return
    name, _ = state.eval(args[0])
    default = "OFF"
    if len(args) > 2:
        default = state.eval(args[2])[0].upper() or "OFF"
    state.options[name] = default
    if name not in state.variables:
        state.assign(name, default, frozenset(), True)
    state.overridable.add(name)


def _project(state: _State, args: Sequence[Arg]) -> None:
    if not args:
        return
    name, _ = state.eval(args[0])
    state.assign("PROJECT_NAME", name, frozenset(), False)
    for i, arg in enumerate(args[1:-1], 1):
        if not arg.quoted and arg.value == "VERSION":
            version, used = state.eval(args[i + 1])
            for var in ("PROJECT_VERSION", f"{name}_VERSION"):
                state.assign(var, version, used, False)


def _keyword_values(args: Sequence[Arg], keywords: Iterable[str]) -> dict[str, Arg]:
    """The argument after each keyword (first occurrence of each)."""
    wanted = set(keywords)
    found: dict[str, Arg] = {}
    for i, arg in enumerate(args[:-1]):
        if not arg.quoted and arg.value in wanted and arg.value not in found:
            found[arg.value] = args[i + 1]
    return found


@dataclass
class _Out:
    """What the CMake scanner found in one file so far."""

    node: str
    source: SourceFile
    components: list[Component] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def component(self, comp: Component) -> None:
        self.components.append(comp)
        self.edges.append(Edge(self.node, comp.id, Relation.BUNDLES, comp.evidence[0]))

    def problem(self, line: int, kind: ProblemKind, message: str) -> None:
        self.problems.append(self.source.problem(line, kind, message, NAME))


def _resolved(state: _State, out: _Out, arg: Arg, what: str) -> tuple[str, frozenset[str]] | None:
    """An argument's value with variables substituted, or None (and a Problem) if it can't be."""
    value, used = state.eval(arg)
    left = unresolved_names(value)
    if not left:
        return value, used
    if any(f"${{{v}}}" in arg.value for v in _LOCAL_DIR_VARS) and len(left) == 1:
        out.problem(arg.line, "skipped", f"{what} is a local path: {arg.value}")
        return None
    names = ", ".join(left)
    out.problem(arg.line, "unresolved", f"{what} {arg.value} holds unresolved variable {names}")
    return None


def _overridable(state: _State, used: Iterable[str]) -> str:
    return ",".join(sorted(n for n in used if n in state.overridable))


def _fetch(state: _State, out: _Out, cmd: Command) -> None:
    """``FetchContent_Declare`` / ``ExternalProject_Add``."""
    if not cmd.args:
        return
    name, _ = state.eval(cmd.args[0])
    keys = _keyword_values(
        cmd.args[1:], ("URL", "URL_HASH", "URL_MD5", "GIT_REPOSITORY", "GIT_TAG")
    )
    command = (
        "FetchContent_Declare" if cmd.name == "fetchcontent_declare" else "ExternalProject_Add"
    )
    props = {"cmake_name": name, "cmake_command": command}
    patch = _patch_command(cmd.args)
    if patch is not None:
        props["source_subdir"] = patch[0]
        props["source_subdir_line"] = str(patch[1])
    if "URL" in keys:
        found = _resolved(state, out, keys["URL"], "URL")
        if found is None:
            return
        url, used = found[0].split(";", 1)[0], set(found[1])
        hash_arg = keys.get("URL_HASH")
        if hash_arg is None and "URL_MD5" in keys:
            hash_arg = Arg("MD5=" + keys["URL_MD5"].value, keys["URL_MD5"].line, True)
        if hash_arg is not None:
            digest, hash_used = state.eval(hash_arg)
            if not unresolved_names(digest):
                props["url_hash"] = digest
                used |= hash_used
        props["overridable"] = _overridable(state, used)
        version = None if github_release(url) else version_from_url(url)
        ev = (out.source.evidence(keys["URL"].line, NAME),)
        out.component(download_component(url, ev, name=name, version=version, props=props))
    elif "GIT_REPOSITORY" in keys:
        found = _resolved(state, out, keys["GIT_REPOSITORY"], "GIT_REPOSITORY")
        if found is None:
            return
        url, used = found[0], set(found[1])
        ref = None
        if "GIT_TAG" in keys:
            tag = _resolved(state, out, keys["GIT_TAG"], "GIT_TAG")
            if tag is not None:
                ref, tag_used = tag
                used |= tag_used
        props["overridable"] = _overridable(state, used)
        ev = (out.source.evidence(keys["GIT_REPOSITORY"].line, NAME),)
        out.component(git_component(url, ev, ref=ref or None, props=props))


_KEEP_SUBDIR = re.compile(
    r"mv\s+(?:\./)?(?P<dir>[A-Za-z0-9_.+-]+)/?\s+(?P<tmp>\.\./[A-Za-z0-9_.+-]+)/?\s*&&\s*"
    r"rm\s+-r?fr?\s+\./\*\s*&&\s*mv\s+(?P=tmp)/\*\s+\./?\s*$"
)
_FETCH_KEYWORDS = frozenset(
    {
        "URL", "URL_HASH", "URL_MD5", "GIT_REPOSITORY", "GIT_TAG", "SOURCE_DIR", "BINARY_DIR",
        "PREFIX", "DOWNLOAD_COMMAND", "UPDATE_COMMAND", "CONFIGURE_COMMAND", "BUILD_COMMAND",
        "INSTALL_COMMAND", "TEST_COMMAND", "DEPENDS", "BUILD_IN_SOURCE", "LOG_DOWNLOAD",
        "DOWNLOAD_EXTRACT_TIMESTAMP", "CMAKE_ARGS", "CMAKE_CACHE_ARGS", "SOURCE_SUBDIR",
        "BUILD_BYPRODUCTS", "INSTALL_DIR", "DOWNLOAD_NAME", "DOWNLOAD_DIR", "TIMEOUT",
    }
)  # fmt: skip


def _patch_command(args: Sequence[Arg]) -> tuple[str, int] | None:
    """``(directory, line)`` for a ``PATCH_COMMAND`` that keeps one sub-directory of the
    archive as the whole source tree (falco-0.35.1 cmake/modules/driver-repo/CMakeLists.txt:29:
    ``sh -c "mv ./driver ../driver.tmp && rm -rf ./* && mv ../driver.tmp/* ."``). Any other
    patch command is not read."""
    for i, arg in enumerate(args):
        if arg.quoted or arg.value != "PATCH_COMMAND":
            continue
        words: list[str] = []
        for word in args[i + 1 :]:
            if not word.quoted and word.value in _FETCH_KEYWORDS:
                break
            words.append(word.value)
        text = " ".join(words)
        if text.startswith(("sh -c ", "bash -c ")):
            text = text.split(" ", 2)[2]
        m = _KEEP_SUBDIR.fullmatch(text.strip())
        if m and m["dir"] not in (".", ".."):
            return m["dir"], arg.line
    return None


def _file_download(state: _State, out: _Out, cmd: Command) -> None:
    """``file(DOWNLOAD <url> <file> [EXPECTED_HASH ALGO=value])``."""
    args = cmd.args
    if len(args) < 2 or args[0].value != "DOWNLOAD":
        return
    found = _resolved(state, out, args[1], "file(DOWNLOAD)")
    if found is None:
        return
    url, used = found[0], set(found[1])
    if "://" not in url or url.startswith("file:"):
        return
    props: dict[str, str] = {"cmake_command": "file(DOWNLOAD)"}
    keys = _keyword_values(args[2:], ("EXPECTED_HASH", "EXPECTED_MD5"))
    if "EXPECTED_HASH" in keys or "EXPECTED_MD5" in keys:
        arg = keys.get("EXPECTED_HASH") or keys["EXPECTED_MD5"]
        digest, hash_used = state.eval(arg)
        if "EXPECTED_HASH" not in keys:
            digest = "MD5=" + digest
        if not unresolved_names(digest):
            props["url_hash"] = digest
            used |= hash_used
    props["overridable"] = _overridable(state, used)
    version = None if github_release(url) else version_from_url(url)
    ev = (out.source.evidence(args[1].line, NAME),)
    out.component(download_component(url, ev, version=version, props=props))


def _first_value(state: _State, args: Sequence[Arg]) -> str | None:
    return state.eval(args[0])[0] if args else None


def evaluate(
    source: SourceFile, parsed: Parsed, initial: Mapping[str, str] | None = None
) -> ScanResult:
    """Run the commands of one file in order, collecting components and node properties.

    ``initial``: variables the file starts with, as a superbuild passes them on a cmake
    command line (``-DVAR=value``, see :mod:`audit.cmake_graph`); they are overridable."""
    node_id = build_file_id(source.path)
    state = _State()
    for var, passed in (initial or {}).items():
        state.assign(var, passed, frozenset(), True)
    out = _Out(node_id, source)
    for line, message in parsed.errors:
        out.problem(line, "parse-error", message)
    for cmd in parsed.commands:
        name = cmd.name
        if name == "if":
            state.conditions.append(_condition_names(cmd.args))
        elif name == "elseif" and state.conditions:
            state.conditions[-1] = state.conditions[-1] | _condition_names(cmd.args)
        elif name == "endif" and state.conditions:
            state.conditions.pop()
        elif name == "set":
            _set(state, cmd.args)
        elif name == "unset" and cmd.args:
            state.variables.pop(cmd.args[0].value, None)
        elif name == "option":
            _option(state, cmd.args)
        elif name == "project":
            _project(state, cmd.args)
        elif name == "include":
            value = _first_value(state, cmd.args)
            if value:
                state.includes.add(value)
        elif name == "add_subdirectory":
            value = _first_value(state, cmd.args)
            if value:
                state.subdirectories.add(value)
        elif name in ("fetchcontent_declare", "externalproject_add"):
            _fetch(state, out, cmd)
        elif name == "file":
            _file_download(state, out, cmd)
    props = {
        "format": "cmake",
        "includes": ",".join(sorted(state.includes)),
        "subdirectories": ",".join(sorted(state.subdirectories)),
        "options": ",".join(f"{k}={v}" for k, v in sorted(state.options.items())),
    }
    node = Node(
        node_id,
        "build-file",
        source.path,
        properties=tuple(sorted((k, v) for k, v in props.items() if v)),
    )
    return ScanResult(
        components=tuple(out.components),
        nodes=(node,),
        edges=tuple(out.edges),
        problems=tuple(out.problems),
    )


@dataclass(frozen=True)
class CMakeScanner:
    """CMake build files."""

    name: str = NAME

    def matches(self, path: str) -> bool:
        base = path.rsplit("/", 1)[-1]
        return base == "CMakeLists.txt" or base.lower().endswith(".cmake")

    def scan(self, source: SourceFile) -> ScanResult:
        return evaluate(source, parse_cmake(source.text))


SCANNER = CMakeScanner()

__all__ = [
    "SCANNER",
    "Arg",
    "Command",
    "Parsed",
    "evaluate",
    "expand",
    "parse_cmake",
    "unresolved_names",
    "version_from_url",
]

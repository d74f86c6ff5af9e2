"""CMake across files: which build files a build reaches, and which downloads a default build makes.

The CMake scanner reads one file at a time. This module looks at all the CMake files of one
tree together:

- from the top-level ``CMakeLists.txt`` it follows ``include()`` (a module name is looked up
  as ``<name>.cmake`` anywhere in the tree, preferring ``CMAKE_MODULE_PATH`` directories,
  then those nearest the including file: a project's own module before another's;
  a path is taken relative to the including file, then to the root), ``add_subdirectory()``
  and ``find_package()`` (``Find<Name>.cmake``). A module nothing reaches is *unused*: what
  it downloads is not built, so it is not counted as shipped;
- ``if()``/``elseif()``/``else()`` around a call or a download are kept as a condition text
  (``NOT USE_BUNDLED_DEPS AND (WITH_CHISEL)``), and evaluated with the ``option()`` defaults
  (and ``set(... CACHE ...)`` defaults) found in the tree, in three-valued logic: a
  condition that depends on anything else (a platform variable, a found package) is
  *unknown* and the download is kept. Only a condition that is false with the defaults
  makes a download *gated*: it is reported with the option that decides it;
- the include graph becomes ``includes`` edges between build-file nodes, so that the chain
  from the top-level file to a download can be printed.

When a tree has no top-level ``CMakeLists.txt``, or a reached file includes a path that
cannot be resolved (``include(${SOMEWHERE}/x.cmake)``), nothing is declared unused.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from audit.cmake_cli import DEFINE, NO_CONFIGURE, BuildConfig
from audit.model import (
    Component,
    Edge,
    Evidence,
    Finding,
    Inventory,
    Node,
    Relation,
    edge_key,
    unique_edges,
)
from audit.scanners.cmake import Arg, Command, expand, parse_cmake, unresolved_names

NAME = "cmake-graph"
ENTRY = "CMakeLists.txt"

ENTRY_POINT = "entry"
INCLUDED = "included"
GATED = "gated"
UNUSED = "unused"

_TRUE = frozenset({"1", "ON", "YES", "TRUE", "Y"})
_FALSE = frozenset({"0", "OFF", "NO", "FALSE", "N", "IGNORE", "NOTFOUND", ""})
_UNARY = frozenset(
    {
        "DEFINED", "EXISTS", "TARGET", "COMMAND", "POLICY", "TEST", "IS_DIRECTORY",
        "IS_SYMLINK", "IS_ABSOLUTE", "IS_READABLE", "IS_WRITABLE", "IS_EXECUTABLE",
    }
)  # fmt: skip
_BINARY = frozenset(
    {
        "EQUAL", "LESS", "GREATER", "LESS_EQUAL", "GREATER_EQUAL", "STREQUAL", "STRLESS",
        "STRGREATER", "STRLESS_EQUAL", "STRGREATER_EQUAL", "VERSION_EQUAL", "VERSION_LESS",
        "VERSION_GREATER", "VERSION_LESS_EQUAL", "VERSION_GREATER_EQUAL", "MATCHES",
        "IN_LIST", "IS_NEWER_THAN", "PATH_EQUAL",
    }
)  # fmt: skip
_TOKEN = re.compile(r'"[^"]*"|[()]|[^\s()"]+')
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MAX_TOKENS = 200
_MAX_OPTION_DEPTH = 8
_ROOT_VARS = ("CMAKE_SOURCE_DIR", "PROJECT_SOURCE_DIR", "CMAKE_HOME_DIRECTORY")
_HERE_VARS = ("CMAKE_CURRENT_LIST_DIR", "CMAKE_CURRENT_SOURCE_DIR")
_BINARY_VARS = ("CMAKE_BINARY_DIR", "PROJECT_BINARY_DIR", "CMAKE_CURRENT_BINARY_DIR")
_DOWNLOADS = frozenset({"fetchcontent_declare", "externalproject_add"})


# Facts of one file ------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """An ``include()``, ``add_subdirectory()`` or ``find_package()`` call."""

    command: str
    target: str
    """The first argument, with the file's own ``set()`` variables substituted."""
    line: int
    condition: str = ""
    """The ``if()`` conditions around the call, joined with AND (``""``: none)."""


@dataclass(frozen=True)
class OptionDef:
    """An ``option()`` (or ``set(... CACHE ...)``) default."""

    name: str
    default: str
    path: str
    line: int
    cache: bool = False
    """``set(... CACHE ...)``: a setting the file makes (for the builds it includes)."""
    parent: str = ""
    """Set by the build that includes this tree (its label, ``.`` for the scanned root):
    ``path`` is then a path of that tree."""


@dataclass(frozen=True)
class Download:
    """A download command's span of lines and the condition around it."""

    first: int
    last: int
    condition: str


@dataclass(frozen=True)
class Define:
    """One ``-DNAME=value`` of a superbuild's cmake command line."""

    name: str
    value: str
    """With the calling file's variables substituted."""
    set_at: tuple[int, ...]
    """Lines of the calling file that set the variables the value was built from
    (``set(FALCOSECURITY_LIBS_VERSION "0.11.3")`` under ``if(NOT ...)``)."""


@dataclass(frozen=True)
class SubBuild:
    """``execute_process(COMMAND ${CMAKE_COMMAND} -DVAR=... DIR)``: a superbuild configuring
    a sub-project of the tree with variables of its own."""

    target: str
    """The sub-project directory, root-relative when resolvable."""
    line: int
    defines: tuple[Define, ...]


@dataclass(frozen=True)
class FileFacts:
    """What one CMake file says: its calls, options, downloads and module paths."""

    path: str
    lines: tuple[str, ...]
    calls: tuple[Call, ...]
    options: tuple[OptionDef, ...]
    downloads: tuple[Download, ...]
    module_paths: tuple[str, ...]
    """Directories appended to ``CMAKE_MODULE_PATH`` (root-relative when resolvable)."""
    sub_builds: tuple[SubBuild, ...] = ()

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""


def _arg_text(arg: Arg) -> str:
    return f'"{arg.value}"' if arg.quoted else arg.value


def _simple(text: str) -> bool:
    return bool(text) and not any(c.isspace() for c in text)


def _wrap(text: str) -> str:
    return text if _simple(text) else f"({text})"


def _conjoin(parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) == 1:
        return parts[0]
    return " AND ".join(_wrap(p) for p in parts)


def _negate(text: str) -> str:
    inner = text[4:] if text.startswith("NOT ") else None
    if inner is not None and _simple(inner):
        return inner
    return f"NOT {_wrap(text)}"


@dataclass
class _Branch:
    """The if()/elseif()/else() branch a command sits in."""

    prior: list[str]
    """Conditions of the earlier if()/elseif() branches (all false here)."""
    current: str | None

    def parts(self) -> list[str]:
        return [_negate(p) for p in self.prior if p] + [self.current or ""]


def _relative(value: str, here: str, module: bool = False) -> str:
    """Substitute the directory variables CMake sets for a file of the tree.

    In a module (``*.cmake``) ``CMAKE_CURRENT_SOURCE_DIR`` is the directory of the file that
    includes it, not its own: the top-level one, as modules are commonly included from it."""
    for var in _HERE_VARS:
        dirname = "" if module and var == "CMAKE_CURRENT_SOURCE_DIR" else here
        value = value.replace("${" + var + "}", dirname if dirname else "")
    for var in _ROOT_VARS:
        value = value.replace("${" + var + "}", "")
    return value


def file_facts(path: str, text: str) -> FileFacts:
    """What one CMake file calls, defines and downloads, with the conditions around each."""
    return with_lines(parsed_facts(path, text), text)


def with_lines(facts: FileFacts, text: str) -> FileFacts:
    """``facts`` holding the lines of ``text``, the file they were read from."""
    return replace(facts, lines=tuple(text.splitlines()))


def parsed_facts(path: str, text: str) -> FileFacts:
    """:func:`file_facts` without the file's lines (``lines`` is empty): a pure function of
    the path and the text, kept between runs (:func:`analyze`'s ``parse``)."""
    parsed = parse_cmake(text)
    here = posixpath.dirname(path)
    variables: dict[str, str] = {}
    stack: list[_Branch] = []
    calls: list[Call] = []
    options: list[OptionDef] = []
    downloads: list[Download] = []
    module_paths: list[str] = []
    sub_builds: list[SubBuild] = []
    set_at: dict[str, int] = {}
    module = path.endswith(".cmake")

    def condition() -> str:
        return _conjoin([p for b in stack for p in b.parts()])

    def value(arg: Arg) -> str:
        return _relative(expand(arg.value, variables)[0], here, module)

    for cmd in parsed.commands:
        name, args = cmd.name, cmd.args
        if name == "if":
            stack.append(_Branch([], " ".join(_arg_text(a) for a in args)))
        elif name == "elseif" and stack:
            top = stack[-1]
            top.prior.append(top.current or "")
            top.current = " ".join(_arg_text(a) for a in args)
        elif name == "else" and stack:
            top = stack[-1]
            top.prior.append(top.current or "")
            top.current = None
        elif name == "endif" and stack:
            stack.pop()
        elif name == "set" and args:
            _set(variables, options, path, cmd)
            set_at[args[0].value] = cmd.line
        elif name == "execute_process":
            sub = _sub_build(cmd, variables, set_at, value)
            if sub is not None:
                sub_builds.append(sub)
                calls.append(Call(name, sub.target, cmd.line, condition()))
        elif name in ("option", "cmake_dependent_option") and args:
            default = value(args[2]) if len(args) > 2 else "OFF"
            options.append(OptionDef(args[0].value, default, path, cmd.line))
        elif name in ("include", "add_subdirectory", "find_package") and args:
            calls.append(Call(name, value(args[0]), cmd.line, condition()))
        elif name == "list" and len(args) >= 3 and args[1].value == "CMAKE_MODULE_PATH":
            if args[0].value in ("APPEND", "PREPEND", "INSERT"):
                start = 3 if args[0].value == "INSERT" else 2
                module_paths.extend(value(a) for a in args[start:])
        elif name in _DOWNLOADS or (name == "file" and args and args[0].value == "DOWNLOAD"):
            last = max([cmd.line, *(a.line for a in args)])
            downloads.append(Download(cmd.line, last, condition()))
    return FileFacts(
        path,
        (),
        tuple(calls),
        tuple(options),
        tuple(downloads),
        tuple(module_paths),
        tuple(sub_builds),
    )


_CMAKE_COMMANDS = frozenset({"${CMAKE_COMMAND}", "cmake"})
_EXECUTE_KEYWORDS = frozenset(
    {
        "COMMAND", "WORKING_DIRECTORY", "TIMEOUT", "RESULT_VARIABLE", "RESULTS_VARIABLE",
        "OUTPUT_VARIABLE", "ERROR_VARIABLE", "INPUT_FILE", "OUTPUT_FILE", "ERROR_FILE",
        "OUTPUT_QUIET", "ERROR_QUIET", "COMMAND_ECHO", "OUTPUT_STRIP_TRAILING_WHITESPACE",
        "ERROR_STRIP_TRAILING_WHITESPACE", "ENCODING", "ECHO_OUTPUT_VARIABLE",
        "ECHO_ERROR_VARIABLE", "COMMAND_ERROR_IS_FATAL",
    }
)  # fmt: skip
_VALUE_OPTIONS = frozenset({"-G", "-T", "-A", "-C", "-U", "-B", "--toolchain", "--preset"})


def _sub_build(
    cmd: Command,
    variables: Mapping[str, str],
    set_at: Mapping[str, int],
    value: Callable[[Arg], str],
) -> SubBuild | None:
    """The first ``COMMAND ${CMAKE_COMMAND} ... DIR`` of an ``execute_process`` that
    configures a source directory (``--build``, ``-E`` and ``-P`` runs configure nothing)."""
    args = list(cmd.args)
    for i, arg in enumerate(args):
        if arg.quoted or arg.value != "COMMAND" or i + 1 >= len(args):
            continue
        if args[i + 1].value not in _CMAKE_COMMANDS:
            continue
        words: list[Arg] = []
        for word in args[i + 2 :]:
            if not word.quoted and word.value in _EXECUTE_KEYWORDS:
                break
            words.append(word)
        return _cmake_command_line(words, cmd.line, variables, set_at, value)
    return None


def _cmake_command_line(
    words: Sequence[Arg],
    line: int,
    variables: Mapping[str, str],
    set_at: Mapping[str, int],
    value: Callable[[Arg], str],
) -> SubBuild | None:
    defines: list[Define] = []
    target: str | None = None
    pending: str | None = None
    for word in words:
        text = word.value
        if pending is not None:
            if pending == "-D":
                text = "-D" + text
            elif pending == "-S":
                target = value(word)
                pending = None
                continue
            else:
                pending = None
                continue
            pending = None
        if text in NO_CONFIGURE:
            return None
        if text in ("-D", "-S") or text in _VALUE_OPTIONS:
            pending = text
            continue
        m = DEFINE.fullmatch(text)
        if m:
            raw = m[2]
            if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                raw = raw[1:-1]
            got, used = expand(raw, variables)
            if unresolved_names(got):
                continue  # a value the tree does not supply is not passed on
            lines = tuple(sorted({set_at[n] for n in used if n in set_at}))
            defines.append(Define(m[1], got, lines))
        elif text.startswith("-S") and len(text) > 2:
            target = value(Arg(text[2:], word.line, word.quoted))
        elif not text.startswith("-") and target is None:
            target = value(word)
    if target is None:
        return None
    if not unresolved_names(target):
        target = posixpath.normpath(target.lstrip("/")) if target.strip("/") else "."
    return SubBuild(target, line, tuple(defines))


def _set(
    variables: dict[str, str],
    options: list[OptionDef],
    path: str,
    cmd: Command,
) -> None:
    args = cmd.args
    name = args[0].value
    rest = list(args[1:])
    cache = next((i for i, a in enumerate(rest) if not a.quoted and a.value == "CACHE"), None)
    if cache is not None:
        if cache >= 1:
            value = expand(rest[0].value, variables)[0]
            options.append(OptionDef(name, value, path, cmd.line, cache=True))
        return
    if rest and not rest[-1].quoted and rest[-1].value == "PARENT_SCOPE":
        rest = rest[:-1]
    if not rest:
        variables.pop(name, None)
        return
    variables[name] = ";".join(expand(a.value, variables)[0] for a in rest)


# Conditions --------------------------------------------------------------------------------


def truth(word: str) -> bool | None:
    """CMake's truth of a constant; None when the word is not a constant."""
    upper = word.upper()
    if upper in _TRUE:
        return True
    if upper in _FALSE or upper.endswith("-NOTFOUND"):
        return False
    try:
        return float(word) != 0
    except ValueError:
        return None


class _Parser:
    """Recursive descent over CMake's if() grammar, three-valued (None = unknown)."""

    def __init__(self, tokens: list[str], lookup: Mapping[str, bool | None]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.lookup = lookup

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str | None:
        tok = self.peek()
        self.pos += 1
        return tok

    def parse(self) -> bool | None:
        result = self.or_expr()
        return result if self.pos == len(self.tokens) else None

    def or_expr(self) -> bool | None:
        left = self.and_expr()
        while self.peek() == "OR":
            self.take()
            right = self.and_expr()
            left = (
                True
                if left is True or right is True
                else (None if None in (left, right) else False)
            )
        return left

    def and_expr(self) -> bool | None:
        left = self.not_expr()
        while self.peek() == "AND":
            self.take()
            right = self.not_expr()
            left = (
                False
                if left is False or right is False
                else (None if None in (left, right) else True)
            )
        return left

    def not_expr(self) -> bool | None:
        if self.peek() == "NOT":
            self.take()
            inner = self.not_expr()
            return None if inner is None else not inner
        return self.primary()

    def primary(self) -> bool | None:
        tok = self.take()
        if tok is None or tok in (")", "AND", "OR"):
            self.pos = len(self.tokens) + 1  # malformed: parse() returns None
            return None
        if tok == "(":
            inner = self.or_expr()
            if self.take() != ")":
                self.pos = len(self.tokens) + 1
                return None
            return inner
        if tok in _UNARY:
            self.take()
            return None
        if self.peek() in _BINARY:
            self.take()
            self.take()
            return None
        return self.word(tok)

    def word(self, tok: str) -> bool | None:
        if tok.startswith('"'):
            inner = tok[1:-1]
            m = _VAR.fullmatch(inner)
            if m:
                return self.lookup.get(m[1])
            return truth(inner) if "$" not in inner else None
        m = _VAR.fullmatch(tok)
        if m:
            return self.lookup.get(m[1])
        constant = truth(tok)
        if constant is not None:
            return constant
        if _IDENT.fullmatch(tok):
            return self.lookup.get(tok)
        return None


def evaluate_condition(text: str, values: Mapping[str, bool | None]) -> bool | None:
    """The truth of an if() condition given variable values (missing ones are unknown).

    The parser takes the same tokens whatever the values: a condition's truth is a function
    of the values of the names it looks up, remembered by those values (a tree's
    conditions are evaluated with the defaults and again for every cmake command line)."""
    if not text:
        return True
    names = _looked_up(text)
    if names is None:
        return None
    return _evaluate(text, tuple(values.get(n) for n in names))


class _Names(dict[str, bool | None]):
    """A lookup that notes the names asked for (all unknown)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def get(self, name: str, default: object = None) -> bool | None:
        self.asked.append(name)
        return None


@lru_cache(maxsize=4096)
def _looked_up(text: str) -> tuple[str, ...] | None:
    """The names the parser looks up in a condition, in order (None: too long to judge)."""
    tokens = _TOKEN.findall(text)
    if len(tokens) > _MAX_TOKENS:
        return None
    names = _Names()
    _Parser(tokens, names).parse()
    return tuple(dict.fromkeys(names.asked))


@lru_cache(maxsize=4096)
def _evaluate(text: str, looked_up: tuple[bool | None, ...]) -> bool | None:
    names = _looked_up(text) or ()
    return _Parser(_TOKEN.findall(text), dict(zip(names, looked_up, strict=True))).parse()


def condition_names(text: str, names: Mapping[str, object]) -> tuple[str, ...]:
    """The option names a condition mentions, in order."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        m = _VAR.fullmatch(tok.strip('"'))
        name = m[1] if m else tok
        if name in names and name not in out:
            out.append(name)
    return tuple(out)


# The tree --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """How the build reaches one CMake file."""

    status: str
    """entry, included, gated or unused."""
    via: str = ""
    """included: the first ``path:line`` that includes it; gated: the condition."""
    options: tuple[str, ...] = ()
    """gated: the options that decide the condition."""


@dataclass(frozen=True)
class Link:
    """One CMake file reaching another (include, add_subdirectory...)."""

    src: str
    dst: str
    call: Call
    active: bool | None
    """The call's condition with option defaults (None: unknown, counted as active)."""


@dataclass(frozen=True)
class Analysis:
    """Which CMake files and downloads a build reaches, under which options."""

    files: Mapping[str, FileFacts]
    reach: Mapping[str, Reach]
    links: tuple[Link, ...]
    options: Mapping[str, OptionDef]
    values: Mapping[str, bool | None]
    """Each option's default truth."""
    judged: bool
    """False when unused files cannot be told (no top-level file, opaque include)."""
    reason: str = ""
    builds: tuple[tuple[BuildConfig, Mapping[str, bool | None]], ...] = ()
    """The repository's cmake command lines (CI steps, Dockerfiles) with each option's truth
    in that configuration (see :mod:`audit.cmake_cli`), the first of each distinct set of
    truths."""

    def active(self, condition: str) -> bool | None:
        """A condition over every configuration: true when the defaults or any command
        line make it true (the union), false when all make it false, else unknown."""
        return active_in(condition, self.values, self.builds)

    def enabled_by(self, condition: str) -> BuildConfig | None:
        """The first command line that makes a condition the defaults leave false true."""
        if evaluate_condition(condition, self.values) is not False:
            return None
        return next((b for b, v in self.builds if evaluate_condition(condition, v)), None)


def active_in(
    condition: str,
    values: Mapping[str, bool | None],
    builds: Sequence[tuple[BuildConfig, Mapping[str, bool | None]]],
) -> bool | None:
    """:meth:`Analysis.active` before there is an analysis."""
    found = evaluate_condition(condition, values)
    if found is True or not builds:
        return found
    for _, build_values in builds:
        got = evaluate_condition(condition, build_values)
        if got is True:
            return True
        if got is None:
            found = None
    return found


def _build_values(
    options: Mapping[str, OptionDef], builds: Sequence[BuildConfig]
) -> tuple[tuple[BuildConfig, Mapping[str, bool | None]], ...]:
    """Each command line's option truths: its ``-D`` values over the defaults (a ``-D``
    sets the cache entry first, so neither ``option()`` nor a ``set(... CACHE ...)``
    without FORCE changes it). Only the first command line of each distinct set of truths
    is kept: the others make the same calls (a tree's copies of one CI job make them all
    again, for every condition)."""
    out = []
    seen: set[frozenset[tuple[str, bool | None]]] = set()
    for b in builds:
        merged = dict(options)
        for name, value in b.defines:
            merged[name] = OptionDef(name, value, b.path, b.line)
        values = _option_values(merged)
        key = frozenset(values.items())
        if key not in seen:
            seen.add(key)
            out.append((b, values))
    return tuple(out)


def _option_values(options: Mapping[str, OptionDef]) -> dict[str, bool | None]:
    def value(name: str, depth: int) -> bool | None:
        opt = options.get(name)
        if opt is None or depth > _MAX_OPTION_DEPTH:
            return None
        text = opt.default.strip()
        m = _VAR.fullmatch(text)
        if m:
            return value(m[1], depth + 1)
        if unresolved_names(text):
            return None
        return truth(text)

    return {name: value(name, 0) for name in options}


def _collect_options(files: Mapping[str, FileFacts]) -> dict[str, OptionDef]:
    out: dict[str, OptionDef] = {}
    order = sorted(files, key=lambda p: (p != ENTRY, p.count("/"), p))
    for path in order:
        for opt in files[path].options:
            out.setdefault(opt.name, opt)
    return out


class _Resolver:
    def __init__(self, files: Mapping[str, FileFacts]) -> None:
        self.files = files
        self.by_base: dict[str, list[str]] = {}
        for p in sorted(files):
            self.by_base.setdefault(posixpath.basename(p).lower(), []).append(p)
        dirs: set[str] = set()
        for facts in files.values():
            for d in facts.module_paths:
                if not unresolved_names(d):
                    dirs.add(posixpath.normpath(d.lstrip("/")) if d.strip("/") else "")
        self.module_dirs = dirs
        self._near: dict[tuple[tuple[str, ...], bool], dict[str, list[str]]] = {}

    def nearest(self, names: tuple[str, ...], here: str, modules_first: bool = False) -> list[str]:
        """The tree files named one of ``names`` (lower-case base names) nearest ``here``
        (see :func:`_nearest`); ``modules_first``: those in a ``CMAKE_MODULE_PATH``
        directory, if any, before the others. The index of each name set is built once, so
        that a tree of many projects with same-named modules costs a walk up ``here`` per
        call, not a pass over every project's modules."""
        index = self._near.get((names, modules_first))
        if index is None:
            found = [p for n in names for p in self.by_base.get(n, [])]
            if modules_first:
                found = [p for p in found if posixpath.dirname(p) in self.module_dirs] or found
            index = self._near[names, modules_first] = _by_ancestor(found)
        return _nearest_in(index, here)

    def _clean(self, path: str) -> str | None:
        path = posixpath.normpath(path.lstrip("/"))
        return None if path.startswith("..") else path

    def targets(self, src: str, call: Call) -> tuple[list[str], bool]:
        """``(paths, opaque)``: the tree files a call designates; opaque: cannot tell."""
        here = posixpath.dirname(src)
        target = call.target
        if call.command == "find_package":
            name = target.lower()
            names = (f"find{name}.cmake", f"{name}config.cmake", f"{name}-config.cmake")
            return self.nearest(names, here), False
        if any(target.startswith("${" + v + "}") for v in _BINARY_VARS):
            return [], False  # the build directory: downloaded or generated, not this tree
        if unresolved_names(target):
            base = posixpath.basename(target)
            if call.command == "include" and base.endswith(".cmake") and "$" not in base:
                return self.nearest((base.lower(),), here), False
            return [], True
        if call.command in ("add_subdirectory", "execute_process"):
            for cand in (posixpath.join(here, target), target):
                clean = self._clean(posixpath.join(cand, ENTRY))
                if clean and clean in self.files:
                    return [clean], False
            return [], False
        if "/" in target or target.endswith(".cmake"):
            for cand in (posixpath.join(here, target), target):
                clean = self._clean(cand)
                if clean and clean in self.files:
                    return [clean], False
            return [], False
        return self.nearest((f"{target}.cmake".lower(),), here, modules_first=True), False


def _nearest(paths: list[str], here: str) -> list[str]:
    """Those of ``paths`` that share the most leading directories with ``here`` (the
    including file's directory), in their order: a module of the including project before
    a same-named module of another project in the tree (several CMake projects side by
    side)."""
    return _nearest_in(_by_ancestor(paths), here)


def _by_ancestor(paths: list[str]) -> dict[str, list[str]]:
    """Each directory holding one of ``paths``, at any depth ("" the root: all of them),
    to those paths, in their order."""
    index: dict[str, list[str]] = {}
    for p in paths:
        for directory in _upwards(posixpath.dirname(p)):
            index.setdefault(directory, []).append(p)
    return index


def _nearest_in(index: dict[str, list[str]], here: str) -> list[str]:
    """The paths of the deepest directory of ``here`` (itself, then its parents) that holds
    any (:func:`_by_ancestor`): those sharing the most leading directories with ``here``."""
    for directory in _upwards(here):
        found = index.get(directory)
        if found is not None:
            return list(found)
    return []


def _upwards(directory: str) -> Iterator[str]:
    """``directory`` and each directory above it, the root ("") last (for a root-relative
    path; an absolute one ends at "/")."""
    while True:
        yield directory
        parent = posixpath.dirname(directory)
        if parent == directory:
            return
        directory = parent


def analyze(
    texts: Mapping[str, str],
    settings: Mapping[str, OptionDef] | None = None,
    builds: Sequence[BuildConfig] = (),
    parse: Callable[[str, str], FileFacts] = parsed_facts,
) -> Analysis:
    """The include graph, reach and option defaults of one tree's CMake files.

    ``settings``: cache variables the build that includes this tree sets before it does
    (see :func:`cache_settings`); they win over the tree's own ``option()`` defaults, as an
    ``option()`` never overrides a cache entry that exists. ``builds``: the repository's
    cmake command lines; a call any of them (or the defaults) makes is made (the union).
    ``parse``: :func:`parsed_facts`, or what remembers its results (a warm scan's
    :class:`audit.scancache.PerText`)."""
    files = {p: with_lines(parse(p, t), t) for p, t in sorted(texts.items())}
    options = _collect_options(files)
    options.update(settings or {})
    values = _option_values(options)
    configs = _build_values(options, builds)
    resolver = _Resolver(files)
    links: list[Link] = []
    opaque: list[str] = []
    actives: dict[str, bool | None] = {}  # per condition: a tree repeats its conditions
    for src in sorted(files):
        for call in files[src].calls:
            paths, dark = resolver.targets(src, call)
            if dark:
                opaque.append(f"{src}:{call.line}")
            if call.condition not in actives:
                actives[call.condition] = active_in(call.condition, values, configs)
            active = actives[call.condition]
            links.extend(Link(src, dst, call, active) for dst in paths if dst != src)
    if ENTRY not in files:
        included = {p: Reach(INCLUDED) for p in files}
        return Analysis(
            files, included, tuple(links), options, values, False, "no top-level file", configs
        )
    reach: dict[str, Reach] = {ENTRY: Reach(ENTRY_POINT)}
    out: dict[str, list[Link]] = {}
    for link in links:
        out.setdefault(link.src, []).append(link)
    queue = [ENTRY]
    gated: list[tuple[str, Reach]] = []
    while queue:
        src = queue.pop(0)
        for link in out.get(src, []):
            if link.active is False:
                names = condition_names(link.call.condition, options)
                gated.append((link.dst, Reach(GATED, link.call.condition, names)))
            elif link.dst not in reach:
                reach[link.dst] = Reach(INCLUDED, f"{src}:{link.call.line}")
                queue.append(link.dst)
    unresolved = [o for o in opaque if o.split(":", 1)[0] in reach]
    while gated:
        dst, why = gated.pop(0)
        if dst in reach:
            continue
        reach[dst] = why
        gated.extend((link.dst, why) for link in out.get(dst, []))
    for p in files:
        reach.setdefault(p, Reach(UNUSED))
    if unresolved:
        for p, r in list(reach.items()):
            if r.status == UNUSED:
                reach[p] = Reach(INCLUDED, "unknown: an include could not be resolved")
        reason = "includes that cannot be resolved: " + ", ".join(unresolved[:3])
        return Analysis(files, reach, tuple(links), options, values, False, reason, configs)
    return Analysis(files, reach, tuple(links), options, values, True, "", configs)


def cache_settings(analysis: Analysis, parent: str) -> dict[str, OptionDef]:
    """The ``set(NAME value CACHE ...)`` of the files a build reaches: what it decides for
    the trees it includes (falco-0.35.1 cmake/modules/falcosecurity-libs.cmake:20
    ``set(USE_BUNDLED_DRIVER OFF CACHE BOOL "")`` before it includes libs' modules).
    ``parent`` labels the tree they come from. A value built from other variables stays as
    written (its truth is unknown unless it names a setting)."""
    out: dict[str, OptionDef] = {}
    for opt in analysis.options.values():
        if not opt.cache:
            continue
        reach = analysis.reach.get(opt.path)
        if reach is None or reach.status not in (ENTRY_POINT, INCLUDED):
            continue
        out[opt.name] = replace(opt, parent=opt.parent or parent)
    return out


def not_built(analysis: Analysis, directory: str) -> Reach | None:
    """The reach of ``directory/CMakeLists.txt`` when a build does not reach it: gated, or
    unused where that can be told; None when it is built or there is no such file."""
    path = f"{directory}/{ENTRY}" if directory not in ("", ".") else ENTRY
    reach = analysis.reach.get(path)
    if reach is None:
        return None
    if reach.status == GATED or (reach.status == UNUSED and analysis.judged):
        return reach
    return None


# Applying it to a tree's inventory --------------------------------------------------------


def _node_path(node_id: str) -> str | None:
    return node_id.removeprefix("build-file:") if node_id.startswith("build-file:") else None


Where = Callable[[str], str]
"""How a message names a tree path (a bundled tree's label prefix, or as it is)."""


def _same(path: str) -> str:
    return path


def option_text(analysis: Analysis, names: Sequence[str], where: Where) -> str:
    parts = []
    for name in names:
        opt = analysis.options[name]
        value = analysis.values.get(name)
        shown = "ON" if value is True else "OFF" if value is False else opt.default
        if opt.parent:
            at = opt.path if opt.parent == "." else f"{opt.parent}:{opt.path}"
            parts.append(f"{name} is set to {shown} by the including build ({at}:{opt.line})")
        else:
            parts.append(f"option {name} defaults to {shown} ({where(opt.path)}:{opt.line})")
    return "; ".join(parts)


@dataclass(frozen=True)
class _Decl:
    """A download or dependency edge with whether, and under what, a build uses it."""

    edge: Edge
    active: bool
    reason: str
    condition: str
    options: tuple[str, ...]
    kind: str
    """active, unused, gated or condition."""
    enabled_by: BuildConfig | None = None
    """The command line that makes an otherwise gated download (union of builds)."""


def _declaration(analysis: Analysis, edge: Edge, where: Where) -> _Decl:
    path = _node_path(edge.src)
    facts = analysis.files.get(path or "")
    if facts is None or edge.evidence is None:
        return _Decl(edge, True, "", "", (), "active")
    line = edge.evidence.line
    span = next((d for d in facts.downloads if d.first <= line <= d.last), None)
    condition = span.condition if span else ""
    names = condition_names(condition, analysis.options)
    reach = analysis.reach.get(facts.path, Reach(INCLUDED))
    if analysis.judged and reach.status == UNUSED:
        reason = f"declared in {where(facts.path)}, which nothing includes (an unused module)"
        return _Decl(edge, False, reason, condition, names, "unused")
    if reach.status == GATED:
        opts = option_text(analysis, reach.options, where)
        reason = f"{where(facts.path)} is included only when {reach.via}"
        reason += f"; {opts}" if opts else ""
        return _Decl(edge, False, reason, reach.via, reach.options, "gated")
    if analysis.active(condition) is False:
        opts = option_text(analysis, names, where)
        reason = f"downloaded only when {condition}" + (f"; {opts}" if opts else "")
        return _Decl(edge, False, reason, condition, names, "condition")
    enabled = analysis.enabled_by(condition)
    return _Decl(edge, True, "", condition, names, "active", enabled)


def apply(
    inventory: Inventory, analysis: Analysis, where: Where = _same
) -> tuple[Inventory, tuple[Finding, ...]]:
    """Add include edges, drop the downloads a default build does not make, say why.

    A download all of whose declarations are inactive keeps its component (with an
    ``inactive`` property naming the reason and ``cmake_options``) but loses its ``bundles``
    edges, so that it is not counted as shipped. Findings: ``unused-build-file`` for each
    unused file that declares downloads, ``conditional-download`` for each gated download.
    ``where`` names tree paths in messages (evidence paths stay relative to the tree).
    Sub-projects a superbuild configures are read again with the variables it passes
    (:func:`superbuilds`) first.
    """
    inventory = superbuilds(inventory, analysis)
    node_ids = {n.id for n in inventory.nodes}
    comps = {c.id: c for c in inventory.components}
    edges: list[Edge] = []
    decls: dict[str, list[_Decl]] = {}
    for e in inventory.edges:
        if (
            e.relation == Relation.BUNDLES
            and e.dst in comps
            and _node_path(e.src) in analysis.files
        ):
            decls.setdefault(e.dst, []).append(_declaration(analysis, e, where))
        else:
            edges.append(e)
    for link in analysis.links:
        src, dst = f"build-file:{link.src}", f"build-file:{link.dst}"
        if src not in node_ids or dst not in node_ids:
            continue
        facts = analysis.files[link.src]
        how = f"{link.call.command}({link.call.target})"
        if link.call.condition:
            how += f" if {link.call.condition}"
        ev = Evidence(link.src, link.call.line, facts.line(link.call.line), NAME)
        edges.append(Edge(src, dst, Relation.INCLUDES, ev, how))
    findings: list[Finding] = []
    unused_downloads: dict[str, list[_Decl]] = {}
    new_comps: dict[str, Component] = {}
    for cid, items in sorted(decls.items()):
        comp = comps[cid]
        props = dict(comp.properties)
        first = next((d for d in items if d.condition), None)
        if first is not None:
            props["cmake_condition"] = first.condition
        names = sorted({n for d in items for n in d.options})
        if names:
            props["cmake_options"] = ",".join(names)
        active = [d for d in items if d.active]
        edges.extend(d.edge for d in active)
        if not active:
            props["inactive"] = "; ".join(dict.fromkeys(d.reason for d in items))
        built_by = [d.enabled_by for d in active if d.enabled_by is not None]
        if built_by and len(built_by) == len(active):
            b = built_by[0]
            wanted = [f"{n}={v}" for n, v in b.defines if n in {*names}] or [
                f"{n}={v}" for n, v in b.defines
            ]
            # the command lines are the scanned root's (a pinned tree shows their path as is;
            # only the root's own downloads take the line as evidence)
            props["cmake_enabled_by"] = f"{' '.join(wanted)} ({b.location})"
            if where(b.path) == b.path:
                line = Evidence(b.path, b.line, b.text, NAME)
                comp = replace(comp, evidence=tuple(sorted({*comp.evidence, line})))
        for d in items:
            if d.kind == "unused" and not active:
                unused_downloads.setdefault(d.edge.src, []).append(d)
        gated = [d for d in items if d.kind in ("gated", "condition")]
        if gated and not active:
            findings.append(_gated_finding(analysis, comp, gated))
        new_comps[cid] = replace(comp, properties=tuple(sorted(props.items())))
    for src, items in sorted(unused_downloads.items()):
        path = _node_path(src) or src
        downloads = ", ".join(sorted({comps[d.edge.dst].name for d in items}))
        findings.append(
            Finding(
                "unused-build-file",
                src,
                f"{where(path)} is included by no CMakeLists.txt or module the build reaches "
                f"from {where(ENTRY)}: it is unused, so what it downloads ({downloads}) is not "
                "built and is not counted as shipped",
                tuple(sorted({d.edge.evidence for d in items if d.edge.evidence})),
            )
        )
    nodes = [_with_reach(n, analysis) for n in inventory.nodes]
    components = tuple(new_comps.get(c.id, c) for c in inventory.components)
    return (
        replace(
            inventory,
            components=components,
            nodes=tuple(nodes),
            edges=tuple(sorted(unique_edges(edges), key=edge_key)),
        ),
        tuple(findings),
    )


def superbuilds(inventory: Inventory, analysis: Analysis) -> Inventory:
    """Read each sub-project a superbuild configures with the ``-D`` variables passed to it.

    ``execute_process(COMMAND ${CMAKE_COMMAND} -DFALCOSECURITY_LIBS_VERSION=... DIR)``: the
    sub-project's ``CMakeLists.txt`` read alone holds ``${FALCOSECURITY_LIBS_VERSION}``
    unresolved; read with the value the caller passes (its ``if(NOT X) set(X default)``), its
    downloads get their URL and version. What the file gave alone (components, ``bundles``
    edges, problems of the cmake scanner) is replaced by what it gives with the variables.
    Each download found so carries, besides its own line, the evidence of the
    ``execute_process`` line and of the lines that set the values passed
    (property ``superbuild``: ``cmake/modules/driver.cmake:34``; ``cmake_defines``).
    """
    from audit.scanners import cmake
    from audit.scanners.base import SourceFile

    runs: dict[str, list[tuple[FileFacts, SubBuild]]] = {}
    for link in analysis.links:
        if link.call.command != "execute_process":
            continue
        caller = analysis.files[link.src]
        for sub in caller.sub_builds:
            if sub.line == link.call.line and sub.defines:
                runs.setdefault(link.dst, []).append((caller, sub))
    if not runs:
        return inventory
    comps = {c.id: c for c in inventory.components}
    edges = list(inventory.edges)
    problems = list(inventory.problems)
    for dst, callers in sorted(runs.items()):
        node = f"build-file:{dst}"
        old = {e.dst for e in edges if e.src == node and e.relation == Relation.BUNDLES}
        edges = [e for e in edges if not (e.src == node and e.relation == Relation.BUNDLES)]
        still = {e.dst for e in edges}
        for cid in old - still:
            comps.pop(cid, None)
        problems = [p for p in problems if not (p.path == dst and p.scanner == cmake.NAME)]
        text = "\n".join(analysis.files[dst].lines)
        source = SourceFile(dst, text)
        for caller, sub in callers:
            initial = {d.name: d.value for d in sub.defines}
            result = cmake.evaluate(source, cmake.parse_cmake(text), initial)
            passed = [Evidence(caller.path, sub.line, caller.line(sub.line).strip(), NAME)]
            for line in sorted({n for d in sub.defines for n in d.set_at}):
                passed.append(Evidence(caller.path, line, caller.line(line).strip(), NAME))
            extra = {
                "superbuild": f"{caller.path}:{sub.line}",
                "cmake_defines": ",".join(f"{d.name}={d.value}" for d in sub.defines),
            }
            for comp in result.components:
                props = dict(comp.properties)
                props.update(extra)
                found = replace(
                    comp,
                    evidence=(*comp.evidence, *passed),
                    properties=tuple(sorted(props.items())),
                )
                prev = comps.get(comp.id)
                if prev is not None:
                    found = replace(
                        prev, evidence=tuple(dict.fromkeys((*prev.evidence, *found.evidence)))
                    )
                comps[comp.id] = found
            edges.extend(result.edges)
            problems.extend(result.problems)
    return replace(
        inventory,
        components=tuple(comps[k] for k in sorted(comps)),
        edges=tuple(sorted(unique_edges(edges), key=edge_key)),
        problems=tuple(sorted(set(problems))),
    )


def _gated_finding(analysis: Analysis, comp: Component, gated: list[_Decl]) -> Finding:
    d = gated[0]
    evidence: set[Evidence] = {x.edge.evidence for x in gated if x.edge.evidence}
    for name in d.options:
        opt = analysis.options[name]
        if opt.parent:
            continue  # a line of another tree: named in the message
        facts = analysis.files.get(opt.path)
        evidence.add(Evidence(opt.path, opt.line, facts.line(opt.line) if facts else "", NAME))
    what = f"{comp.name} {comp.version}" if comp.version else comp.name
    return Finding(
        "conditional-download",
        comp.id,
        f"{what} is not fetched by a default build: {d.reason}. It is not counted as "
        "shipped; a build that turns the option on ships it",
        tuple(sorted(evidence)),
    )


def _with_reach(node: Node, analysis: Analysis) -> Node:
    path = _node_path(node.id)
    reach = analysis.reach.get(path or "")
    if reach is None or (not analysis.judged and reach.status != GATED):
        return node
    props = dict(node.properties)
    props["cmake_reach"] = reach.status
    if reach.status == GATED:
        props["cmake_condition"] = reach.via
    return replace(node, properties=tuple(sorted(props.items())))


__all__ = [
    "ENTRY",
    "GATED",
    "INCLUDED",
    "UNUSED",
    "Analysis",
    "Call",
    "Define",
    "FileFacts",
    "OptionDef",
    "Reach",
    "SubBuild",
    "analyze",
    "apply",
    "cache_settings",
    "condition_names",
    "evaluate_condition",
    "file_facts",
    "not_built",
    "option_text",
    "parsed_facts",
    "superbuilds",
    "truth",
    "with_lines",
]

"""Reading a script command by command: assignments, wrappers, nested shells, then handlers.

The interpreter keeps the variables a script sets (``NAME=value``, ``export``) so later
words expand with them, peels wrappers such as ``sudo``/``env``/``timeout`` off a command,
follows ``sh -c '...'`` up to :data:`audit.shell.parse.MAX_NESTING` deep, and hands every
other command to its handler (:mod:`audit.shell.commands`).
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence

from audit.model import ScanResult
from audit.scanners.base import SourceFile
from audit.shell.commands import handler_for
from audit.shell.conditions import evaluate
from audit.shell.lexer import Word
from audit.shell.options import Arg, options, positionals
from audit.shell.parse import MAX_NESTING, Guard, parse
from audit.shell.record import ARCHITECTURES, Recorder, in_cwd
from audit.shell.scope import Scope
from audit.shell.words import expand_text, expand_word

MAX_SCRIPT_CHARS = 1_000_000
"""Scripts longer than this are not read (a Problem says so)."""

LineOf = Callable[[int], int]
"""Script offset → file line."""

_ASSIGN_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_RESERVED_PREFIX = frozenset(
    {"if", "then", "elif", "else", "do", "while", "until", "!", "{", "time"}
)
_RESERVED_SKIP = frozenset({"for", "case", "select", "function", "fi", "done", "esac", "}", "in"})
_DECLARE = frozenset({"export", "readonly", "declare", "local", "typeset"})
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash", "ksh"})
_VERBS = frozenset({"install", "add", "clone", "pull", "run", "build", "get"})
_MAX_WRAPPERS = 8

_MAKES = frozenset({"make", "gmake"})
_MAKE_LONG = frozenset({"--directory", "--file", "--makefile", "--jobs", "--load-average"})
_SCRIPT_RE = re.compile(r"\.{0,2}/?(?:[\w.\-]+/)*[\w.\-]+\.(?:sh|bash)|\./[\w.\-/]+")
"""A command naming a script file: ``./x``, ``hack/build.sh``."""

_MACHINE_WORDS = ("$(uname -m)", "`uname -m`", "$(uname --machine)", "$(arch)")
"""Command substitutions that print the machine name (``x86_64``)."""
_GOARCH_WORDS = ("$(dpkg --print-architecture)", "$(go env GOARCH)")
"""Command substitutions that print the Go/Debian architecture name (``amd64``)."""
_ARCH_VARIABLES = frozenset({"TARGETARCH", "BUILDARCH"})
"""BuildKit's automatic platform arguments (Go names)."""

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
    "xargs": ("EILPnsda", frozenset({"--max-args", "--max-procs", "--delimiter"}), 0),
}


class Interpreter:
    """Reads the commands of one script and records what they fetch."""

    def __init__(self, rec: Recorder, env: Mapping[str, str] | None) -> None:
        self.rec = rec
        self.env = Scope(env)
        self.inherited: Mapping[str, str] = env if env is not None else {}
        """What the caller exports (a CI step's ``env:``)."""
        self.exported: set[str] = set()
        """Names the script exports itself."""

    def run_script(self, script: str, line_of: LineOf, depth: int) -> None:
        if len(script) > MAX_SCRIPT_CHARS:
            self.rec.problem(
                line_of(0),
                "skipped",
                f"shell script of {len(script)} characters is over the"
                f" {MAX_SCRIPT_CHARS} limit; not read",
            )
            return
        parsed = parse(script)
        for offset, message in parsed.errors:
            self.rec.problem(
                line_of(offset),
                "parse-error",
                f"shell: {message}; the rest of this command is not read",
            )
        for command, guard in parsed.guarded():
            self.command(command, line_of, depth, guard)

    def command(
        self, words: Sequence[Word], line_of: LineOf, depth: int, guard: Guard = ()
    ) -> None:
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
            self.command(rest[1:], line_of, depth, guard)
            return
        if first in _RESERVED_SKIP:
            if first in ("for", "select") and len(rest) > 1:
                self.env.pop(rest[1].raw, None)
            return
        if first in _DECLARE:
            for w in rest[1:]:
                if _ASSIGN_RE.match(w.raw):
                    self.assign(w.raw)
                if first == "export":
                    self.exported.add(w.raw.split("=", 1)[0].rstrip("+"))
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
        head = self.expand_all(rest[:1], line_of)
        if len(head) == 1 and head[0].value is not None and not _may_act(head[0].value):
            return  # echo, mkdir, cp...: nothing to read in its words (most commands)
        args = [*head, *self.expand_all(rest[1:], line_of)]  # each word expands alone
        if self.rec.arch is None and _depends_on_arch(args):
            for machine, goarch in ARCHITECTURES:
                if not self.holds(guard, line_of, (machine, goarch)):
                    continue  # `if [ "$TARGETARCH" = amd64 ]` on arm64
                self.rec.arch = machine
                self.dispatch(self.expand_all(rest, line_of, (machine, goarch)), depth)
            self.rec.arch = None
            return
        if guard and not self.runs(guard, line_of):
            return
        self.dispatch(args, depth)

    def runs(self, guard: Guard, line_of: LineOf) -> bool:
        """The command under ``guard`` may run: no condition is known to go the other way,
        on the machine being read or, when that is open, on some architecture built."""
        if self.rec.arch is not None:
            pair = next((a for a in ARCHITECTURES if a[0] == self.rec.arch), None)
            return self.holds(guard, line_of, pair)
        return self.holds(guard, line_of, None) and any(
            self.holds(guard, line_of, pair) for pair in ARCHITECTURES
        )

    def holds(self, guard: Guard, line_of: LineOf, arch: tuple[str, str] | None) -> bool:
        """False when a condition of ``guard`` is known to go the other way (on ``arch``);
        an undecided one holds (:mod:`audit.shell.conditions`)."""
        for words, expected in guard:
            result = evaluate([a.value for a in self.expand_all(words, line_of, arch)])
            if result is not None and result != expected:
                return False
        return True

    def assign(self, raw: str) -> None:
        name, _, value_raw = raw.partition("=")
        append = name.endswith("+")
        name = name.rstrip("+")
        value, missing = expand_text(value_raw, self.env)
        if missing:
            self.env.pop(name, None)
            return
        self.env[name] = (self.env.get(name, "") + value) if append else value

    def expand_all(
        self, words: Sequence[Word], line_of: LineOf, arch: tuple[str, str] | None = None
    ) -> list[Arg]:
        """The command's words expanded; with ``arch`` (machine, Go name), as on that
        machine (``$(uname -m)``, ``$TARGETARCH``)."""
        env: Mapping[str, str] = self.env
        if arch is not None:
            env = Scope(self.env)
            for name in _ARCH_VARIABLES:
                env.setdefault(name, arch[1])
        args: list[Arg] = []
        for w in words:
            raw = w.raw if arch is None else _on_machine(w.raw, *arch)
            exp = expand_word(raw, env)
            line = line_of(w.start)
            if exp.missing:
                args.append(Arg(None, w.raw, line, exp.missing, " ".join(exp.fields)))
            else:
                args.extend(Arg(f, w.raw, line) for f in exp.fields)
        return args

    def dispatch(self, args: list[Arg], depth: int) -> None:
        full = args
        for _ in range(_MAX_WRAPPERS):
            if not args:
                return
            head = args[0].value
            if head is None:
                if any(a.value in _VERBS for a in args[1:3]):
                    self.rec.unresolved(args[0], full)
                return
            name = posixpath.basename(head)
            spec = _WRAPPERS.get(name)
            if spec is None:
                break
            if name == "command" and any(a.value in ("-v", "-V") for a in args[1:2]):
                return
            pos = positionals(options(args[1:], spec[0], spec[1], stop=True))[spec[2] :]
            while pos and pos[0].value and _ASSIGN_RE.match(pos[0].value):
                pos = pos[1:]
            args = pos
        if not args or args[0].value is None:
            return
        name = posixpath.basename(args[0].value)
        if name in ("cd", "pushd"):
            self.change_directory(args[1:])
            return
        if name in _MAKES:
            self.make(args[1:], args[0].line)
            return
        handler = handler_for(name)
        if handler is not None:
            handler(self.rec, args[1:], full)
        elif name in _SHELLS:
            self.shell(args[1:], full, depth)
        elif _SCRIPT_RE.fullmatch(args[0].value):
            self.script(args[:1])

    def child_env(self) -> dict[str, str]:
        """What a program the script starts sees: the caller's exports and the script's."""
        return {k: v for k, v in self.env.items() if k in self.inherited or k in self.exported}

    def make(self, args: list[Arg], line: int) -> None:
        """``make [-C DIR] [-f FILE] [NAME=value...] [TARGET...]``: recorded for
        audit/ci_follow.py, which reads the Makefile's recipes."""
        opts = options(args, "CfoWIjl", _MAKE_LONG)
        directory = "."
        makefile = "Makefile"
        for o in opts:
            if o.flag not in ("-C", "--directory", "-f", "--file", "--makefile"):
                continue
            value = o.value.value if o.value is not None else None
            if value is None:
                return  # which Makefile is not known
            if o.flag in ("-C", "--directory"):
                directory = posixpath.join(directory, value)
            else:
                makefile = value
        rest = [a.value for a in positionals(opts)]
        if any(v is None for v in rest):
            return
        words = [v for v in rest if v is not None and not v.isdigit()]
        path = in_cwd(self.rec, posixpath.join(directory, makefile))
        self.rec.run("make", path, line, [directory, *words], self.child_env())

    def script(self, args: list[Arg]) -> None:
        """``./hack/build.sh``, ``bash scripts/x.sh``: recorded for audit/ci_follow.py."""
        if not args or args[0].value is None or args[0].value.startswith(("-", "/", "~")):
            return
        path = in_cwd(self.rec, args[0].value)
        self.rec.run("script", path, args[0].line, [], self.child_env())

    def change_directory(self, args: list[Arg]) -> None:
        """``cd DIR``: later relative paths are read from DIR while it stays in the root."""
        pos = [a for a in args if a.value is None or not a.value.startswith("-")]
        target = pos[0].value if pos else None
        cwd = self.rec.cwd
        if target is None or cwd is None or target.startswith(("/", "~")) or target == "-":
            self.rec.cwd = None
            return
        joined = posixpath.normpath(posixpath.join(cwd, target))
        self.rec.cwd = None if joined == ".." or joined.startswith("../") else joined

    def shell(self, args: list[Arg], full: list[Arg], depth: int) -> None:
        """``sh -c 'script'``: the script is read with lines counted from the argument's;
        ``bash FILE`` runs a file of the repository (:meth:`script`)."""
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
        if not has_c:
            self.script(args[i : i + 1])
            return
        if i >= len(args) or depth >= MAX_NESTING:
            return
        arg = args[i]
        if arg.value is None:
            self.rec.unresolved(arg, full)
            return
        last = arg.line + arg.raw.count("\n")
        starts = _line_starts(arg.value)

        def line_of(offset: int) -> int:
            return min(arg.line + bisect_right(starts, offset) - 1, last)

        self.run_script(arg.value, line_of, depth + 1)


def _arch_word(missing: str) -> bool:
    return missing in _ARCH_VARIABLES or missing in _MACHINE_WORDS or missing in _GOARCH_WORDS


def _may_act(command: str) -> bool:
    """Whether :meth:`Interpreter.dispatch` may do anything with a command named
    ``command``: a wrapper, ``cd``, ``make``, a command that fetches, a shell or a script."""
    name = posixpath.basename(command)
    return (
        name in _WRAPPERS
        or name in ("cd", "pushd")
        or name in _MAKES
        or name in _SHELLS
        or handler_for(name) is not None
        or _SCRIPT_RE.fullmatch(command) is not None
    )


def _depends_on_arch(args: Sequence[Arg]) -> bool:
    """Some word needs the machine architecture, and nothing else that is unknown."""
    missing = [m for a in args if a.value is None for m in a.missing]
    return bool(missing) and all(_arch_word(m) for m in missing)


def _on_machine(raw: str, machine: str, goarch: str) -> str:
    """``raw`` with the substitutions that print the architecture replaced by their output."""
    if "$" not in raw and "`" not in raw:
        return raw
    for word in _MACHINE_WORDS:
        raw = raw.replace(word, machine)
    for word in _GOARCH_WORDS:
        raw = raw.replace(word, goarch)
    return raw


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
    cwd: str | None = ".",
) -> ScanResult:
    """Components, edges and problems of the commands in ``script`` (see :mod:`audit.shell`).

    ``cwd`` is the script's working directory relative to the scanned root (a CI step's
    ``working-directory``), None when unknown."""
    rec = Recorder(source, consumer, scanner, os_hint, cwd)
    interp = Interpreter(rec, env)
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
        rec.problem(
            line_of(0), "skipped", "shell script nested too deeply to read; not read further"
        )
    return rec.result()

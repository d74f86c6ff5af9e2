"""The cmake command lines of a tree's CI steps and Dockerfiles: its build configurations.

A project's CMake option defaults are not always what its releases build with: Falco
0.35.1 defaults ``USE_BUNDLED_DEPS`` to OFF (CMakeLists.txt:17) while its release packages
are configured with ``cmake -DUSE_BUNDLED_DEPS=ON …``
(.github/workflows/reusable_build_packages.yaml:31). Which of the repository's builds is
the release cannot be told from the files, so every configuration counts: a CMake module
or download that any of them reaches is reachable (the union, never dropping something a
release build uses); the defaults remain one configuration.

Read: the text of the files the CI and Dockerfile scanners read (GitHub Actions workflows
and actions, GitLab CI, CircleCI, Dockerfiles), backslash continuations joined, each
``cmake`` invocation (``cmake``, ``/usr/bin/cmake``, ``${CMAKE}`` is not) up to the next
``&&``, ``||``, ``;`` or ``|``: its ``-DNAME=VALUE`` / ``-D NAME=VALUE`` /
``-DNAME:TYPE=VALUE``. ``cmake --build``, ``-E`` and ``-P`` configure nothing. A value
holding an expansion the file does not resolve (``${{ inputs.version }}``, ``$BUILD_TYPE``)
is left out of that configuration. Scripts the steps run (``.sh``) are not read.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from audit.scanners import named_in, selector_in

CI_MODULES = tuple(
    f"audit.scanners.{name}" for name in ("circleci", "github_actions", "gitlab", "dockerfile")
)
"""The scanners whose files hold cmake command lines (CI configurations, Dockerfiles)."""
DEFINE = re.compile(r"-D([A-Za-z_][A-Za-z0-9_.+-]*)(?::[A-Za-z]+)?=(.*)", re.S)
"""A cmake command line's ``-DNAME=VALUE`` / ``-DNAME:TYPE=VALUE`` word: name, value."""
NO_CONFIGURE = frozenset({"--build", "-E", "-P", "--install", "--open", "--help", "--version"})
"""cmake options that make a command line configure nothing."""
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&"})
_EXPANSION = re.compile(r"\$[{(A-Za-z_]")
MAX_BUILDS = 64
"""Configurations kept per tree (the first ones by path and line)."""


@dataclass(frozen=True)
class BuildConfig:
    """One ``cmake`` configure command line of the repository."""

    path: str
    line: int
    text: str
    """The command line as written (its first physical line)."""
    defines: tuple[tuple[str, str], ...]
    """``(NAME, value)`` of each ``-D`` with a value the file states."""

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"


def _logical(text: str) -> Iterable[tuple[int, str, str]]:
    """(first line, first line's text, joined text) of each backslash-continued line."""
    buf: list[str] = []
    start, first = 0, ""
    for number, raw in enumerate(text.splitlines(), 1):
        if not buf:
            start, first = number, raw
        if raw.rstrip().endswith("\\"):
            buf.append(raw.rstrip()[:-1])
            continue
        buf.append(raw)
        yield start, first, " ".join(buf)
        buf = []
    if buf:
        yield start, first, " ".join(buf)


def _words(line: str) -> list[str]:
    """Shell words, with ``;``, ``&&``, ``|`` … as words of their own."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return line.split()


def command_lines(path: str, text: str) -> list[BuildConfig]:
    """The cmake configure command lines of one file."""
    out: list[BuildConfig] = []
    for number, first, line in _logical(text):
        if "cmake" not in line or "-D" not in line:
            continue
        words = _words(line)
        for i, word in enumerate(words):
            if word.rsplit("/", 1)[-1] != "cmake":
                continue
            defines: list[tuple[str, str]] = []
            configures = True
            pending = False
            for arg in words[i + 1 :]:
                if arg in _SEPARATORS:
                    break
                if arg in NO_CONFIGURE:
                    configures = False
                    break
                if pending:
                    arg, pending = "-D" + arg, False
                elif arg == "-D":
                    pending = True
                    continue
                m = DEFINE.fullmatch(arg)
                if m and not _EXPANSION.search(m[2]):
                    defines.append((m[1], m[2]))
            if configures and defines:
                out.append(BuildConfig(path, number, first.strip(), tuple(defines)))
    return out


def ci_files(paths: Iterable[str]) -> list[str]:
    """The CI configurations and Dockerfiles among ``paths``, sorted: all that
    :func:`build_configs` reads of a tree's paths (so that it can be given these alone)."""
    wanted = selector_in(CI_MODULES)
    # the few paths worth asking about, by name (sorted once found: a filter of the paths)
    return sorted(path for path in named_in(paths, CI_MODULES) if wanted(path))


def build_configs(
    paths: Iterable[str], read: Callable[[str], str | None]
) -> tuple[BuildConfig, ...]:
    """Every cmake configure command line of the tree's CI configurations and Dockerfiles,
    by path and line (at most :data:`MAX_BUILDS`)."""
    out: list[BuildConfig] = []
    for path in ci_files(paths):
        text = read(path)
        if text and "cmake" in text:
            out.extend(command_lines(path, text))
        if len(out) >= MAX_BUILDS:
            break
    return tuple(out[:MAX_BUILDS])


__all__ = [
    "CI_MODULES",
    "DEFINE",
    "MAX_BUILDS",
    "NO_CONFIGURE",
    "BuildConfig",
    "build_configs",
    "ci_files",
    "command_lines",
]

"""Asking git read-only questions about a scanned tree, without letting the tree run anything.

A scanned repository's own configuration is hostile input: ``core.fsmonitor`` names a
program that even ``git ls-files`` runs, hooks run on index changes, a promisor remote makes
a missing object trigger a fetch through ``core.sshCommand``. Every git command here runs:

- with ``-c core.fsmonitor=false -c core.hooksPath=/dev/null -c protocol.allow=never``,
  ``core.sshCommand``, ``core.askPass``, ``credential.helper``, ``core.pager`` and automatic
  maintenance turned off (command-line configuration overrides the repository's);
- with an environment that has none of the caller's ``GIT_*`` variables (a ``GIT_DIR`` or
  ``GIT_INDEX_FILE`` left by a hook that runs depaudit must not redirect it) and sets
  ``GIT_CONFIG_NOSYSTEM=1``, ``GIT_OPTIONAL_LOCKS=0`` (nothing is written),
  ``GIT_ALLOW_PROTOCOL=`` (no transport at all, whatever the configuration allows),
  ``GIT_NO_LAZY_FETCH=1`` (a partial clone's missing object is missing, never fetched through
  its promisor remote), ``GIT_TERMINAL_PROMPT=0``, ``GIT_SSH_COMMAND=false``,
  ``GIT_ASKPASS=`` (and no ``SSH_ASKPASS``), ``GIT_PAGER=cat`` and ``GIT_LITERAL_PATHSPECS=1``
  (a path read from the tree is a path, never pathspec magic);
- with its output captured (no pager), a timeout, and arguments after ``--`` or
  ``--end-of-options`` when they come from the tree.

Commands that write file contents (``git archive``) also apply the filter drivers that
``.gitattributes`` selects (``filter.<name>.smudge``/``process``, git-lfs among them):
:func:`filter_overrides` gives the ``-c`` options that turn every configured driver off.

git refusing a repository owned by another user (``safe.directory``) is respected: the
answer is then "unknown", with that reason.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

OVERRIDES = (
    "-c", "core.fsmonitor=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "protocol.allow=never",
    "-c", "core.quotepath=off",
    "-c", "core.sshCommand=false",
    "-c", "core.askPass=",
    "-c", "credential.helper=",
    "-c", "core.pager=cat",
    "-c", "gc.auto=0",
    "-c", "maintenance.auto=false",
)  # fmt: skip
"""Configuration given on every git command line (it wins over the repository's)."""

ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_ALLOW_PROTOCOL": "",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_LITERAL_PATHSPECS": "1",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_SSH_COMMAND": "false",
    "GIT_ASKPASS": "",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": "false",
    "LC_ALL": "C",
    "LANGUAGE": "C",
}
"""Environment variables set for every git command (after dropping the caller's ``GIT_*``)."""

_DROPPED = frozenset({"SSH_ASKPASS", "PAGER"})
"""Variables of the caller's environment git could run as a program."""

TIMEOUT = 60.0
_HEX = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


@dataclass(frozen=True)
class GitOutput:
    """What one git command gave."""

    code: int
    """Exit status; -1 when git could not be run at all (then ``error`` says why)."""
    stdout: bytes
    error: str
    """The first line of git's standard error, or why git could not be run."""

    @property
    def ok(self) -> bool:
        return self.code == 0


def git_env() -> dict[str, str]:
    """The environment git runs with (see the module docstring)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k not in _DROPPED}
    env.update(ENV)
    return env


def git_argv(*args: str) -> list[str]:
    """The command line of ``git <args>`` with the safe configuration."""
    return ["git", *OVERRIDES, *args]


def popen_git(cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    """``git <args>`` in ``cwd``, started with the safe configuration and environment, its
    output to be streamed from ``stdout`` (standard error discarded). Raises ``OSError``."""
    import subprocess  # only when git runs: not on every start-up

    return subprocess.Popen(
        git_argv(*args), cwd=cwd, env=git_env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def run_git(cwd: Path, *args: str, timeout: float = TIMEOUT) -> GitOutput:
    """``git <args>`` in ``cwd`` with the safe configuration and environment."""
    return _run(git_argv(*args), cwd, git_env(), timeout)


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> GitOutput:
    import subprocess

    try:
        done = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, timeout=timeout, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except FileNotFoundError:
        return GitOutput(-1, b"", "git is not installed")
    except subprocess.TimeoutExpired:
        return GitOutput(-1, b"", f"git did not answer within {timeout:g} s")
    except OSError as exc:
        return GitOutput(-1, b"", f"cannot run git: {exc.strerror or type(exc).__name__}")
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return GitOutput(done.returncode, done.stdout, lines[0] if lines else "")


FETCH_PROTOCOLS = frozenset({"https", "file"})
"""The only transports :func:`fetch_ref` may be allowed (no ssh, git:// or plain http)."""


def fetch_ref(
    bare: Path, url: str, ref: str, *, protocols: frozenset[str], timeout: float = TIMEOUT
) -> GitOutput:
    """``git fetch --depth=1 URL REF`` into ``bare`` (a bare repository depaudit made, so its
    configuration is depaudit's), with the safe configuration and environment except that
    ``protocols`` (a subset of :data:`FETCH_PROTOCOLS`) are allowed: no hook, no credential
    helper or askpass (``GIT_TERMINAL_PROMPT=0``: a private URL fails instead of asking),
    no ssh, no tags, no submodules. The fetched commit is ``FETCH_HEAD``."""
    allowed = sorted(protocols & FETCH_PROTOCOLS)
    allow = [x for name in allowed for x in ("-c", f"protocol.{name}.allow=always")]
    argv = git_argv(*allow, "fetch", "--quiet", "--depth=1", "--no-tags",
                    "--no-recurse-submodules", "--end-of-options", url, ref)  # fmt: skip
    return _run(argv, bare, {**git_env(), "GIT_ALLOW_PROTOCOL": ":".join(allowed)}, timeout)


@dataclass(frozen=True)
class WorkTree:
    """Whether a directory is the top of a git work tree (so its ``.gitmodules`` and ``HEAD``
    are its own)."""

    top: Path | None
    """The directory, resolved, when it is the top of a work tree git can read; else None."""
    reason: str = ""
    """Why ``top`` is None."""


def has_dotgit(path: Path) -> bool:
    """Whether ``path`` or a directory above it holds a ``.git``: without one, git would
    find no repository (its variables are not passed on, :func:`git_env`), so it is not run."""
    return any((parent / ".git").exists() for parent in (path, *path.parents))


def _refused(error: str) -> str:
    if "dubious ownership" in error:
        return "git refuses to read a repository owned by another user (safe.directory)"
    return f"git cannot read the repository ({error or 'no reason given'})"


def work_tree_at(path: Path) -> WorkTree:
    """Is ``path`` the top of a git work tree? Never runs git when no ``.git`` is above it."""
    try:
        real = path.resolve()
    except OSError as exc:
        return WorkTree(None, f"cannot resolve the directory: {exc.strerror}")
    if not real.is_dir():
        return WorkTree(None, "not a directory")
    if not has_dotgit(real):
        return WorkTree(None, "not a git work tree")
    out = run_git(real, "rev-parse", "--show-toplevel")
    if not out.ok:
        if out.code == -1:
            return WorkTree(None, out.error)
        if "not a git repository" in out.error:
            return WorkTree(None, "not a git work tree")
        if "must be run in a work tree" in out.error:
            return WorkTree(None, "a git repository without a work tree")
        return WorkTree(None, _refused(out.error))
    top = Path(os.fsdecode(out.stdout.rstrip(b"\n")))
    try:
        same = top.resolve() == real
    except OSError:
        same = False
    if not same:
        where = "a parent directory" if top.resolve() in real.parents else "elsewhere"
        return WorkTree(None, f"not the top of a git work tree (the work tree's top is {where})")
    return WorkTree(real)


def head_commit(top: Path) -> tuple[str | None, str]:
    """``(commit, "")`` of ``HEAD`` in a work tree top, or ``(None, reason)``."""
    out = run_git(top, "rev-parse", "--verify", "--quiet", "HEAD")
    commit = out.stdout.decode("ascii", "replace").strip()
    if out.ok and _HEX.fullmatch(commit):
        return commit, ""
    if out.code == -1:
        return None, out.error
    return None, "HEAD names no commit (a repository without commits)"


def filter_overrides(cwd: Path) -> tuple[str, ...] | None:
    """``-c`` options that disable every filter driver configured for the repository at
    ``cwd`` (any scope: a user's git-lfs too), for commands that write file contents; None
    when a driver's name cannot be overridden on a command line (it holds ``=``)."""
    out = run_git(cwd, "config", "--name-only", "-z", "--get-regexp", r"^filter\.")
    if out.code not in (0, 1):  # 1: no such key
        return None
    names = set()
    for key in os.fsdecode(out.stdout).split("\0"):
        if key.startswith("filter.") and key.count(".") >= 2:
            names.add(key[len("filter.") : key.rindex(".")])
    if any("=" in name or "\n" in name for name in names):
        return None
    options: list[str] = []
    for name in sorted(names):
        for var, value in (("smudge", ""), ("clean", ""), ("process", ""), ("required", "false")):
            options += ["-c", f"filter.{name}.{var}={value}"]
    return tuple(options)


def resolve_commit(top: Path, ref: str) -> str | None:
    """The commit ``ref`` names in the repository of ``top`` (a tag, branch or commit), or
    None. ``ref`` may come from a scanned file: it is passed after ``--end-of-options``."""
    if not ref or ref.startswith("-") or "\0" in ref:
        return None
    out = run_git(top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    commit = out.stdout.decode("ascii", "replace").strip()
    return commit if out.ok and _HEX.fullmatch(commit) else None


__all__ = [
    "ENV",
    "OVERRIDES",
    "GitOutput",
    "WorkTree",
    "filter_overrides",
    "git_argv",
    "git_env",
    "has_dotgit",
    "head_commit",
    "popen_git",
    "resolve_commit",
    "run_git",
    "work_tree_at",
]

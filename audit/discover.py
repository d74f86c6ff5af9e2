"""Discover stage: root path -> the candidate files to scan.

Git-tracked files (plus untracked files git would not ignore) when the root is inside a git
work tree, otherwise a directory walk. ``.git`` and configured excludes are skipped; files
over the size limit are skipped by their size alone (never opened); symlinks are followed
only when their target stays inside the root. Binary detection happens when a file is
read, in :mod:`audit.scan`, so that each file is opened once.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from stat import S_ISDIR, S_ISLNK, S_ISREG
from typing import NamedTuple

from audit.model import Problem, SkippedFile
from audit.safegit import has_dotgit, run_git

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
"""Files larger than this (bytes) are listed as skipped and never read."""

ALWAYS_EXCLUDED_DIRS = frozenset({".git", ".hg", ".svn"})
GIT_TIMEOUT = 120.0
"""Seconds ``git ls-files`` may take before the tree is walked instead."""
PROGRESS_STEP = 1000
"""Files found between two calls of :func:`discover`'s ``progress``."""


class Candidate(NamedTuple):
    """One file discovery found to scan, with what the scan cache keys on.

    A named tuple: one is made for every file (100,000s, by discovery and again by the
    scan's copies from their tasks), and a frozen data class takes twice as long to make."""

    path: str
    """Root-relative, forward slashes."""
    size: int
    link: bool = False
    """True for a symlink whose target was checked to stay inside the root."""
    mtime_ns: int = 0
    """Modification time of the file (the link's target for a symlink), for the scan cache."""
    inode: int = 0
    """Inode number of the file (the link's target for a symlink), for the scan cache."""


@dataclass(frozen=True)
class Discovery:
    """What discovery found under a root: the files to scan, those left out and why."""

    root: Path
    files: tuple[Candidate, ...]
    skipped: tuple[SkippedFile, ...]
    problems: tuple[Problem, ...]
    method: str
    """``git`` or ``walk``."""
    found_order: tuple[int, ...] = ()
    """When discovery told a ``found`` callback of each file: for each file of
    :attr:`files`, its place in the order the callback was told of them (else empty)."""


def by_path(files: Iterable[Candidate]) -> dict[str, Candidate]:
    """``{c.path: c for c in files}``, built a third faster (100,000s of files)."""
    files = files if isinstance(files, (list, tuple)) else list(files)
    return dict(zip(map(_PATH, files), files, strict=True))


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    parts = rel.split("/")
    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatchcase(rel, pat) or fnmatch.fnmatchcase(rel, pat + "/*"):
            return True
        # A bare name matches that directory or file at any depth (like .gitignore).
        if "/" not in pat and any(fnmatch.fnmatchcase(p, pat) for p in parts):
            return True
    return False


def _git_files(root: Path) -> list[str] | None:
    """Paths git knows under ``root`` (tracked + untracked-not-ignored), or None if not git.

    git runs through :mod:`audit.safegit`: a scanned repository's configuration never makes
    it execute anything (hooks, fsmonitor, a promisor remote's lazy fetch through
    ``core.sshCommand``...).
    """
    if not has_dotgit(root):
        return None
    out = run_git(
        root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".",
        timeout=GIT_TIMEOUT,
    )  # fmt: skip
    if not out.ok:
        return None
    names = {n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n}
    return sorted(names)


def is_tree_path(rel: str) -> bool:
    """Is ``rel`` a canonical path below the root (``a/b``)? Not ``/a``, ``../a``, ``a/../b``,
    ``a//b``, ``./a`` or ``a/``: a crafted git index can list any of those, and none of them
    may be read."""
    if not rel or rel.startswith("/") or "\0" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/"))


_NAME = attrgetter("name")
_PATH = attrgetter("path")
_new = tuple.__new__


def _walk(
    root: Path, excludes: Sequence[str], problems: list[Problem]
) -> Iterable[tuple[str, os.DirEntry[str]]]:
    """Every non-directory entry under root, without following directory symlinks (so no
    loops); a directory that cannot be listed is a problem."""
    stack = [""]
    base = str(root)
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(os.path.join(base, rel_dir) if rel_dir else base) as it:
                entries = sorted(it, key=_NAME)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            problems.append(Problem(rel_dir or ".", 0, "unreadable", f"cannot list: {reason}"))
            continue
        subdirs: list[str] = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if entry.name in ALWAYS_EXCLUDED_DIRS or _excluded(rel, excludes):
                    continue
                subdirs.append(rel)
            else:
                yield rel, entry
        stack.extend(reversed(subdirs))


def _is_utf8(name: str) -> bool:
    """False for a name holding undecodable bytes (surrogate escapes)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Parents:
    """Answers "does this path reach its file only through real directories?" once per
    directory: a directory replaced by a symlink (to anywhere) is never read through."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.known: dict[str, bool] = {"": True}

    def real(self, rel_dir: str) -> bool:
        found = self.known.get(rel_dir)
        if found is None:
            parent = rel_dir.rpartition("/")[0]
            found = self.real(parent) and _is_real_dir(os.path.join(self.root, rel_dir))
            self.known[rel_dir] = found
        return found


def _is_real_dir(path: str) -> bool:
    try:
        return S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def discover(
    root: Path,
    *,
    excludes: Sequence[str] = (),
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    use_git: bool = True,
    progress: Callable[[int], None] | None = None,
    found: Callable[[Candidate], None] | None = None,
) -> Discovery:
    """List the files to scan under ``root``; never reads file contents.

    ``progress`` is told the number of files found so far, each time :data:`PROGRESS_STEP`
    more are found (so that a caller can prepare the scan while the tree is walked).
    ``found`` is told each candidate as it is found, in the walk's order (the list returned
    is sorted by path): so that a scan can start while the tree is walked
    (:class:`audit.scan.Ahead`)."""
    root = root.resolve()
    real_root = str(root)
    listed = _git_files(root) if use_git else None
    method = "git" if listed is not None else "walk"
    files: list[Candidate] = []
    skipped: list[SkippedFile] = []
    problems: list[Problem] = []
    entries: Iterable[tuple[str, os.DirEntry[str] | None]] = (
        ((rel, None) for rel in listed) if listed is not None else _walk(root, excludes, problems)
    )
    parents = _Parents(real_root)
    for rel, entry in entries:
        if not rel.isascii() and not _is_utf8(rel):
            # Paths end up in reports that must be valid UTF-8: such a file is listed, escaped.
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            problems.append(Problem(shown, 0, "skipped", "file name is not valid UTF-8; not read"))
            continue
        if entry is None:  # listed by git: the walk's checks are made here
            if not is_tree_path(rel):
                message = (
                    f"the git index lists {rel!r}, which is not a path inside the tree; not read"
                )
                problems.append(Problem(".git/index", 0, "skipped", message))
                continue
            parts = rel.split("/")
            if any(p in ALWAYS_EXCLUDED_DIRS for p in parts[:-1]) or _excluded(rel, excludes):
                continue
            if not parents.real(rel.rpartition("/")[0]):
                skipped.append(SkippedFile(rel, "path goes through a symlinked directory"))
                continue
        elif excludes and _excluded(rel, excludes):
            continue
        try:
            st = (
                entry.stat(follow_symlinks=False)
                if entry is not None
                else os.lstat(os.path.join(real_root, rel))
            )
        except FileNotFoundError:
            continue  # tracked but deleted in the work tree, or gone since listed
        except OSError as exc:
            problems.append(Problem(rel, 0, "unreadable", f"cannot stat: {exc.strerror}"))
            continue
        is_link = False
        if not S_ISREG(st.st_mode):  # most files are: one test
            if not S_ISLNK(st.st_mode):
                skipped.append(SkippedFile(rel, "not a regular file (FIFO, socket or device)"))
                continue
            is_link = True
            full = entry.path if entry is not None else os.path.join(real_root, rel)
            try:
                target = os.path.realpath(full)
            except OSError:
                skipped.append(SkippedFile(rel, "broken symlink"))
                continue
            if not (target == real_root or target.startswith(real_root + os.sep)):
                skipped.append(SkippedFile(rel, "symlink points outside the scanned root"))
                continue
            try:
                st = os.stat(target)
            except OSError:
                skipped.append(SkippedFile(rel, "broken symlink"))
                continue
            if not S_ISREG(st.st_mode):
                skipped.append(SkippedFile(rel, "symlink to a directory or special file"))
                continue
        if st.st_size > max_file_size:
            reason = f"larger than the size limit ({st.st_size} > {max_file_size} bytes)"
            skipped.append(SkippedFile(rel, reason))
            continue
        # Candidate(...) without its __new__, a Python function (a third of the time)
        cand = _new(Candidate, (rel, st.st_size, is_link, st.st_mtime_ns, st.st_ino))
        files.append(cand)
        if found is not None:
            found(cand)
        if progress is not None and len(files) % PROGRESS_STEP == 0:
            progress(len(files))
    found_order: tuple[int, ...] = ()
    if found is not None:  # the files sorted, and where each was found
        found_order = tuple(sorted(range(len(files)), key=[c.path for c in files].__getitem__))
        files = [files[i] for i in found_order]
    else:
        files.sort(key=_PATH)
    skipped.sort(key=lambda s: s.path)
    problems.sort()
    return Discovery(root, tuple(files), tuple(skipped), tuple(problems), method, found_order)

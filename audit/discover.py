"""Discover stage: root path -> the candidate files to scan.

Git-tracked files (plus untracked files git would not ignore) when the root is inside a git
work tree, otherwise a directory walk. ``.git`` and configured excludes are skipped; files
over the size limit are skipped by their size alone (never opened); symlinks are followed
only when their target stays inside the root. Binary detection happens when a file is
read, in :mod:`audit.scan`, so that each file is opened once.

A walk for a scan without the cache may leave the size of regular files to the scan
(``sized=False``): the directory listing tells a regular file by its entry, and the scan
learns the size from the file it opens (its status, taken anyway to check that it is still
a regular file) instead of from a status of its own taken here (an ``lstat`` per file:
about 2 µs of the walk's 4, on 100,000 files). Such a file over the size limit is then
opened, never read. The scan asks :func:`listed_as` about each such file it does not want
or cannot read, and :func:`relisted` makes the discovery again when one was not what its
entry said (too large, gone, no longer a regular file): the files, skipped files and
problems are those of a walk that took each file's status.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from stat import S_ISDIR, S_ISLNK, S_ISREG
from typing import NamedTuple, cast

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
    """Its size; negative when discovery left it to the scan (``sized=False``): ``~size``
    (:func:`unsized`) is then the size limit, which the file's size must not pass."""
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
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    sized: bool = True
    """False when some regular files were listed by their directory entry alone, their
    sizes left to the scan (see the module's text)."""


def unsized(max_file_size: int) -> int:
    """The :attr:`Candidate.size` of a file whose size discovery left to the scan, with
    the size limit it must keep to (``~max_file_size``, negative)."""
    return ~max_file_size


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


def _unstatable(rel: str, exc: OSError) -> Problem:
    return Problem(rel, 0, "unreadable", f"cannot stat: {exc.strerror}")


def _of_status(
    rel: str, full: str, st: os.stat_result, real_root: str, max_file_size: int
) -> Candidate | SkippedFile:
    """The file ``rel`` (at ``full``) of status ``st`` (not followed): to scan, or skipped."""
    is_link = False
    if not S_ISREG(st.st_mode):
        if not S_ISLNK(st.st_mode):
            return SkippedFile(rel, "not a regular file (FIFO, socket or device)")
        is_link = True
        try:
            target = os.path.realpath(full)
        except OSError:
            return SkippedFile(rel, "broken symlink")
        if not (target == real_root or target.startswith(real_root + os.sep)):
            return SkippedFile(rel, "symlink points outside the scanned root")
        try:
            st = os.stat(target)
        except OSError:
            return SkippedFile(rel, "broken symlink")
        if not S_ISREG(st.st_mode):
            return SkippedFile(rel, "symlink to a directory or special file")
    if st.st_size > max_file_size:
        reason = f"larger than the size limit ({st.st_size} > {max_file_size} bytes)"
        return SkippedFile(rel, reason)
    return _new(Candidate, (rel, st.st_size, is_link, st.st_mtime_ns, st.st_ino))


def listed_as(root: str, rel: str, max_file_size: int) -> Candidate | SkippedFile | Problem | None:
    """What a walk of the tree at ``root`` (resolved) that took the status of ``rel`` would
    make of it now: a file to scan, a file skipped, a problem, or nothing (gone). For a
    scan of files whose size discovery left to it (``sized=False``): about a file it does
    not want, or could not read."""
    full = os.path.join(root, rel)
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _unstatable(rel, exc)
    return _of_status(rel, full, st, root, max_file_size)


def relisted(found: Discovery, dropped: Mapping[int, SkippedFile | Problem | None]) -> Discovery:
    """``found`` without its files at the places of ``dropped`` (in :attr:`Discovery.files`),
    each skipped, a problem or gone as :func:`listed_as` told: the discovery a walk that
    took each file's status would have made."""
    files = [c for i, c in enumerate(found.files) if i not in dropped]
    skipped = [*found.skipped, *(d for d in dropped.values() if type(d) is SkippedFile)]
    problems = [*found.problems, *(d for d in dropped.values() if type(d) is Problem)]
    order = found.found_order
    if order:  # each file's place among those found, without the places of those dropped
        gone = sorted(order[i] for i in dropped)
        order = tuple(at - bisect_left(gone, at) for i, at in enumerate(order) if i not in dropped)
    skipped.sort(key=lambda s: s.path)
    problems.sort()
    return dataclasses.replace(
        found, files=tuple(files), skipped=tuple(skipped), problems=tuple(problems),
        found_order=order,
    )  # fmt: skip


def discover(
    root: Path,
    *,
    excludes: Sequence[str] = (),
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    use_git: bool = True,
    progress: Callable[[int], None] | None = None,
    found: Callable[[Candidate], None] | None = None,
    sized: bool = True,
) -> Discovery:
    """List the files to scan under ``root``; never reads file contents.

    ``progress`` is told the number of files found so far, each time :data:`PROGRESS_STEP`
    more are found (so that a caller can prepare the scan while the tree is walked).
    ``found`` is told each candidate as it is found, in the walk's order (the list returned
    is sorted by path): so that a scan can start while the tree is walked
    (:class:`audit.scan.Ahead`). ``sized=False``: a walk leaves the size of regular files
    to the scan, which must be one without the cache (see the module's text)."""
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
    later = unsized(max_file_size)
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
        elif not sized and entry.is_file(follow_symlinks=False):
            # a regular file by its entry: its size is the scan's to learn (listed_as)
            cand = _new(Candidate, (rel, later, False, 0, 0))
            files.append(cand)
            if found is not None:
                found(cand)
            if progress is not None and len(files) % PROGRESS_STEP == 0:
                progress(len(files))
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
            problems.append(_unstatable(rel, exc))
            continue
        if S_ISREG(st.st_mode) and st.st_size <= max_file_size:  # most files: two tests
            # Candidate(...) without its __new__, a Python function (a third of the time)
            cand = _new(Candidate, (rel, st.st_size, False, st.st_mtime_ns, st.st_ino))
        else:
            full = entry.path if entry is not None else os.path.join(real_root, rel)
            got = _of_status(rel, full, st, real_root, max_file_size)
            if type(got) is SkippedFile:
                skipped.append(got)
                continue
            cand = cast(Candidate, got)
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
    return Discovery(
        root, tuple(files), tuple(skipped), tuple(problems), method, found_order,
        max_file_size, sized or method != "walk",
    )  # fmt: skip

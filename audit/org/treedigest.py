"""A digest of a repository tree's content, so that an unchanged repository is not audited
again (the corpus trees and many CI checkouts have no ``.git`` to ask for a commit).

Every entry below the root is walked without following a symlink: a regular file counts
by its path and the SHA-256 of its bytes (above :data:`MAX_HASHED_BYTES`, by its size and
modification time: the scan does not read such files), a symlink by its target, anything
else (FIFO, socket, device) by its type only — it is never opened. ``.git`` directories
count by the commit ``HEAD`` names (read with the hardened git of :mod:`audit.safegit`),
not by their files. The walk runs inside the audit's bounded child process.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from audit.discover import DEFAULT_MAX_FILE_SIZE

MAX_HASHED_BYTES = DEFAULT_MAX_FILE_SIZE
_CHUNK = 1 << 20


def tree_digest(root: Path) -> str:
    """The SHA-256 of the tree at ``root`` (see the module docstring)."""
    h = hashlib.sha256()
    h.update(f"head\0{_head(root)}\0".encode())
    for rel, kind, value in sorted(_entries(root)):
        h.update(os.fsencode(rel) + f"\0{kind}\0{value}\0".encode())
    return h.hexdigest()


def _head(root: Path) -> str:
    from audit.safegit import head_commit, work_tree_at

    top = work_tree_at(root).top
    if top is None:
        return ""
    commit, _ = head_commit(top)
    return commit or ""


def _entries(root: Path) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(root / rel_dir if rel_dir else root) as it:
                entries = list(it)
        except OSError as exc:
            out.append((rel_dir, "unreadable", exc.strerror or ""))
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                out.append((rel, "gone", ""))
                continue
            if stat.S_ISDIR(st.st_mode):
                if entry.name != ".git":
                    stack.append(rel)
            elif stat.S_ISLNK(st.st_mode):
                out.append((rel, "link", os.readlink(entry.path)))
            elif stat.S_ISREG(st.st_mode):
                if entry.name == ".git":  # a worktree's pointer file: HEAD stands for it
                    continue
                out.append((rel, "file", _file(entry.path, st)))
            else:
                out.append((rel, "special", str(stat.S_IFMT(st.st_mode))))
    return out


def _file(path: str, st: os.stat_result) -> str:
    if st.st_size > MAX_HASHED_BYTES:
        return f"size={st.st_size},mtime={st.st_mtime_ns}"
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return "special"
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()

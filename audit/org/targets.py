"""Which repositories ``depaudit org`` audits: a folder whose subfolders are repositories,
or a list file of local trees and git URLs with refs.

A list file has one repository per line: ``LOCATION [REF]``. ``LOCATION`` is a local
directory (relative to the list file's folder) or a git URL (``https://…`` or
``file://…``) followed by the ref to audit (a branch, tag or commit). ``#`` starts a
comment; blank lines are skipped. A repository is known by its name (the folder's name, or
the URL's last part without ``.git``), which keys its runs in the history database: two
entries with one name are an error naming both lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from audit.errors import InputError

MAX_LIST_BYTES = 4 * 1024 * 1024
"""A list file larger than this is refused (a line per repository: about 100 bytes)."""
GIT_SCHEMES = ("https://", "file://")
"""The transports a git URL may use (no ssh, git or plain http: see docs/security.md)."""
_NAME_BAD = re.compile(r"[^A-Za-z0-9._-]+")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")


@dataclass(frozen=True)
class Target:
    """One repository to audit."""

    name: str
    """Its key in the history database and the reports (a folder name or the URL's last part)."""
    location: str
    """A local directory as the scan is given it, or a git URL."""
    ref: str | None = None
    """For a git URL: the ref to audit; None for a local tree."""

    @property
    def is_git(self) -> bool:
        return self.ref is not None

    def describe(self) -> str:
        return f"{self.location}@{self.ref}" if self.ref else self.location


def load_targets(path: Path) -> tuple[Target, ...]:
    """The repositories ``path`` names: a folder of repositories, or a list file."""
    if path.is_dir():
        return folder_targets(path)
    if path.is_file():
        return list_targets(path)
    raise InputError("expected a folder of repositories or a list file", path=str(path))


def folder_targets(folder: Path) -> tuple[Target, ...]:
    """Every subfolder of ``folder`` (not hidden, not a symlink), sorted by name."""
    found = [
        Target(entry.name, str(folder / entry.name))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if not entry.name.startswith(".") and entry.is_dir() and not entry.is_symlink()
    ]
    if not found:
        raise InputError("no repository in this folder (expected subfolders)", path=str(folder))
    return tuple(found)


def list_targets(listing: Path) -> tuple[Target, ...]:
    """The repositories of a list file (see the module docstring)."""
    where = str(listing)
    if listing.stat().st_size > MAX_LIST_BYTES:
        raise InputError(f"list file larger than {MAX_LIST_BYTES} bytes", path=where)
    try:
        text = listing.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("expected a UTF-8 text list of repositories", path=where) from None
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        target = _target(words, listing.parent, f"{where}:{number}")
        if target.name in seen:
            raise InputError(
                f"repository {target.name!r} is listed twice (lines {seen[target.name]} and "
                f"{number}): its runs would mix in the history",
                path=where,
            )
        seen[target.name] = number
        targets.append(target)
    if not targets:
        raise InputError("no repository listed", path=where)
    return tuple(targets)


def _target(words: list[str], base: Path, where: str) -> Target:
    location = words[0]
    if "://" in location:
        if not location.startswith(GIT_SCHEMES):
            raise InputError(
                f"git URL {location!r}: only {' and '.join(GIT_SCHEMES)} URLs are fetched",
                path=where,
            )
        if len(words) != 2:
            raise InputError("expected `URL REF`: a git URL needs the ref to audit", path=where)
        ref = words[1]
        if not _REF.fullmatch(ref) or ".." in ref:
            raise InputError(f"not a git ref: {ref!r}", path=where)
        name = location.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        return Target(_name(name, where), location, ref)
    if len(words) != 1:
        raise InputError("expected one local directory per line (a ref goes with a git URL)",
                         path=where)  # fmt: skip
    tree = Path(location).expanduser()
    if not tree.is_absolute():
        tree = base / tree
    if not tree.is_dir():
        raise InputError(f"no such directory: {tree}", path=where)
    return Target(_name(tree.resolve().name, where), str(tree))


def _name(raw: str, where: str) -> str:
    name = _NAME_BAD.sub("-", raw).strip("-.")
    if not name:
        raise InputError(f"cannot name a repository after {raw!r}", path=where)
    return name

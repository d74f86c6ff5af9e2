"""Submodule pins: the commit each ``.gitmodules`` submodule is pinned at, from the git index.

``.gitmodules`` says where a submodule comes from; the commit it is pinned at is a gitlink
(mode ``160000``) in the git index, not in any file. Scanners read one file and never run
git, so this is a step after the scan: :func:`pin_submodules` takes the scan result and the
scanned root and gives each submodule component its commit as version (id
``submodule:github.com/o/r@<commit>``), with the index entry as evidence
(``160000 <commit> 0\\tdeps/r``, at the ``.gitmodules`` line that declares the submodule).

A ``.gitmodules`` counts only at the top of a git work tree (git reads no other). When its
directory is not such a top (a tarball, a sub-directory of a bigger repository) or git
cannot read the index, the version stays unknown: each component gets the property
``version_unknown`` (the reason) and one ``unresolved`` Problem names the file. A submodule
missing from the index, not a gitlink there, or in a merge conflict is one Problem each.

git runs through :mod:`audit.safegit`: nothing from the scanned repository is executed.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from audit.components import git_component
from audit.model import Component, ComponentKind, Evidence, Problem, ScanResult
from audit.safegit import run_git, work_tree_at

NAME = "git-index"
GITLINK = "160000"
MAX_PATHSPECS = 256
"""Up to this many submodule paths are named to ``git ls-files``; more read the whole index."""
_WHERE = "submodule commits are recorded in the git index"


@dataclass(frozen=True)
class IndexEntry:
    """One line of ``git ls-files --stage``."""

    mode: str
    object: str
    stage: int
    path: str

    @property
    def text(self) -> str:
        return f"{self.mode} {self.object} {self.stage}\t{self.path}"


def parse_ls_files(data: bytes) -> tuple[IndexEntry, ...]:
    """Entries of ``git ls-files --stage -z`` output (malformed records are left out)."""
    out = []
    for record in data.split(b"\0"):
        head, tab, path = record.partition(b"\t")
        fields = head.split(b" ")
        if not tab or len(fields) != 3 or not fields[2].isdigit():
            continue
        mode, obj = fields[0].decode("ascii", "replace"), fields[1].decode("ascii", "replace")
        out.append(IndexEntry(mode, obj, int(fields[2]), os.fsdecode(path)))
    return tuple(out)


def read_index(top: Path, paths: Sequence[str]) -> tuple[tuple[IndexEntry, ...] | None, str]:
    """``(entries, "")`` of the index of the work tree ``top`` at ``paths`` (all entries when
    there are many), or ``(None, reason)``."""
    args = ["ls-files", "--stage", "-z"]
    if len(paths) <= MAX_PATHSPECS:
        args += ["--", *paths]
    out = run_git(top, *args)
    if not out.ok:
        return None, f"git cannot read the index ({out.error or f'exit {out.code}'})"
    return parse_ls_files(out.stdout), ""


def _clean_path(value: str | None) -> str | None:
    """A submodule path as git compares it, or None when it cannot name a path in the tree."""
    if not value or "\0" in value or value.startswith("/"):
        return None
    path = posixpath.normpath(value)
    if path in (".", "") or path == ".." or path.startswith("../"):
        return None
    return path


def _directory(gitmodules: str) -> str:
    return posixpath.dirname(gitmodules)


def _in_tree(directory: str, path: str) -> str:
    return f"{directory}/{path}" if directory else path


@dataclass
class _Pins:
    """What pinning found: replacement components by position, and problems."""

    components: dict[int, Component]
    problems: list[Problem]


def _unknown(comp: Component, reason: str) -> Component:
    props = dict(comp.properties)
    props["version_unknown"] = reason
    return replace(comp, properties=tuple(sorted(props.items())))


def _pinned(comp: Component, entry: IndexEntry, where: Evidence) -> Component:
    gitlink = Evidence(where.path, where.line, entry.text, NAME)
    url = comp.prop("url") or comp.name
    return git_component(
        url, (*comp.evidence, gitlink), ref=entry.object, kind=ComponentKind.SUBMODULE,
        props=dict(comp.properties),
    )  # fmt: skip


def _pin_file(
    root: Path, gitmodules: str, members: Sequence[tuple[int, Component]], found: _Pins
) -> None:
    directory = _directory(gitmodules)
    tree = work_tree_at(root / directory if directory else root)
    if tree.top is None:
        reason = f"{tree.reason}: {_WHERE}"
        for i, comp in members:
            found.components[i] = _unknown(comp, reason)
        names = sorted({comp.prop("submodule") or comp.name for _, comp in members})
        count = f"{len(names)} submodule{'s' if len(names) != 1 else ''}"
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        message = f"the commits of its {count} ({shown}) are unknown: {reason}"
        found.problems.append(Problem(gitmodules, 0, "unresolved", message, NAME))
        return
    wanted = {i: _clean_path(comp.prop("path")) for i, comp in members}
    entries, error = read_index(tree.top, sorted({p for p in wanted.values() if p}))
    by_path: dict[str, list[IndexEntry]] = {}
    for entry in entries or ():
        by_path.setdefault(entry.path, []).append(entry)
    for i, comp in members:
        where = comp.evidence[0]
        name = comp.prop("submodule") or comp.name
        path = wanted[i]
        if entries is None:
            reason = error
        elif path is None:
            raw = comp.prop("path")
            reason = f"path {raw!r} is not inside the work tree" if raw else "it has no path"
        else:
            at = by_path.get(path, [])
            link = next((e for e in at if e.stage == 0 and e.mode == GITLINK), None)
            if link is not None:
                found.components[i] = _pinned(comp, link, where)
                continue
            shown = _in_tree(directory, path)
            if any(e.stage != 0 for e in at):
                reason = f"{shown} is unmerged in the git index (a merge conflict)"
            elif at:
                reason = f"{shown} is not a submodule in the git index (mode {at[0].mode})"
            else:
                reason = f"the git index has no commit for {shown} (declared but never added)"
        found.components[i] = _unknown(comp, reason)
        message = f"the commit of submodule {name!r} is unknown: {reason}"
        found.problems.append(Problem(where.path, where.line, "unresolved", message, NAME))


def pin_submodules(root: Path, result: ScanResult) -> ScanResult:
    """``result`` with each submodule component pinned at its gitlink commit (or its version
    stated unknown, with a reason), the edges to it following its new id, and a Problem for
    each pin that could not be read. ``root`` is the scanned root the paths are relative to.
    Runs git once or twice per ``.gitmodules`` file, never otherwise."""
    groups: dict[str, list[tuple[int, Component]]] = {}
    for i, comp in enumerate(result.components):
        if comp.kind == ComponentKind.SUBMODULE and comp.evidence and comp.version is None:
            groups.setdefault(comp.evidence[0].path, []).append((i, comp))
    if not groups:
        return result
    found = _Pins({}, [])
    for gitmodules in sorted(groups):
        _pin_file(root, gitmodules, groups[gitmodules], found)
    renamed = {
        (old.id, old.evidence[0]): new.id
        for i, new in found.components.items()
        if (old := result.components[i]).id != new.id
    }
    components = tuple(found.components.get(i, c) for i, c in enumerate(result.components))
    edges = tuple(
        replace(e, dst=renamed[(e.dst, e.evidence)])
        if e.evidence is not None and (e.dst, e.evidence) in renamed
        else e
        for e in result.edges
    )
    return replace(
        result,
        components=components,
        edges=edges,
        problems=(*result.problems, *found.problems),
    )


__all__ = ["GITLINK", "IndexEntry", "parse_ls_files", "pin_submodules", "read_index"]

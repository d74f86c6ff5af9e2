"""A lockfile beats an unpinned manifest line: one component with the locked version and
the line that asked for it.

The lockfile scanners (:mod:`audit.scanners.lockbase`) give every locked package its exact
version; the manifest scanners give the lines that ask for packages, unpinned ones without a
version (``pypi:requests`` for ``requests>=2``). For each tree, a manifest line of a
directory whose lockfile (``poetry.lock``, ``uv.lock``, ``pdm.lock``, ``Pipfile.lock`` next
to ``pyproject.toml``, ``Pipfile`` or a requirements file; ``package-lock.json``,
``npm-shrinkwrap.json``, ``yarn.lock``, ``pnpm-lock.yaml`` next to ``package.json``) locks
the same package is joined to the locked component:

- the manifest's ``requires`` edge points at the locked component (``pypi:requests@2.31.0``);
- its evidence is the manifest line first, then the lockfile line; the properties
  ``requested`` (the manifest line, ``pyproject.toml:12``) and ``constraint`` (``>=2``) are
  added, the manifest's ``scope`` wins over the lockfile's;
- the unpinned component stays only for manifest lines of other directories.

A manifest line pinned to a version (``==2.31.0``) is the same id as the locked one and
merges at link time; pinned to another version (a stale lockfile) the two stay apart.
Locked packages no manifest line names (dependencies of dependencies) keep the lockfile
as their only evidence. Only the lockfile of the manifest's own directory counts, and only
its top-level packages (not npm's nested ``node_modules`` copies); when it locks several
versions of the name, the one whose resolved ranges (yarn) hold the line's constraint, else
none (the line stays unpinned rather than take a guess).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import replace

from audit.components import normalize_pypi_name
from audit.model import (
    Component,
    ComponentKind,
    Edge,
    Inventory,
    Relation,
    edge_key,
    unique_edges,
)

_ECOSYSTEMS = frozenset({"pypi", "npm"})


def _key(ecosystem: str, name: str) -> tuple[str, str]:
    return ecosystem, normalize_pypi_name(name) if ecosystem == "pypi" else name


def apply_locks(inventory: Inventory) -> Inventory:
    """``inventory`` with unpinned manifest lines joined to their locked packages (see the
    module docstring)."""
    locked: dict[tuple[str, str, str], list[Component]] = defaultdict(list)
    for c in inventory.components:
        if c.kind != ComponentKind.PACKAGE:  # most: source, images... (no property asked)
            continue
        lockfile = c.prop("lockfile")
        if c.version and lockfile and c.ecosystem and not c.prop("nested_in"):
            ecosystem, name = _key(c.ecosystem, c.name)
            locked[(posixpath.dirname(lockfile), ecosystem, name)].append(c)
    if not locked:
        return inventory
    by_id = {c.id: c for c in inventory.components}
    joined: dict[str, list[Edge]] = defaultdict(list)
    """Locked component id -> the manifest edges joined to it."""
    moved: set[Edge] = set()
    for e in inventory.edges:
        comp = by_id.get(e.dst)
        if (
            e.relation != Relation.REQUIRES
            or comp is None
            or comp.version
            or comp.kind != ComponentKind.PACKAGE
            or comp.ecosystem not in _ECOSYSTEMS
            or not e.src.startswith("manifest:")
            or e.evidence is None
        ):
            continue
        ecosystem, name = _key(comp.ecosystem, comp.name)
        found = locked.get((posixpath.dirname(e.evidence.path), ecosystem, name))
        lock = _pick(found or [], comp.prop("constraint") or "")
        if lock is not None:
            joined[lock.id].append(e)
            moved.add(e)
    if not moved:
        return inventory
    edges = [e for e in inventory.edges if e not in moved]
    edges += [replace(e, dst=lock_id) for lock_id, es in joined.items() for e in es]
    still = {e.dst for e in edges}
    out: list[Component] = []
    for c in inventory.components:
        if c.id in joined:
            out.append(_join(c, [by_id[e.dst] for e in joined[c.id]], joined[c.id]))
        elif c.id in by_id and c.version is None and c.id not in still and _was_moved(c, moved):
            continue  # every line that asked for it is now the locked component's
        else:
            out.append(_trim(c, moved) if _was_moved(c, moved) else c)
    return replace(
        inventory,
        components=tuple(sorted(out, key=lambda c: c.id)),
        edges=tuple(sorted(unique_edges(edges), key=edge_key)),
    )


def _pick(candidates: list[Component], constraint: str) -> Component | None:
    """The locked version a manifest line gets: the only one the lockfile has at its top
    level, else the one whose resolved ranges (yarn) include the line's constraint; several
    that cannot be told apart give none (the line stays unpinned)."""
    if len(candidates) == 1:
        return candidates[0]
    fits = [c for c in candidates if constraint in (c.prop("lock_specs") or "").split(", ")]
    return fits[0] if len(fits) == 1 else None


def _was_moved(c: Component, moved: set[Edge]) -> bool:
    return any(e.dst == c.id for e in moved)


def _trim(c: Component, moved: set[Edge]) -> Component:
    """An unpinned component that other directories still ask for, without the evidence
    of the lines joined to a locked one."""
    gone = {e.evidence for e in moved if e.dst == c.id}
    return replace(c, evidence=tuple(e for e in c.evidence if e not in gone))


def _join(lock: Component, asked: list[Component], edges: list[Edge]) -> Component:
    lines = sorted({e.evidence for e in edges if e.evidence is not None})
    props = dict(lock.properties)
    first = asked[0]
    for key in ("constraint", "scope", "extras", "marker"):
        value = first.prop(key)
        if value:
            props[key] = value
        elif key == "scope" and props.get("scope"):
            props.pop("scope")  # the manifest asks for it at run time
    props["requested"] = ", ".join(e.location for e in lines)
    evidence = (*lines, *(e for e in lock.evidence if e not in lines))
    return replace(lock, evidence=evidence, properties=tuple(sorted(props.items())))


__all__ = ["apply_locks"]

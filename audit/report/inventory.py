"""Render an Inventory as JSON (``depaudit/inventory/2``) or as text.

The JSON layout is documented in docs/inventory-format.md. Every list is sorted and every
key written in a fixed order, so that two runs over the same tree are byte-identical.

Removal sets are written once per group of components that take each other with them (the
versions of one package): a tree with 130 versions of a package used by 300 Dockerfiles
writes those Dockerfiles once, not 130 times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audit import __version__
from audit.graph import GraphIndex, RemovableItem, Removal
from audit.model import Finding, Inventory, to_jsonable
from audit.report import jsontext
from audit.report.text import clean

SCHEMA = "depaudit/inventory/2"


@dataclass(frozen=True)
class RemovalGroup:
    """Components whose removals are one: removing any of them removes all of them, and
    ``removable``; ``review`` lists what to look at then."""

    components: tuple[str, ...]
    removable: tuple[RemovableItem, ...]
    review: tuple[RemovableItem, ...]


def removal_groups(removals: Mapping[str, Removal]) -> tuple[RemovalGroup, ...]:
    """``removals`` (component id -> its removal) grouped: components whose removal sets,
    each with the component itself, are equal form one group, sorted by their first id."""
    members: dict[tuple[frozenset[str], tuple[RemovableItem, ...]], list[str]] = {}
    for cid in sorted(removals):
        r = removals[cid]
        key = (frozenset([cid, *(i.id for i in r.removable)]), r.review)
        members.setdefault(key, []).append(cid)
    groups = []
    for (_ids, review), cids in members.items():
        inside = set(cids)
        items = tuple(i for i in removals[cids[0]].removable if i.id not in inside)
        groups.append(RemovalGroup(tuple(cids), items, review))
    return tuple(sorted(groups, key=lambda g: g.components))


def _item_json(item: RemovableItem) -> dict[str, Any]:
    return {"id": item.id, "reason": item.reason, "evidence": to_jsonable(item.evidence)}


def removal_group_json(group: RemovalGroup) -> dict[str, Any]:
    return {
        "components": list(group.components),
        "removable": [_item_json(i) for i in group.removable],
        "review": [_item_json(i) for i in group.review],
    }


def inventory_document(
    inventory: Inventory,
    removals: Mapping[str, Removal],
    findings: Sequence[Finding] = (),
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "tool": {"name": "depaudit", "version": __version__},
        "root": inventory.root,
        "files_scanned": inventory.files_scanned,
        "components": [to_jsonable(c) for c in inventory.components],
        "nodes": [to_jsonable(n) for n in inventory.nodes],
        "edges": [to_jsonable(e) for e in inventory.edges],
        "removable": [removal_group_json(g) for g in removal_groups(removals)],
        "findings": [to_jsonable(f) for f in findings],
        "problems": [to_jsonable(p) for p in inventory.problems],
        "skipped": [to_jsonable(s) for s in inventory.skipped],
    }


def render_json(doc: Mapping[str, Any]) -> str:
    return jsontext.dumps(doc, ensure_ascii=False) + "\n"


def render_text(
    inventory: Inventory, removals: Mapping[str, Removal], findings: Sequence[Finding] = ()
) -> str:
    index = GraphIndex.build(inventory)
    lines: list[str] = []
    kinds: dict[str, int] = {}
    for c in inventory.components:
        kinds[c.kind.value] = kinds.get(c.kind.value, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    lines.append(
        f"{inventory.root}: {len(inventory.components)} components ({summary or 'none'}), "
        f"{len(inventory.nodes)} consumers, {inventory.files_scanned} files scanned"
    )
    lines.append("")
    lines.append("Components")
    for c in inventory.components:
        where = c.evidence[0].location if c.evidence else ""
        more = f" (+{len(c.evidence) - 1} more)" if len(c.evidence) > 1 else ""
        lines.append(f"  {c.id:<60} {where}{more}")
        for chain in index.chains_to(c.id, limit=3):
            hops = " -> ".join([chain[0].src, *(e.dst for e in chain)])
            if len(chain) > 1:
                lines.append(f"      via {hops}")
    if removals:
        lines.append("")
        lines.append("Removable with")
        for group in removal_groups(removals):
            first, *others = group.components
            if others:
                first += f" (and {len(others)} more that go with it: {', '.join(others)})"
            lines.append(f"  {first}")
            for item in group.removable:
                loc = item.evidence[0].location if item.evidence else ""
                lines.append(f"    - {item.id}  {loc}")
            for item in group.review:
                lines.append(f"    ? {item.id}  ({item.reason})")
    if findings:
        lines.append("")
        lines.append("Findings")
        for f in findings:
            locs = ", ".join(e.location for e in f.evidence[:3])
            lines.append(f"  [{f.kind}] {f.subject}: {f.message} ({locs})")
    if inventory.problems or inventory.skipped:
        lines.append("")
        lines.append("Incomplete")
        for p in inventory.problems:
            loc = f"{p.path}:{p.line}" if p.line else p.path
            lines.append(f"  {loc}: {p.kind}: {p.message}")
        for s in inventory.skipped:
            lines.append(f"  {s.path}: skipped: {s.reason}")
    return "\n".join(clean(line) for line in lines) + "\n"

"""Render an Inventory as JSON (``depaudit/inventory/1``) or as text.

The JSON layout is documented in docs/inventory-format.md. Every list is sorted and every
key written in a fixed order, so that two runs over the same tree are byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from audit import __version__
from audit.graph import GraphIndex, Removal
from audit.model import Finding, Inventory, to_jsonable

SCHEMA = "depaudit/inventory/1"


def removal_json(removal: Removal) -> dict[str, Any]:
    return {
        "removable": [to_jsonable(i) for i in removal.removable],
        "review": [to_jsonable(i) for i in removal.review],
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
        "removable": {k: removal_json(removals[k]) for k in sorted(removals)},
        "findings": [to_jsonable(f) for f in findings],
        "problems": [to_jsonable(p) for p in inventory.problems],
        "skipped": [to_jsonable(s) for s in inventory.skipped],
    }


def render_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


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
        for cid in sorted(removals):
            r = removals[cid]
            lines.append(f"  {cid}")
            for item in r.removable:
                loc = item.evidence[0].location if item.evidence else ""
                lines.append(f"    - {item.id}  {loc}")
            for item in r.review:
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
    return "\n".join(lines) + "\n"

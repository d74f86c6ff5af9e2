"""``depaudit explain``: everything behind one component's verdict, in one place.

Reads a finished :class:`~audit.model.Report`; computes nothing new but the graph paths.
"""

from __future__ import annotations

from typing import Any

from audit.graph import GraphIndex
from audit.licenses.sources import FileLicenses
from audit.model import Component, Notice, Report, to_jsonable
from audit.report.text import clean


def _chains(report: Report, cid: str) -> list[list[str]]:
    index = GraphIndex.build(report.inventory)
    out = []
    for chain in index.chains_to(cid, limit=10):
        hops = [chain[0].src]
        for e in chain:
            where = f" ({e.evidence.location})" if e.evidence else ""
            hops.append(f"-{e.relation.value}-> {e.dst}{where}")
        out.append(hops)
    return out


def explain_document(report: Report, cid: str) -> dict[str, Any]:
    comp = report.inventory.component(cid)
    result = report.result(cid)
    actions = [
        a
        for a in report.actions
        if a.target == cid or cid in (a.prop("components") or "").split(",")
    ]
    return {
        "component": to_jsonable(comp),
        "paths": _chains(report, cid),
        "license": to_jsonable(result.license) if result else None,
        "context": result.context if result else None,
        "distribution": result.distribution if result else None,
        "classification": list(result.classification) if result else [],
        "verdict": to_jsonable(result.verdict) if result else None,
        "actions": [to_jsonable(a) for a in actions],
        "as_of": report.as_of,
        "policy": to_jsonable(report.policy),
        "license_files": license_files_json(report, cid),
    }


def license_files_json(report: Report, cid: str) -> list[dict[str, Any]]:
    """For a ``source`` component: which files gave which license, with the matched rule
    and lines (:class:`audit.licenses.sources.FileLicenses`)."""
    comp = report.inventory.component(cid)
    if comp is None:
        return []
    inv = report.inventory
    return files_json(FileLicenses(inv.components, inv.notices), comp)


def files_json(index: FileLicenses, comp: Component) -> list[dict[str, Any]]:
    """:func:`license_files_json` of one component, from an index built once per report."""
    return [_file_json(n) for n in index.of(comp)]


def _file_json(n: Notice) -> dict[str, Any]:
    return {
        "path": n.path,
        "line": n.line,
        "end_line": n.end_line or n.line,
        "kind": n.kind,
        "expression": n.expression,
        "rule": n.rule or None,
        "text": n.raw,
    }


def explain_text(report: Report, cid: str) -> str:
    doc = explain_document(report, cid)
    comp = doc["component"]
    lines = [f"{cid}"]
    lines.append(
        f"  kind: {comp['kind']}  ecosystem: {comp['ecosystem'] or '-'}  "
        f"purl: {comp['purl'] or '-'}"
    )
    lines.append("  declared at:")
    lines.extend(f"    {e['path']}:{e['line']}: {e['text']}" for e in comp["evidence"])
    if doc["paths"]:
        lines.append("  reached through:")
        for hops in doc["paths"]:
            lines.append(f"    {hops[0]}")
            lines.extend(f"      {h}" for h in hops[1:])
    lic = doc["license"]
    if lic:
        lines.append(f"  license: {lic['expression'] or 'unknown'}  (source: {lic['source']})")
        if lic["raw"] and lic["raw"] != lic["expression"]:
            lines.append(f"    as stated: {lic['raw']}")
        if lic["url"]:
            lines.append(f"    see: {lic['url']}")
        if lic["reason"]:
            lines.append(f"    why: {lic['reason']}")
        lines.extend(f"    {e['path']}:{e['line']}: {e['text']}" for e in lic["evidence"])
    lines.append(f"  context: {doc['context']}  distribution: {doc['distribution']}")
    lines.extend(f"    - {r}" for r in doc["classification"])
    verdict = doc["verdict"]
    if verdict:
        policy = doc["policy"]["name"]
        when = f" as of {doc['as_of']}" if doc["as_of"] else ""
        lines.append(f"  verdict: {verdict['status']} (policy {policy}{when})")
        for key in ("rule", "exception", "election"):
            if verdict[key]:
                lines.append(f"    {key}: {verdict[key]}")
        lines.extend(f"    - {r}" for r in verdict["reasons"])
    if doc["license_files"]:
        lines.append("  license by file:")
        for f in doc["license_files"]:
            where = f"{f['path']}:{f['line']}" + (
                f"-{f['end_line']}" if f["end_line"] != f["line"] else ""
            )
            rule = f"  (rule {f['rule']})" if f["rule"] else ""
            lines.append(f"    {where}: {f['expression'] or 'unknown'} [{f['kind']}]{rule}")
    for a in doc["actions"]:
        lines.append(f"  action: {a['kind']}: {a['because']}")
    # Registry answers and scanned files reach these lines: no escape sequence may reach
    # the terminal, no newline may forge a line.
    return "\n".join(clean(line) for line in lines) + "\n"

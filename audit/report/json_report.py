"""Render a Report as JSON (``depaudit/report/1``), and read one back for baselines.

The layout is documented in docs/report-format.md. Every list is sorted and every object's
keys come in a fixed order, so two runs over the same tree give identical bytes. The other
renderers share the helpers here (action order, summary counts, content digest) so that
every format lists things alike.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from operator import attrgetter, lt
from typing import TYPE_CHECKING, Any

from audit import __version__
from audit.actions import KIND_ORDER, priority
from audit.model import (
    SEVERITY_RANK,
    STATUS_SEVERITY,
    Action,
    ActionKind,
    Component,
    ComponentResult,
    Finding,
    Inventory,
    Note,
    Report,
    Severity,
    Status,
    to_jsonable,
)
from audit.report import jsontext

if TYPE_CHECKING:
    import uuid

SCHEMA = "depaudit/report/1"
TOOL_NAME = "depaudit"
HOMEPAGE = "https://github.com/depaudit/depaudit"

ACTION_ORDER: tuple[ActionKind, ...] = tuple(KIND_ORDER)
"""Action kinds in the order the plan stage ranks them within one severity."""

SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: -SEVERITY_RANK[s]))
"""Action severities, the one that blocks a release first."""

ACTION_TITLE: dict[ActionKind, str] = {
    ActionKind.REMOVE: "remove",
    ActionKind.REPLACE: "replace",
    ActionKind.REQUEST_EXCEPTION: "request an exception for",
    ActionKind.ADD_CURATION: "add a curation for",
    ActionKind.FIX_NOTICE: "fix the license notices of",
    ActionKind.ELECT: "record the license elected for",
}
"""How a decision names its kind in the text, Markdown and HTML reports:
``remove pypi:avocado-framework@69.0``."""

STATUS_ORDER: tuple[Status, ...] = tuple(
    sorted(Status, key=lambda s: (-STATUS_SEVERITY[s], s.value))
)
"""Verdict statuses, worst first."""


def ordered_actions(actions: Iterable[Action]) -> tuple[Action, ...]:
    """Actions in priority order (:func:`audit.actions.priority`): every format lists them so."""
    return tuple(sorted(actions, key=priority))


def severity_counts(actions: Iterable[Action]) -> dict[str, int]:
    """Actions per severity, every severity present (zeros too), worst first."""
    counts = {s.value: 0 for s in SEVERITY_ORDER}
    for a in actions:
        counts[a.severity.value] += 1
    return counts


def note_count(report: Report) -> int:
    """Items in the notes, all causes together."""
    return sum(len(n.items) for n in report.notes)


def ordered_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (f.subject, f.kind, f.message)))


def status_counts(report: Report) -> dict[str, int]:
    """Components per verdict status, every status present (zeros too), worst first."""
    counts = {s.value: 0 for s in STATUS_ORDER}
    for r in report.results:
        counts[r.verdict.status.value] += 1
    return counts


def action_counts(report: Report) -> dict[str, int]:
    counts = {k.value: 0 for k in ACTION_ORDER}
    for a in report.actions:
        counts[a.kind.value] = counts.get(a.kind.value, 0) + 1
    return counts


def worst_status(report: Report) -> Status | None:
    if not report.results:
        return None
    return max((r.verdict.status for r in report.results), key=lambda s: STATUS_SEVERITY[s])


_ID = attrgetter("id")
_COMPONENT_ID = attrgetter("component_id")


def component_ids(report: Report) -> tuple[str, ...]:
    """Every component id of the report (inventory and results), sorted."""
    ids = list(map(_ID, report.inventory.components))
    # most reports: a result for each component, both in the inventory's order, by id
    # (asked several times per report: thousands of ids, no set and no sort then)
    if ids == list(map(_COMPONENT_ID, report.results)) and all(map(lt, ids, ids[1:])):
        return tuple(ids)
    return tuple(sorted({*ids, *map(_COMPONENT_ID, report.results)}))


def rows(report: Report) -> tuple[tuple[str, Component | None, ComponentResult | None], ...]:
    """(id, component, result) for every component id, sorted by id."""
    comps = {c.id: c for c in report.inventory.components}
    results = {r.component_id: r for r in report.results}
    return tuple((cid, comps.get(cid), results.get(cid)) for cid in component_ids(report))


def _component_json(
    cid: str, comp: Component | None, result: ComponentResult | None
) -> dict[str, Any]:
    return {
        "id": cid,
        "kind": comp.kind.value if comp else None,
        "name": comp.name if comp else None,
        "version": comp.version if comp else None,
        "ecosystem": comp.ecosystem if comp else None,
        "purl": comp.purl if comp else None,
        "evidence": to_jsonable(comp.evidence) if comp else [],
        "properties": dict(sorted(comp.properties)) if comp else {},
        "license": to_jsonable(result.license) if result else None,
        "context": result.context if result else None,
        "distribution": result.distribution if result else None,
        "classification": list(result.classification) if result else [],
        "verdict": to_jsonable(result.verdict) if result else None,
    }


def _component_entries(report: Report) -> list[dict[str, Any]]:
    """Every component's entry; a ``source`` component's with ``license_files``: which
    files gave which license, with the matched rule and lines."""
    from audit.explain import files_json
    from audit.licenses.sources import FileLicenses

    inv = report.inventory
    files: FileLicenses | None = None
    first: dict[str, Component] = {}
    for comp in inv.components:
        first.setdefault(comp.id, comp)
    entries = []
    for cid, c, r in rows(report):
        entry = _component_json(cid, c, r)
        if entry["kind"] == "source":
            if files is None:
                files = FileLicenses(inv.components, inv.notices)
            entry["license_files"] = files_json(files, first[cid])
        entries.append(entry)
    return entries


def _action_json(action: Action) -> dict[str, Any]:
    return {
        "kind": action.kind.value,
        "severity": action.severity.value,
        "target": action.target,
        "because": action.because,
        "removable": list(action.removable),
        "evidence": to_jsonable(action.evidence),
        "properties": dict(sorted(action.properties)),
    }


def _note_json(note: Note) -> dict[str, Any]:
    return {
        "cause": note.cause.value,
        "title": note.title,
        "count": len(note.items),
        "items": to_jsonable(note.items),
    }


def report_document(report: Report) -> dict[str, Any]:
    """The ``depaudit/report/1`` document as plain data (see docs/report-format.md)."""
    worst = worst_status(report)
    inv = report.inventory
    return {
        "schema": SCHEMA,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "root": report.root,
        "project": report.project,
        "as_of": report.as_of,
        "policy": to_jsonable(report.policy),
        "repository": to_jsonable(report.repository),
        "summary": {
            "components": len(component_ids(report)),
            "files_scanned": inv.files_scanned,
            "worst": worst.value if worst else None,
            "by_status": status_counts(report),
            "by_action": action_counts(report),
            "by_severity": severity_counts(report.actions),
            "findings": len(report.findings),
            "incomplete": len(report.incomplete),
            "notes": {n.cause.value: len(n.items) for n in report.notes},
            "warnings": len(report.warnings),
        },
        "outcome": to_jsonable(report.outcome),
        "actions": [_action_json(a) for a in ordered_actions(report.actions)],
        "notes": [_note_json(n) for n in report.notes],
        "components": _component_entries(report),
        "findings": [to_jsonable(f) for f in ordered_findings(report.findings)],
        "incomplete": [to_jsonable(p) for p in sorted(report.incomplete)],
        "warnings": list(report.warnings),
        "graph": {
            "nodes": [to_jsonable(n) for n in sorted(inv.nodes, key=lambda n: n.id)],
            "edges": [to_jsonable(e) for e in sorted(inv.edges, key=_edge_sort_key)],
        },
    }


def _edge_sort_key(e: Any) -> tuple[str, str, str, str, int]:
    ev = e.evidence
    return (e.src, e.dst, e.relation.value, ev.path if ev else "", ev.line if ev else 0)


def dumps(doc: Mapping[str, Any]) -> str:
    """``doc`` as JSON text indented by two spaces, non-ASCII kept, with a final newline."""
    return jsontext.dumps(doc, ensure_ascii=False) + "\n"


def render(report: Report) -> str:
    """The report as ``depaudit/report/1`` JSON text."""
    return dumps(report_document(report))


# Helpers shared by the SBOM renderers ---------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def content_digest(report: Report) -> str:
    """SHA-256 (hex) of the JSON report: the seed of the SBOMs' serial number and namespace."""
    import hashlib  # OpenSSL's, for a report of megabytes (audit/keyhash.py)

    return hashlib.sha256(render(report).encode("utf-8")).hexdigest()


def document_uuid(report: Report) -> uuid.UUID:
    """UUIDv5 of the JSON report's digest: the same report always gets the same id.

    The CycloneDX serial number and the SPDX document namespace are built from it (in the
    namespace of depaudit's home page URL).
    """
    import uuid  # only the SBOM formats ask: not on every start-up

    return uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, HOMEPAGE), content_digest(report))


def as_of_datetime(report: Report) -> datetime:
    """When the SBOMs say they were made: the report's ``created`` time (see
    :attr:`Report.created`), else ``as_of`` at 00:00 UTC, else 1970-01-01T00:00:00Z."""
    for text in (report.created, report.as_of[:10] if report.as_of else None):
        if not text:
            continue
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    return EPOCH


_HEX = re.compile(r"[0-9a-f]{32,128}")


def component_digests(comp: Component | None) -> tuple[tuple[str, str], ...]:
    """The digests a component is pinned by, as ``(ALGORITHM, hex)``: CMake's ``URL_HASH``
    (``SHA256=…``, ``MD5=…``) and an image's ``sha256:…`` digest. Algorithm names are
    SPDX's (``SHA256``, ``SHA3_256``, ``MD5``)."""
    if comp is None:
        return ()
    out: set[tuple[str, str]] = set()
    for value, sep in ((comp.prop("url_hash"), "="), (comp.prop("digest"), ":")):
        if not value or sep not in value:
            continue
        algo, _, hexdigest = value.partition(sep)
        algo, hexdigest = algo.strip().upper().replace("-", "_"), hexdigest.strip().lower()
        if _HEX.fullmatch(hexdigest):
            out.add((algo, hexdigest))
    return tuple(sorted(out))


def project_name(report: Report) -> str:
    """The project's name, else the last part of the scanned root."""
    if report.project:
        return report.project
    return posixpath.basename(report.root.replace("\\", "/").rstrip("/")) or report.root


def dependency_map(inventory: Inventory) -> tuple[dict[str, list[str]], list[str]]:
    """Component -> the components it depends on, and the project's direct dependencies.

    A component depends on every component reached from it through consumer nodes only
    (image -built-from-> Dockerfile -installs-> package). Nodes reached from a component
    are owned by it; the project depends on what the other nodes reach, and on the
    components that nothing points at.
    """
    comp_ids = {c.id for c in inventory.components}
    out_edges: dict[str, set[str]] = defaultdict(set)
    has_incoming: set[str] = set()
    for e in inventory.edges:
        out_edges[e.src].add(e.dst)
        has_incoming.add(e.dst)

    def reach(start: str) -> tuple[set[str], set[str]]:
        comps: set[str] = set()
        nodes: set[str] = set()
        stack = sorted(out_edges.get(start, ()))
        while stack:
            gid = stack.pop()
            if gid in comp_ids:
                comps.add(gid)
            elif gid not in nodes:
                nodes.add(gid)
                stack.extend(sorted(out_edges.get(gid, ())))
        comps.discard(start)
        return comps, nodes

    deps: dict[str, list[str]] = {}
    owned: set[str] = set()
    for cid in sorted(comp_ids):
        comps, nodes = reach(cid)
        deps[cid] = sorted(comps)
        owned |= nodes
    top: set[str] = {cid for cid in comp_ids if cid not in has_incoming}
    for gid in sorted({n.id for n in inventory.nodes} | set(out_edges)):
        if gid in comp_ids or gid in owned:
            continue
        comps, _ = reach(gid)
        top |= comps
    return deps, sorted(top)

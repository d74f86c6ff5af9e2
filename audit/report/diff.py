"""Render a :class:`~audit.diff.RunDiff` (``depaudit diff``) as text, JSON or Markdown.

Every format lists the same sections in the same order: components removed and added,
consumers (CI jobs, Dockerfiles, manifests) removed and added, verdicts that changed, and
actions new and resolved. JSON (``depaudit/diff/1``) carries both runs' facts and every
list, sorted, so that a CI job can act on it.
"""

from __future__ import annotations

import json
from typing import Any

from audit.diff import ActionRef, ComponentRef, NodeRef, RunDiff, VerdictChange
from audit.history import RunInfo
from audit.report import markdown as md
from audit.report.text import clean

SCHEMA = "depaudit/diff/1"


def run_json(info: RunInfo) -> dict[str, Any]:
    """A recorded run's facts, as ``depaudit history --format json`` lists them."""
    return {
        "id": info.id,
        "recorded_at": info.recorded_at,
        "root": info.root,
        "project": info.project,
        "commit": info.commit,
        "commit_date": info.commit_date,
        "remote": info.remote,
        "tool_version": info.tool_version,
        "policy": info.policy,
        "policy_read_on": info.policy_read_on,
        "as_of": info.as_of,
        "worst": info.worst,
        "components": info.components,
        "actions": info.actions,
        "by_status": dict(info.by_status),
        "by_action": dict(info.by_action),
    }


def _component_json(c: ComponentRef) -> dict[str, Any]:
    return {"id": c.id, "kind": c.kind, "license": c.license, "status": c.status}


def _node_json(n: NodeRef) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "name": n.name}


def _verdict_json(v: VerdictChange) -> dict[str, Any]:
    return {
        "id": v.id,
        "before": v.before,
        "after": v.after,
        "license_before": v.license_before,
        "license_after": v.license_after,
    }


def _action_json(a: ActionRef) -> dict[str, Any]:
    return {"key": a.key, "kind": a.kind, "target": a.target, "because": a.because}


def diff_document(diff: RunDiff) -> dict[str, Any]:
    """The ``depaudit/diff/1`` document as plain data."""
    return {
        "schema": SCHEMA,
        "before": run_json(diff.before),
        "after": run_json(diff.after),
        "summary": {
            "components_added": len(diff.components_added),
            "components_removed": len(diff.components_removed),
            "nodes_added": len(diff.nodes_added),
            "nodes_removed": len(diff.nodes_removed),
            "verdicts_changed": len(diff.verdicts_changed),
            "actions_new": len(diff.actions_new),
            "actions_resolved": len(diff.actions_resolved),
        },
        "components": {
            "added": [_component_json(c) for c in diff.components_added],
            "removed": [_component_json(c) for c in diff.components_removed],
        },
        "nodes": {
            "added": [_node_json(n) for n in diff.nodes_added],
            "removed": [_node_json(n) for n in diff.nodes_removed],
        },
        "verdicts_changed": [_verdict_json(v) for v in diff.verdicts_changed],
        "actions": {
            "new": [_action_json(a) for a in diff.actions_new],
            "resolved": [_action_json(a) for a in diff.actions_resolved],
        },
    }


def render_json(diff: RunDiff) -> str:
    return json.dumps(diff_document(diff), indent=2, ensure_ascii=False) + "\n"


# Text -----------------------------------------------------------------------------------


def run_line(info: RunInfo) -> str:
    """``run 2  2026-01-05T06:00:00+00:00  commit 4f6ea9d1c3b2  examples/falco-2023``."""
    parts = [f"run {info.id}", info.recorded_at]
    if info.commit:
        parts.append(f"commit {info.commit[:12]}")
    parts.append(info.root)
    return "  ".join(clean(p) for p in parts)


def _verdict_text(v: VerdictChange) -> str:
    out = f"{v.before or 'none'} -> {v.after or 'none'}"
    if v.license_before != v.license_after:
        out += f" (license {v.license_before or 'unknown'} -> {v.license_after or 'unknown'})"
    return out


def _section(title: str, items: list[tuple[str, str, str]]) -> list[str]:
    """A titled list of (mark, id, note) lines, notes aligned; nothing when empty."""
    if not items:
        return []
    width = max(len(clean(i)) for _, i, _ in items)
    lines = [f"  {m} {clean(i).ljust(width)}  {clean(n)}".rstrip() for m, i, n in items]
    return ["", f"{title} ({len(items)})", *lines]


def render_text(diff: RunDiff) -> str:
    out = [
        f"depaudit diff: run {diff.before.id} -> run {diff.after.id}",
        f"  before: {run_line(diff.before)}",
        f"  after:  {run_line(diff.after)}",
    ]
    if diff.empty:
        out.extend(["", "No changes."])
        return "\n".join(out) + "\n"

    def comps(mark: str, items: tuple[ComponentRef, ...]) -> list[tuple[str, str, str]]:
        return [(mark, c.id, c.status or "no verdict") for c in items]

    out.extend(_section("Components removed", comps("-", diff.components_removed)))
    out.extend(_section("Components added", comps("+", diff.components_added)))
    out.extend(_section("Consumers removed", [("-", n.id, "") for n in diff.nodes_removed]))
    out.extend(_section("Consumers added", [("+", n.id, "") for n in diff.nodes_added]))
    out.extend(
        _section(
            "Verdicts changed",
            [("~", v.id, _verdict_text(v)) for v in diff.verdicts_changed],
        )
    )
    out.extend(_section("New actions", [("+", a.kind, a.target) for a in diff.actions_new]))
    out.extend(
        _section("Resolved actions", [("-", a.kind, a.target) for a in diff.actions_resolved])
    )
    return "\n".join(out) + "\n"


# Markdown -------------------------------------------------------------------------------


def _run_md(info: RunInfo) -> str:
    parts = [f"run {info.id}", md.text(info.recorded_at)]
    if info.commit:
        parts.append(f"commit {md.code(info.commit[:12])}")
    parts.append(md.code(info.root))
    return " · ".join(parts)


def render_markdown(diff: RunDiff) -> str:
    out = [
        f"## depaudit diff: run {diff.before.id} → run {diff.after.id}",
        "",
        f"- before: {_run_md(diff.before)}",
        f"- after: {_run_md(diff.after)}",
        "",
        "| change | count |",
        "|:--|--:|",
    ]
    counts = (
        ("components removed", len(diff.components_removed)),
        ("components added", len(diff.components_added)),
        ("consumers removed", len(diff.nodes_removed)),
        ("consumers added", len(diff.nodes_added)),
        ("verdicts changed", len(diff.verdicts_changed)),
        ("new actions", len(diff.actions_new)),
        ("resolved actions", len(diff.actions_resolved)),
    )
    out.extend(f"| {label} | {n} |" for label, n in counts)
    if diff.empty:
        out.extend(["", "No changes."])
        return "\n".join(out) + "\n"

    def components(title: str, items: tuple[ComponentRef, ...]) -> None:
        if not items:
            return
        out.extend(["", f"### {title} ({len(items)})", ""])
        out.extend(["| component | license | verdict |", "|:--|:--|:--|"])
        for c in items:
            lic = md.cell(c.license) if c.license else "unknown"
            out.append(f"| {md.code(c.id, in_table=True)} | {lic} | {md.cell(c.status or '')} |")

    def nodes(title: str, items: tuple[NodeRef, ...]) -> None:
        if items:
            out.extend(["", f"### {title} ({len(items)})", ""])
            out.extend(f"- {md.code(n.id)}" for n in items)

    def actions(title: str, items: tuple[ActionRef, ...]) -> None:
        if items:
            out.extend(["", f"### {title} ({len(items)})", ""])
            out.extend(
                f"- **{md.text(a.kind)}** {md.code(a.target)}: {md.text(a.because)}" for a in items
            )

    components("Components removed", diff.components_removed)
    components("Components added", diff.components_added)
    nodes("Consumers removed", diff.nodes_removed)
    nodes("Consumers added", diff.nodes_added)
    if diff.verdicts_changed:
        out.extend(["", f"### Verdicts changed ({len(diff.verdicts_changed)})", ""])
        out.extend(["| component | before | after | license |", "|:--|:--|:--|:--|"])
        for v in diff.verdicts_changed:
            lic = md.cell(v.license_after or "unknown")
            if v.license_before != v.license_after:
                lic = f"{md.cell(v.license_before or 'unknown')} → {lic}"
            out.append(
                f"| {md.code(v.id, in_table=True)} | {md.cell(v.before or 'none')} | "
                f"{md.cell(v.after or 'none')} | {lic} |"
            )
    actions("New actions", diff.actions_new)
    actions("Resolved actions", diff.actions_resolved)
    return "\n".join(out) + "\n"


def render(fmt: str, diff: RunDiff) -> str:
    """``diff`` in one of :data:`audit.report.registry.DIFF_FORMATS`."""
    if fmt == "json":
        return render_json(diff)
    if fmt == "markdown":
        return render_markdown(diff)
    return render_text(diff)


# depaudit history -----------------------------------------------------------------------


def render_history(runs: tuple[RunInfo, ...], fmt: str = "text") -> str:
    """The recorded runs, oldest first, with their counts."""
    if fmt == "json":
        doc = {"schema": "depaudit/history/1", "runs": [run_json(r) for r in runs]}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if not runs:
        return "No recorded runs.\n"
    head = (
        "run",
        "recorded (UTC)",
        "commit",
        "components",
        "denied",
        "needs-exc",
        "unknown",
        "actions",
        "root",
    )
    table = [head]
    for r in runs:
        table.append(
            (
                str(r.id),
                r.recorded_at.replace("T", " ").removesuffix("+00:00"),
                (r.commit or "")[:12] or "-",
                str(r.components),
                str(r.count("denied")),
                str(r.count("needs-exception")),
                str(r.count("unknown")),
                str(r.actions),
                clean(r.root),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    numeric = {0, 3, 4, 5, 6, 7}
    lines = []
    for row in table:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"

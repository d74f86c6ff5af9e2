"""Render a Report as GitHub-flavoured Markdown, for a pull-request comment or an issue.

A summary table, the actions by kind, then the long sections (components, incomplete,
warnings, long removable lists) folded in ``<details>``. Evidence becomes ``path:line``
links to the exact commit when the report knows the repository's web URL and commit.

Text that comes from the scanned repository (evidence lines, messages) is escaped: it can
neither close a ``<details>`` nor break a table.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from audit.model import Action, ActionKind, Evidence, RepoInfo, Report
from audit.report.json_report import (
    STATUS_ORDER,
    actions_by_kind,
    component_ids,
    ordered_findings,
    rows,
    status_counts,
)

ACTION_TITLE: dict[ActionKind, str] = {
    ActionKind.REMOVE: "Remove",
    ActionKind.REPLACE: "Replace",
    ActionKind.REQUEST_EXCEPTION: "Request an exception",
    ActionKind.ELECT: "Elect a license",
    ActionKind.REVIEW: "Review",
}

FOLD_AFTER = 5
"""Lists of removable items longer than this are folded."""


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]~"})


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _flat(value: str) -> str:
    """One line: whitespace runs to one space, other control characters dropped."""
    return _CONTROL.sub("", " ".join(value.split()))


def text(value: str) -> str:
    """Escape text for Markdown prose: emphasis, links, code, HTML and line breaks."""
    return html.escape(_flat(value), quote=False).translate(_MD_SPECIAL)


def cell(value: str) -> str:
    """Escape text for a table cell."""
    return text(value).replace("|", "\\|")


def code(value: str, *, in_table: bool = False) -> str:
    """An inline code span that survives backticks in ``value``."""
    value = _flat(value)
    fence = "`"
    while fence in value:
        fence += "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    out = f"{fence}{pad}{value}{pad}{fence}"
    return out.replace("|", "\\|") if in_table else out


def blob_url(repo: RepoInfo, path: str, line: int) -> str | None:
    """Web URL of ``path`` (relative to the scanned root) at the report's commit, or None.

    GitHub (and hosts laid out like it) get ``/blob/COMMIT/PATH#L10``; GitLab gets
    ``/-/blob/``. Only ``https://`` remotes are linked.
    """
    if not repo.remote or not repo.commit:
        return None
    remote = repo.remote.strip().rstrip("/")
    remote = remote.removesuffix(".git")
    parts = urlsplit(remote)
    if parts.scheme != "https" or not parts.netloc:
        return None
    full = posixpath.join(repo.prefix.strip("/"), path) if repo.prefix.strip("/") else path
    blob = "/-/blob/" if "gitlab" in parts.netloc.lower() else "/blob/"
    url = f"{remote}{blob}{quote(repo.commit, safe='')}/{quote(full)}"
    if line > 0:
        url += f"#L{line}"
    return url


def location(repo: RepoInfo, evidence: Evidence) -> str:
    """``[`path:line`](url)`` when a URL can be built, else ``path:line`` in code."""
    label = code(evidence.location)
    url = blob_url(repo, evidence.path, evidence.line)
    return f"[{label}]({url})" if url else label


def _evidence_list(repo: RepoInfo, evidence: Sequence[Evidence], indent: str) -> list[str]:
    out = []
    for e in evidence:
        line = f"{indent}- {location(repo, e)}"
        if e.text:
            line += f" {code(e.text)}"
        out.append(line)
    return out


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]


def _action(report: Report, action: Action) -> list[str]:
    out = [f"- **{code(action.target)}**: {text(action.because)}"]
    for key, value in sorted(action.properties):
        out.append(f"  - {text(key)}: {text(value)}")
    if action.evidence:
        out.append("  - evidence:")
        out.extend(_evidence_list(report.repository, action.evidence, "    "))
    if action.removable:
        items = [f"- {code(item)}" for item in action.removable]
        if len(items) > FOLD_AFTER:
            out.append("")
            out.extend(
                "  " + line if line else ""
                for line in _details(f"Goes with it ({len(items)})", items)
            )
            out.append("")
        else:
            out.append("  - goes with it:")
            out.extend("    " + line for line in items)
    return out


def _summary(report: Report) -> list[str]:
    policy = text(report.policy.name)
    if report.policy.source_url:
        policy = f"[{policy}]({report.policy.source_url})"
    facts = [f"policy {policy}"]
    facts.append(f"as of {text(report.as_of)}" if report.as_of else "as of today")
    if report.repository.commit:
        facts.append(f"commit {code(report.repository.commit[:12])}")
    n = len(component_ids(report))
    facts.append(f"{n} component{'s' if n != 1 else ''}")
    facts.append(f"{len(report.actions)} action{'s' if len(report.actions) != 1 else ''}")
    counts = status_counts(report)
    table = ["| verdict | components |", "|:--|--:|"]
    table.extend(f"| {s.value} | {counts[s.value]} |" for s in STATUS_ORDER if counts[s.value])
    return [" · ".join(facts), "", *table]


def _components(report: Report) -> list[str]:
    body = [
        "| component | license | context | distribution | verdict |",
        "|:--|:--|:--|:--|:--|",
    ]
    for cid, _comp, result in rows(report):
        if result is None:
            body.append(f"| {code(cid, in_table=True)} | | | | |")
            continue
        verdict = result.verdict.status.value
        if result.verdict.exception:
            verdict += f" ({cell(result.verdict.exception)})"
        if result.verdict.election:
            verdict += f", elected {cell(result.verdict.election)}"
        lic = result.license.expression
        body.append(
            f"| {code(cid, in_table=True)} | {cell(lic) if lic else 'unknown'} | "
            f"{cell(result.context)} | {cell(result.distribution)} | {verdict} |"
        )
    return _details(f"Components ({len(component_ids(report))})", body)


def render(report: Report) -> str:
    """The report as Markdown."""
    title = text(report.project) if report.project else code(report.root)
    out = [f"## depaudit: {title}", ""]
    if report.project:
        out[0] += f" ({code(report.root)})"
    out.extend(_summary(report))

    groups = actions_by_kind(report.actions)
    if groups:
        out.extend(["", "### Actions"])
        for kind, group in groups:
            out.extend(["", f"#### {ACTION_TITLE[kind]} ({len(group)})", ""])
            for action in group:
                out.extend(_action(report, action))
    else:
        out.extend(["", "No actions."])

    findings = ordered_findings(report.findings)
    if findings:
        out.extend(["", f"### Findings ({len(findings)})", ""])
        for f in findings:
            out.append(f"- **{code(f.subject)}** ({text(f.kind)}): {text(f.message)}")
            out.extend(_evidence_list(report.repository, f.evidence, "  "))

    out.append("")
    out.extend(_components(report))

    if report.incomplete:
        body = []
        for p in sorted(report.incomplete):
            loc = Evidence(p.path, p.line, "", p.scanner)
            body.append(f"- {location(report.repository, loc)} {text(p.kind)}: {text(p.message)}")
        out.append("")
        out.extend(_details(f"Incomplete ({len(report.incomplete)})", body))

    if report.warnings:
        out.append("")
        out.extend(
            _details(
                f"Warnings ({len(report.warnings)})", [f"- {text(w)}" for w in report.warnings]
            )
        )
    return "\n".join(out) + "\n"

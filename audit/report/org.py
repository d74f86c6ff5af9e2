"""The cross-project report of ``depaudit org report`` (:mod:`audit.org.crossreport`) as
JSON (``depaudit/org-report/1``), Markdown and one self-contained HTML page; each format
through :func:`audit.report.registry.render_org`."""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from typing import Any

from audit.issueform import IssueForm
from audit.org.candidateform import candidate_answers
from audit.org.crossreport import SCHEMA, Candidate, Grant, Need, OrgReport


def document(report: OrgReport, form: IssueForm) -> dict[str, Any]:
    doc = asdict(report)
    doc = {"schema": SCHEMA, **doc}
    for c, cand in zip(doc["candidates"], report.candidates, strict=True):
        c["request_form"] = [
            {"label": label, "answer": answer} for label, answer in candidate_answers(cand, form)
        ]
    for r in doc["recurring"]:
        r["repositories"] = sorted({u["repository"] for u in r["usages"]})
    return doc


def render_json(report: OrgReport, form: IssueForm) -> str:
    return json.dumps(document(report, form), indent=2, ensure_ascii=False) + "\n"


def _grant(g: Grant) -> str:
    when = f"approved {g.approved}" if g.approved else "no approval date"
    late = " (after the as-of date: it did not count)" if g.after_as_of else ""
    return f"{g.id} ({g.kind}, {g.projects}, {g.license}, {when}{late})"


def _cell(text: object) -> str:
    return " ".join(str(text).replace("|", "\\|").split())


def _table(head: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _counts(report: OrgReport) -> str:
    by = {
        s: sum(1 for r in report.repositories if r.status == s)
        for s in ("audited", "skipped", "failed")
    }
    return (
        f"{len(report.repositories)} repositories: {by['audited']} audited, "
        f"{by['skipped']} unchanged (earlier run), {by['failed']} failed"
    )


def _candidate_md(c: Candidate, form: IssueForm) -> list[str]:
    out = [f"### {c.license} in `{c.context}`: {len(c.projects)} projects", ""]
    out.append(f"Projects: {', '.join(c.projects)}.")
    if c.granted:
        out.append("")
        out.append("Already granted by the exceptions database:")
        out += [f"- {_grant(g)}" for g in c.granted]
    out += ["", "<details><summary>as a request form</summary>", ""]
    for label, answer in candidate_answers(c, form):
        out += [f"#### {label}", "", answer, ""]
    out += ["</details>", ""]
    return out


REPO_HEAD = ("repository", "project", "status", "worst", "components", "decisions", "note")


def _repo_rows(report: OrgReport) -> list[tuple[object, ...]]:
    return [
        (
            r.repository,
            r.project or "-",
            r.status,
            r.worst or "-",
            r.components,
            ", ".join(f"{k} {t}" for k, t in r.decisions) or "-",
            r.error or "",
        )
        for r in report.repositories
    ]


def _need_row(n: Need) -> tuple[object, ...]:
    others = "; ".join(_grant(g) for g in n.granted_to_others) or "-"
    return (n.component, n.license, n.expression, n.context, others)


def render_markdown(report: OrgReport, form: IssueForm) -> str:
    out = [f"# Organisation audit: org run {report.org_run}", ""]
    out.append(
        f"Recorded {report.recorded_at}; as of {report.as_of or 'the run date'}; policy "
        f"{report.policy}; {_counts(report)}."
    )
    out += ["", "## Repositories", ""]
    out += _table(REPO_HEAD, _repo_rows(report))
    out += [
        "",
        f"## Blanket-exception candidates (needed by {report.min_projects} or more projects)",
        "",
    ]
    if not report.candidates:
        out += ["None.", ""]
    for c in report.candidates:
        out += _candidate_md(c, form)
    out += ["## Exceptions each project needs", ""]
    projects = sorted({(n.project, n.repository) for n in report.needs})
    if not projects:
        out += ["None.", ""]
    for project, repository in projects:
        out += [f"### {project} ({repository})", ""]
        rows = [_need_row(n) for n in report.needs if n.repository == repository]
        out += _table(("component", "needs", "expression", "context", "granted to others"), rows)
        out.append("")
    out += ["## Third-party components in several repositories", ""]
    if not report.recurring:
        out += ["None.", ""]
    else:
        rows = []
        for rc in report.recurring:
            uses = "; ".join(
                f"{u.repository}: {u.version or '-'} {u.license or 'unknown'} {u.status or '-'}"
                for u in rc.usages
            )
            rows.append((f"{rc.kind} {rc.name}", len(rc.repositories), uses))
        out += _table(("component", "repositories", "version, license and verdict in each"), rows)
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_html(report: OrgReport, form: IssueForm) -> str:
    """One self-contained page (no script, nothing loaded): the Markdown's sections."""
    e = html.escape

    def table(head: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
        th = "".join(f"<th>{e(h)}</th>" for h in head)
        body = "".join(
            "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Organisation audit: org run {report.org_run}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:72rem;"
        "padding:0 1rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}"
        "td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top;"
        "overflow-wrap:anywhere}pre{white-space:pre-wrap}</style></head><body>",
        f"<h1>Organisation audit: org run {report.org_run}</h1>",
        f"<p>Recorded {e(report.recorded_at)}; as of {e(report.as_of or 'the run date')}; "
        f"policy {e(report.policy)}; {e(_counts(report))}.</p>",
        "<h2>Repositories</h2>",
        table(REPO_HEAD, _repo_rows(report)),
        f"<h2>Blanket-exception candidates (needed by {report.min_projects} or more projects)</h2>",
    ]
    if not report.candidates:
        parts.append("<p>None.</p>")
    for c in report.candidates:
        parts.append(f"<h3>{e(c.license)} in {e(c.context)}: {len(c.projects)} projects</h3>")
        parts.append(f"<p>Projects: {e(', '.join(c.projects))}.</p>")
        if c.granted:
            items = "".join(f"<li>{e(_grant(g))}</li>" for g in c.granted)
            parts.append(f"<p>Already granted by the exceptions database:</p><ul>{items}</ul>")
        parts.append("<details><summary>as a request form</summary>")
        for label, answer in candidate_answers(c, form):
            parts.append(f"<h4>{e(label)}</h4><pre>{e(answer)}</pre>")
        parts.append("</details>")
    parts.append("<h2>Exceptions each project needs</h2>")
    for project, repository in sorted({(n.project, n.repository) for n in report.needs}):
        parts.append(f"<h3>{e(project)} ({e(repository)})</h3>")
        rows = [_need_row(n) for n in report.needs if n.repository == repository]
        parts.append(
            table(("component", "needs", "expression", "context", "granted to others"), rows)
        )
    parts.append("<h2>Third-party components in several repositories</h2>")
    parts.append(
        table(
            ("component", "repository", "version", "license", "context", "verdict"),
            [
                (
                    f"{rc.kind} {rc.name}",
                    u.repository,
                    u.version or "-",
                    u.license or "unknown",
                    u.context or "-",
                    u.status or "-",
                )
                for rc in report.recurring
                for u in rc.usages
            ],
        )
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"

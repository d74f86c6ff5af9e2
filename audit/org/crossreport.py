"""The cross-project report of one ``depaudit org`` run (``depaudit org report``).

Built from the recorded report documents only (nothing is scanned again):

- per repository: its status in the run, its project, worst verdict, counts and decisions;
- third-party components that recur across repositories (by kind and name, any version),
  with each one's version, license, context and verdict there;
- the exceptions each project needs: for every component whose verdict is
  ``needs-exception``, the licenses of its expression that need one in its context (each
  leaf judged alone by the policy, so that ``GPL-2.0-only OR MIT`` in eBPF code needs
  ``GPL-2.0-only``), and the records of the exceptions database granting that license to
  other projects;
- blanket-exception candidates: one license in one context needed by ``min_projects`` or
  more projects, with each project's components and evidence lines, laid out like the
  request form (:mod:`audit.issueform`).

The policy, exceptions database and as-of date are those the org run's scans used (its
``--scan`` options).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from audit.errors import InputError
from audit.history import load_run
from audit.org.store import RepoRow, org_rows
from audit.policy.exceptions import ExceptionRecord, ExceptionRegistry
from audit.policy.policy import Policy

SCHEMA = "depaudit/org-report/1"
MAX_EVIDENCE = 12
"""Evidence lines kept per component need (the count of the rest is kept)."""
NEEDS = "needs-exception"


@dataclass(frozen=True)
class Line:
    """One evidence line: root-relative path, line, text."""

    path: str
    line: int
    text: str

    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class RepoStatus:
    """One repository in the org run."""

    repository: str
    location: str
    status: str
    """``audited``, ``skipped`` (its earlier run stands) or ``failed``."""
    project: str | None
    run_id: int | None
    exit_code: int | None
    error: str | None
    worst: str | None
    components: int
    by_status: tuple[tuple[str, int], ...]
    decisions: tuple[tuple[str, str], ...]
    """``(kind, target)`` of each action, in the report's order."""


@dataclass(frozen=True)
class Usage:
    """A recurring component in one repository."""

    repository: str
    project: str
    component_id: str
    version: str | None
    license: str | None
    context: str | None
    distribution: str | None
    status: str | None


@dataclass(frozen=True)
class Recurring:
    """A third-party component used by more than one repository."""

    kind: str
    name: str
    usages: tuple[Usage, ...]

    @property
    def repositories(self) -> tuple[str, ...]:
        return tuple(sorted({u.repository for u in self.usages}))


@dataclass(frozen=True)
class Grant:
    """An exception record that grants a license to some project."""

    id: str
    kind: str
    """``blanket`` or ``exception``."""
    projects: str
    license: str
    scope: str
    approved: str | None
    after_as_of: bool
    """Approved after the run's as-of date (so it did not count)."""
    url: str


@dataclass(frozen=True)
class Need:
    """One license one component of one project needs an exception for."""

    repository: str
    project: str
    component_id: str
    component: str
    license: str
    """The license (a leaf of the expression) that needs the exception."""
    expression: str
    context: str
    distribution: str
    purpose: str
    """Why it has its context (the classification's first reason)."""
    evidence: tuple[Line, ...]
    more_evidence: int
    granted_to_others: tuple[Grant, ...]


@dataclass(frozen=True)
class Candidate:
    """A blanket-exception candidate: one license in one context, several projects."""

    license: str
    context: str
    projects: tuple[str, ...]
    needs: tuple[Need, ...]
    granted: tuple[Grant, ...]
    """Records that already grant this license (to anyone), for comparison."""


@dataclass(frozen=True)
class OrgReport:
    """The organisation report: each repository's status and what recurs across them."""

    org_run: int
    recorded_at: str
    as_of: str | None
    policy: str
    min_projects: int
    repositories: tuple[RepoStatus, ...]
    recurring: tuple[Recurring, ...]
    needs: tuple[Need, ...]
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Judge:
    """The policy and exceptions the org run's scans applied, to judge single licenses."""

    policy: Policy
    registry: ExceptionRegistry
    as_of: date

    def needing(self, expression: str, context: str, distribution: str) -> tuple[str, ...]:
        """The leaves of ``expression`` that need an exception alone in this context."""
        from audit import spdx
        from audit.policy import evaluate

        normalized = spdx.normalize(expression)
        if normalized is None:
            return ()
        found: list[str] = []
        for leaf in spdx.leaves(spdx.tree(normalized)):
            text = spdx.render(leaf)
            verdict = evaluate(
                text, context=context, distribution=distribution, project=None,
                as_of=self.as_of, policy=self.policy, exceptions=ExceptionRegistry(),
            )  # fmt: skip
            if verdict.status.value == NEEDS and text not in found:
                found.append(text)
        return tuple(found)

    def grants(self, license: str, context: str) -> tuple[Grant, ...]:
        """Records of the database that grant ``license`` (in ``context``, when their scope
        says where), approved on any date."""
        from audit.policy.exceptions import GRANTING

        out = []
        for record, _term in self.registry.candidates(license):
            if record.status not in GRANTING:
                continue
            if record.contexts and context not in record.contexts:
                continue
            out.append(_grant(record, self.as_of))
        return tuple(sorted(set(out), key=lambda g: (g.approved or "", g.id)))


def _grant(record: ExceptionRecord, as_of: date) -> Grant:
    return Grant(
        id=record.id,
        kind=record.kind,
        projects=record.projects_text,
        license=record.license,
        scope=record.scope,
        approved=record.approved.isoformat() if record.approved else None,
        after_as_of=record.approved is not None and record.approved > as_of,
        url=record.url,
    )


def newest_org_run(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(id) FROM org_runs").fetchone()
    if row is None or row[0] is None:
        raise InputError("no org run in the history (run `depaudit org PATH --history DB`)")
    return int(row[0])


def build_report(
    conn: sqlite3.Connection, org_run: int, judge: Judge, *, min_projects: int = 2
) -> OrgReport:
    """The cross-project report of org run ``org_run`` (see the module docstring)."""
    head = conn.execute("SELECT recorded_at FROM org_runs WHERE id = ?", (org_run,)).fetchone()
    if head is None:
        raise InputError(f"no org run {org_run} in the history")
    rows = org_rows(conn, org_run)
    docs: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if row.run_id is not None:
            docs[row.repository] = load_run(conn, row.run_id).document
    repos = tuple(_repo_status(row, docs.get(row.repository)) for row in rows)
    needs = tuple(n for name in sorted(docs) for n in _needs(name, docs[name], judge))
    as_of = next((d.get("as_of") for d in docs.values() if d.get("as_of")), None)
    return OrgReport(
        org_run=org_run,
        recorded_at=str(head[0]),
        as_of=as_of,
        policy=judge.policy.name,
        min_projects=min_projects,
        repositories=repos,
        recurring=_recurring(docs),
        needs=needs,
        candidates=_candidates(needs, judge, min_projects),
    )


def _project(name: str, doc: Mapping[str, Any]) -> str:
    project = doc.get("project")
    return project if isinstance(project, str) and project else name


def _repo_status(row: RepoRow, doc: Mapping[str, Any] | None) -> RepoStatus:
    summary = (doc or {}).get("summary") or {}
    by_status = summary.get("by_status") or {}
    return RepoStatus(
        repository=row.repository,
        location=row.location,
        status=row.status,
        project=_project(row.repository, doc) if doc else None,
        run_id=row.run_id,
        exit_code=row.exit_code,
        error=row.error,
        worst=summary.get("worst"),
        components=int(summary.get("components") or 0),
        by_status=tuple((str(k), int(v)) for k, v in by_status.items() if int(v)),
        decisions=tuple(
            (str(a.get("kind")), str(a.get("target"))) for a in (doc or {}).get("actions", [])
        ),
    )


def _recurring(docs: Mapping[str, Mapping[str, Any]]) -> tuple[Recurring, ...]:
    groups: dict[tuple[str, str], list[Usage]] = defaultdict(list)
    for name in sorted(docs):
        doc = docs[name]
        for c in doc.get("components", []):
            if c.get("kind") == "source":
                continue  # first-party code, not a shared third-party component
            groups[(str(c.get("kind")), str(c.get("name")))].append(
                Usage(
                    repository=name,
                    project=_project(name, doc),
                    component_id=str(c.get("id")),
                    version=c.get("version"),
                    license=(c.get("license") or {}).get("expression"),
                    context=c.get("context"),
                    distribution=c.get("distribution"),
                    status=(c.get("verdict") or {}).get("status"),
                )
            )
    found = [
        Recurring(kind, cname, tuple(usages))
        for (kind, cname), usages in groups.items()
        if len({u.repository for u in usages}) > 1
    ]
    found.sort(key=lambda r: (-len(r.repositories), r.kind, r.name))
    return tuple(found)


def _lines(component: Mapping[str, Any]) -> tuple[tuple[Line, ...], int]:
    seen: set[Line] = set()
    for e in [
        *component.get("evidence", []),
        *(component.get("license") or {}).get("evidence", []),
    ]:
        if (
            isinstance(e, dict)
            and isinstance(e.get("path"), str)
            and isinstance(e.get("line"), int)
        ):
            seen.add(Line(e["path"], e["line"], str(e.get("text") or "")))
    ordered = sorted(seen, key=lambda x: (x.path, x.line, x.text))
    return tuple(ordered[:MAX_EVIDENCE]), max(0, len(ordered) - MAX_EVIDENCE)


def _needs(name: str, doc: Mapping[str, Any], judge: Judge) -> list[Need]:
    out: list[Need] = []
    project = _project(name, doc)
    for c in doc.get("components", []):
        if (c.get("verdict") or {}).get("status") != NEEDS:
            continue
        expression = (c.get("license") or {}).get("expression")
        context, distribution = c.get("context"), c.get("distribution")
        if not (isinstance(expression, str) and isinstance(context, str)):
            continue
        distribution = distribution if isinstance(distribution, str) else "distributed"
        evidence, more = _lines(c)
        reasons = c.get("classification") or []
        for license in judge.needing(expression, context, distribution) or (expression,):
            grants = tuple(
                sorted(
                    {*judge.grants(license, context), *judge.grants(expression, context)},
                    key=lambda g: (g.approved or "", g.id),
                )
            )
            out.append(
                Need(
                    repository=name,
                    project=project,
                    component_id=str(c.get("id")),
                    component=str(c.get("name")),
                    license=license,
                    expression=expression,
                    context=context,
                    distribution=distribution,
                    purpose=str(reasons[0]) if reasons else "",
                    evidence=evidence,
                    more_evidence=more,
                    granted_to_others=tuple(
                        g for g in grants if project.casefold() not in g.projects.casefold()
                    ),
                )
            )
    return out


def _candidates(needs: Sequence[Need], judge: Judge, min_projects: int) -> tuple[Candidate, ...]:
    groups: dict[tuple[str, str], list[Need]] = defaultdict(list)
    for n in needs:
        groups[(n.license, n.context)].append(n)
    found = []
    for (license, context), members in groups.items():
        projects = tuple(sorted({n.project for n in members}))
        if len(projects) < min_projects:
            continue
        found.append(
            Candidate(license, context, projects, tuple(members), judge.grants(license, context))
        )
    found.sort(key=lambda c: (-len(c.projects), c.license, c.context))
    return tuple(found)

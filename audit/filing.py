"""Filing a request in one step, and whether it needs filing at all.

- :func:`new_issue_url`: GitHub's "new issue" page for the form, with the text fields
  prefilled (an issue form takes a field's ``id`` as a query parameter), when the URL stays
  under :data:`MAX_URL`; dropdowns and checkboxes are left for the maintainer to pick.
- :func:`gh_command`: otherwise, the ``gh issue create`` command that files the body file.
  depaudit prints it and never runs it.
- :func:`coverage`: what the exceptions database already says about each component, the
  two ways the foundation would see it: a granted record that covers it today (blanket, or
  for this project: the policy judged again with the whole database, no ``--as-of``
  date), and the triage
  workflow's duplicate check (the table's component name equal to a record's package,
  case-insensitively, without ``http(s)://`` and a trailing ``/``).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from audit.issueform import IssueForm
from audit.model import Component, ComponentResult, Status
from audit.policy.engine import Evaluator
from audit.policy.exceptions import ExceptionRecord, ExceptionRegistry
from audit.request import ExceptionRequest, prefill

MAX_URL = 8000
"""Longest URL depaudit offers: browsers and GitHub's front end refuse much longer ones."""


def new_issue_url(req: ExceptionRequest, form: IssueForm) -> str | None:
    """The prefilled "new issue" URL; ``None`` when it would exceed :data:`MAX_URL`."""
    params = {"template": form.template, "title": req.title}
    params.update(prefill(req, form))
    url = f"https://github.com/{form.repository}/issues/new?" + urlencode(params, quote_via=quote)
    return url if len(url) <= MAX_URL else None


def gh_command(req: ExceptionRequest, form: IssueForm, body_file: str) -> str:
    """The command that files ``body_file`` as an issue (printed, never run)."""
    words = ["gh", "issue", "create", "--repo", form.repository, "--title", req.title]
    for label in form.labels:
        words += ["--label", label]
    words += ["--body-file", body_file]
    return shlex.join(words)


@dataclass(frozen=True)
class Coverage:
    """What the exceptions database already says about one component of a request."""

    component_id: str
    name: str
    """The name the request's table gives it."""
    covered_by: tuple[str, ...] = ()
    """``id (approved DATE, scope)`` of each granted record that covers it today."""
    duplicates: tuple[str, ...] = ()
    """Ids of records the triage workflow would flag as possible duplicates."""

    def describe(self) -> str:
        parts = []
        if self.covered_by:
            parts.append("already covered by " + "; ".join(self.covered_by))
        if self.duplicates:
            parts.append(
                "the foundation's triage will flag it as a possible duplicate of "
                + ", ".join(self.duplicates)
            )
        return f"{self.name}: " + "; ".join(parts)


def _triage_key(name: str) -> str:
    key = name.lower()
    for prefix in ("https://", "http://"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
            break
    return key[:-1] if key.endswith("/") else key


def coverage(
    registry: ExceptionRegistry,
    evaluate: Evaluator,
    requests: Sequence[ExceptionRequest],
    results: dict[str, ComponentResult],
    components: dict[str, Component],
) -> tuple[Coverage, ...]:
    """The components of ``requests`` the database already covers or names (others left
    out), in request order. ``evaluate`` judges with the whole database, no as-of date."""
    packages: dict[str, list[str]] = {}
    records = {r.id: r for r in registry.records}
    for record in registry.records:
        if record.kind == "exception" and record.package:
            packages.setdefault(record.package.lower(), []).append(record.id)
    out = []
    for req in requests:
        for row in req.components:
            for cid in row.ids:
                covered = _covered(records, evaluate, results.get(cid), components.get(cid))
                dups = tuple(sorted(packages.get(_triage_key(row.name), ())))
                if covered or dups:
                    out.append(Coverage(cid, row.name, covered, dups))
    return tuple(out)


def _covered(
    records: dict[str, ExceptionRecord],
    evaluate: Evaluator,
    result: ComponentResult | None,
    component: Component | None,
) -> tuple[str, ...]:
    """``id (facts)`` of the record that allows the component today; ``()`` if none."""
    if result is None:
        return ()
    info = result.license
    verdict = evaluate(
        info.expression if info.expression is not None else (info.raw or None),
        context=result.context,
        distribution=result.distribution,
        component=component,
    )
    if verdict.status != Status.ALLOWED_BY_EXCEPTION or not verdict.exception:
        return ()
    known = records.get(verdict.exception)
    about = f" ({known.describe()})" if known else ""
    return (f"{verdict.exception}{about}",)


__all__ = ["MAX_URL", "Coverage", "coverage", "gh_command", "new_issue_url"]

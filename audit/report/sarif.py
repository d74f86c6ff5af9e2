"""Render a Report as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One rule per kind of finding (see docs/report-format.md):

====== ====================== ======= ==================================================
rule   name                   level   one result per
====== ====================== ======= ==================================================
DA001  NeedsException         error   component whose verdict is ``needs-exception``
DA002  DeniedLicense          error   component whose verdict is ``denied``
DA003  UnknownLicense         warning component whose verdict is ``unknown``
DA004  ReviewNeeded           warning ``review`` action, and finding no review action covers
DA005  RemovalPlanned         note    ``remove`` action
DA006  ElectionToDeclare      note    ``elect`` action
====== ====================== ======= ==================================================

``replace`` and ``request-exception`` actions are the answers to DA001/DA002 results and
are written in those results' messages. A result is located at its first evidence line
(relative to the repository root: the report's ``repository.prefix`` is prepended, with
``uriBaseId`` ``%SRCROOT%``); further evidence lines are related locations. Its
``partialFingerprints["depaudit/v1"]`` hashes the rule and the subject (not the line), so
a result keeps its identity when lines move. What made the report incomplete is written as
tool execution notifications.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from audit import __version__
from audit.model import Action, ActionKind, ComponentResult, Evidence, Report, Status
from audit.report.json_report import (
    HOMEPAGE,
    TOOL_NAME,
    ordered_actions,
    ordered_findings,
    rows,
)

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT = "depaudit/v1"
SRCROOT = "%SRCROOT%"
HELP_URI = f"{HOMEPAGE}/blob/main/docs/report-format.md#sarif"


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    level: str
    short: str
    full: str


RULES: tuple[Rule, ...] = (
    Rule(
        "DA001",
        "NeedsException",
        "error",
        "License needs an exception",
        "The component's license is not allowed by the policy for the way it is used and "
        "distributed, and no exception covers it: replace it or request an exception.",
    ),
    Rule(
        "DA002",
        "DeniedLicense",
        "error",
        "License denied",
        "The policy denies the component's license: the component must go.",
    ),
    Rule(
        "DA003",
        "UnknownLicense",
        "warning",
        "License unknown",
        "No license could be concluded for the component: find it and add a curation.",
    ),
    Rule(
        "DA004",
        "ReviewNeeded",
        "warning",
        "License evidence to review",
        "License statements that a human must reconcile, e.g. two notices that disagree.",
    ),
    Rule(
        "DA005",
        "RemovalPlanned",
        "note",
        "Component to remove",
        "The component is to be removed (by the project's plan or because it is not needed); "
        "the related locations are what goes with it.",
    ),
    Rule(
        "DA006",
        "ElectionToDeclare",
        "note",
        "License election to declare",
        "The component is allowed under one side of an OR: declare the election.",
    ),
)
RULE_INDEX = {r.id: i for i, r in enumerate(RULES)}
STATUS_RULE = {Status.NEEDS_EXCEPTION: "DA001", Status.DENIED: "DA002", Status.UNKNOWN: "DA003"}
ACTION_RULE = {ActionKind.REVIEW: "DA004", ActionKind.REMOVE: "DA005", ActionKind.ELECT: "DA006"}


def artifact_uri(report: Report, path: str) -> str:
    """The evidence path relative to the repository root, as a URI reference."""
    prefix = report.repository.prefix.strip("/")
    full = posixpath.join(prefix, path) if prefix else path
    return quote(full, safe="/-._~!$&'()*+,;=@")


def _physical(report: Report, evidence: Evidence) -> dict[str, Any]:
    loc: dict[str, Any] = {
        "artifactLocation": {"uri": artifact_uri(report, evidence.path), "uriBaseId": SRCROOT}
    }
    if evidence.line > 0:
        region: dict[str, Any] = {"startLine": evidence.line}
        if evidence.text:
            region["snippet"] = {"text": evidence.text}
        loc["region"] = region
    return loc


_BUNDLED_PATH = re.compile(r"^[^/:]+@[^/:]+:")


def _locations(
    report: Report, evidence: Sequence[Evidence]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    # Evidence inside a bundled tree (``libs@4d4e1f3:cmake/curl.cmake``) is not a file of
    # this repository: code scanning could not place it, so it stays in the message only.
    ordered = [e for e in dict.fromkeys(evidence) if not _BUNDLED_PATH.match(e.path)]
    if not ordered:
        return [], []
    primary = [{"physicalLocation": _physical(report, ordered[0])}]
    related = [
        {
            "id": i,
            "physicalLocation": _physical(report, e),
            "message": {"text": e.location},
        }
        for i, e in enumerate(ordered[1:], start=1)
    ]
    return primary, related


def _sentence(value: str) -> str:
    value = value.strip()
    return value if value.endswith((".", "!", "?")) else value + "."


def _fingerprint(rule: str, subject: str, extra: str = "") -> str:
    return hashlib.sha256(f"{rule}\0{subject}\0{extra}".encode()).hexdigest()[:32]


def _result(
    report: Report,
    rule: str,
    message: str,
    subject: str,
    evidence: Sequence[Evidence],
    properties: dict[str, Any],
    extra: str = "",
) -> dict[str, Any]:
    locations, related = _locations(report, evidence)
    out: dict[str, Any] = {
        "ruleId": rule,
        "ruleIndex": RULE_INDEX[rule],
        "level": RULES[RULE_INDEX[rule]].level,
        "message": {"text": message},
    }
    if locations:
        out["locations"] = locations
    if related:
        out["relatedLocations"] = related
    out["partialFingerprints"] = {FINGERPRINT: _fingerprint(rule, subject, extra)}
    out["properties"] = {"subject": subject, **{k: v for k, v in properties.items() if v}}
    return out


def _verdict_message(report: Report, result: ComponentResult, answers: Sequence[Action]) -> str:
    v = result.verdict
    lic = result.license.expression or "unknown license"
    head = {
        Status.NEEDS_EXCEPTION: f"{result.component_id}: {lic} needs an exception",
        Status.DENIED: f"{result.component_id}: {lic} is denied",
        Status.UNKNOWN: f"{result.component_id}: the license is unknown",
    }[v.status]
    head += f" under policy {report.policy.name} ({result.context}, {result.distribution})."
    parts = [head]
    if v.reasons:
        parts.append(_sentence("Why: " + "; ".join(v.reasons)))
    if result.license.reason:
        parts.append(_sentence(f"License: {result.license.reason}"))
    for a in answers:
        parts.append(_sentence(f"Action: {a.kind.value}: {a.because}"))
    return " ".join(parts)


def _results(report: Report) -> list[dict[str, Any]]:
    actions = ordered_actions(report.actions)
    out: list[dict[str, Any]] = []
    for cid, comp, result in rows(report):
        if result is None or result.verdict.status not in STATUS_RULE:
            continue
        answers = [
            a
            for a in actions
            if a.target == cid and a.kind in (ActionKind.REPLACE, ActionKind.REQUEST_EXCEPTION)
        ]
        evidence = comp.evidence if comp and comp.evidence else result.license.evidence
        props: dict[str, Any] = {
            "license": result.license.expression,
            "context": result.context,
            "distribution": result.distribution,
            "verdict": result.verdict.status.value,
        }
        if result.verdict.rule:
            props["rule"] = result.verdict.rule
        if answers:
            props["actions"] = [a.kind.value for a in answers]
        out.append(
            _result(
                report,
                STATUS_RULE[result.verdict.status],
                _verdict_message(report, result, answers),
                cid,
                evidence,
                props,
            )
        )
    reviewed: set[str] = set()
    for a in actions:
        rule = ACTION_RULE.get(a.kind)
        if rule is None:
            continue
        if a.kind == ActionKind.REVIEW:
            reviewed.add(a.target)
        msg = _sentence(f"{a.target}: {a.kind.value}: {a.because}")
        if a.removable:
            msg += " Goes with it: " + ", ".join(a.removable) + "."
        props = {"action": a.kind.value, **dict(sorted(a.properties))}
        if a.removable:
            props["removable"] = list(a.removable)
        evidence = a.evidence
        if not evidence:
            comp = report.inventory.component(a.target)
            evidence = comp.evidence if comp else ()
        out.append(_result(report, rule, msg, a.target, evidence, props, a.because))
    for f in ordered_findings(report.findings):
        if f.subject in reviewed:
            continue
        out.append(
            _result(
                report,
                "DA004",
                _sentence(f"{f.subject}: {f.kind}: {f.message}"),
                f.subject,
                f.evidence,
                {"finding": f.kind},
                f.kind,
            )
        )
    return out


def _notifications(report: Report) -> list[dict[str, Any]]:
    out = []
    for p in sorted(report.incomplete):
        note: dict[str, Any] = {
            "level": "warning",
            "message": {"text": f"{p.kind}: {p.message}"},
            "locations": [
                {"physicalLocation": _physical(report, Evidence(p.path, p.line, "", p.scanner))}
            ],
        }
        if p.scanner:
            note["properties"] = {"scanner": p.scanner}
        out.append(note)
    for w in report.warnings:
        out.append({"level": "note", "message": {"text": w}})
    return out


def _rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.full},
        "helpUri": HELP_URI,
        "help": {"text": rule.full},
        "defaultConfiguration": {"level": rule.level},
        "properties": {"tags": ["license", "dependency"]},
    }


def sarif_document(report: Report) -> dict[str, Any]:
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": [_rule_json(r) for r in RULES],
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": _notifications(report),
            }
        ],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The root of the scanned repository."}}
        },
        "results": _results(report),
        "properties": {
            k: v
            for k, v in (
                ("root", report.root),
                ("project", report.project),
                ("policy", report.policy.name),
                ("asOf", report.as_of),
            )
            if v
        },
    }
    if report.repository.remote and "://" in report.repository.remote:
        vcs: dict[str, Any] = {"repositoryUri": report.repository.remote}
        if report.repository.commit:
            vcs["revisionId"] = report.repository.commit
        run["versionControlProvenance"] = [vcs]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render(report: Report) -> str:
    """The report as SARIF 2.1.0 JSON text."""
    return json.dumps(sarif_document(report), indent=2, ensure_ascii=False) + "\n"

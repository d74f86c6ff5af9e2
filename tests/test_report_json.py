from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from report_fixtures import (
    AVOCADO,
    BPF,
    COMMIT,
    DRIVER,
    LIBS,
    PLUGIN,
    REMOTE,
    TESTER_IMAGE,
    UBI,
    USERSPACE,
    falco_report,
    small_report,
)

from audit.baseline import action_key, baseline_keys
from audit.model import ActionKind, Component, ComponentKind, Evidence, Outcome
from audit.report.json_report import (
    as_of_datetime,
    component_ids,
    content_digest,
    dependency_map,
    document_uuid,
    ordered_actions,
    project_name,
    render,
    report_document,
    status_counts,
)


def test_top_level_keys_in_fixed_order() -> None:
    doc = report_document(falco_report())
    assert list(doc) == [
        "schema",
        "tool",
        "root",
        "project",
        "as_of",
        "policy",
        "repository",
        "summary",
        "outcome",
        "actions",
        "notes",
        "components",
        "findings",
        "incomplete",
        "warnings",
        "graph",
    ]
    assert doc["schema"] == "depaudit/report/1"
    assert doc["tool"] == {"name": "depaudit", "version": "0.1.0"}
    assert (doc["root"], doc["project"], doc["as_of"]) == (
        "examples/falco-2023",
        "falco",
        "2023-07-01",
    )
    assert doc["policy"] == {
        "name": "cncf",
        "source_url": "https://github.com/cncf/foundation/blob/main/policies-guidance/"
        "allowed-third-party-license-policy.md",
        "read_on": "2023-07-01",
    }
    assert doc["repository"] == {"remote": REMOTE, "commit": COMMIT, "prefix": ""}


def test_summary_counts_every_status_and_action_kind() -> None:
    assert report_document(falco_report())["summary"] == {
        "components": 8,
        "files_scanned": 14,
        "worst": "needs-exception",
        "by_status": {
            "denied": 0,
            "needs-exception": 3,
            "unknown": 0,
            "allowed-by-exception": 0,
            "not-required": 2,
            "allowed": 3,
        },
        "by_action": {
            "remove": 1,
            "replace": 1,
            "request-exception": 2,
            "add-curation": 0,
            "fix-notice": 1,
            "elect": 1,
        },
        "by_severity": {"denied": 0, "needs-exception": 3, "unknown": 0, "hygiene": 3},
        "findings": 1,
        "incomplete": 1,
        "notes": {"unexpanded-value": 1},
        "warnings": 1,
    }
    small = report_document(small_report())["summary"]
    assert small["worst"] == "denied"
    assert small["by_status"]["denied"] == 1
    assert small["by_status"]["unknown"] == 1
    assert small["by_action"] == {
        "remove": 0,
        "replace": 0,
        "request-exception": 0,
        "add-curation": 0,
        "fix-notice": 0,
        "elect": 0,
    }


def test_notes_list_every_item_and_the_outcome_is_recorded() -> None:
    """Nothing is lost: the JSON notes hold every item, the text shows three."""
    outcome = Outcome(1, "exit 1: 3 decisions at or above needs-exception")
    doc = report_document(replace(falco_report(), outcome=outcome))
    assert doc["outcome"] == {"code": 1, "reason": outcome.reason}
    assert doc["notes"] == [
        {
            "cause": "unexpanded-value",
            "title": "Values not expanded (variables the repository does not set)",
            "count": 1,
            "items": [
                {
                    "subject": ".circleci/config.yml",
                    "message": "image reference ${BUILDER_IMAGE} holds a variable (unresolved)",
                    "evidence": [
                        {
                            "path": ".circleci/config.yml",
                            "line": 120,
                            "text": "",
                            "scanner": "circleci",
                        }
                    ],
                }
            ],
        }
    ]
    assert report_document(falco_report())["outcome"] is None


PRIORITY = [
    ("needs-exception", "replace", UBI),
    ("needs-exception", "request-exception", DRIVER),
    ("needs-exception", "request-exception", BPF),
    ("hygiene", "remove", AVOCADO),
    ("hygiene", "fix-notice", BPF),
    ("hygiene", "elect", LIBS),
]
"""The falco report's actions in priority order: (severity, kind, target)."""


def test_actions_in_priority_order() -> None:
    doc = report_document(falco_report())
    assert [(a["severity"], a["kind"], a["target"]) for a in doc["actions"]] == PRIORITY
    assert doc["actions"][3] == {
        "kind": "remove",
        "severity": "hygiene",
        "target": AVOCADO,
        "because": "listed under [plan] remove in .depaudit.toml: the integration tests are "
        "being rewritten in Go",
        "removable": ["manifest:test/requirements.txt", PLUGIN],
        "evidence": [
            {
                "path": "docker/tester/Dockerfile",
                "line": 11,
                "text": "RUN pip install --user avocado-framework==69.0 \\",
                "scanner": "dockerfile",
            },
            {
                "path": "test/requirements.txt",
                "line": 2,
                "text": "avocado-framework==69.0",
                "scanner": "requirements",
            },
        ],
        "properties": {},
    }
    assert doc["actions"][5]["properties"] == {"declare-in": "NOTICE", "election": "MIT"}


def test_component_entry_joins_inventory_and_result() -> None:
    doc = report_document(falco_report())
    assert [c["id"] for c in doc["components"]] == [
        LIBS,
        TESTER_IMAGE,
        UBI,
        PLUGIN,
        AVOCADO,
        DRIVER,
        BPF,
        USERSPACE,
    ]
    ubi = doc["components"][2]
    assert ubi == {
        "id": UBI,
        "kind": "image",
        "name": "registry.access.redhat.com/ubi8/ubi",
        "version": "latest",
        "ecosystem": "docker",
        "purl": "pkg:docker/ubi8/ubi@latest?repository_url=registry.access.redhat.com",
        "evidence": [
            {
                "path": "docker/ubi/Dockerfile",
                "line": 2,
                "text": "FROM registry.access.redhat.com/ubi8/ubi:${UBI_VERSION}",
                "scanner": "dockerfile",
            }
        ],
        "properties": {},
        "license": {
            "expression": "LicenseRef-RedHat-UBI-EULA",
            "source": "image-table",
            "evidence": [],
            "confidence": 1.0,
            "raw": "Red Hat Universal Base Image EULA",
            "url": "https://www.redhat.com/licenses/"
            "EULA_Red_Hat_Universal_Base_Image_English_20190422.pdf",
            "reason": "",
        },
        "context": "userspace",
        "distribution": "distributed",
        "classification": [
            "base of docker/ubi/Dockerfile (published image falcosecurity/falco-ubi)"
        ],
        "verdict": {
            "status": "needs-exception",
            "rule": "not-allowlisted:LicenseRef-RedHat-UBI-EULA",
            "exception": "",
            "election": "",
            "reasons": [
                "LicenseRef-RedHat-UBI-EULA is not on the CNCF allowlist",
                "distributed: the base of published image falcosecurity/falco-ubi",
                "no exception covers registry.access.redhat.com/ubi8/ubi as of 2023-07-01",
            ],
        },
    }
    libs = doc["components"][0]
    assert libs["properties"] == {
        "repository": "falcosecurity/libs",
        "url": "https://github.com/falcosecurity/libs/archive/0.11.3.tar.gz",
    }
    assert libs["verdict"]["election"] == "Apache-2.0 AND MIT"


def test_component_without_result_has_null_conclusions() -> None:
    report = falco_report()
    extra = Component(
        "npm:left-pad@1.3.0",
        ComponentKind.PACKAGE,
        "left-pad",
        "1.3.0",
        "npm",
        "pkg:npm/left-pad@1.3.0",
        (Evidence("package.json", 5, '"left-pad": "1.3.0"', "npm"),),
    )
    inv = replace(report.inventory, components=(*report.inventory.components, extra))
    doc = report_document(replace(report, inventory=inv))
    entry = next(c for c in doc["components"] if c["id"] == "npm:left-pad@1.3.0")
    assert entry["license"] is None
    assert entry["context"] is None
    assert entry["distribution"] is None
    assert entry["classification"] == []
    assert entry["verdict"] is None
    assert doc["summary"]["components"] == 9


def test_findings_incomplete_warnings_graph() -> None:
    doc = report_document(falco_report())
    assert [(f["kind"], f["subject"]) for f in doc["findings"]] == [("license-conflict", BPF)]
    assert [e["line"] for e in doc["findings"][0]["evidence"]] == [20, 1]
    assert doc["incomplete"] == [
        {
            "path": ".circleci/config.yml",
            "line": 120,
            "kind": "unresolved",
            "message": "image reference ${BUILDER_IMAGE} holds a variable",
            "scanner": "circleci",
        }
    ]
    assert doc["warnings"] == ["exceptions.json: 1 record skipped: no approvedDate"]
    assert [n["id"] for n in doc["graph"]["nodes"]] == [
        "build-file:cmake/modules/falcosecurity-libs.cmake",
        "ci-job:circleci/tests-integration",
        "dockerfile:docker/tester/Dockerfile",
        "dockerfile:docker/ubi/Dockerfile",
        "manifest:test/requirements.txt",
    ]
    assert [(e["src"], e["relation"], e["dst"]) for e in doc["graph"]["edges"]] == [
        ("build-file:cmake/modules/falcosecurity-libs.cmake", "bundles", LIBS),
        ("ci-job:circleci/tests-integration", "runs-in", TESTER_IMAGE),
        ("dockerfile:docker/tester/Dockerfile", "installs", PLUGIN),
        ("dockerfile:docker/tester/Dockerfile", "installs", AVOCADO),
        ("dockerfile:docker/ubi/Dockerfile", "base", UBI),
        (TESTER_IMAGE, "built-from", "dockerfile:docker/tester/Dockerfile"),
        ("manifest:test/requirements.txt", "requires", PLUGIN),
        ("manifest:test/requirements.txt", "requires", AVOCADO),
    ]
    assert doc["graph"]["edges"][5]["how"] == "LABEL name"


def test_render_is_deterministic_and_independent_of_input_order() -> None:
    report = falco_report()
    shuffled = replace(
        report,
        actions=tuple(reversed(report.actions)),
        results=tuple(reversed(report.results)),
        inventory=replace(
            report.inventory,
            components=tuple(reversed(report.inventory.components)),
            nodes=tuple(reversed(report.inventory.nodes)),
            edges=tuple(reversed(report.inventory.edges)),
        ),
    )
    text = render(report)
    assert render(report) == text
    assert render(shuffled) == text
    assert text.endswith("}\n")
    assert json.loads(text) == report_document(report)


def test_baseline_reads_the_action_keys_back() -> None:
    """A written report read back as a baseline gives one key per action."""
    report = falco_report()
    doc = json.loads(render(report))
    assert doc == report_document(report)
    assert (
        baseline_keys(doc)
        == {action_key(a) for a in report.actions}
        == {
            "remove:pypi:avocado-framework@69.0",
            "replace:image:registry.access.redhat.com/ubi8/ubi:latest",
            "request-exception:source:driver",
            "request-exception:source:driver/bpf",
            "elect:download:github.com/falcosecurity/libs@0.11.3",
            "fix-notice:source:driver/bpf",
        }
    )
    after = replace(report, actions=tuple(a for a in report.actions if a.kind != ActionKind.REMOVE))
    current = baseline_keys(json.loads(render(after)))
    assert baseline_keys(doc) - current == {f"remove:{AVOCADO}"}


def test_status_counts_and_groups() -> None:
    report = falco_report()
    assert list(status_counts(report)) == [
        "denied",
        "needs-exception",
        "unknown",
        "allowed-by-exception",
        "not-required",
        "allowed",
    ]
    # Priority order: needs-exception first (by kind, then target), then hygiene.
    assert [
        (a.severity.value, a.kind.value, a.target) for a in ordered_actions(report.actions)
    ] == PRIORITY


def test_content_digest_and_uuid_follow_content() -> None:
    report = falco_report()
    assert content_digest(report) == content_digest(falco_report())
    assert len(content_digest(report)) == 64
    other = replace(report, warnings=())
    assert content_digest(other) != content_digest(report)
    assert document_uuid(report) == document_uuid(falco_report())
    assert document_uuid(report).version == 5
    assert document_uuid(other) != document_uuid(report)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2023-07-01", datetime(2023, 7, 1, tzinfo=timezone.utc)),
        ("2023-07-01T12:30:00", datetime(2023, 7, 1, tzinfo=timezone.utc)),
        (None, datetime(1970, 1, 1, tzinfo=timezone.utc)),
        ("not a date", datetime(1970, 1, 1, tzinfo=timezone.utc)),
    ],
)
def test_as_of_datetime(as_of: str | None, expected: datetime) -> None:
    assert as_of_datetime(falco_report(as_of=as_of)) == expected


def test_project_name_falls_back_to_root() -> None:
    assert project_name(falco_report()) == "falco"
    assert project_name(small_report()) == "svc"
    assert project_name(replace(small_report(), root="work/repos/svc/")) == "svc"


def test_dependency_map_follows_consumers() -> None:
    deps, top = dependency_map(falco_report().inventory)
    assert deps == {
        LIBS: [],
        TESTER_IMAGE: [PLUGIN, AVOCADO],
        UBI: [],
        PLUGIN: [],
        AVOCADO: [],
        DRIVER: [],
        BPF: [],
        USERSPACE: [],
    }
    # manifest:test/requirements.txt is no component's, so the project needs avocado too
    assert top == [LIBS, TESTER_IMAGE, UBI, PLUGIN, AVOCADO, DRIVER, BPF, USERSPACE]


def test_dependency_map_owned_nodes_do_not_reach_the_project() -> None:
    report = falco_report()
    inv = report.inventory
    edges = tuple(e for e in inv.edges if e.src != "manifest:test/requirements.txt")
    deps, top = dependency_map(replace(inv, edges=edges))
    assert deps[TESTER_IMAGE] == [PLUGIN, AVOCADO]
    assert top == [LIBS, TESTER_IMAGE, UBI, DRIVER, BPF, USERSPACE]


def test_component_ids_of_a_result_for_each_component_in_order() -> None:
    report = small_report()  # the inventory and the results in one order, by id
    assert component_ids(report) == (
        "download:example.org/tools/blob.tar.gz",
        "pypi:mongo-proxy@1.0",
    )


def test_component_ids_of_results_out_of_order_or_missing_are_sorted_once_each() -> None:
    report = small_report()
    mystery, sspl = report.inventory.components
    swapped = replace(report, results=report.results[::-1])
    assert component_ids(swapped) == (mystery.id, sspl.id)
    unsorted = replace(report, inventory=replace(report.inventory, components=(sspl, mystery)))
    assert component_ids(unsorted) == (mystery.id, sspl.id)
    extra = replace(
        report, results=(*report.results, replace(report.results[0], component_id="a:x"))
    )
    assert component_ids(extra) == ("a:x", mystery.id, sspl.id)
    assert component_ids(replace(report, results=())) == (mystery.id, sspl.id)

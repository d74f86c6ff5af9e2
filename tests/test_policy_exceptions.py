"""Exception registries in the CNCF exceptions database format, and matching."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from audit.components import action_component, package_component
from audit.errors import ConfigError
from audit.model import Component, ComponentKind
from audit.policy import (
    bundled_exceptions,
    load_exceptions,
    match_exceptions,
    parse_exceptions,
    scope_contexts,
)
from audit.policy.exceptions import ExceptionRegistry, package_matches

D = datetime.date


def test_bundled_snapshot() -> None:
    path = bundled_exceptions()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["comment"].startswith("Hand-written excerpt, not the full database")
    registry = load_exceptions([str(path)])
    assert registry.warnings == ()
    assert registry.sources == (str(path),)
    assert [(r.id, r.kind, r.status, r.approved) for r in registry.records] == [
        ("blanket-ebpf-gpl", "blanket", "approved", D(2023, 8, 31)),
        ("exc-2024-02-27-001", "exception", "approved", D(2024, 2, 27)),
        ("exc-2023-08-31-002", "exception", "approved", D(2023, 8, 31)),
        ("exc-2024-10-23-006", "exception", "approved", D(2024, 10, 23)),
        ("exc-2025-10-17-001", "exception", "approved", D(2025, 10, 17)),
        ("exc-2026-02-05-002", "exception", "approved", D(2025, 1, 12)),
        ("exc-2024-10-22-002", "exception", "approved", D(2024, 10, 23)),
    ]
    ebpf, falco = registry.records[:2]
    assert [t.normalized for t in ebpf.terms] == ["GPL-2.0-only", "GPL-2.0-or-later"]
    assert (ebpf.all_projects, ebpf.contexts, ebpf.package) == (True, {"ebpf"}, "")
    assert [t.normalized for t in falco.terms] == ["GPL-2.0-only OR MIT"]
    assert (falco.projects, falco.all_projects, falco.contexts) == (
        ("Falco",),
        False,
        {"kernel-module"},
    )
    assert falco.url == "https://github.com/cncf/foundation/issues/645"
    # Every record carries an issue or document URL.
    assert all(r.url.startswith("https://github.com/cncf/foundation/") for r in registry.records)


MESSY: dict[str, Any] = {
    "version": "1.1.0",
    "lastUpdated": "2026-06-01",
    "blanketExceptions": [
        {
            "id": "blanket-ebpf-gpl",
            "name": "GPL for in-kernel eBPF programs",
            "licenses": ["GPL-2.0-only", "GPL-2.0-or-later"],
            "scope": "in-kernel eBPF programs only",
            "approvedDate": "2023-08-31",
        },
        {"id": "blanket-bad", "licenses": "MIT, ISC", "approvedDate": "2023-08-31"},
        {"id": "blanket-worse", "licenses": [1, 2]},
    ],
    "exceptions": [
        {
            "id": "exc-1",
            "package": "Keycloak Java dependencies",
            "license": "0BSD, GPL-2.0-with-classpath-exception, LGPL-2.1, Public Domain",
            "project": "Keycloak",
            "approvedDate": "2024-10-23",
            "status": "approved",
        },
        {
            "id": "exc-2",
            "package": "github.com/docker/go-metrics documentation",
            "license": "CC-BY-SA 4.0",
            "project": ["Cilium", "Falco"],
            "approvedDate": "2023-08-31T00:00:00Z",
            "status": "Approved",
        },
        "not an object",
        {"package": "x", "license": "MIT", "status": "approved"},
        {"id": "exc-3", "package": "x", "license": "MIT", "status": "pending"},
        {"id": "exc-4", "package": "x", "license": "MIT", "status": "approved",
         "approvedDate": "2023-02-30"},
        {"id": "exc-5", "package": "x", "license": 7, "status": "approved"},
        {"id": "exc-6", "package": "x", "license": "MIT", "status": "approved", "project": 3},
        {"id": "exc-7", "package": "x", "license": "Public Domain", "status": "approved"},
        {"id": "exc-8", "license": "MIT", "status": "approved"},
        {"id": "exc-9", "package": "x", "license": "MIT", "status": "approved"},
        {"id": "exc-1", "package": "y", "license": "MIT", "status": "approved"},
    ],
}  # fmt: skip


def test_messy_records_are_read_or_skipped_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "exceptions.json"
    path.write_text(json.dumps(MESSY), encoding="utf-8")
    registry = load_exceptions([str(path)])
    src = str(path)
    assert registry.warnings == (
        f"{src}: record blanket-worse: skipped: 'licenses' is not an array of strings",
        f"{src}: record exc-1: license 'Public Domain' is not an SPDX expression; not matched",
        f"{src}: record exceptions[2] (no id): skipped: not a JSON object",
        f"{src}: record exceptions[3] (no id): skipped: missing 'id'",
        f"{src}: record exc-3: skipped: status 'pending' is not one of approved, denied, "
        "allowlisted, apache-2.0",
        f"{src}: record exc-4: skipped: approvedDate '2023-02-30' is not a date (YYYY-MM-DD)",
        f"{src}: record exc-5: skipped: 'license' is not a string",
        f"{src}: record exc-6: skipped: 'project' is neither a string nor an array of strings",
        f"{src}: record exc-7: skipped: no SPDX license in 'Public Domain'",
        f"{src}: record exc-8: skipped: missing 'package'",
        f"{src}: record exc-9: no approvedDate: not counted when an as-of date is given",
        f"{src}: record exc-1: skipped: duplicate id (first read from {src})",
    )
    assert [r.id for r in registry.records] == [
        "blanket-ebpf-gpl",
        "blanket-bad",
        "exc-1",
        "exc-2",
        "exc-9",
    ]
    bad, keycloak, metrics = registry.records[1:4]
    assert [t.normalized for t in bad.terms] == ["MIT", "ISC"]
    assert [(t.text, t.normalized) for t in keycloak.terms] == [
        ("0BSD", "0BSD"),
        ("GPL-2.0-with-classpath-exception", "GPL-2.0-only WITH Classpath-exception-2.0"),
        ("LGPL-2.1", "LGPL-2.1-only"),
    ]
    assert [t.normalized for t in metrics.terms] == ["CC-BY-SA-4.0"]
    assert (metrics.projects, metrics.status, metrics.approved) == (
        ("Cilium", "Falco"),
        "approved",
        D(2023, 8, 31),
    )
    assert metrics.contexts == {"documentation"}


def test_exceptions_from_a_url_go_through_the_injected_client() -> None:
    calls: list[str] = []

    def fetch(url: str) -> Any:
        calls.append(url)
        return {"exceptions": [MESSY["exceptions"][0]]}

    url = (
        "https://raw.githubusercontent.com/cncf/foundation/main/license-exceptions/exceptions.json"
    )
    registry = load_exceptions([url], fetch_json=fetch)
    assert calls == [url]
    assert [r.id for r in registry.records] == ["exc-1"]
    assert registry.records[0].source == url


def test_url_without_client_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        load_exceptions(["https://example.org/exceptions.json"])
    assert str(err.value) == (
        "https://example.org/exceptions.json: exceptions URL given but no HTTP client (offline?)"
    )


def test_url_fetch_failure_is_an_error() -> None:
    def fetch(url: str) -> Any:
        raise OSError("connection refused")

    with pytest.raises(ConfigError) as err:
        load_exceptions(["http://127.0.0.1:9/x.json"], fetch_json=fetch)
    assert str(err.value) == (
        "http://127.0.0.1:9/x.json: cannot fetch exceptions: connection refused"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON: Expecting property name enclosed in double quotes: "
                      "line 1 column 2 (char 1)"),
        ("[]", "expected a JSON object in the CNCF exceptions format"),
        ('{"version": "1.0.0"}',
         "expected the CNCF exceptions format: 'exceptions' and/or 'blanketExceptions'"),
        ('{"exceptions": {}}', "exceptions: expected an array"),
    ],
)  # fmt: skip
def test_bad_exceptions_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_exceptions([str(path)])
    assert str(err.value) == f"{path}: {message}"


def test_missing_exceptions_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_exceptions([str(tmp_path / "none.json")])
    assert (
        str(err.value) == f"{tmp_path / 'none.json'}: cannot read file: No such file or directory"
    )


def test_several_sources_in_order(tmp_path: Path) -> None:
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    one.write_text(json.dumps({"exceptions": [MESSY["exceptions"][0]]}), encoding="utf-8")
    two.write_text(json.dumps({"exceptions": [MESSY["exceptions"][1]]}), encoding="utf-8")
    registry = load_exceptions([str(two), str(one)])
    assert [(r.id, r.source) for r in registry.records] == [
        ("exc-2", str(two)),
        ("exc-1", str(one)),
    ]


@pytest.mark.parametrize(
    ("text", "contexts"),
    [
        ("in-kernel eBPF programs only", {"ebpf"}),
        ("In-kernel eBPF programs Exception applies only to code that runs inside the kernel "
         "(not to any code running in the user-space)", {"ebpf"}),
        ("Falco kernel module Approved for use by Falco only", {"kernel-module"}),
        ("applies only to code that runs inside the kernel", {"kernel-module", "ebpf"}),
        ("Approval applies only to use of documentation in unmodified form", {"documentation"}),
        ("github.com/docker/go-metrics documentation", {"documentation"}),
        ("build dependency", {"build", "test", "ci"}),
        ("Build and test tooling", {"build", "test", "ci"}),
        ("runtime dependency, statically linked", set()),
        ("Allowed only if the dependency is either (a) stored unmodified in a designated "
         "third-party folder, or (b) retrieved at installation or build time", set()),
        ("declare such election in its documentation.", set()),
        ("Linux kernel uapi headers (btrfs) Approved only for use by containerd", set()),
        ("", set()),
    ],
)  # fmt: skip
def test_scope_contexts(text: str, contexts: set[str]) -> None:
    assert scope_contexts(text) == contexts


def _record(package: str, package_url: str = "") -> Any:
    item = {"id": "r", "package": package, "license": "MPL-2.0", "status": "approved"}
    if package_url:
        item["packageUrl"] = package_url
    return parse_exceptions({"exceptions": [item]}, "x.json")[0][0]


GO_MEMDB = package_component("golang", "github.com/hashicorp/go-memdb", "v1.3.4", ())
RAFT = package_component("golang", "github.com/hashicorp/raft", "v1.7.0", ())
PARAMIKO = package_component("pypi", "Paramiko", "3.4.0", ())
SET_V2 = package_component("golang", "github.com/hashicorp/go-set/v2", "v2.1.0", ())
CHECKOUT = action_component("actions/checkout@v4", ())


@pytest.mark.parametrize(
    ("package", "package_url", "component", "expected"),
    [
        ("github.com/hashicorp/go-memdb", "", GO_MEMDB, True),
        ("GitHub.com/HashiCorp/go_memdb", "", GO_MEMDB, True),
        ("hashicorp/raft", "", RAFT, True),
        ("raft", "", RAFT, True),
        ("raft-boltdb", "", RAFT, False),
        ("hashicorp/go-memdb", "", RAFT, False),
        ("paramiko", "", PARAMIKO, True),
        ("github.com/hashicorp/go-set/v2", "", SET_V2, True),
        ("github.com/hashicorp/go-set", "", SET_V2, False),
        ("Keycloak", "https://github.com/hashicorp/go-memdb", GO_MEMDB, True),
        ("other", "pkg:golang/github.com/hashicorp/go-memdb@v1.0.0", GO_MEMDB, True),
        ("other", "pkg:golang/github.com/hashicorp/raft", GO_MEMDB, False),
        ("actions/checkout", "", CHECKOUT, True),
    ],
)
def test_package_matches(
    package: str, package_url: str, component: Component | None, expected: bool
) -> None:
    assert component is not None
    assert package_matches(_record(package, package_url), component) is expected


def _registry(*items: dict[str, Any]) -> ExceptionRegistry:
    records, _ = parse_exceptions({"exceptions": list(items)}, "x.json")
    return ExceptionRegistry(records)


def test_match_by_equivalence_not_string() -> None:
    registry = _registry(
        {"id": "a", "package": "Falco kernel module", "license": "(MIT OR GPL-2.0)",
         "project": "Falco", "status": "approved", "approvedDate": "2024-02-27"}
    )  # fmt: skip
    match = match_exceptions(
        registry, "GPL-2.0-only OR MIT", context="kernel-module", project="falco", as_of=None
    )
    assert [r.id for r in match.granted] == ["a"]
    assert match.notes == ()


def test_legacy_record_without_project_needs_the_package() -> None:
    registry = _registry(
        {"id": "old", "package": "github.com/hashicorp/raft", "license": "MPL-2.0",
         "status": "approved", "approvedDate": "2022-04-12"}
    )  # fmt: skip
    kwargs: dict[str, Any] = {"context": "userspace", "as_of": None}
    assert match_exceptions(registry, "MPL-2.0", project="Any", **kwargs).granted == ()
    assert match_exceptions(registry, "MPL-2.0", project=None, component=GO_MEMDB, **kwargs) == (
        match_exceptions(registry, "MPL-2.0", project=None, **kwargs)
    )
    got = match_exceptions(registry, "MPL-2.0", project="Any", component=RAFT, **kwargs)
    assert [r.id for r in got.granted] == ["old"]


def test_source_component_of_the_named_project() -> None:
    registry = _registry(
        {"id": "k", "package": "falcosecurity/libs", "license": "GPL-2.0-only OR MIT",
         "project": "Falco", "scope": "kernel module", "status": "approved"}
    )  # fmt: skip
    driver = Component("source:driver", ComponentKind.SOURCE, "driver")
    common = {"context": "kernel-module", "as_of": None}
    expr = "GPL-2.0-only OR MIT"
    assert [r.id for r in match_exceptions(
        registry, expr, project="Falco", component=driver, **common).granted] == ["k"]  # fmt: skip
    assert match_exceptions(registry, expr, project="Tetragon", component=driver, **common) == (
        match_exceptions(registry, expr, project="Tetragon", component=RAFT, **common)
    )


def test_near_miss_notes() -> None:
    registry = _registry(
        {"id": "a", "package": "Falco kernel module", "license": "GPL-2.0-only OR MIT",
         "project": "Falco", "status": "approved", "approvedDate": "2024-02-27"},
        {"id": "b", "package": "Keycloak deps", "license": "GPL-2.0-only OR MIT",
         "project": "Keycloak", "status": "approved", "approvedDate": "2024-02-27"},
        {"id": "c", "package": "Some tools", "license": "GPL-2.0-only OR MIT",
         "project": "All CNCF Projects", "status": "approved"},
    )  # fmt: skip
    match = match_exceptions(
        registry, "GPL-2.0-only OR MIT", context="kernel-module", project=None,
        as_of=D(2024, 1, 1),
    )  # fmt: skip
    assert match.granted == ()
    assert match.notes == (
        "exception a (GPL-2.0-only OR MIT) not counted: it is for Falco; no project given",
        "exception c (GPL-2.0-only OR MIT) not counted: it has no approval date, and the as-of "
        "date is 2024-01-01",
    )


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        ("Falco kernel module", True),
        ("In-kernel\teBPF programs", True),
        ("  keycloak  ", False),
        ("github.com/hashicorp/raft", False),
    ],
)
def test_a_package_with_a_space_inside_describes_code(package: str, expected: bool) -> None:
    assert _record(package).descriptive is expected


def test_the_names_a_component_is_matched_by() -> None:
    from audit.policy.exceptions import _component_names

    assert _component_names(GO_MEMDB) == (
        ("github-com", "hashicorp", "go-memdb"),
        ("github-com", "hashicorp", "go-memdb"),
    )
    assert _component_names(PARAMIKO) == (("paramiko",), ("paramiko",))
    # its name, its package URL's, its repository's
    assert _component_names(CHECKOUT) == (("actions", "checkout"),) * 3

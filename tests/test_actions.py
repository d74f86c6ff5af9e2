"""Plan stage on a Falco-like graph: exact actions, targets, removable ids, evidence, order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from audit.actions import Plan, plan, request_file
from audit.components import (
    dockerfile_id,
    image_component,
    job_id,
    manifest_id,
    package_component,
    parse_image_ref,
)
from audit.config import Config
from audit.graph import GraphIndex, link
from audit.model import (
    Action,
    ActionKind,
    Component,
    ComponentKind,
    ComponentResult,
    Edge,
    Evidence,
    Finding,
    Inventory,
    LicenseInfo,
    Node,
    Problem,
    Relation,
    ScanResult,
    Severity,
    Status,
    Verdict,
)

CFG = ".circleci/config.yml"
TESTER = "docker/tester/Dockerfile"
UBI = "docker/ubi/Dockerfile"
REQS = "test/requirements.txt"
UBI_EULA = "https://www.redhat.com/licenses/EULA_Red_Hat_Universal_Base_Image_English_20190422.pdf"


def ev(path: str, line: int, text: str = "x") -> Evidence:
    return Evidence(path, line, text, "test")


def img(ref: str, path: str, line: int) -> Component:
    parsed = parse_image_ref(ref)
    assert parsed is not None
    return image_component(parsed, [ev(path, line, f"image: {ref}")])


def source(name: str, *lines: tuple[str, int, str]) -> Component:
    return Component(
        f"source:{name}",
        ComponentKind.SOURCE,
        name,
        evidence=tuple(ev(p, n, t) for p, n, t in lines),
        properties=(("files", "3"), ("files_without_notice", "1")),
    )


def falco_inventory() -> Inventory:
    tester = img("falcosecurity/falco-tester:latest", CFG, 15)
    builder = img("falcosecurity/falco-builder:latest", CFG, 9)
    fedora = img("fedora:31", TESTER, 1)
    ubi = img("registry.access.redhat.com/ubi8/ubi:latest", UBI, 2)
    falco_ubi = img("falcosecurity/falco-ubi:latest", CFG, 111)
    mongo = img("mongo:6.0", CFG, 120)
    avocado = package_component("pypi", "avocado-framework", "69.0", [ev(TESTER, 11)])
    plugin = package_component(
        "pypi", "avocado-framework-plugin-varianter-yaml-to-mux", "69.0", [ev(TESTER, 12)]
    )
    pathtools = package_component("pypi", "pathtools", "0.1.2", [ev(TESTER, 13)])
    avocado_req = package_component("pypi", "avocado-framework", "69.0", [ev(REQS, 2)])
    plugin_req = package_component(
        "pypi", "avocado-framework-plugin-varianter-yaml-to-mux", "69.0", [ev(REQS, 3)]
    )
    driver = source(
        "driver",
        ("driver/main.c", 40, 'MODULE_LICENSE("GPL");'),
        ("driver/ppm.c", 2, "// SPDX-License-Identifier: GPL-2.0-only"),
    )
    legacy = source("driver-legacy", ("driver-legacy/main.c", 9, 'MODULE_LICENSE("GPL");'))
    bpf = source(
        "driver/bpf", ("driver/bpf/probe.c", 30, 'char __license[] SEC("license") = "GPL";')
    )
    chisel = source(
        "userspace/chisel",
        ("userspace/chisel/chisel.c", 1, "// SPDX-License-Identifier: GPL-2.0-only OR MIT"),
    )
    jobs = [
        "build-centos7",
        "tests-integration",
        "tests-integration-static",
        "tests-integration-arm64",
        "build-arm64",
        "rpm-sign",
        "db-tests",
    ]
    nodes = [
        Node(job_id("circleci", j), "ci-job", j, (ev(CFG, 22 + 10 * i, f"{j}:"),))
        for i, j in enumerate(jobs)
    ]
    nodes += [
        Node(
            dockerfile_id(TESTER),
            "dockerfile",
            TESTER,
            (ev(TESTER, 1, "FROM fedora:31"),),
            (("label.name", "falcosecurity/falco-tester"),),
        ),
        Node(
            dockerfile_id(UBI),
            "dockerfile",
            UBI,
            (ev(UBI, 2, "FROM ubi"),),
            (("label.name", "falcosecurity/falco-ubi"),),
        ),
        Node(manifest_id(REQS), "manifest", REQS, (ev(REQS, 1, "# deps"),)),
    ]
    j = lambda name: job_id("circleci", name)  # noqa: E731
    edges = [
        Edge(j("build-centos7"), builder.id, Relation.RUNS_IN, ev(CFG, 9)),
        Edge(j("build-arm64"), builder.id, Relation.RUNS_IN, ev(CFG, 46)),
        Edge(j("tests-integration"), tester.id, Relation.RUNS_IN, ev(CFG, 15)),
        Edge(j("tests-integration-static"), tester.id, Relation.RUNS_IN, ev(CFG, 15)),
        Edge(j("tests-integration-arm64"), tester.id, Relation.RUNS_IN, ev(CFG, 75)),
        Edge(j("rpm-sign"), img("centos:7", CFG, 86).id, Relation.RUNS_IN, ev(CFG, 86)),
        Edge(j("db-tests"), mongo.id, Relation.RUNS_IN, ev(CFG, 120)),
        Edge(j("tests-integration"), j("build-centos7"), Relation.REQUIRES, ev(CFG, 121)),
        Edge(j("tests-integration-static"), j("build-centos7"), Relation.REQUIRES, ev(CFG, 124)),
        Edge(j("tests-integration-arm64"), j("build-arm64"), Relation.REQUIRES, ev(CFG, 127)),
        Edge(j("rpm-sign"), j("build-centos7"), Relation.REQUIRES, ev(CFG, 130)),
        Edge(dockerfile_id(TESTER), fedora.id, Relation.BASE, ev(TESTER, 1)),
        Edge(dockerfile_id(TESTER), avocado.id, Relation.INSTALLS, ev(TESTER, 11)),
        Edge(dockerfile_id(TESTER), plugin.id, Relation.INSTALLS, ev(TESTER, 12)),
        Edge(manifest_id(REQS), avocado.id, Relation.REQUIRES, ev(REQS, 2)),
        Edge(manifest_id(REQS), plugin.id, Relation.REQUIRES, ev(REQS, 3)),
        Edge(dockerfile_id(UBI), ubi.id, Relation.BASE, ev(UBI, 2, "FROM ubi8")),
    ]
    comps = [
        tester,
        builder,
        fedora,
        ubi,
        falco_ubi,
        mongo,
        avocado,
        plugin,
        pathtools,
        avocado_req,
        plugin_req,
        driver,
        legacy,
        bpf,
        chisel,
        img("centos:7", CFG, 86),
    ]
    return link("falco", ScanResult(tuple(comps), tuple(nodes), tuple(edges)))


def result(
    cid: str,
    status: Status,
    expr: str | None,
    context: str = "userspace",
    distribution: str = "distributed",
    *,
    election: str = "",
    reasons: tuple[str, ...] = (),
    rule: str = "",
    url: str = "",
    reason: str = "",
) -> ComponentResult:
    return ComponentResult(
        cid,
        LicenseInfo(expr, "in-repo", url=url, reason=reason),
        context,
        distribution,
        (f"{distribution} because test",),
        Verdict(status, rule=rule, election=election, reasons=tuple(reasons)),
    )


def falco_results() -> list[ComponentResult]:
    return [
        result(
            "image:mongo:6.0",
            Status.DENIED,
            "SSPL-1.0",
            "ci",
            "internal-tooling",
            rule="deny:SSPL-1.0",
        ),
        result(
            "pypi:avocado-framework@69.0",
            Status.NOT_REQUIRED,
            "GPL-2.0-only",
            "test",
            "internal-tooling",
        ),
        result(
            "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0",
            Status.NOT_REQUIRED,
            "GPL-2.0-only",
            "test",
            "internal-tooling",
        ),
        result(
            "pypi:pathtools@0.1.2",
            Status.UNKNOWN,
            None,
            "test",
            "internal-tooling",
            reason="PyPI states no license",
        ),
        result(
            "image:registry.access.redhat.com/ubi8/ubi:latest",
            Status.UNKNOWN,
            "LicenseRef-Red-Hat-UBI-EULA",
            url=UBI_EULA,
        ),
        result("image:falcosecurity/falco-ubi:latest", Status.ALLOWED, "Apache-2.0"),
        result(
            "source:driver",
            Status.NEEDS_EXCEPTION,
            "GPL-2.0-only",
            "kernel-module",
            rule="context:kernel-module",
            reasons=(
                "exception falco-driver-2019 covers GPL-2.0-only in driver/ for "
                "Falco only until 2023-01-01",
            ),
        ),
        result(
            "source:driver-legacy",
            Status.NEEDS_EXCEPTION,
            "GPL-2.0-only",
            "kernel-module",
            rule="context:kernel-module",
        ),
        result(
            "source:driver/bpf", Status.NEEDS_EXCEPTION, "GPL-2.0-only", "ebpf", rule="context:ebpf"
        ),
        result(
            "source:userspace/chisel",
            Status.ALLOWED,
            "GPL-2.0-only OR MIT",
            election="MIT",
            rule="allowlist:MIT",
        ),
    ]


CONFIG = Config(
    path=".depaudit.toml",
    remove=("avocado-framework",),
    replace={
        "registry.access.redhat.com/ubi8/ubi": ("debian:12-slim", "cgr.dev/chainguard/wolfi-base")
    },
)
CONFLICT = Finding(
    "license-conflict",
    "source:driver",
    "driver/main.c says GPL-2.0-only but driver/LICENSE says MIT",
    (ev("driver/main.c", 40), ev("driver/LICENSE", 1)),
)
PROBLEMS = (
    Problem(UBI, 1, "unresolved", "ARG UBI_VERSION has no default; assumed latest", "dockerfile"),
    Problem(UBI, 3, "parse-error", "FROM without an image", "dockerfile"),
    Problem(CFG, 0, "skipped", "too large", "circleci"),
)


def falco_plan(config: Config = CONFIG) -> tuple[Action, ...]:
    return plan(falco_inventory(), falco_results(), [CONFLICT], PROBLEMS, config).actions


def falco_notes(config: Config = CONFIG) -> dict[str, list[tuple[str, str]]]:
    notes = plan(falco_inventory(), falco_results(), [CONFLICT], PROBLEMS, config).notes
    return {n.cause.value: [(i.subject, i.message) for i in n.items] for n in notes}


def by_key(actions: tuple[Action, ...]) -> dict[tuple[str, str], Action]:
    return {(a.kind.value, a.target): a for a in actions}


def test_kinds_targets_and_order() -> None:
    """Priority order: severity first (denied, needs-exception, unknown, hygiene), then kind.
    No review: the unknown license of pathtools (CI tooling), the unresolved ARG and the
    skipped file are notes; chisel is the project's own code (no election to record)."""
    assert [(a.severity.value, a.kind.value, a.target) for a in falco_plan()] == [
        ("denied", "remove", "image:mongo:6.0"),
        ("needs-exception", "request-exception", "source:driver"),
        ("needs-exception", "request-exception", "source:driver/bpf"),
        ("unknown", "replace", "image:registry.access.redhat.com/ubi8/ubi:latest"),
        ("hygiene", "remove", "pypi:avocado-framework@69.0"),
        ("hygiene", "fix-notice", "source:driver"),
    ]


def test_plan_is_deterministic_and_index_optional() -> None:
    inv = falco_inventory()
    results = falco_results()
    a = plan(inv, results, [CONFLICT], PROBLEMS, CONFIG)
    b = plan(
        inv,
        list(reversed(results)),
        [CONFLICT, CONFLICT],
        tuple(reversed(PROBLEMS)),
        CONFIG,
        GraphIndex.build(inv),
    )
    assert a == b


def test_remove_named_by_config_lists_what_goes_with_it() -> None:
    action = by_key(falco_plan())[("remove", "pypi:avocado-framework@69.0")]
    assert action.removable == (
        "ci-job:circleci/tests-integration",
        "ci-job:circleci/tests-integration-arm64",
        "ci-job:circleci/tests-integration-static",
        "dockerfile:docker/tester/Dockerfile",
        "image:falcosecurity/falco-tester:latest",
        "manifest:test/requirements.txt",
        "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0",
    )
    assert [e.location for e in action.evidence] == [
        ".circleci/config.yml:15",  # the tester image
        ".circleci/config.yml:32",  # job tests-integration
        ".circleci/config.yml:42",  # job tests-integration-static
        ".circleci/config.yml:52",  # job tests-integration-arm64
        ".circleci/config.yml:75",  # its docker run of the tester image
        "docker/tester/Dockerfile:1",
        "docker/tester/Dockerfile:11",
        "docker/tester/Dockerfile:12",
        "test/requirements.txt:1",
        "test/requirements.txt:2",
        "test/requirements.txt:3",
    ]
    assert action.properties == (("review", "ci-job:circleci/build-arm64"),)
    assert action.because == (
        "The team decided to remove avocado-framework 69.0 (.depaudit.toml, remove: "
        '"avocado-framework"); it is licensed GPL-2.0-only (verdict not-required). '
        "Removable with it, as nothing else needs them: 3 CI jobs, 1 Dockerfile, 1 image, "
        "1 manifest and 1 package. Review, do not remove blindly: ci-job:circleci/build-arm64 "
        "feeds only removed jobs: ci-job:circleci/tests-integration-arm64."
    )


def test_remove_denied_component() -> None:
    action = by_key(falco_plan())[("remove", "image:mongo:6.0")]
    assert action.removable == ("ci-job:circleci/db-tests",)
    assert [e.location for e in action.evidence] == [
        ".circleci/config.yml:82",
        ".circleci/config.yml:120",
    ]
    assert action.because == (
        "The policy denies SSPL-1.0 (deny:SSPL-1.0), the license of mongo 6.0: no exception "
        "can allow it. Removable with it, as nothing else needs them: 1 CI job."
    )
    assert action.properties == ()


@pytest.mark.parametrize(
    "name",
    [
        "avocado-framework",
        "Avocado_Framework",  # PEP 503 normalization for PyPI names
        "pypi:avocado-framework",  # id without version
        "pypi:avocado-framework@69.0",  # id
    ],
)
def test_config_remove_matches_name_id_or_unversioned_id(name: str) -> None:
    actions = falco_plan(replace(CONFIG, remove=(name,)))
    assert ("remove", "pypi:avocado-framework@69.0") in by_key(actions)


def test_config_remove_matching_nothing_is_a_note() -> None:
    notes = falco_notes(replace(CONFIG, remove=("avocado-framework", "nosuch")))
    assert notes["configuration"] == [
        (".depaudit.toml", "remove = 'nosuch' matches no component: already gone, or misspelled")
    ]


def test_removed_components_get_no_other_action() -> None:
    # The plugin needs an exception on its own, but it goes with avocado-framework.
    results = [
        result(r.component_id, Status.NEEDS_EXCEPTION, "GPL-2.0-only", "test", "internal-tooling")
        if r.component_id.startswith("pypi:avocado-framework-plugin")
        else r
        for r in falco_results()
    ]
    actions = plan(falco_inventory(), results, [], (), CONFIG).actions
    assert [a.target for a in actions if "plugin" in a.target] == []
    without = plan(falco_inventory(), results, [], (), replace(CONFIG, remove=())).actions
    assert ("request-exception", "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0") in (
        by_key(without)
    )


def test_replace_distributed_base_image_with_configured_alternatives() -> None:
    action = by_key(falco_plan())[("replace", "image:registry.access.redhat.com/ubi8/ubi:latest")]
    assert action.prop("alternatives") == "debian:12-slim, cgr.dev/chainguard/wolfi-base"
    assert action.prop("license") == "LicenseRef-Red-Hat-UBI-EULA"
    assert [e.location for e in action.evidence] == ["docker/ubi/Dockerfile:2"]
    assert action.because == (
        "The base image registry.access.redhat.com/ubi8/ubi of docker/ubi/Dockerfile is built "
        "into falcosecurity/falco-ubi:latest, which ships. It is licensed "
        f"LicenseRef-Red-Hat-UBI-EULA ({UBI_EULA}), which the policy does not allow (verdict "
        "unknown). Replace it with one of: debian:12-slim, cgr.dev/chainguard/wolfi-base."
    )


@pytest.mark.parametrize(
    "key", ["registry.access.redhat.com/ubi8/ubi:8.8", "REGISTRY.access.redhat.com/ubi8/ubi"]
)
def test_replace_matches_config_by_image_name_without_tag(key: str) -> None:
    actions = falco_plan(replace(CONFIG, replace={key: ("debian:12-slim",)}))
    action = by_key(actions)[("replace", "image:registry.access.redhat.com/ubi8/ubi:latest")]
    assert action.prop("alternatives") == "debian:12-slim"


def test_replace_without_alternatives_says_where_to_name_them() -> None:
    actions = falco_plan(replace(CONFIG, replace={}))
    action = by_key(actions)[("replace", "image:registry.access.redhat.com/ubi8/ubi:latest")]
    assert action.prop("alternatives") is None
    assert action.because.endswith(
        "No alternative is configured: list allowed images under [replace] in .depaudit.toml, "
        "or request an exception."
    )


def test_base_image_of_unshipped_dockerfile_is_not_replaced() -> None:
    # fedora:31 is the base of the tester image, which only CI uses: not distributed.
    results = [
        *falco_results(),
        result(
            "image:fedora:31",
            Status.NEEDS_EXCEPTION,
            "LicenseRef-Fedora",
            "test",
            "internal-tooling",
        ),
    ]
    actions = plan(falco_inventory(), results, [], (), replace(CONFIG, remove=())).actions
    assert ("replace", "image:fedora:31") not in by_key(actions)
    assert ("request-exception", "image:fedora:31") in by_key(actions)


def test_request_exception_groups_same_license_context_distribution() -> None:
    actions = by_key(falco_plan())
    kmod = actions[("request-exception", "source:driver")]
    assert kmod.properties == (
        ("components", "source:driver, source:driver-legacy"),
        ("context", "kernel-module"),
        ("distribution", "distributed"),
        ("license", "GPL-2.0-only"),
        ("request_file", "exception-requests/gpl-2.0-only-kernel-module-distributed.md"),
    )
    assert [e.location for e in kmod.evidence] == [
        "driver-legacy/main.c:9",
        "driver/main.c:40",
        "driver/ppm.c:2",
    ]
    assert kmod.because == (
        "GPL-2.0-only is not allowed for kernel-module code that is distributed without an "
        "exception (rule context:kernel-module). Components: driver/, driver-legacy/. "
        "Write the request with `depaudit request` to "
        "exception-requests/gpl-2.0-only-kernel-module-distributed.md and submit it to the "
        "foundation."
    )
    ebpf = actions[("request-exception", "source:driver/bpf")]
    assert ebpf.prop("components") == "source:driver/bpf"
    assert ebpf.prop("request_file") == "exception-requests/gpl-2.0-only-ebpf-distributed.md"


def test_what_is_not_a_decision_is_a_note_grouped_by_cause() -> None:
    assert falco_notes() == {
        "unknown-not-deciding": [
            (
                "pypi:pathtools@0.1.2",
                "pathtools 0.1.2 (test, internal-tooling): PyPI states no license",
            )
        ],
        "unexpanded-value": [
            ("docker/ubi/Dockerfile", "ARG UBI_VERSION has no default; assumed latest (unresolved)")
        ],
        "parse-problem": [
            (".circleci/config.yml", "too large (skipped)"),
            ("docker/ubi/Dockerfile", "FROM without an image (parse-error)"),
        ],
    }


def test_fix_notice_for_a_first_party_contradiction() -> None:
    action = by_key(falco_plan())[("fix-notice", "source:driver")]
    assert action.because == (
        "driver/main.c says GPL-2.0-only but driver/LICENSE says MIT (license-conflict)."
    )
    assert action.properties == (("notice", "license-conflict"),)
    assert [e.location for e in action.evidence] == ["driver/LICENSE:1", "driver/main.c:40"]


def test_fix_notices_of_one_target_are_merged() -> None:
    other = Finding("missing-license-file", "source:driver", "driver/ has no LICENSE file")
    actions = plan(falco_inventory(), falco_results(), [CONFLICT, other], (), CONFIG).actions
    fixes = [a for a in actions if a.kind == ActionKind.FIX_NOTICE]
    assert [a.target for a in fixes] == ["source:driver"]
    assert fixes[0].because == (
        "driver/main.c says GPL-2.0-only but driver/LICENSE says MIT (license-conflict). "
        "driver/ has no LICENSE file (missing-license-file)."
    )
    assert fixes[0].prop("notice") == "license-conflict, missing-license-file"


@pytest.mark.parametrize(
    ("distribution", "reason", "confidence", "expected"),
    [
        # Distributed and no source states a license: the curation decides.
        ("distributed", "PyPI states no license", 1.0, "add-curation"),
        # Only a lookup not made: a note, whatever the distribution.
        ("distributed", "offline: not in cache (pypi)", 0.0, "lookup-not-made"),
        ("distributed", "offline: not in cache (pypi)", 1.0, "lookup-not-made"),
        # Not shipped: the unknown license decides nothing.
        ("internal-tooling", "PyPI states no license", 1.0, "unknown-not-deciding"),
    ],
)
def test_unknown_license_is_a_curation_only_where_it_decides(
    distribution: str, reason: str, confidence: float, expected: str
) -> None:
    results = [
        replace(
            r,
            distribution=distribution,
            license=replace(r.license, reason=reason, confidence=confidence),
        )
        if r.component_id == "pypi:pathtools@0.1.2"
        else r
        for r in falco_results()
    ]
    done = plan(falco_inventory(), results, [], (), CONFIG)
    kinds = {a.kind.value for a in done.actions if a.target == "pypi:pathtools@0.1.2"}
    causes = {
        n.cause.value for n in done.notes for i in n.items if i.subject.endswith("pathtools@0.1.2")
    }
    assert (kinds | causes) == {expected}
    if expected == "add-curation":
        (action,) = [a for a in done.actions if a.kind == ActionKind.ADD_CURATION]
        assert action.severity == Severity.UNKNOWN
        assert action.because == (
            "pathtools 0.1.2 is distributed and its license is unknown: PyPI states no license. "
            "State the license of each in a curation (.depaudit/curations.toml), with where it is "
            "written."
        )


def test_elect_only_for_third_party_code() -> None:
    """The project's own dual-licensed code needs no election; vendored code does."""
    assert ("elect", "source:userspace/chisel") not in by_key(falco_plan())
    inv = falco_inventory()
    vendored = replace(
        inv,
        components=tuple(
            replace(c, properties=(*c.properties, ("vendored", "true")))
            if c.id == "source:userspace/chisel"
            else c
            for c in inv.components
        ),
    )
    actions = plan(vendored, falco_results(), [], (), CONFIG).actions
    action = by_key(actions)[("elect", "source:userspace/chisel")]
    assert action.severity == Severity.HYGIENE
    assert action.prop("election") == "MIT"
    assert [e.location for e in action.evidence] == ["userspace/chisel/chisel.c:1"]


def test_empty_inputs_give_no_actions() -> None:
    inv = link("empty", ScanResult())
    assert plan(inv, [], [], [], Config()) == Plan((), ())


@pytest.mark.parametrize(
    ("result_", "expected"),
    [
        (
            result("x", Status.NEEDS_EXCEPTION, "GPL-2.0-only", "kernel-module"),
            "exception-requests/gpl-2.0-only-kernel-module-distributed.md",
        ),
        (
            result("x", Status.NEEDS_EXCEPTION, "GPL-2.0-only OR MIT", "ebpf", "user-fetched"),
            "exception-requests/gpl-2.0-only-or-mit-ebpf-user-fetched.md",
        ),
        (
            result("x", Status.NEEDS_EXCEPTION, None, "test", "internal-tooling"),
            "exception-requests/an-unknown-license-test-internal-tooling.md",
        ),
    ],
)
def test_request_file_slug(result_: ComponentResult, expected: str) -> None:
    assert request_file(result_) == expected


def test_note_items_that_differ_only_in_their_line_come_in_line_order() -> None:
    """inspektor-gadget-2024-08 has one unresolved image expression at five lines of
    .github/workflows/inspektor-gadget.yml; their order in the notes followed the hash seed
    (the items were sorted by subject and message only, out of a set)."""
    message = "image '${{ steps.x.outputs.repo }}' holds an expression; not resolved"
    wf = ".github/workflows/inspektor-gadget.yml"
    problems = tuple(
        Problem(wf, line, "unresolved", message, "github-actions") for line in (944, 502, 663, 20)
    )
    notes = plan(falco_inventory(), falco_results(), [], problems, CONFIG).notes
    items = [i for n in notes for i in n.items if i.subject == wf]
    assert [(i.message, [e.line for e in i.evidence]) for i in items] == [
        (f"{message} (unresolved)", [20]),
        (f"{message} (unresolved)", [502]),
        (f"{message} (unresolved)", [663]),
        (f"{message} (unresolved)", [944]),
    ]


def test_evidence_is_sorted_one_per_location() -> None:
    from audit.actions import _evidence

    a1, a1b = Evidence("a", 1, "x", "s"), Evidence("a", 1, "y", "s")
    a2, b1 = Evidence("a", 2, "x", "s"), Evidence("b", 1, "x", "s")
    assert _evidence((b1, a2), (a1b, a1), (a1, b1)) == (a1, a2, b1)
    assert _evidence() == ()

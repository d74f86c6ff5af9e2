"""License exception request bodies: grouping, the component table, answers, evidence, TODOs."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from audit.components import (
    action_component,
    download_component,
    git_component,
    image_component,
    package_component,
    parse_image_ref,
)
from audit.errors import InputError
from audit.graph import link
from audit.issueform import shipped_form
from audit.model import (
    Component,
    ComponentKind,
    ComponentResult,
    Edge,
    Evidence,
    LicenseInfo,
    Node,
    Notice,
    PolicyInfo,
    Relation,
    RepoInfo,
    Report,
    ScanResult,
    Status,
    Verdict,
)
from audit.request import (
    build_requests,
    render_body,
    render_json,
    upstream_url,
    usage_url,
)

REPO = RepoInfo("https://github.com/falcosecurity/falco", "0123abc", "")
KMOD = 'MODULE_LICENSE("GPL");'
BPF = 'char __license[] SEC("license") = "GPL";'
LIBS_CMAKE = "cmake/modules/falcosecurity-libs.cmake"
PRIOR = "exception falco-2019 (GPL-2.0-only, Falco) does not apply: approved for userspace only"


def ev(path: str, line: int, text: str, scanner: str = "notices") -> Evidence:
    return Evidence(path, line, text, scanner)


def notice(e: Evidence, kind: str) -> Notice:
    return Notice(e.path, e.line, kind, "GPL-2.0-only", "GPL", e)


def res(
    cid: str,
    lic: str,
    context: str,
    distribution: str,
    status: Status = Status.NEEDS_EXCEPTION,
    reasons: tuple[str, ...] = (),
) -> ComponentResult:
    return ComponentResult(
        cid,
        LicenseInfo(lic, "in-repo"),
        context,
        distribution,
        (f"classified {distribution}",),
        Verdict(status, rule=f"context:{context}", reasons=reasons),
    )


def falco_report(repo: RepoInfo = REPO, project: str | None = "Falco") -> Report:
    kmod = (ev("driver/main.c", 40, KMOD), ev("driver/ppm_events.c", 12, KMOD))
    bpf = (ev("driver/bpf/probe.c", 30, BPF),)
    driver = Component(
        "source:driver",
        ComponentKind.SOURCE,
        "driver",
        evidence=kmod,
        properties=(("files", "14"), ("files_without_notice", "12")),
    )
    probe = Component("source:driver/bpf", ComponentKind.SOURCE, "driver/bpf", evidence=bpf)
    libs_ev = ev(LIBS_CMAKE, 11, "URL ...", "cmake")
    libs = download_component(
        "https://github.com/falcosecurity/libs/archive/0.11.3.tar.gz",
        [libs_ev],
        props={"url_hash": "SHA256=c6dd"},
    )
    req_ev = ev("requirements.txt", 3, "gpl-helper==1.0", "requirements")
    helper = package_component("pypi", "gpl-helper", "1.0", [req_ev])
    nodes = (
        Node(f"build-file:{LIBS_CMAKE}", "build-file", LIBS_CMAKE),
        Node("manifest:requirements.txt", "manifest", "requirements.txt"),
    )
    edges = (
        Edge(f"build-file:{LIBS_CMAKE}", libs.id, Relation.BUNDLES, libs_ev),
        Edge("manifest:requirements.txt", helper.id, Relation.REQUIRES, req_ev),
    )
    notices = tuple(notice(e, "module-license") for e in kmod) + tuple(
        notice(e, "ebpf-section") for e in bpf
    )
    inv = link("falco", ScanResult((driver, probe, libs, helper), nodes, edges, notices))
    results = (
        res(libs.id, "GPL-2.0-only", "userspace", "distributed", Status.ALLOWED),
        res(helper.id, "GPL-2.0-only", "userspace", "user-fetched"),
        res("source:driver", "GPL-2.0-only", "kernel-module", "distributed", reasons=(PRIOR,)),
        res("source:driver/bpf", "GPL-2.0-only", "ebpf", "distributed"),
    )
    return Report("falco", project, None, PolicyInfo("cncf"), inv, results, (), repository=repo)


FORM = shipped_form("2025-09-03")


def kernel_request(report: Report | None = None) -> str:
    reqs = build_requests(report or falco_report(), ["source:driver"], None)
    assert len(reqs) == 1
    return render_body(reqs[0], FORM)


def answer(body: str, label_start: str) -> str:
    """The answer under the first ``### `` heading that starts with ``label_start``."""
    after = (
        body.split(f"\n### {label_start}", 1)[1]
        if not body.startswith(f"### {label_start}")
        else body[4:]
    )
    return after.split("\n\n", 1)[1].split("\n\n### ", 1)[0].strip("\n")


def test_default_selection_is_every_needs_exception_grouped() -> None:
    reqs = build_requests(falco_report(), None, None)
    assert [(r.request_file, [c.id for c in r.components]) for r in reqs] == [
        ("exception-requests/gpl-2.0-only-ebpf-distributed.md", ["source:driver/bpf"]),
        ("exception-requests/gpl-2.0-only-kernel-module-distributed.md", ["source:driver"]),
        ("exception-requests/gpl-2.0-only-userspace-user-fetched.md", ["pypi:gpl-helper@1.0"]),
    ]
    assert [r.title for r in reqs] == ["[License Exception Request] [Falco] [GPL-2.0-only]"] * 3


def test_components_with_different_answers_are_separate_requests() -> None:
    """A download and a package under the same license, context and distribution model
    are included differently (build-time vs. install-time): two requests."""
    report = falco_report()
    results = tuple(
        replace(
            r,
            distribution="user-fetched",
            verdict=replace(r.verdict, status=Status.NEEDS_EXCEPTION),
        )
        if r.component_id.startswith("download:")
        else r
        for r in report.results
    )
    reqs = build_requests(replace(report, results=results), None, None)
    fetched = [r for r in reqs if r.distribution == "user-fetched"]
    assert [(r.request_file, [c.id for c in r.components]) for r in fetched] == [
        (
            "exception-requests/gpl-2.0-only-userspace-user-fetched.md",
            ["download:github.com/falcosecurity/libs@0.11.3"],
        ),
        (
            "exception-requests/gpl-2.0-only-userspace-user-fetched-2.md",
            ["pypi:gpl-helper@1.0"],
        ),
    ]


def test_component_table_row_is_plain() -> None:
    lines = kernel_request().splitlines()
    i = lines.index("| Component | Upstream URL | Project Usage URL | License(s) | Purpose |")
    assert lines[i + 1] == "|---|---|---|---|---|"
    assert lines[i + 2] == (
        "| driver | https://github.com/falcosecurity/falco | "
        "[driver/main.c:40](https://github.com/falcosecurity/falco/blob/0123abc/driver/main.c#L40) "
        "[driver/ppm_events.c:12]"
        "(https://github.com/falcosecurity/falco/blob/0123abc/driver/ppm_events.c#L12) | "
        "GPL-2.0-only | Linux kernel module built from driver/: the project's driver, loaded into "
        "the kernel |"
    )


def test_kernel_module_answers_from_evidence() -> None:
    md = kernel_request()
    assert answer(md, "For which CNCF project") == "Falco"
    assert answer(md, "Are you an official maintainer") == "TODO: choose one of: Yes, No"
    assert answer(md, "How  will the components").splitlines()[0] == "- [x] Incorporated code"
    assert answer(md, "Will any of the components be modified?") == "No"
    assert "- License strings found in the files:" not in md
    assert (
        "License strings found in the files:\n\n- driver: `GPL` (module-license) in 2 files" in md
    )
    assert (
        "- [driver/main.c:40](https://github.com/falcosecurity/falco/blob/0123abc/driver/"
        'main.c#L40) `MODULE_LICENSE("GPL");`'
    ) in md
    assert "A Linux kernel module: it is loaded into the kernel" in md
    assert "- TODO: name the interface userspace uses to talk to it" in md
    assert "bpf()" not in md


def test_ebpf_answers_only_when_context_says_ebpf() -> None:
    reqs = build_requests(falco_report(), ["source:driver/bpf"], None)
    md = render_body(reqs[0], FORM)
    assert (
        "- In-kernel eBPF programs: the project's userspace code loads them through the bpf() "
        "syscall; they run in the kernel, not in the project's processes."
    ) in md
    assert "- driver/bpf: `GPL` (ebpf-section) in 1 file" in md


def test_third_party_package_leaves_what_only_a_human_knows_as_todo() -> None:
    reqs = build_requests(falco_report(), ["gpl-helper"], None)
    md = render_body(reqs[0], FORM)
    assert "| gpl-helper | https://pypi.org/project/gpl-helper/ |" in md
    assert "- [x] Install-time dependency" in md
    assert answer(md, "Will any of the components be modified?") == "No"
    assert "- Used as published: package gpl-helper 1.0, fetched by name." in md
    assert "- [x] Static" not in md and "- [x] Other" not in md
    assert "- TODO: static linking, dynamic linking, separate process or network interaction" in md
    assert "| TODO: what it does for the project (1-2 sentences) |" in md
    assert "License strings" not in md


def test_without_repository_usage_is_path_line_and_todo() -> None:
    md = kernel_request(falco_report(RepoInfo(), project=None))
    assert answer(md, "For which CNCF project") == "TODO: the CNCF project's name"
    assert "https://github.com/falcosecurity" not in md
    assert (
        "| driver | TODO: upstream URL | driver/main.c:40 driver/ppm_events.c:12 TODO: links "
        "(no web URL or commit known) |"
    ) in md


def test_project_argument_overrides_report() -> None:
    reqs = build_requests(falco_report(), ["source:driver"], "Falco Security")
    assert reqs[0].project == "Falco Security"
    assert "### For which CNCF project are you requesting exceptions?\n\nFalco Security\n" in (
        render_body(reqs[0], FORM)
    )


def test_component_named_twice_or_by_unversioned_id_is_one_row() -> None:
    reqs = build_requests(falco_report(), ["pypi:gpl-helper", "gpl-helper"], None)
    assert [[c.id for c in r.components] for r in reqs] == [["pypi:gpl-helper@1.0"]]


def test_unknown_component_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no component of the report matches 'nosuch'"):
        build_requests(falco_report(), ["nosuch"], None)


@pytest.mark.parametrize(
    ("repo", "evidence", "expected"),
    [
        (
            REPO,
            ev("driver/main.c", 10, ""),
            "https://github.com/falcosecurity/falco/blob/0123abc/driver/main.c#L10",
        ),
        (
            RepoInfo("https://github.com/o/r", "c0ffee", "sub/dir"),
            ev("a b.c", 2, ""),
            "https://github.com/o/r/blob/c0ffee/sub/dir/a%20b.c#L2",
        ),
        (
            RepoInfo("https://gitlab.com/g/p/", "c0ffee"),
            ev("x.c", 0, ""),
            "https://gitlab.com/g/p/-/blob/c0ffee/x.c",
        ),
        (RepoInfo("https://github.com/o/r", None), ev("x.c", 1, ""), None),
        (RepoInfo(None, "c0ffee"), ev("x.c", 1, ""), None),
    ],
)
def test_usage_url(repo: RepoInfo, evidence: Evidence, expected: str | None) -> None:
    assert usage_url(repo, evidence) == expected


def _image(ref: str) -> Component:
    parsed = parse_image_ref(ref)
    assert parsed is not None
    return image_component(parsed, [])


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        (
            package_component("pypi", "Avocado_Framework", "69.0", []),
            "https://pypi.org/project/avocado-framework/",
        ),
        (package_component("npm", "@scope/x", "1.0", []), "https://www.npmjs.com/package/@scope/x"),
        (package_component("rpm", "jq", None, [], namespace="fedora"), ""),
        (_image("debian:12"), "https://hub.docker.com/_/debian"),
        (_image("falcosecurity/falco:0.35.1"), "https://hub.docker.com/r/falcosecurity/falco"),
        (_image("registry.access.redhat.com/ubi8/ubi"), ""),
        (action_component("actions/checkout@v3", []), "https://github.com/actions/checkout"),
        (
            download_component(
                "https://github.com/nlohmann/json/archive/refs/tags/v3.11.2.tar.gz", []
            ),
            "https://github.com/nlohmann/json",
        ),
        (
            git_component("https://github.com/Kitware/CMake.git", [], "v3.22.5"),
            "https://github.com/Kitware/CMake",
        ),
        (
            Component("source:driver", ComponentKind.SOURCE, "driver"),
            "this repository (first-party)",
        ),
    ],
)
def test_upstream_url(component: Component | None, expected: str) -> None:
    assert component is not None
    assert upstream_url(component) == expected


def test_render_json_is_the_same_values() -> None:
    reqs = build_requests(falco_report(), None, None)
    doc = json.loads(render_json(reqs, FORM))
    assert doc["schema"] == "depaudit/exception-request/2"
    assert doc["form"]["fields"] == [f.id for f in FORM.questions]
    assert [r["request_file"] for r in doc["requests"]] == [r.request_file for r in reqs]
    kmod = doc["requests"][1]
    assert kmod["components"][0]["usage"][0] == {
        "path": "driver/main.c",
        "line": 40,
        "text": KMOD,
        "scanner": "notices",
    }
    assert kmod["components"][0]["inclusion"]["choice"] == "Incorporated code"
    assert kmod["answers"]["project_name"] == "Falco"
    assert render_json(reqs, FORM) == render_json(build_requests(falco_report(), None, None), FORM)


def test_pipes_in_table_cells_are_escaped() -> None:
    report = falco_report()
    comps = tuple(
        Component(
            c.id,
            c.kind,
            c.name,
            c.version,
            c.ecosystem,
            c.purl,
            c.evidence,
            (("purpose", "capture | filter"),),
        )
        if c.id == "source:driver"
        else c
        for c in report.inventory.components
    )
    report = replace(report, inventory=replace(report.inventory, components=comps))
    # the foundation's workflows split rows on every pipe, escaped or not
    assert "| capture / filter |" in kernel_request(report)

"""License exception request bodies: form sections, the component table, evidence, TODOs."""

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
    FORM_SECTIONS,
    TABLE_HEADER,
    build_requests,
    render_json,
    render_markdown,
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


def kernel_request(report: Report | None = None) -> str:
    reqs = build_requests(report or falco_report(), ["source:driver"], None)
    assert len(reqs) == 1
    return render_markdown(reqs[0])


def section(markdown: str, title: str) -> str:
    """The text of one ``## title`` section."""
    body = markdown.split(f"\n## {title}\n", 1)[1]
    return body.split("\n## ", 1)[0]


def test_default_selection_is_every_needs_exception_grouped() -> None:
    reqs = build_requests(falco_report(), None, None)
    assert [(r.request_file, [c.id for c in r.components]) for r in reqs] == [
        ("exception-requests/gpl-2.0-only-ebpf-distributed.md", ["source:driver/bpf"]),
        ("exception-requests/gpl-2.0-only-kernel-module-distributed.md", ["source:driver"]),
        ("exception-requests/gpl-2.0-only-userspace-user-fetched.md", ["pypi:gpl-helper@1.0"]),
    ]
    assert [r.title for r in reqs] == ["[License Exception Request] [Falco] [GPL-2.0-only]"] * 3


def test_markdown_has_every_form_section_in_order() -> None:
    md = kernel_request()
    headings = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert headings == list(FORM_SECTIONS)
    assert FORM_SECTIONS[0] == "Project details"
    assert FORM_SECTIONS[-1] == "Additional information"


def test_component_table_header_and_row() -> None:
    lines = kernel_request().splitlines()
    i = lines.index(TABLE_HEADER)
    assert TABLE_HEADER == "| Component | Upstream URL | Project Usage URL | License(s) | Purpose |"
    assert lines[i + 1] == "|---|---|---|---|---|"
    assert lines[i + 2] == (
        "| driver/ (first-party)<br>`source:driver` | this repository (first-party) | "
        "[`driver/main.c:40`](https://github.com/falcosecurity/falco/blob/0123abc/driver/main.c#L40)"
        "<br>[`driver/ppm_events.c:12`]"
        "(https://github.com/falcosecurity/falco/blob/0123abc/driver/ppm_events.c#L12) | "
        "GPL-2.0-only | TODO: what it does for the project (1-2 sentences) |"
    )


def test_kernel_module_answers_from_evidence() -> None:
    md = kernel_request()
    assert section(md, "Project details").splitlines()[1:4] == [
        "- Project: Falco",
        "- Repository: https://github.com/falcosecurity/falco",
        "- Are you an official maintainer of this project? TODO: yes or no",
    ]
    dist = section(md, "Distribution and integration model")
    assert "- Distributed: it ships in the project's released artifacts.\n" in dist
    assert "- Inclusion: Incorporated code.\n" in dist
    assert "- Why: classified distributed\n" in dist
    assert "mandatory dependencies for the project to function as intended? TODO:" in dist
    assert section(md, "Modification status") == (
        "\n- First-party code written by the project, not a modified copy of a third-party "
        "component.\n"
    )
    sep = section(md, "Structural separation")
    assert "- Kept in its own directory `driver/`.\n" in sep
    assert "- Files with a license notice: `driver/main.c`, `driver/ppm_events.c`.\n" in sep
    assert (
        "- [`driver/main.c:40`](https://github.com/falcosecurity/falco/blob/0123abc/driver/"
        'main.c#L40) — `MODULE_LICENSE("GPL");`'
    ) in sep
    comm = section(md, "Communication mechanism")
    assert "A kernel module: loaded into the kernel" in comm
    assert "TODO: name the interface userspace uses to talk to it" in comm
    assert "bpf()" not in md
    assert section(md, "Data exchange").strip().startswith("- TODO:")
    extra = section(md, "Additional information")
    assert "- License strings: `GPL` (module-license) in 2 files.\n" in extra
    assert "- 14 files in this unit, 12 of them without a license notice.\n" in extra
    assert "- Policy verdict: needs-exception (rule context:kernel-module).\n" in extra
    assert f"- Policy: {PRIOR}\n" in extra


def test_ebpf_answers_only_when_context_says_ebpf() -> None:
    reqs = build_requests(falco_report(), ["source:driver/bpf"], None)
    md = render_markdown(reqs[0])
    assert section(md, "Communication mechanism") == (
        "\n- In-kernel eBPF programs, loaded by the project's userspace code through the bpf() "
        "syscall; they run in the kernel, not in the userspace processes.\n"
    )
    assert "- License strings: `GPL` (ebpf-section) in 1 file.\n" in md


def test_third_party_package_leaves_what_only_a_human_knows_as_todo() -> None:
    reqs = build_requests(falco_report(), ["gpl-helper"], None)
    md = render_markdown(reqs[0])
    assert "| https://pypi.org/project/gpl-helper/ |" in md
    assert "- Inclusion: Install-time dependency.\n" in md
    assert section(md, "Modification status") == (
        "\n- Used as published upstream: fetched at version 1.0.\n- TODO: confirm that the "
        "project applies no patches (or describe them, and whether they will be contributed "
        "upstream)\n"
    )
    assert section(md, "Communication mechanism") == (
        "\n- TODO: static linking, dynamic linking, separate process, or network interaction "
        "only?\n"
    )
    assert "License strings" not in md


def test_without_repository_usage_is_path_line_and_todo() -> None:
    md = kernel_request(falco_report(RepoInfo(), project=None))
    assert "- Project: TODO: the CNCF project's name\n" in md
    assert "- Repository: TODO: the repository URL (no git remote was found)\n" in md
    assert "https://" not in section(md, "Component details")
    assert (
        "| `driver/main.c:40`<br>`driver/ppm_events.c:12`<br>TODO: link to the repository "
        "(no web URL or commit known) |"
    ) in md
    assert md.startswith("# [License Exception Request] [Project] [GPL-2.0-only]\n")


def test_project_argument_overrides_report() -> None:
    reqs = build_requests(falco_report(), ["source:driver"], "Falco Security")
    assert reqs[0].project == "Falco Security"
    assert "- Project: Falco Security\n" in render_markdown(reqs[0])


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
    doc = json.loads(render_json(reqs))
    assert doc["schema"] == "depaudit/exception-request/1"
    assert doc["form_sections"] == list(FORM_SECTIONS)
    assert [r["request_file"] for r in doc["requests"]] == [r.request_file for r in reqs]
    kmod = doc["requests"][1]
    assert kmod["components"][0]["usage"][0] == {
        "path": "driver/main.c",
        "line": 40,
        "text": KMOD,
        "scanner": "notices",
    }
    assert [s["title"] for s in kmod["sections"]] == [
        t for t in FORM_SECTIONS if t != "Component details"
    ]
    assert render_json(reqs) == render_json(build_requests(falco_report(), None, None))


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
    assert "| capture \\| filter |" in kernel_request(report)

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from audit import graph
from audit.components import (
    dockerfile_id,
    image_component,
    job_id,
    manifest_id,
    package_component,
    parse_image_ref,
)
from audit.graph import GraphIndex, link, removable
from audit.model import (
    Component,
    ComponentKind,
    Edge,
    Evidence,
    Node,
    Notice,
    Relation,
    ScanResult,
    edge_key,
    unique_edges,
)


def ev(path: str, line: int, text: str = "x") -> Evidence:
    return Evidence(path, line, text, "test")


def img(ref: str, path: str, line: int):  # type: ignore[no-untyped-def]
    parsed = parse_image_ref(ref)
    assert parsed is not None
    return image_component(parsed, [ev(path, line)])


CFG = ".circleci/config.yml"
TESTER = "docker/tester/Dockerfile"


def falco_like() -> ScanResult:
    tester = img("falcosecurity/falco-tester:latest", CFG, 15)
    builder = img("falcosecurity/falco-builder:latest", CFG, 9)
    fedora = img("fedora:31", TESTER, 1)
    avocado = package_component("pypi", "avocado-framework", "69.0", [ev(TESTER, 12)])
    plugin = package_component(
        "pypi", "avocado-framework-plugin-varianter-yaml-to-mux", "69.0", [ev(TESTER, 13)]
    )
    dnf_jq = package_component("rpm", "jq", None, [ev(TESTER, 9)], namespace="fedora")
    avocado_req = package_component(
        "pypi", "avocado-framework", "69.0", [ev("test/requirements.txt", 2)]
    )
    jobs = [
        "build-centos7",
        "tests-integration",
        "tests-integration-static",
        "tests-integration-arm64",
        "build-arm64",
        "rpm-sign",
    ]
    nodes = [
        Node(job_id("circleci", j), "ci-job", j, (ev(CFG, 20 + i),)) for i, j in enumerate(jobs)
    ]
    nodes += [
        Node(
            dockerfile_id(TESTER),
            "dockerfile",
            TESTER,
            (ev(TESTER, 1),),
            (("label.name", "falcosecurity/falco-tester"),),
        ),
        Node(manifest_id("test/requirements.txt"), "manifest", "test/requirements.txt"),
    ]
    edges = [
        Edge(job_id("circleci", "build-centos7"), builder.id, Relation.RUNS_IN, ev(CFG, 9)),
        Edge(job_id("circleci", "build-arm64"), builder.id, Relation.RUNS_IN, ev(CFG, 40)),
        Edge(job_id("circleci", "tests-integration"), tester.id, Relation.RUNS_IN, ev(CFG, 15)),
        Edge(
            job_id("circleci", "tests-integration-static"), tester.id, Relation.RUNS_IN, ev(CFG, 15)
        ),
        Edge(
            job_id("circleci", "tests-integration-arm64"), tester.id, Relation.RUNS_IN, ev(CFG, 75)
        ),
        Edge(
            job_id("circleci", "rpm-sign"),
            img("centos:7", CFG, 80).id,
            Relation.RUNS_IN,
            ev(CFG, 80),
        ),
        Edge(
            job_id("circleci", "tests-integration"),
            job_id("circleci", "build-centos7"),
            Relation.REQUIRES,
            ev(CFG, 100),
        ),
        Edge(
            job_id("circleci", "tests-integration-arm64"),
            job_id("circleci", "build-arm64"),
            Relation.REQUIRES,
            ev(CFG, 105),
        ),
        Edge(
            job_id("circleci", "rpm-sign"),
            job_id("circleci", "build-centos7"),
            Relation.REQUIRES,
            ev(CFG, 110),
        ),
        Edge(
            job_id("circleci", "rpm-sign"),
            job_id("circleci", "tests-integration"),
            Relation.REQUIRES,
            ev(CFG, 111),
        ),
        Edge(dockerfile_id(TESTER), fedora.id, Relation.BASE, ev(TESTER, 1)),
        Edge(dockerfile_id(TESTER), dnf_jq.id, Relation.INSTALLS, ev(TESTER, 9)),
        Edge(dockerfile_id(TESTER), avocado.id, Relation.INSTALLS, ev(TESTER, 12)),
        Edge(dockerfile_id(TESTER), plugin.id, Relation.INSTALLS, ev(TESTER, 13)),
        Edge(
            manifest_id("test/requirements.txt"),
            avocado.id,
            Relation.REQUIRES,
            ev("test/requirements.txt", 2),
        ),
    ]
    comps = [
        tester,
        builder,
        fedora,
        avocado,
        plugin,
        dnf_jq,
        avocado_req,
        img("centos:7", CFG, 80),
    ]
    return ScanResult(tuple(comps), tuple(nodes), tuple(edges))


def test_link_merges_evidence_and_joins_dockerfile_by_label() -> None:
    inv = link("r", falco_like())
    avocado = inv.component("pypi:avocado-framework@69.0")
    assert avocado is not None
    assert [e.location for e in avocado.evidence] == [
        "docker/tester/Dockerfile:12",
        "test/requirements.txt:2",
    ]
    built = [(e.src, e.dst, e.how) for e in inv.edges if e.relation == Relation.BUILT_FROM]
    assert built == [
        (
            "image:falcosecurity/falco-tester:latest",
            "dockerfile:docker/tester/Dockerfile",
            "LABEL name",
        ),
    ]


def test_link_is_deterministic() -> None:
    a = link("r", falco_like())
    b = link(
        "r",
        ScanResult(
            *(
                tuple(reversed(x))
                for x in (falco_like().components, falco_like().nodes, falco_like().edges)
            )
        ),
    )
    assert a == b


def test_chain_job_image_dockerfile_package() -> None:
    index = GraphIndex.build(link("r", falco_like()))
    chains = [
        [e.src for e in ch] + [ch[-1].dst] for ch in index.chains_to("pypi:avocado-framework@69.0")
    ]
    assert [
        "ci-job:circleci/tests-integration",
        "image:falcosecurity/falco-tester:latest",
        "dockerfile:docker/tester/Dockerfile",
        "pypi:avocado-framework@69.0",
    ] in chains
    assert ["manifest:test/requirements.txt", "pypi:avocado-framework@69.0"] in chains


def test_removable_with_avocado() -> None:
    index = GraphIndex.build(link("r", falco_like()))
    r = removable(index, "pypi:avocado-framework@69.0")
    assert [i.id for i in r.removable] == [
        "ci-job:circleci/tests-integration",
        "ci-job:circleci/tests-integration-arm64",
        "ci-job:circleci/tests-integration-static",
        "dockerfile:docker/tester/Dockerfile",
        "image:falcosecurity/falco-tester:latest",
        "manifest:test/requirements.txt",
        "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0",
    ]
    # build-arm64 feeds only tests-integration-arm64; build-centos7 also feeds rpm-sign.
    assert [(i.id, i.reason, [e.location for e in i.evidence]) for i in r.review] == [
        (
            "ci-job:circleci/build-arm64",
            "feeds only removed jobs: ci-job:circleci/tests-integration-arm64",
            [".circleci/config.yml:24"],
        ),
        (
            "ci-job:circleci/rpm-sign",
            "requires removed jobs: edit its requires (ci-job:circleci/tests-integration)",
            [".circleci/config.yml:111"],
        ),
    ]
    dockerfile = next(i for i in r.removable if i.id == "dockerfile:docker/tester/Dockerfile")
    assert [e.location for e in dockerfile.evidence] == [
        "docker/tester/Dockerfile:1",
        "docker/tester/Dockerfile:12",
        "docker/tester/Dockerfile:13",
    ]


def test_removable_keeps_shared_consumers() -> None:
    index = GraphIndex.build(link("r", falco_like()))
    r = removable(index, "image:fedora:31")
    assert r.removable == ()


def test_paths_named_from_scripts_resolve_to_scanned_nodes() -> None:
    res = ScanResult(
        nodes=(
            Node(manifest_id("test/requirements.txt"), "manifest", "test/requirements.txt"),
            Node(dockerfile_id("docker/x/Dockerfile"), "dockerfile", "docker/x/Dockerfile"),
        ),
        edges=(
            Edge(
                "ci-job:github/ci.yml/t",
                "manifest:./test/requirements.txt",
                Relation.INCLUDES,
                ev(".github/workflows/ci.yml", 9),
            ),
            Edge(
                "image:x:latest",
                "dockerfile:x/Dockerfile",
                Relation.BUILT_FROM,
                ev("docker/build.sh", 3),
                "docker build -t",
            ),
        ),
    )
    inv = link("r", res)
    assert [(e.src, e.dst) for e in inv.edges] == [
        ("ci-job:github/ci.yml/t", "manifest:test/requirements.txt"),
        ("image:x:latest", "dockerfile:docker/x/Dockerfile"),
    ]


def test_a_path_named_from_a_script_matches_by_suffix_only_when_unique() -> None:
    paths = ["a/docker/x/Dockerfile", "b/docker/x/Dockerfile", "c/y/Dockerfile"]
    res = ScanResult(
        nodes=(
            *(Node(dockerfile_id(p), "dockerfile", p) for p in paths),
            Node(manifest_id("d/y/Dockerfile"), "manifest", "d/y/Dockerfile"),
        ),
        edges=(
            Edge("image:x", "dockerfile:x/Dockerfile", Relation.BUILT_FROM, ev("build.sh", 1)),
            Edge("image:y", "dockerfile:y/Dockerfile", Relation.BUILT_FROM, ev("build.sh", 2)),
        ),
    )
    inv = link("r", res)
    assert [(e.src, e.dst) for e in inv.edges] == [
        ("image:x", "dockerfile:x/Dockerfile"),  # two scanned files end so: left as named
        ("image:y", "dockerfile:c/y/Dockerfile"),  # the manifest of that name is another kind
    ]


def _notice(path: str, line: int, kind: str = "spdx-tag", raw: str = "MIT") -> Notice:
    return Notice(path, line, kind, raw, raw, Evidence(path, line, raw, "notices"))


def test_notices_one_a_file_in_path_order_are_taken_as_they_are() -> None:
    given = (_notice("a.c", 3), _notice("b/a.c", 1), _notice("b/c.c", 9))
    assert graph._by_place(given) == given
    assert graph._by_place(()) == ()


def test_notices_out_of_place_or_several_in_a_file_are_sorted() -> None:
    late, early = _notice("b.c", 1), _notice("a.c", 7)
    assert graph._by_place([late, early]) == (early, late)
    second, first = _notice("a.c", 2, raw="GPL"), _notice("a.c", 1)
    assert graph._by_place([second, first, late]) == (first, second, late)
    tag, prose = _notice("a.c", 1, "spdx-tag"), _notice("a.c", 1, "prose")
    assert graph._by_place([tag, prose]) == (prose, tag)


def test_evidence_in_order_each_once_is_told_without_merging() -> None:
    a, b, c = (Evidence("a", 1, "x", "s"), Evidence("a", 2, "x", "s"), Evidence("b", 1, "x", "s"))
    assert [graph._in_order(e) for e in [(), (b,), (a, b, c), (a, c, b), (a, a), (b, a)]] == [
        True, True, True, False, False, False
    ]  # fmt: skip


def test_a_component_with_evidence_out_of_order_gets_it_sorted() -> None:
    a, b = Evidence("a", 1, "x", "s"), Evidence("b", 1, "x", "s")
    comp = Component("pypi:x@1", ComponentKind.PACKAGE, "x", "1", "pypi", None, (b, a, b))
    (merged,) = link("r", ScanResult(components=(comp,))).components
    assert merged.evidence == (a, b)


def test_edges_sort_by_their_relation_as_written() -> None:
    ev = Evidence("a", 1, "x", "s")
    built = Edge("image:a", "dockerfile:a", Relation.BUILT_FROM, ev)
    runs = Edge("image:a", "job:b", Relation.RUNS_IN, ev)
    keys = sorted([edge_key(runs), edge_key(built)])
    assert [k[1] for k in keys] == sorted([Relation.BUILT_FROM.value, Relation.RUNS_IN.value])


def test_edges_are_each_once_as_a_set_holds_them() -> None:
    """unique_edges: equal edges (their fields, the evidence's too) once, in the order first
    seen; what a set of them holds."""
    a, b = Evidence("a", 1, "x", "s"), Evidence("a", 1, "y", "s")
    e1 = Edge("job:x", "pypi:y@1", Relation.INSTALLS, a)
    e2 = Edge("job:x", "pypi:y@1", Relation.INSTALLS, b)
    e3 = Edge("job:x", "pypi:y@1", Relation.INSTALLS)
    e4 = Edge("job:x", "pypi:y@1", Relation.INSTALLS, a, "how")
    copies = [Edge("job:x", "pypi:y@1", Relation.INSTALLS, Evidence("a", 1, "x", "s")), e3]
    assert unique_edges([e1, e2, *copies, e3, e4, e1]) == [e1, e2, e3, e4]
    assert unique_edges([]) == []


def test_unique_edges_tells_edges_by_every_field() -> None:
    """unique_edges and _merge_evidence tell edges and evidence by the fields they name:
    a field added to Edge or Evidence must be added to them too (else two edges differing
    only in it would be taken for one)."""
    assert [f.name for f in dataclasses.fields(Edge)] == [
        "src",
        "dst",
        "relation",
        "evidence",
        "how",
    ]
    assert [f.name for f in dataclasses.fields(Evidence)] == ["path", "line", "text", "scanner"]


@given(
    st.lists(
        st.builds(
            Edge,
            st.sampled_from(["a", "b"]),
            st.sampled_from(["c", "d"]),
            st.sampled_from([Relation.INSTALLS, Relation.REQUIRES]),
            st.none()
            | st.builds(
                Evidence, st.just("p"), st.integers(0, 2), st.sampled_from(["x", "y"]), st.just("s")
            ),
            st.sampled_from(["", "h"]),
        ),
        max_size=12,
    )
)
def test_unique_edges_is_a_set_of_them_in_first_order(edges: list[Edge]) -> None:
    got = unique_edges(edges)
    assert got == list(dict.fromkeys(edges))  # a set's members, in the order first seen


def test_merged_evidence_is_sorted_each_once() -> None:
    a, b, c = Evidence("a", 1, "x", "s"), Evidence("a", 2, "x", "s"), Evidence("b", 1, "x", "s")
    assert graph._merge_evidence((c, a), (b, Evidence("a", 1, "x", "s"), c)) == (a, b, c)
    assert graph._merge_evidence() == ()

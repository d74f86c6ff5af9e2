"""The resolve stage: order of sources, fallbacks, failures as problems, offline, the example."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import responses

from audit.components import (
    action_component,
    download_component,
    git_component,
    image_component,
    orb_component,
    package_component,
    parse_image_ref,
)
from audit.http import Endpoints, HttpClient
from audit.licenses.curations import find_curations, load_curations, parse_curations
from audit.licenses.resolve import SOURCES, Ask, ResolveResult, is_failure, resolve
from audit.model import (
    Component,
    ComponentKind,
    Edge,
    Evidence,
    Inventory,
    LicenseInfo,
    Node,
    Problem,
    Relation,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "falco-2023"
EV = Evidence("test/requirements.txt", 2, "avocado-framework==69.0", "requirements")
PYPI = "https://pypi.org/pypi/left-pad/1.0/json"
DEPS = "https://api.deps.dev/v3/systems/pypi/packages/left-pad/versions/1.0"
CD = "https://api.clearlydefined.io/definitions/pypi/pypi/-/left-pad/1.0"
LEFT_PAD = package_component("pypi", "left-pad", "1.0", [EV])


def client(tmp_path: Path, **kw: object) -> HttpClient:
    kw.setdefault("token", "")
    kw.setdefault("sleep", lambda s: None)
    return HttpClient(tmp_path / "http.sqlite", **kw)  # type: ignore[arg-type]


def image(ref: str, props: dict[str, str] | None = None) -> Component:
    parsed = parse_image_ref(ref)
    assert parsed is not None
    return image_component(parsed, [Evidence("Dockerfile", 1, f"FROM {ref}", "dockerfile")], props)


def source_unit(license_text: str | None) -> Component:
    props = (("license", license_text),) if license_text else ()
    return Component(
        id="source:driver",
        kind=ComponentKind.SOURCE,
        name="driver",
        evidence=(
            Evidence("driver/main.c", 1, "// SPDX-License-Identifier: GPL-2.0-only OR MIT", "k"),
        ),
        properties=props,
    )


SOURCE_CURATION = parse_curations(
    '[[curation]]\ncomponent = "source:driver"\nlicense = "MIT"\ncomment = "c"\n', "c.toml"
)


@responses.activate
def test_in_repo_statement_beats_curations(tmp_path: Path) -> None:
    unit = source_unit("GPL-2.0-only OR MIT")
    got = resolve([unit], curations=SOURCE_CURATION, client=client(tmp_path))
    assert got == ResolveResult(
        {
            "source:driver": LicenseInfo(
                "GPL-2.0-only OR MIT",
                "in-repo",
                evidence=unit.evidence,
                raw="GPL-2.0-only OR MIT",
                reason="in-repo license statement",
            )
        },
        (),
    )
    assert len(responses.calls) == 0


@pytest.mark.parametrize(
    ("statement", "curations", "expected"),
    [
        (None, SOURCE_CURATION, ("MIT", "curation", "c")),
        (None, None, (None, "in-repo", "no license statement found in the source")),
        (
            "Dual MIT/GPL",
            None,
            (None, "in-repo", "in-repo statement 'Dual MIT/GPL' is not an SPDX expression"),
        ),
    ],
)
def test_source_units_without_a_usable_statement(
    statement: str | None, curations: object, expected: tuple[object, ...], tmp_path: Path
) -> None:
    got = resolve([source_unit(statement)], curations=curations, client=client(tmp_path))  # type: ignore[arg-type]
    info = got.licenses["source:driver"]
    assert (info.expression, info.source, info.reason) == expected
    assert got.problems == ()


@responses.activate
def test_curation_beats_registries(tmp_path: Path) -> None:
    curations = parse_curations(
        '[[curation]]\ncomponent = "pypi:left-pad"\nlicense = "ISC"\n', "c.toml"
    )
    got = resolve([LEFT_PAD], curations=curations, client=client(tmp_path))
    assert got.licenses["pypi:left-pad@1.0"].expression == "ISC"
    assert got.licenses["pypi:left-pad@1.0"].source == "curation"
    assert len(responses.calls) == 0


@responses.activate
def test_pypi_answer_stops_the_chain(tmp_path: Path) -> None:
    responses.get(PYPI, json={"info": {"license": "MIT License"}})
    got = resolve([LEFT_PAD], client=client(tmp_path))
    assert got.licenses["pypi:left-pad@1.0"] == LicenseInfo(
        "MIT", "pypi", raw="MIT License", url=PYPI, reason="pypi: license 'MIT License'"
    )
    assert got.problems == ()
    assert len(responses.calls) == 1


@responses.activate
def test_fallback_to_depsdev_when_pypi_fails(tmp_path: Path) -> None:
    responses.get(PYPI, status=503)
    responses.get(DEPS, json={"licenses": ["MIT"]})
    got = resolve([LEFT_PAD], client=client(tmp_path))
    info = got.licenses["pypi:left-pad@1.0"]
    assert (info.expression, info.source) == ("MIT", "deps.dev")
    assert got.problems == ()


@responses.activate
def test_fallback_to_clearlydefined_when_registries_are_ambiguous(tmp_path: Path) -> None:
    responses.get(PYPI, json={"info": {"license": "BSD"}})
    responses.get(DEPS, json={"licenses": ["non-standard"]})
    responses.get(CD, json={"licensed": {"declared": "BSD-3-Clause"}})
    got = resolve([LEFT_PAD], client=client(tmp_path))
    info = got.licenses["pypi:left-pad@1.0"]
    assert (info.expression, info.source) == ("BSD-3-Clause", "clearlydefined")


@responses.activate
def test_every_source_unknown_combines_the_reasons(tmp_path: Path) -> None:
    responses.get(PYPI, json={"info": {"license": "BSD"}})
    responses.get(DEPS, json={})
    responses.get(CD, json={"licensed": {}})
    got = resolve([LEFT_PAD], client=client(tmp_path))
    assert got.licenses["pypi:left-pad@1.0"] == LicenseInfo(
        None,
        "pypi",
        raw="BSD",
        url=PYPI,
        reason="pypi: license 'BSD': BSD is ambiguous: which clause count?; "
        "deps.dev: no license for left-pad 1.0; clearlydefined: no declared license",
    )
    assert got.problems == ()


@responses.activate
def test_every_source_failing_is_a_network_problem(tmp_path: Path) -> None:
    responses.get(PYPI, status=503)
    responses.get(DEPS, body=requests.exceptions.ConnectTimeout("slow"))
    responses.get(CD, status=500)
    sleeps: list[float] = []
    got = resolve([LEFT_PAD], client=client(tmp_path, sleep=sleeps.append))
    reason = (
        "pypi: HTTP 503 after 3 tries; deps.dev: timeout after 3 tries; "
        "clearlydefined: HTTP 500 after 3 tries"
    )
    assert got.licenses["pypi:left-pad@1.0"] == LicenseInfo(
        None, "pypi", url=PYPI, confidence=0.0, reason=reason
    )
    assert is_failure(got.licenses["pypi:left-pad@1.0"])
    assert got.problems == (
        Problem(
            "test/requirements.txt",
            2,
            "network",
            f"pypi:left-pad@1.0: license lookup failed: {reason}",
            "resolve",
        ),
    )
    assert sleeps == [0.5, 1.0] * 3


@responses.activate
def test_a_failure_next_to_an_unknown_is_still_a_problem(tmp_path: Path) -> None:
    responses.get(PYPI, json={"info": {}})
    responses.get(DEPS, status=502)
    responses.get(CD, json={})
    got = resolve([LEFT_PAD], client=client(tmp_path, tries=1))
    info = got.licenses["pypi:left-pad@1.0"]
    assert (info.source, info.confidence) == ("deps.dev", 0.0)
    assert info.reason == (
        "pypi: no license in the metadata; deps.dev: HTTP 502 after 1 try; "
        "clearlydefined: no declared license"
    )
    assert [p.kind for p in got.problems] == ["network"]


@responses.activate
def test_offline_miss(tmp_path: Path) -> None:
    got = resolve([LEFT_PAD], client=client(tmp_path, offline=True))
    assert got.licenses["pypi:left-pad@1.0"] == LicenseInfo(
        None,
        "pypi",
        url=PYPI,
        confidence=0.0,
        reason="offline: not in cache (pypi, deps.dev, clearlydefined)",
    )
    assert got.problems == (
        Problem(
            "test/requirements.txt",
            2,
            "network",
            "pypi:left-pad@1.0: license lookup failed: "
            "offline: not in cache (pypi, deps.dev, clearlydefined)",
            "resolve",
        ),
    )
    assert len(responses.calls) == 0


@responses.activate
def test_offline_flag_turns_an_online_client_offline(tmp_path: Path) -> None:
    responses.get(PYPI, json={"info": {"license": "MIT"}})
    online = client(tmp_path)
    first = resolve([LEFT_PAD], client=online)
    second = resolve([LEFT_PAD], client=online, offline=True)
    assert second.licenses == first.licenses
    missing = package_component("pypi", "right-pad", "1.0", [EV])
    third = resolve([missing], client=online, offline=True)
    assert third.licenses["pypi:right-pad@1.0"].reason.startswith("offline: not in cache")
    assert len(responses.calls) == 1


@responses.activate
def test_offline_answers_from_a_cache_filled_earlier(tmp_path: Path) -> None:
    responses.get(PYPI, json={"info": {"license": "Apache 2.0"}})
    resolve([LEFT_PAD], client=client(tmp_path))
    got = resolve([LEFT_PAD], client=client(tmp_path, offline=True))
    assert got.licenses["pypi:left-pad@1.0"].expression == "Apache-2.0"
    assert got.problems == ()


@responses.activate
def test_github_for_actions(tmp_path: Path) -> None:
    action = action_component("actions/checkout@v3", [EV])
    assert action is not None
    responses.get(
        "https://api.github.com/repos/actions/checkout/license?ref=v3",
        json={"path": "LICENSE", "license": {"spdx_id": "MIT"}},
    )
    got = resolve([action], client=client(tmp_path))
    assert got.licenses["action:actions/checkout@v3"].expression == "MIT"


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        (
            orb_component("circleci/aws-cli@3.1.4", [EV]),
            LicenseInfo(
                None, "orb", reason="no registry source for CircleCI orbs (add a curation)"
            ),
        ),
        (
            package_component("rpm", "jq", None, [EV], namespace="fedora"),
            LicenseInfo(
                None,
                "os-package",
                reason="rpm package of fedora: no registry source here; its license is in the "
                "distribution's package metadata (add a curation)",
            ),
        ),
        (
            package_component("npm", "left-pad", None, [EV]),
            LicenseInfo(None, "npm", reason="unpinned: no version to look up"),
        ),
        (
            download_component("https://example.org/dl/tool-1.0.tar.gz", [EV]),
            LicenseInfo(
                None, "download", reason="no license source for this download (add a curation)"
            ),
        ),
        (
            image("falcosecurity/falco-builder:latest"),
            LicenseInfo(
                None,
                "image",
                reason="image: not in the curated image table and no "
                "org.opencontainers.image.licenses label (add a curation)",
            ),
        ),
        (
            image("falcosecurity/falco-tester:latest", {"dockerfile": "docker/tester/Dockerfile"}),
            LicenseInfo(
                None,
                "image",
                reason="built from docker/tester/Dockerfile in this repository: its license is "
                "that of its contents (base image and what it installs)",
            ),
        ),
    ],
)
@responses.activate
def test_components_no_source_covers(
    component: Component, expected: LicenseInfo, tmp_path: Path
) -> None:
    got = resolve([component], client=client(tmp_path))
    assert got.licenses == {component.id: expected}
    assert got.problems == ()
    assert len(responses.calls) == 0


@responses.activate
def test_registry_labels_only_when_asked(tmp_path: Path) -> None:
    base = "https://quay.io/v2/org/tool"
    responses.get(f"{base}/manifests/1.0", json={"config": {"digest": "sha256:" + "d" * 64}})
    responses.get(
        f"{base}/blobs/sha256:{'d' * 64}",
        json={"config": {"Labels": {"org.opencontainers.image.licenses": "MIT"}}},
    )
    tool = image("quay.io/org/tool:1.0")
    assert resolve([tool], client=client(tmp_path)).licenses[tool.id].expression is None
    assert len(responses.calls) == 0
    got = resolve([tool], client=client(tmp_path), registry_labels=True)
    assert got.licenses[tool.id].expression == "MIT"


@responses.activate
def test_identify_text_reaches_pypi(tmp_path: Path) -> None:
    text = "Permission is hereby granted, free of charge, to any person\n" * 8
    responses.get(PYPI, json={"info": {"license": text}})
    got = resolve([LEFT_PAD], client=client(tmp_path), identify_text=lambda t: "MIT")
    assert got.licenses["pypi:left-pad@1.0"].expression == "MIT"


def test_no_client_is_made_when_nothing_needs_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    got = resolve([image("debian:12"), source_unit("MIT")])
    assert [i.expression for i in got.licenses.values()] == [
        "LicenseRef-Debian-distribution",
        "MIT",
    ]
    assert not (tmp_path / "cache").exists()


@responses.activate
def test_default_client_uses_the_default_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(tmp_path / "cache"))
    got = resolve([LEFT_PAD], offline=True)
    assert got.licenses["pypi:left-pad@1.0"].reason.startswith("offline: not in cache")
    assert len(responses.calls) == 0


@responses.activate
def test_results_are_in_id_order_and_concurrent_lookups_agree(tmp_path: Path) -> None:
    names = [f"pkg{i}" for i in range(12)]
    for i, n in enumerate(names):
        responses.get(
            f"http://127.0.0.1:9/pypi/{n}/1.0/json",
            json={"info": {"license": "MIT" if i % 2 else "ISC"}},
        )
    components = [package_component("pypi", n, "1.0", [EV]) for n in reversed(names)]
    endpoints = Endpoints(pypi="http://127.0.0.1:9/pypi")
    got = resolve(components, client=client(tmp_path, max_workers=4, endpoints=endpoints))
    assert list(got.licenses) == sorted(c.id for c in components)
    assert {cid: i.expression for cid, i in got.licenses.items()} == {
        f"pypi:{n}@1.0": "MIT" if i % 2 else "ISC" for i, n in enumerate(names)
    }


# --- the worked example resolves offline from curations and the image table ---------------


def example_components() -> list[Component]:
    ev = Evidence("docker/tester/Dockerfile", 12, "RUN pip install ...", "dockerfile")
    checkout = action_component("actions/checkout@v3", [ev])
    pre_commit = action_component("pre-commit/action@v3.0.0", [ev])
    assert checkout is not None and pre_commit is not None
    label = {"label.org.opencontainers.image.licenses": "Apache-2.0"}
    return [
        package_component("pypi", "avocado-framework", "69.0", [ev]),
        package_component("pypi", "avocado-framework-plugin-varianter-yaml-to-mux", "69.0", [ev]),
        package_component("pypi", "watchdog", "0.10.2", [ev]),
        package_component("pypi", "pathtools", "0.1.2", [ev]),
        image("centos:7"),
        image("docker.io/centos:7"),
        image("debian:12"),
        image("fedora:31"),
        image("registry.access.redhat.com/ubi8/ubi:latest"),
        image("ubuntu:22.04"),
        image("cimg/base:2023.06"),
        image("falcosecurity/falco:latest", label),
        checkout,
        pre_commit,
        orb_component("circleci/aws-cli@3.1.4", [ev]),
        download_component(
            "https://github.com/nlohmann/json/archive/refs/tags/v3.11.2.tar.gz", [ev]
        ),
        git_component("https://github.com/Kitware/CMake.git", [ev], ref="v3.22.5"),
        package_component("rpm", "devtoolset-9-gcc", None, [ev], namespace="centos"),
        package_component("rpm", "python-pip", None, [ev], namespace="fedora"),
        package_component("rpm", "kmod", None, [ev], namespace="rhel"),
        package_component("deb", "libelf1", None, [ev], namespace="debian"),
        package_component("deb", "cmake", None, [ev], namespace="ubuntu"),
    ]


@responses.activate
def test_example_resolves_offline(tmp_path: Path) -> None:
    path = find_curations(EXAMPLE)
    assert path is not None
    curations = load_curations(path, EXAMPLE)
    got = resolve(example_components(), curations=curations, client=client(tmp_path, offline=True))
    assert got.problems == ()
    assert {cid: (i.expression, i.source) for cid, i in got.licenses.items()} == {
        "pypi:avocado-framework@69.0": ("GPL-2.0-or-later", "curation"),
        "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0": (
            "GPL-2.0-or-later",
            "curation",
        ),
        "pypi:watchdog@0.10.2": ("Apache-2.0", "curation"),
        "pypi:pathtools@0.1.2": ("MIT", "curation"),
        "image:centos:7": ("LicenseRef-CentOS-distribution", "image-table"),
        "image:debian:12": ("LicenseRef-Debian-distribution", "image-table"),
        "image:fedora:31": ("LicenseRef-Fedora-distribution", "image-table"),
        "image:registry.access.redhat.com/ubi8/ubi:latest": (
            "LicenseRef-RedHat-UBI-EULA",
            "image-table",
        ),
        "image:ubuntu:22.04": ("LicenseRef-Ubuntu-distribution", "image-table"),
        "image:cimg/base:2023.06": ("LicenseRef-Ubuntu-distribution", "image-table"),
        "image:falcosecurity/falco:latest": ("Apache-2.0", "oci-label"),
        "action:actions/checkout@v3": ("MIT", "curation"),
        "action:pre-commit/action@v3.0.0": ("MIT", "curation"),
        "orb:circleci/aws-cli@3.1.4": ("MIT", "curation"),
        "download:github.com/nlohmann/json@v3.11.2": ("MIT", "curation"),
        "git:github.com/Kitware/CMake@v3.22.5": ("BSD-3-Clause", "curation"),
        "rpm:centos/devtoolset-9-gcc": ("LicenseRef-CentOS-distribution", "curation"),
        "rpm:fedora/python-pip": ("LicenseRef-Fedora-distribution", "curation"),
        "rpm:rhel/kmod": ("LicenseRef-RedHat-UBI-EULA", "curation"),
        "deb:debian/libelf1": ("LicenseRef-Debian-distribution", "curation"),
        "deb:ubuntu/cmake": ("LicenseRef-Ubuntu-distribution", "curation"),
    }
    ubi = got.licenses["image:registry.access.redhat.com/ubi8/ubi:latest"]
    assert ubi.url == (
        "https://www.redhat.com/licenses/EULA_Red_Hat_Universal_Base_Image_English_20190422.pdf"
    )
    assert len(responses.calls) == 0


@responses.activate
def test_example_bundled_libs_need_the_network(tmp_path: Path) -> None:
    """falcosecurity/libs is deliberately not curated: its driver has its own licenses."""
    path = find_curations(EXAMPLE)
    assert path is not None
    libs = download_component(
        "https://github.com/falcosecurity/libs/archive/0.11.3.tar.gz",
        [Evidence("cmake/modules/falcosecurity-libs.cmake", 12, "URL ...", "cmake")],
    )
    got = resolve(
        [libs], curations=load_curations(path, EXAMPLE), client=client(tmp_path, offline=True)
    )
    assert got.licenses[libs.id] == LicenseInfo(
        None,
        "github",
        url="https://api.github.com/repos/falcosecurity/libs/license?ref=0.11.3",
        confidence=0.0,
        reason="offline: not in cache (github)",
    )
    assert [(p.path, p.line, p.kind) for p in got.problems] == [
        ("cmake/modules/falcosecurity-libs.cmake", 12, "network")
    ]


def test_images_built_here_take_their_dockerfile_label(tmp_path: Path) -> None:
    falco = image("falcosecurity/falco:latest")
    tester = image("falcosecurity/falco-tester:latest")
    nodes = (
        Node(
            "dockerfile:docker/falco/Dockerfile",
            "dockerfile",
            "docker/falco/Dockerfile",
            properties=(
                ("label.name", "falcosecurity/falco"),
                ("label.org.opencontainers.image.licenses", "Apache-2.0"),
            ),
        ),
        Node(
            "dockerfile:docker/tester/Dockerfile",
            "dockerfile",
            "docker/tester/Dockerfile",
            properties=(("label.name", "falcosecurity/falco-tester"),),
        ),
    )
    edges = (
        Edge(falco.id, nodes[0].id, Relation.BUILT_FROM, how="LABEL name"),
        Edge(tester.id, nodes[1].id, Relation.BUILT_FROM, how="LABEL name"),
    )
    inventory = Inventory(".", (falco, tester), nodes, edges)
    got = resolve([falco, tester], client=client(tmp_path), inventory=inventory)
    assert got.licenses[falco.id] == LicenseInfo(
        "Apache-2.0",
        "oci-label",
        raw="Apache-2.0",
        reason="org.opencontainers.image.licenses label",
    )
    assert got.licenses[tester.id].reason == (
        "built from docker/tester/Dockerfile in this repository: its license is that of its "
        "contents (base image and what it installs)"
    )


def test_the_resolver_walks_one_list_of_sources() -> None:
    """Which sources cover a component, in the order they are asked (resolve.SOURCES)."""
    ev = [Evidence("requirements.txt", 1, "x", "requirements")]
    action = action_component("actions/checkout@v4", ev)
    assert action is not None
    cases = {
        "pypi pinned": package_component("pypi", "requests", "2.31.0", ev),
        "pypi unpinned": package_component("pypi", "requests", None, ev),
        "npm pinned": package_component("npm", "left-pad", "1.3.0", ev),
        "deb": package_component("deb", "curl", "8.0", ev),
        "action": action,
        "image": image("alpine:3.19"),
    }

    def covering(ask: Ask) -> dict[str, list[str]]:
        return {k: [s.name for s in SOURCES if s.covers(c, ask)] for k, c in cases.items()}

    assert [s.name for s in SOURCES] == [
        "oci-label",
        "pypi",
        "deps.dev",
        "clearlydefined",
        "github",
    ]
    assert covering(Ask()) == {
        "pypi pinned": ["pypi", "deps.dev", "clearlydefined"],
        "pypi unpinned": ["pypi"],
        "npm pinned": ["deps.dev", "clearlydefined"],
        "deb": [],
        "action": ["github"],
        "image": [],
    }
    assert covering(Ask(registry_labels=True))["image"] == ["oci-label"]

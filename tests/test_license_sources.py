"""Registry license sources against mocked HTTP: every source, every failure mode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from audit.components import (
    action_component,
    download_component,
    git_component,
    image_component,
    package_component,
    parse_image_ref,
)
from audit.http import Endpoints, HttpClient
from audit.licenses import clearlydefined, depsdev, github, oci, pypi
from audit.licenses.images import image_entry, load_image_table, lookup_image
from audit.model import Component, ComponentKind, Evidence, LicenseInfo

EV = Evidence("docker/tester/Dockerfile", 12, "RUN pip install --user watchdog==0.10.2", "test")
ENDPOINTS = Endpoints()
Lookup = Callable[[Component, HttpClient, Endpoints], "LicenseInfo | None"]


def client_for(tmp_path: Path, sleeps: list[float] | None = None) -> HttpClient:
    record = sleeps if sleeps is not None else []
    return HttpClient(tmp_path / "http.sqlite", token="", sleep=record.append)


@dataclass(frozen=True)
class Case:
    """One source, one component, and what it must conclude."""

    name: str
    lookup: Lookup
    component: Component
    url: str
    body: Any
    success: LicenseInfo
    missing_body: Any
    missing: LicenseInfo
    not_found: LicenseInfo

    def failure(self, reason: str) -> LicenseInfo:
        source = self.success.source
        prefix = "deps.dev" if source == "deps.dev" else source
        return LicenseInfo(None, source, url=self.url, confidence=0.0, reason=f"{prefix}: {reason}")


AVOCADO = package_component("pypi", "avocado-framework", "69.0", [EV])
PYPI_URL = "https://pypi.org/pypi/avocado-framework/69.0/json"
PYPI_PAGE = "https://pypi.org/project/avocado-framework/69.0/"
GPL2PLUS = "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)"

REACT = package_component("npm", "@types/node", "20.1.0", [EV])
DEPS_URL = "https://api.deps.dev/v3/systems/npm/packages/%40types%2Fnode/versions/20.1.0"
DEPS_PAGE = "https://deps.dev/npm/%40types%2Fnode/20.1.0"

WATCHDOG = package_component("pypi", "watchdog", "0.10.2", [EV])
CD_URL = "https://api.clearlydefined.io/definitions/pypi/pypi/-/watchdog/0.10.2"
CD_PAGE = "https://clearlydefined.io/definitions/pypi/pypi/-/watchdog/0.10.2"

CHECKOUT = action_component("actions/checkout@v3", [EV])
assert CHECKOUT is not None
GH_URL = "https://api.github.com/repos/actions/checkout/license?ref=v3"
GH_PAGE = "https://github.com/actions/checkout/blob/v3/LICENSE"

CASES = [
    Case(
        "pypi",
        pypi.lookup,
        AVOCADO,
        PYPI_URL,
        {"info": {"license": "GPLv2+", "classifiers": [GPL2PLUS], "release_url": PYPI_PAGE}},
        LicenseInfo(
            "GPL-2.0-or-later", "pypi", raw="GPLv2+", url=PYPI_PAGE, reason="pypi: license 'GPLv2+'"
        ),
        {"info": {"license": "", "classifiers": [], "release_url": PYPI_PAGE}},
        LicenseInfo(None, "pypi", url=PYPI_PAGE, reason="pypi: no license in the metadata"),
        LicenseInfo(
            None, "pypi", url=PYPI_URL, reason="pypi: avocado-framework 69.0 not found (HTTP 404)"
        ),
    ),
    Case(
        "depsdev",
        depsdev.lookup,
        REACT,
        DEPS_URL,
        {"versionKey": {"system": "NPM"}, "licenses": ["MIT"]},
        LicenseInfo("MIT", "deps.dev", raw="MIT", url=DEPS_PAGE, reason="deps.dev: licenses"),
        {"versionKey": {"system": "NPM"}},
        LicenseInfo(
            None, "deps.dev", url=DEPS_PAGE, reason="deps.dev: no license for @types/node 20.1.0"
        ),
        LicenseInfo(
            None,
            "deps.dev",
            url=DEPS_URL,
            reason="deps.dev: @types/node 20.1.0 not found (HTTP 404)",
        ),
    ),
    Case(
        "clearlydefined",
        clearlydefined.lookup,
        WATCHDOG,
        CD_URL,
        {"licensed": {"declared": "Apache-2.0"}},
        LicenseInfo(
            "Apache-2.0",
            "clearlydefined",
            raw="Apache-2.0",
            url=CD_PAGE,
            reason="clearlydefined: declared license",
        ),
        {"described": {}, "licensed": {}},
        LicenseInfo(
            None, "clearlydefined", url=CD_PAGE, reason="clearlydefined: no declared license"
        ),
        LicenseInfo(
            None,
            "clearlydefined",
            url=CD_URL,
            reason="clearlydefined: pypi/pypi/-/watchdog/0.10.2 not found (HTTP 404)",
        ),
    ),
    Case(
        "github",
        github.lookup,
        CHECKOUT,
        GH_URL,
        {"path": "LICENSE", "html_url": GH_PAGE, "license": {"key": "mit", "spdx_id": "MIT"}},
        LicenseInfo(
            "MIT", "github", raw="MIT", url=GH_PAGE, reason="github: LICENSE in actions/checkout@v3"
        ),
        {"path": "LICENSE", "html_url": GH_PAGE},
        LicenseInfo(
            None, "github", url=GH_PAGE, reason="github: no license in actions/checkout@v3"
        ),
        LicenseInfo(
            None,
            "github",
            url="https://github.com/actions/checkout",
            reason="github: no license file detected in actions/checkout@v3, or not public "
            "(HTTP 404)",
        ),
    ),
]
IDS = [c.name for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_success(case: Case, tmp_path: Path) -> None:
    responses.get(case.url, json=case.body)
    assert case.lookup(case.component, client_for(tmp_path), ENDPOINTS) == case.success
    assert len(responses.calls) == 1


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_not_found(case: Case, tmp_path: Path) -> None:
    responses.get(case.url, status=404, json={"message": "Not Found"})
    assert case.lookup(case.component, client_for(tmp_path), ENDPOINTS) == case.not_found


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_429_waits_for_retry_after_then_succeeds(case: Case, tmp_path: Path) -> None:
    responses.get(case.url, status=429, headers={"Retry-After": "2"})
    responses.get(case.url, json=case.body)
    sleeps: list[float] = []
    assert case.lookup(case.component, client_for(tmp_path, sleeps), ENDPOINTS) == case.success
    assert sleeps == [2.0]
    assert len(responses.calls) == 2


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_429_every_time(case: Case, tmp_path: Path) -> None:
    responses.get(case.url, status=429, headers={"Retry-After": "2"})
    sleeps: list[float] = []
    got = case.lookup(case.component, client_for(tmp_path, sleeps), ENDPOINTS)
    assert got == case.failure("HTTP 429 after 3 tries")
    assert sleeps == [2.0, 2.0]


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_server_error(case: Case, tmp_path: Path) -> None:
    responses.get(case.url, status=500)
    sleeps: list[float] = []
    got = case.lookup(case.component, client_for(tmp_path, sleeps), ENDPOINTS)
    assert got == case.failure("HTTP 500 after 3 tries")
    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_timeout(case: Case, tmp_path: Path) -> None:
    responses.get(case.url, body=requests.exceptions.ConnectTimeout("connect timed out"))
    got = case.lookup(case.component, client_for(tmp_path), ENDPOINTS)
    assert got == case.failure("timeout after 3 tries")


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_malformed_json(case: Case, tmp_path: Path) -> None:
    responses.get(case.url, body="{not json", content_type="application/json")
    got = case.lookup(case.component, client_for(tmp_path), ENDPOINTS)
    assert got == case.failure("malformed JSON")


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_missing_license_field(case: Case, tmp_path: Path) -> None:
    responses.get(case.url, json=case.missing_body)
    assert case.lookup(case.component, client_for(tmp_path), ENDPOINTS) == case.missing


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_offline_cached_and_uncached(case: Case, tmp_path: Path) -> None:
    responses.get(case.url, json=case.body)
    case.lookup(case.component, client_for(tmp_path), ENDPOINTS)
    offline = HttpClient(tmp_path / "http.sqlite", token="", offline=True)
    assert case.lookup(case.component, offline, ENDPOINTS) == case.success
    other = HttpClient(tmp_path / "other.sqlite", token="", offline=True)
    assert case.lookup(case.component, other, ENDPOINTS) == case.failure("offline: not in cache")
    assert len(responses.calls) == 1


@pytest.mark.parametrize("case", CASES, ids=IDS)
@responses.activate
def test_configured_endpoint(case: Case, tmp_path: Path) -> None:
    local = Endpoints(
        pypi="http://127.0.0.1:8001/pypi",
        depsdev="http://127.0.0.1:8001/v3",
        clearlydefined="http://127.0.0.1:8001",
        github="http://127.0.0.1:8001",
    )
    for base in (
        ENDPOINTS.pypi,
        ENDPOINTS.depsdev,
        ENDPOINTS.clearlydefined,
        ENDPOINTS.github,
    ):
        if case.url.startswith(base + "/"):
            tail = case.url[len(base) :]
            target = {
                ENDPOINTS.pypi: local.pypi,
                ENDPOINTS.depsdev: local.depsdev,
                ENDPOINTS.clearlydefined: local.clearlydefined,
                ENDPOINTS.github: local.github,
            }[base]
            responses.get(target + tail, json=case.body)
            break
    got = case.lookup(case.component, client_for(tmp_path), local)
    assert got is not None and got.expression == case.success.expression
    assert responses.calls[0].request.url.startswith("http://127.0.0.1:8001/")


# --- PyPI metadata reading -----------------------------------------------------------------


def mit_text() -> str:
    return "Permission is hereby granted, free of charge, to any person\n" * 8


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        pytest.param(
            {"license_expression": "apache-2.0 OR mit", "license": "whatever"},
            ("Apache-2.0 OR MIT", "apache-2.0 OR mit", "License-Expression"),
            id="pep639",
        ),
        pytest.param(
            {"license_expression": "Apache 2", "license": "MIT License"},
            (
                "MIT",
                "MIT License",
                "license 'MIT License'",
            ),
            id="invalid-pep639-falls-back",
        ),
        pytest.param(
            {"license": "UNKNOWN", "classifiers": ["License :: OSI Approved :: MIT License"]},
            (
                "MIT",
                "License :: OSI Approved :: MIT License",
                "classifier 'License :: OSI Approved :: MIT License'",
            ),
            id="unknown-field-then-classifier",
        ),
        pytest.param(
            {"license": None, "classifiers": ["License :: OSI Approved", GPL2PLUS]},
            (
                "GPL-2.0-or-later",
                f"License :: OSI Approved; {GPL2PLUS}",
                f"classifier 'License :: OSI Approved; {GPL2PLUS}'",
            ),
            id="bare-osi-approved-ignored",
        ),
        pytest.param(
            {
                "license": "",
                "classifiers": [
                    "Programming Language :: Python",
                    "License :: OSI Approved :: MIT License",
                    "License :: OSI Approved :: Apache Software License",
                ],
            },
            (
                None,
                "License :: OSI Approved :: MIT License; "
                "License :: OSI Approved :: Apache Software License",
                "several license classifiers (Apache-2.0, MIT): alternatives or ambiguity, "
                "review the package's license files",
            ),
            id="several-classifiers-disagree",
        ),
        pytest.param(
            {
                "classifiers": [
                    "License :: OSI Approved :: Apache Software License",
                    "License :: OSI Approved :: Apache Software License",
                ]
            },
            (
                "Apache-2.0",
                "License :: OSI Approved :: Apache Software License; "
                "License :: OSI Approved :: Apache Software License",
                "classifier 'License :: OSI Approved :: Apache Software License; "
                "License :: OSI Approved :: Apache Software License'",
            ),
            id="several-classifiers-agree",
        ),
        pytest.param(
            {"license": "BSD", "classifiers": ["License :: OSI Approved :: BSD License"]},
            (
                None,
                "BSD",
                "license 'BSD': BSD is ambiguous: which clause count?; "
                "classifier 'License :: OSI Approved :: BSD License': "
                "BSD is ambiguous: which clause count?",
            ),
            id="bsd-ambiguous",
        ),
        pytest.param(
            {
                "license": "MIT",
                "classifiers": ["License :: OSI Approved :: Apache Software License"],
            },
            ("MIT", "MIT", "license 'MIT' (classifiers say Apache-2.0: review)"),
            id="field-and-classifier-disagree",
        ),
        pytest.param(
            {"license": mit_text()},
            (None, "", "license field holds a license text that was not identified"),
            id="license-text-unidentified",
        ),
        pytest.param({}, (None, "", "no license in the metadata"), id="empty"),
    ],
)
def test_license_from_metadata(info: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert pypi.license_from_metadata(info) == expected


def test_license_text_is_identified_by_the_given_function() -> None:
    seen: list[str] = []

    def identify(text: str) -> str | None:
        seen.append(text)
        return "mit"

    got = pypi.license_from_metadata({"license": mit_text()}, identify_text=identify)
    assert got == (
        "MIT",
        "Permission is hereby granted, free of charge, to any person",
        "license field holds the text of MIT",
    )
    assert seen == [mit_text().strip()]


@responses.activate
def test_pypi_unpinned_uses_the_latest_release(tmp_path: Path) -> None:
    component = package_component("pypi", "PathTools", None, [EV])
    responses.get(
        "https://pypi.org/pypi/pathtools/json",
        json={
            "info": {"license": "MIT License", "package_url": "https://pypi.org/project/pathtools/"}
        },
    )
    got = pypi.lookup(component, client_for(tmp_path), ENDPOINTS)
    assert got == LicenseInfo(
        "MIT",
        "pypi",
        raw="MIT License",
        url="https://pypi.org/project/pathtools/",
        reason="pypi: license 'MIT License' (unpinned: metadata of the latest release)",
    )


@responses.activate
def test_pypi_answer_without_info(tmp_path: Path) -> None:
    responses.get(PYPI_URL, json=["not", "an", "object"])
    assert pypi.lookup(AVOCADO, client_for(tmp_path), ENDPOINTS) == LicenseInfo(
        None, "pypi", url=PYPI_URL, reason="pypi: answer has no 'info' object"
    )


@pytest.mark.parametrize(
    ("lookup", "component"),
    [
        (pypi.lookup, REACT),
        (depsdev.lookup, package_component("npm", "left-pad", None, [EV])),
        (depsdev.lookup, package_component("rpm", "curl", "7.1", [EV], namespace="fedora")),
        (clearlydefined.lookup, package_component("deb", "curl", "7.1", [EV], namespace="debian")),
        (clearlydefined.lookup, package_component("npm", "left-pad", None, [EV])),
        (github.lookup, download_component("https://example.org/x-1.0.tar.gz", [EV])),
        (github.lookup, git_component("https://gitlab.com/a/b.git", [EV], ref="v1")),
        (github.lookup, WATCHDOG),
    ],
)
@responses.activate
def test_sources_skip_what_they_do_not_cover(
    lookup: Lookup, component: Component, tmp_path: Path
) -> None:
    assert lookup(component, client_for(tmp_path), ENDPOINTS) is None
    assert len(responses.calls) == 0


# --- deps.dev, ClearlyDefined, GitHub specifics ----------------------------------------


@pytest.mark.parametrize(
    ("licenses", "expected"),
    [
        (
            ["MIT", "mit"],
            LicenseInfo(
                "MIT", "deps.dev", raw="MIT; mit", url=DEPS_PAGE, reason="deps.dev: licenses"
            ),
        ),
        (
            ["MIT", "Apache-2.0 OR BSD-3-Clause"],
            LicenseInfo(
                "MIT AND (Apache-2.0 OR BSD-3-Clause)",
                "deps.dev",
                raw="MIT; Apache-2.0 OR BSD-3-Clause",
                url=DEPS_PAGE,
                reason="deps.dev: several licenses found in the package, combined with AND",
            ),
        ),
        (
            ["non-standard"],
            LicenseInfo(
                None,
                "deps.dev",
                raw="non-standard",
                url=DEPS_PAGE,
                reason="deps.dev: 'non-standard' is not an SPDX expression",
            ),
        ),
    ],
)
@responses.activate
def test_depsdev_license_lists(licenses: list[str], expected: LicenseInfo, tmp_path: Path) -> None:
    responses.get(DEPS_URL, json={"licenses": licenses})
    assert depsdev.lookup(REACT, client_for(tmp_path), ENDPOINTS) == expected


@pytest.mark.parametrize(
    ("component", "path"),
    [
        (
            package_component("golang", "github.com/pkg/errors", "v0.9.1", [EV]),
            "go/packages/github.com%2Fpkg%2Ferrors/versions/v0.9.1",
        ),
        (package_component("cargo", "serde", "1.0.0", [EV]), "cargo/packages/serde/versions/1.0.0"),
        (
            package_component("pypi", "Avocado_Framework", "69.0", [EV]),
            "pypi/packages/avocado-framework/versions/69.0",
        ),
    ],
)
@responses.activate
def test_depsdev_systems(component: Component, path: str, tmp_path: Path) -> None:
    responses.get(f"https://api.deps.dev/v3/systems/{path}", json={"licenses": ["BSD-2-Clause"]})
    got = depsdev.lookup(component, client_for(tmp_path), ENDPOINTS)
    assert got is not None and got.expression == "BSD-2-Clause"


def test_depsdev_maven_name_from_purl() -> None:
    component = Component(
        id="maven:junit@4.13",
        kind=ComponentKind.PACKAGE,
        name="junit",
        version="4.13",
        ecosystem="maven",
        purl="pkg:maven/junit/junit@4.13",
    )
    assert depsdev.package_name(component) == "junit:junit"


@pytest.mark.parametrize(
    ("component", "coordinates"),
    [
        (WATCHDOG, "pypi/pypi/-/watchdog/0.10.2"),
        (REACT, "npm/npmjs/%40types/node/20.1.0"),
        (
            package_component("golang", "github.com/pkg/errors", "v0.9.1", [EV]),
            "go/golang/github.com%2Fpkg/errors/v0.9.1",
        ),
        (package_component("cargo", "serde", "1.0.0", [EV]), "crate/cratesio/-/serde/1.0.0"),
        (package_component("gem", "rake", "13.0.0", [EV]), "gem/rubygems/-/rake/13.0.0"),
    ],
)
def test_clearlydefined_coordinates(component: Component, coordinates: str) -> None:
    assert clearlydefined.coordinates(component) == coordinates


@pytest.mark.parametrize(
    ("declared", "expression", "reason"),
    [
        (
            "NOASSERTION",
            None,
            "clearlydefined: declared 'NOASSERTION' is not a usable SPDX expression",
        ),
        (
            "MIT AND OTHER",
            None,
            "clearlydefined: declared 'MIT AND OTHER' is not a usable SPDX expression",
        ),
        ("MIT OR Apache-2.0", "MIT OR Apache-2.0", "clearlydefined: declared license"),
    ],
)
@responses.activate
def test_clearlydefined_declared_values(
    declared: str, expression: str | None, reason: str, tmp_path: Path
) -> None:
    responses.get(CD_URL, json={"licensed": {"declared": declared}})
    got = clearlydefined.lookup(WATCHDOG, client_for(tmp_path), ENDPOINTS)
    assert got == LicenseInfo(
        expression, "clearlydefined", raw=declared, url=CD_PAGE, reason=reason
    )


@responses.activate
def test_github_noassertion_is_unknown(tmp_path: Path) -> None:
    responses.get(
        GH_URL,
        json={
            "path": "COPYING",
            "html_url": GH_PAGE,
            "license": {"key": "other", "spdx_id": "NOASSERTION"},
        },
    )
    assert github.lookup(CHECKOUT, client_for(tmp_path), ENDPOINTS) == LicenseInfo(
        None,
        "github",
        raw="NOASSERTION",
        url=GH_PAGE,
        reason="github: COPYING in actions/checkout@v3 is not a license GitHub identifies "
        "(NOASSERTION)",
    )


@pytest.mark.parametrize(
    ("component", "url"),
    [
        (
            download_component(
                "https://github.com/nlohmann/json/archive/refs/tags/v3.11.2.tar.gz", [EV]
            ),
            "https://api.github.com/repos/nlohmann/json/license?ref=v3.11.2",
        ),
        (
            git_component("https://github.com/Kitware/CMake.git", [EV], ref="v3.22.5"),
            "https://api.github.com/repos/Kitware/CMake/license?ref=v3.22.5",
        ),
        (
            git_component(
                "git@github.com:falcosecurity/libs.git", [EV], kind=ComponentKind.SUBMODULE
            ),
            "https://api.github.com/repos/falcosecurity/libs/license",
        ),
    ],
)
@responses.activate
def test_github_downloads_and_submodules(component: Component, url: str, tmp_path: Path) -> None:
    responses.get(url, json={"path": "LICENSE", "license": {"spdx_id": "Apache-2.0"}})
    got = github.lookup(component, client_for(tmp_path), ENDPOINTS)
    assert got is not None and got.expression == "Apache-2.0"
    assert responses.calls[0].request.url == url


@responses.activate
def test_github_token_only_for_github(tmp_path: Path) -> None:
    responses.get(GH_URL, json={"license": {"spdx_id": "MIT"}})
    responses.get(CD_URL, json={"licensed": {"declared": "MIT"}})
    client = HttpClient(tmp_path / "c.sqlite", token="ghp_x")
    github.lookup(CHECKOUT, client, ENDPOINTS)
    clearlydefined.lookup(WATCHDOG, client, ENDPOINTS)
    assert responses.calls[0].request.headers["Authorization"] == "Bearer ghp_x"
    assert "Authorization" not in responses.calls[1].request.headers


# --- images: curated table, labels, registry -------------------------------------------


def image(ref: str, props: dict[str, str] | None = None) -> Component:
    parsed = parse_image_ref(ref)
    assert parsed is not None
    return image_component(parsed, [EV], props)


UBI_URL = "https://www.redhat.com/licenses/EULA_Red_Hat_Universal_Base_Image_English_20190422.pdf"


@pytest.mark.parametrize(
    ("ref", "expression", "url"),
    [
        ("registry.access.redhat.com/ubi8/ubi:latest", "LicenseRef-RedHat-UBI-EULA", UBI_URL),
        ("registry.access.redhat.com/ubi9/ubi-minimal:9.2", "LicenseRef-RedHat-UBI-EULA", UBI_URL),
        ("registry.access.redhat.com/ubi8", "LicenseRef-RedHat-UBI-EULA", UBI_URL),
        ("redhat/ubi9:latest", "LicenseRef-RedHat-UBI-EULA", UBI_URL),
        ("debian:12", "LicenseRef-Debian-distribution", "https://www.debian.org/legal/licenses/"),
        (
            "docker.io/library/debian:12-slim",
            "LicenseRef-Debian-distribution",
            "https://www.debian.org/legal/licenses/",
        ),
        (
            "ubuntu:22.04",
            "LicenseRef-Ubuntu-distribution",
            "https://ubuntu.com/legal/intellectual-property-policy",
        ),
        (
            "cimg/base:2023.06",
            "LicenseRef-Ubuntu-distribution",
            "https://ubuntu.com/legal/intellectual-property-policy",
        ),
        (
            "fedora:31",
            "LicenseRef-Fedora-distribution",
            "https://docs.fedoraproject.org/en-US/legal/",
        ),
        ("centos:7", "LicenseRef-CentOS-distribution", "https://www.centos.org/legal/"),
        ("alpine:3.18", "LicenseRef-Alpine-distribution", "https://pkgs.alpinelinux.org/packages"),
        (
            "cgr.dev/chainguard/wolfi-base:latest",
            "LicenseRef-Wolfi-distribution",
            "https://github.com/wolfi-dev/os",
        ),
        (
            "gcr.io/distroless/static-debian12:nonroot",
            "LicenseRef-Debian-distribution",
            "https://github.com/GoogleContainerTools/distroless",
        ),
        (
            "amazonlinux:2023",
            "LicenseRef-AmazonLinux-distribution",
            "https://github.com/docker-library/repo-info/tree/master/repos/amazonlinux",
        ),
    ],
)
def test_image_table(ref: str, expression: str, url: str) -> None:
    got = oci.lookup(image(ref), None, ENDPOINTS)
    assert got is not None
    assert (got.expression, got.source, got.url) == (expression, "image-table", url)
    entry = image_entry(image(ref))
    assert entry is not None and entry.distribution == "system-component"


def test_distribution_images_say_why() -> None:
    got = oci.lookup(image("debian:12"), None, ENDPOINTS)
    assert got is not None
    assert got.reason.startswith("an OS distribution: many packages under many licenses")


@pytest.mark.parametrize(
    "ref", ["debianx:1", "falcosecurity/falco:latest", "quay.io/ubi8/ubi", "mydebian/debian:1"]
)
def test_images_not_in_the_table(ref: str) -> None:
    assert image_entry(image(ref)) is None
    assert oci.lookup(image(ref), None, ENDPOINTS) is None


def test_bundled_image_table_is_valid() -> None:
    table = load_image_table()
    assert len(table) >= 12
    assert lookup_image("REGISTRY.ACCESS.REDHAT.COM/UBI8/UBI", table) is not None


def test_image_table_errors(tmp_path: Path) -> None:
    bad = tmp_path / "images.toml"
    bad.write_text('[[image]]\nmatch = ["x"]\nlicense = "Not A License"\nurl = "u"\nreason = "r"\n')
    with pytest.raises(ValueError, match=r"image\[1\]\.license: not an SPDX expression"):
        load_image_table(bad)


def test_dockerfile_label() -> None:
    label_ev = Evidence(
        "docker/falco/Dockerfile", 5, 'LABEL org.opencontainers.image.licenses="Apache-2.0"', "d"
    )
    component = image_component(
        parse_image_ref("falcosecurity/falco:latest"),  # type: ignore[arg-type]
        [EV, label_ev],
        {oci.PROPERTY: "Apache-2.0"},
    )
    assert oci.lookup(component, None, ENDPOINTS) == LicenseInfo(
        "Apache-2.0",
        "oci-label",
        evidence=(label_ev,),
        raw="Apache-2.0",
        reason="org.opencontainers.image.licenses label",
    )


def test_dockerfile_label_not_spdx() -> None:
    component = image("falcosecurity/falco:latest", {oci.PROPERTY: "Apache License"})
    assert oci.lookup(component, None, ENDPOINTS) == LicenseInfo(
        None,
        "oci-label",
        raw="Apache License",
        reason="org.opencontainers.image.licenses label 'Apache License' is not an SPDX expression",
    )


REGISTRY = "https://registry-1.docker.io/v2/falcosecurity/falco"
INDEX = {
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {"digest": "sha256:" + "a" * 64, "platform": {"os": "linux", "architecture": "arm64"}},
        {"digest": "sha256:" + "b" * 64, "platform": {"os": "linux", "architecture": "amd64"}},
    ],
}


@responses.activate
def test_registry_label_is_off_by_default(tmp_path: Path) -> None:
    assert oci.lookup(image("falcosecurity/falco:0.35.1"), client_for(tmp_path), ENDPOINTS) is None
    assert len(responses.calls) == 0


@responses.activate
def test_registry_label_with_anonymous_token(tmp_path: Path) -> None:
    challenge = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:falcosecurity/falco:pull"'
    )
    responses.get(
        f"{REGISTRY}/manifests/0.35.1", status=401, headers={"WWW-Authenticate": challenge}
    )
    responses.get(
        "https://auth.docker.io/token?scope=repository%3Afalcosecurity%2Ffalco%3Apull"
        "&service=registry.docker.io",
        json={"token": "anon"},
    )
    responses.get(f"{REGISTRY}/manifests/0.35.1", json=INDEX)
    responses.get(
        f"{REGISTRY}/manifests/sha256:{'b' * 64}", json={"config": {"digest": "sha256:" + "c" * 64}}
    )
    responses.get(
        f"{REGISTRY}/blobs/sha256:{'c' * 64}",
        json={"config": {"Labels": {"org.opencontainers.image.licenses": "Apache-2.0"}}},
    )
    got = oci.lookup(
        image("falcosecurity/falco:0.35.1"), client_for(tmp_path), ENDPOINTS, registry_labels=True
    )
    assert got == LicenseInfo(
        "Apache-2.0",
        "oci-label",
        raw="Apache-2.0",
        url=f"{REGISTRY}/blobs/sha256:{'c' * 64}",
        reason="registry: org.opencontainers.image.licenses label",
    )
    assert [c.request.headers.get("Authorization") for c in responses.calls] == [
        None,
        None,
        "Bearer anon",
        "Bearer anon",
        "Bearer anon",
    ]


@responses.activate
def test_registry_without_label(tmp_path: Path) -> None:
    base = "https://quay.io/v2/org/tool"
    responses.get(f"{base}/manifests/1.0", json={"config": {"digest": "sha256:" + "d" * 64}})
    responses.get(f"{base}/blobs/sha256:{'d' * 64}", json={"config": {"Labels": None}})
    got = oci.lookup(
        image("quay.io/org/tool:1.0"), client_for(tmp_path), ENDPOINTS, registry_labels=True
    )
    assert got == LicenseInfo(
        None,
        "oci-label",
        url=f"{base}/blobs/sha256:{'d' * 64}",
        reason="registry: image has no org.opencontainers.image.licenses label",
    )


@responses.activate
def test_registry_failure(tmp_path: Path) -> None:
    base = "https://quay.io/v2/org/tool"
    responses.get(f"{base}/manifests/1.0", status=503)
    got = oci.lookup(
        image("quay.io/org/tool:1.0"), client_for(tmp_path), ENDPOINTS, registry_labels=True
    )
    assert got == LicenseInfo(
        None,
        "oci-label",
        url=f"{base}/manifests/1.0",
        confidence=0.0,
        reason="registry: HTTP 503 after 3 tries",
    )

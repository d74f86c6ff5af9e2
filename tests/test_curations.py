"""Curations: file format, matching rules, errors naming file and key, the example's file."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.components import (
    action_component,
    download_component,
    git_component,
    image_component,
    package_component,
    parse_image_ref,
)
from audit.errors import ConfigError
from audit.licenses.curations import (
    Curations,
    find_curations,
    load_curations,
    merge,
    parse_curations,
)
from audit.model import Component, Evidence, LicenseInfo

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "falco-2023"
EV = Evidence("docker/tester/Dockerfile", 12, "RUN pip install ...", "test")

FILE = """\
# curations
[[curation]]
component = "pypi:avocado-framework"
license = "GPL-2.0-or-later"
comment = "declared GPLv2+"
source_url = "https://pypi.org/project/avocado-framework/69.0/"

[[curation]]
component = "pypi:avocado-framework@70.0"
license = "MIT"

[[curation]]
component = "pkg:pypi/avocado"
license = "BSD-3-Clause"

[[curation]]
component = "pkg:rpm/fedora/"
license = "LicenseRef-Fedora-distribution"

[[curation]]
component = "pkg:rpm/fedora/python-pip"
license = "MIT"

[[curation]]
component = "image:debian"
license = "LicenseRef-Debian-distribution"

[[curation]]
component = "npm:@types/node"
license = "MIT"
"""


def pypi(name: str, version: str | None) -> Component:
    return package_component("pypi", name, version, [EV])


@pytest.fixture
def curations() -> Curations:
    return parse_curations(FILE, ".depaudit/curations.toml")


@pytest.mark.parametrize(
    ("component", "expected"),
    [
        (pypi("avocado-framework", "69.0"), "GPL-2.0-or-later"),
        (pypi("Avocado_Framework", "69.0"), "GPL-2.0-or-later"),
        (pypi("avocado-framework", None), "GPL-2.0-or-later"),
        (pypi("avocado-framework", "70.0"), "MIT"),
        (pypi("avocado", "1.0"), "BSD-3-Clause"),
        (pypi("avocado-framework-plugin-varianter-yaml-to-mux", "69.0"), None),
        (pypi("avocadoX", "1.0"), None),
        (
            package_component("rpm", "jq", "1.6", [EV], namespace="fedora"),
            "LicenseRef-Fedora-distribution",
        ),
        (package_component("rpm", "python-pip", None, [EV], namespace="fedora"), "MIT"),
        (package_component("rpm", "jq", "1.6", [EV], namespace="centos"), None),
        (image_component(parse_image_ref("debian:12"), [EV]), "LicenseRef-Debian-distribution"),  # type: ignore[arg-type]
        (image_component(parse_image_ref("debian"), [EV]), "LicenseRef-Debian-distribution"),  # type: ignore[arg-type]
        (image_component(parse_image_ref("debian-slim:12"), [EV]), None),  # type: ignore[arg-type]
        (package_component("npm", "@types/node", "20.1.0", [EV]), "MIT"),
        (package_component("npm", "@types/nodex", "20.1.0", [EV]), None),
    ],
)
def test_matching(curations: Curations, component: Component, expected: str | None) -> None:
    info = curations.license_for(component)
    assert (info.expression if info else None) == expected


def test_license_info_carries_comment_url_and_evidence(curations: Curations) -> None:
    assert curations.license_for(pypi("avocado-framework", "69.0")) == LicenseInfo(
        expression="GPL-2.0-or-later",
        source="curation",
        evidence=(
            Evidence(
                ".depaudit/curations.toml",
                3,
                'component = "pypi:avocado-framework"',
                "curation",
            ),
        ),
        raw="GPL-2.0-or-later",
        url="https://pypi.org/project/avocado-framework/69.0/",
        reason="declared GPLv2+",
    )
    no_comment = curations.license_for(pypi("avocado-framework", "70.0"))
    assert no_comment is not None
    assert no_comment.reason == "curated for pypi:avocado-framework@70.0"
    assert no_comment.evidence[0].line == 9


def test_first_entry_wins_a_tie() -> None:
    text = (
        '[[curation]]\ncomponent = "pypi:x"\nlicense = "MIT"\n'
        '[[curation]]\ncomponent = "pypi:x"\nlicense = "ISC"\n'
    )
    got = parse_curations(text, "c.toml").license_for(pypi("x", "1"))
    assert got is not None and (got.expression, got.evidence[0].line) == ("MIT", 2)


def test_merge_keeps_order() -> None:
    a = parse_curations('[[curation]]\ncomponent = "pypi:x"\nlicense = "MIT"\n', "a.toml")
    b = parse_curations('[[curation]]\ncomponent = "pypi:x"\nlicense = "ISC"\n', "b.toml")
    got = merge([a, b]).license_for(pypi("x", "1"))
    assert got is not None and got.expression == "MIT"


def test_empty_file() -> None:
    assert len(parse_curations("# nothing yet\n", "c.toml")) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[curation]\n", "c.toml: invalid TOML: "),
        ("[curations]\nx = 1\n", "c.toml: curations: unknown key (expected [[curation]] tables)"),
        ('curation = "x"\n', "c.toml: curation: must be an array of tables ([[curation]])"),
        ('[[curation]]\nlicense = "MIT"\n', "c.toml: curation[1].component: missing"),
        ('[[curation]]\ncomponent = "pypi:x"\n', "c.toml: curation[1].license: missing"),
        (
            '[[curation]]\ncomponent = "pypi:x"\nlicense = "MIT"\n'
            '[[curation]]\ncomponent = "pypi:y"\nlicense = "Apache 2"\n',
            "c.toml: curation[2].license: 'Apache 2' is not a valid SPDX expression",
        ),
        (
            '[[curation]]\ncomponent = "pypi:x"\nlicense = "MIT"\nreason = "r"\n',
            "c.toml: curation[1].reason: unknown key "
            "(expected one of comment, component, license, source_url)",
        ),
        (
            '[[curation]]\ncomponent = "pypi:x"\nlicense = ["MIT"]\n',
            "c.toml: curation[1].license: must be a string",
        ),
        (
            '[[curation]]\ncomponent = "avocado"\nlicense = "MIT"\n',
            "c.toml: curation[1].component: 'avocado' is neither a component id "
            "(ecosystem:name[@version]) nor a purl",
        ),
    ],
)
def test_bad_files_name_file_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_curations(text, "c.toml")
    assert str(err.value).startswith(message)
    assert err.value.path == "c.toml"


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / ".depaudit" / "curations.toml"
    path.parent.mkdir()
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(ConfigError, match=r"^\.depaudit/curations\.toml: cannot read"):
        load_curations(path, tmp_path)


def test_find_curations(tmp_path: Path) -> None:
    assert find_curations(tmp_path) is None
    path = tmp_path / ".depaudit" / "curations.toml"
    path.parent.mkdir()
    path.write_text("")
    assert find_curations(tmp_path) == path


# --- the worked example --------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Curations:
    path = find_curations(EXAMPLE)
    assert path is not None
    return load_curations(path, EXAMPLE)


@pytest.mark.parametrize(
    ("component", "expression", "url"),
    [
        (
            pypi("avocado-framework", "69.0"),
            "GPL-2.0-or-later",
            "https://pypi.org/project/avocado-framework/69.0/",
        ),
        (
            pypi("avocado-framework-plugin-varianter-yaml-to-mux", "69.0"),
            "GPL-2.0-or-later",
            "https://pypi.org/project/avocado-framework-plugin-varianter-yaml-to-mux/69.0/",
        ),
        (pypi("watchdog", "0.10.2"), "Apache-2.0", "https://pypi.org/project/watchdog/0.10.2/"),
        (pypi("pathtools", "0.1.2"), "MIT", "https://pypi.org/project/pathtools/0.1.2/"),
        (
            action_component("actions/checkout@v3", [EV]),
            "MIT",
            "https://github.com/actions/checkout/blob/main/LICENSE",
        ),
        (
            action_component("pre-commit/action@v3.0.0", [EV]),
            "MIT",
            "https://github.com/pre-commit/action/blob/main/LICENSE",
        ),
        (
            download_component(
                "https://github.com/nlohmann/json/archive/refs/tags/v3.11.2.tar.gz", [EV]
            ),
            "MIT",
            "https://github.com/nlohmann/json/blob/develop/LICENSE.MIT",
        ),
        (
            git_component("https://github.com/Kitware/CMake.git", [EV], ref="v3.22.5"),
            "BSD-3-Clause",
            "https://github.com/Kitware/CMake/blob/master/Copyright.txt",
        ),
    ],
)
def test_example_curations(
    example: Curations, component: Component, expression: str, url: str
) -> None:
    info = example.license_for(component)
    assert info is not None
    assert (info.expression, info.source, info.url) == (expression, "curation", url)
    assert info.evidence[0].path == ".depaudit/curations.toml"
    assert info.evidence[0].text.startswith("component = ")


def test_example_avocado_comment(example: Curations) -> None:
    info = example.license_for(pypi("avocado-framework", "69.0"))
    assert info is not None
    assert info.reason == (
        'PyPI metadata of 69.0 declares license "GPLv2+" and the classifier '
        '"License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": '
        "both read as GPL-2.0-or-later."
    )
    assert info.evidence[0].line == 8

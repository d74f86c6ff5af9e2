"""Package purls: built by packageurl once per package, whatever the file that names it."""

from __future__ import annotations

import pytest

from audit import components
from audit.components import package_component
from audit.model import Evidence

EV = (Evidence("Dockerfile", 3, "RUN apt-get install -y libelf-dev", "dockerfile"),)


@pytest.mark.parametrize(
    ("ecosystem", "name", "version", "namespace", "purl"),
    [
        ("deb", "libelf-dev", None, "debian", "pkg:deb/debian/libelf-dev"),
        ("pypi", "PyYAML", "6.0.1", None, "pkg:pypi/pyyaml@6.0.1"),
        ("npm", "@types/node", "20.1.0", None, "pkg:npm/%40types/node@20.1.0"),
        ("golang", "golang.org/x/sys", "v0.14.0", None, "pkg:golang/golang.org/x/sys@v0.14.0"),
        ("deb", "", None, "debian", None),  # no name: packageurl refuses it
        ("deb", " ", None, "debian", None),  # a name that normalizes to nothing
        ("conan", "zlib", "1.3", None, None),  # no purl type known here
    ],
)
def test_package_purls(
    ecosystem: str, name: str, version: str | None, namespace: str | None, purl: str | None
) -> None:
    components._package_purl.cache_clear()
    first = package_component(ecosystem, name, version, EV, namespace=namespace)
    again = package_component(ecosystem, name, version, EV, namespace=namespace)
    assert first.purl == again.purl == purl
    assert again == first

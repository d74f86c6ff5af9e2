"""Shell conditions: which branch of ``if``/``&&``/``||`` runs, decided from known values and
per architecture (audit/shell/conditions.py, audit/shell/parse.py guards)."""

from __future__ import annotations

import pytest

from audit.scanners.base import SourceFile
from audit.shell import scan_script
from audit.shell.conditions import evaluate


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["[", "amd64", "=", "amd64", "]"], True),
        (["[", "arm64", "=", "amd64", "]"], False),
        (["[", "arm64", "==", "amd64", "]"], False),
        (["[", "arm64", "!=", "amd64", "]"], True),
        (["[", "!", "arm64", "=", "amd64", "]"], True),
        (["test", "x", "=", "x"], True),
        (["[[", "aarch64", "==", "aarch*", "]]"], True),
        (["[", "aarch64", "=", "aarch*", "]"], False),
        (["[", "-n", "", "]"], False),
        (["[", "-z", "", "]"], True),
        (["[", "-n", "]"], True),
        (["[", "word", "]"], True),
        (["true"], True),
        (["false"], False),
        # undecided: file tests, numbers, unknown values, not a test, unclosed
        (["[", "-f", "/etc/os-release", "]"], None),
        (["[", "1", "-eq", "1", "]"], None),
        (["[", None, "=", "amd64", "]"], None),
        (["grep", "-q", "x", "f"], None),
        (["[", "a", "=", "a"], None),
        ([], None),
    ],
)
def test_evaluate(words: list[str | None], expected: bool | None) -> None:
    assert evaluate(words) is expected


def _ids(script: str, env: dict[str, str] | None = None) -> list[str]:
    source = SourceFile("Dockerfile", script)
    result = scan_script(script, source, 1, "dockerfile:Dockerfile", "t", env=env, os_hint="debian")
    return sorted(c.id for c in result.components)


URL = "https://example.org/pkg_${TARGETARCH}.deb"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # the arm64 reading skips an amd64-only download
        (
            f'if [ "$TARGETARCH" = "amd64" ]; then curl -LO {URL}; fi',
            ["download:example.org/pkg_amd64.deb"],
        ),
        # else and elif branches
        (
            f'if [ "$TARGETARCH" = "amd64" ]; then echo; else curl -LO {URL}; fi',
            ["download:example.org/pkg_arm64.deb"],
        ),
        (
            f'if [ "$TARGETARCH" = "s390x" ]; then echo; elif [ "$TARGETARCH" = "arm64" ]; '
            f"then curl -LO {URL}; fi",
            ["download:example.org/pkg_arm64.deb"],
        ),
        # && and || chains
        (
            f'[ "$(uname -m)" = "aarch64" ] && curl -LO {URL}',
            ["download:example.org/pkg_arm64.deb"],
        ),
        (
            f'[ "$(uname -m)" = "aarch64" ] || curl -LO {URL}',
            ["download:example.org/pkg_amd64.deb"],
        ),
        # a body that does not depend on the architecture runs once if some architecture
        # takes the branch, never if none does
        (
            'if [ "$TARGETARCH" = "amd64" ]; then apt-get install -y libmpx2; fi',
            ["deb:debian/libmpx2"],
        ),
        ('if [ "$TARGETARCH" = "s390x" ]; then apt-get install -y libmpx2; fi', []),
        # known variables decide too; unknown ones leave both branches (the safe side)
        (
            'V=1; if [ "$V" = "1" ]; then apt-get install -y jq; else apt-get install -y bc; fi',
            ["deb:debian/jq"],
        ),
        (
            'if [ "$UNSET" = "1" ]; then apt-get install -y jq; else apt-get install -y bc; fi',
            ["deb:debian/bc", "deb:debian/jq"],
        ),
        # a condition that is not a test, or is compound, decides nothing
        (
            "if grep -q x /etc/f; then apt-get install -y jq; else apt-get install -y bc; fi",
            ["deb:debian/bc", "deb:debian/jq"],
        ),
        ('[ "$TARGETARCH" = "s390x" ] && echo x || apt-get install -y jq', ["deb:debian/jq"]),
    ],
)
def test_guarded_commands(script: str, expected: list[str]) -> None:
    assert _ids(script) == expected


def test_env_value_decides_the_branch() -> None:
    script = (
        'if [ "$FALCO_VERSION" = "latest" ]; then apt-get install -y falco; '
        "else apt-get install -y falco=${FALCO_VERSION}; fi"
    )
    assert _ids(script, {"FALCO_VERSION": "latest"}) == ["deb:debian/falco"]
    assert _ids(script, {"FALCO_VERSION": "0.35.1"}) == ["deb:debian/falco@0.35.1"]

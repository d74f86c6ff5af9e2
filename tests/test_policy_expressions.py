"""SPDX expression parsing and normalization (shared with the resolve stage)."""

from __future__ import annotations

import pytest

from audit.policy import ParsedExpression, is_equivalent, license_keys, normalize, parse_expression


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("MIT", "MIT"),
        ("mit", "MIT"),
        ("  Apache-2.0 ", "Apache-2.0"),
        ("GPL-2.0", "GPL-2.0-only"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("GPL-3.0", "GPL-3.0-only"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("AGPL-3.0", "AGPL-3.0-only"),
        ("BSD-2-Clause-FreeBSD", "BSD-2-Clause-Views"),
        ("gpl-2.0-only or mit", "GPL-2.0-only OR MIT"),
        ("(MIT)", "MIT"),
        ("((MIT OR ISC) AND Apache-2.0)", "(MIT OR ISC) AND Apache-2.0"),
        ("GPL-2.0 WITH Linux-syscall-note", "GPL-2.0-only WITH Linux-syscall-note"),
        ("GPL-2.0-with-classpath-exception", "GPL-2.0-only WITH Classpath-exception-2.0"),
        (
            "GPL-2.0-with-classpath-exception OR MIT",
            "GPL-2.0-only WITH Classpath-exception-2.0 OR MIT",
        ),
        ("GPL-3.0-with-GCC-exception", "GPL-3.0-only WITH GCC-exception-3.1"),
        ("LicenseRef-RedHat-UBI-EULA", "LicenseRef-RedHat-UBI-EULA"),
        (
            "MIT AND LicenseRef-Public-domain-statement",
            "MIT AND LicenseRef-Public-domain-statement",
        ),
    ],
)
def test_normalize(text: str, normalized: str) -> None:
    assert normalize(text) == normalized
    assert parse_expression(text) == ParsedExpression(text, normalized)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty license expression"),
        ("   ", "empty license expression"),
        ("MIT AND", "cannot parse: AND requires two or more licenses as in: MIT AND BSD"),
        ("MIT OR", "cannot parse: OR requires two or more licenses as in: MIT OR BSD"),
        ("(MIT", "cannot parse: Invalid expression"),
        ("NOASSERTION", "NOASSERTION: no license information"),
        ("NONE", "NONE: no license information"),
        ("MIT AND noassertion", "NOASSERTION: no license information"),
        ("Public Domain", "unknown license id 'Public Domain'"),
        ("Foo-1.0 OR MIT", "unknown license id 'Foo-1.0'"),
        ("MIT WITH Apache-2.0", 'cannot parse: A plain license symbol cannot be used as an '
         'exception in a "WITH symbol" statement. for token: "Apache-2.0" at position: 9'),
        ("x" * 4001, "license expression too long"),
    ],
)  # fmt: skip
def test_unknown(text: str, problem: str) -> None:
    assert parse_expression(text) == ParsedExpression(text, None, problem)
    assert normalize(text) is None


def test_unparseable_keeps_raw_text() -> None:
    assert parse_expression("Dual MIT/GPL").raw == "Dual MIT/GPL"


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("MIT OR GPL-2.0-only", "GPL-2.0-only OR MIT", True),
        ("MIT AND (ISC OR 0BSD)", "(0BSD OR ISC) AND MIT", True),
        ("MIT OR ISC", "MIT AND ISC", False),
        ("GPL-2.0-only", "GPL-2.0-or-later", False),
        ("GPL-2.0-only WITH Linux-syscall-note", "GPL-2.0-only", False),
    ],
)
def test_is_equivalent(a: str, b: str, same: bool) -> None:
    assert is_equivalent(a, b) is same
    assert is_equivalent(b, a) is same


def test_license_keys() -> None:
    assert license_keys("GPL-2.0-only WITH Linux-syscall-note OR MIT") == {
        "GPL-2.0-only",
        "Linux-syscall-note",
        "MIT",
    }

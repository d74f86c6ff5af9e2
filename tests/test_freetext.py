"""Free-text license names and trove classifiers -> SPDX: every table row, and tricky ones."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from audit.licenses.freetext import (
    Mapped,
    classifier_to_spdx,
    load_table,
    normalize_expression,
    normalize_key,
    to_spdx,
)
from audit.resources import data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

RAW = tomllib.loads((data_dir() / "license-aliases.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("text", "spdx"), sorted(RAW["aliases"].items()))
def test_every_alias_row(text: str, spdx: str) -> None:
    expected = normalize_expression(spdx)
    assert expected is not None, f"{spdx!r} is not valid SPDX"
    assert to_spdx(text) == Mapped(expected, f"alias of {text!r}")
    assert to_spdx(f"  {text.upper()}  ").expression == expected


@pytest.mark.parametrize(("text", "reason"), sorted(RAW["ambiguous"].items()))
def test_every_ambiguous_row(text: str, reason: str) -> None:
    assert to_spdx(text) == Mapped(None, reason)


@pytest.mark.parametrize(("classifier", "spdx"), sorted(RAW["classifiers"].items()))
def test_every_classifier_row(classifier: str, spdx: str) -> None:
    assert classifier.startswith("License :: ")
    expected = normalize_expression(spdx)
    assert expected is not None, f"{spdx!r} is not valid SPDX"
    assert classifier_to_spdx(classifier) == Mapped(expected, "trove classifier")


@pytest.mark.parametrize(("classifier", "reason"), sorted(RAW["ambiguous-classifiers"].items()))
def test_every_ambiguous_classifier_row(classifier: str, reason: str) -> None:
    assert classifier_to_spdx(classifier) == Mapped(None, reason)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GPLv2+", "GPL-2.0-or-later"),
        ("GPLv2", "GPL-2.0-only"),
        ("GPL-2.0", "GPL-2.0-only"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("gpl-2.0-or-later", "GPL-2.0-or-later"),
        ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("Apache 2.0", "Apache-2.0"),
        ("Apache License 2.0", "Apache-2.0"),
        ("Apache License, Version 2.0", "Apache-2.0"),
        ("Apache Software License", "Apache-2.0"),
        ("apache-2.0", "Apache-2.0"),
        ("MIT License", "MIT"),
        ("The MIT License", "MIT"),
        ("mit", "MIT"),
        ("MIT license.", "MIT"),
        ('"MIT"', "MIT"),
        ("ISC License", "ISC"),
        ("BSD 3-Clause License", "BSD-3-Clause"),
        ("BSD-3-Clause", "BSD-3-Clause"),
        ("Public Domain", "LicenseRef-Public-Domain"),
        ("MIT or Apache-2.0", "MIT OR Apache-2.0"),
        ("(MIT OR Apache-2.0) AND BSD-2-Clause", "(MIT OR Apache-2.0) AND BSD-2-Clause"),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
        ("LicenseRef-Acme-EULA", "LicenseRef-Acme-EULA"),
        ("The Zlib License", "Zlib"),
        ("PSF", "PSF-2.0"),
        ("Python Software Foundation License", "PSF-2.0"),
        ("MPL-2.0", "MPL-2.0"),
        ("CC0 1.0 Universal", "CC0-1.0"),
    ],
)
def test_tricky_names(text: str, expected: str) -> None:
    assert to_spdx(text).expression == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("BSD", "BSD is ambiguous: which clause count?"),
        ("bsd license", "BSD is ambiguous: which clause count?"),
        ("GPL", "GPL is ambiguous: which version, and only or or-later?"),
        ("GNU GPL", "GPL is ambiguous: which version, and only or or-later?"),
        ("LGPL", "LGPL is ambiguous: which version, and only or or-later?"),
        ("Apache", "Apache is ambiguous: which version?"),
        ("UNKNOWN", "the package declares no license"),
        ("", "no license stated"),
        ("   ", "no license stated"),
        ("Dual MIT/GPL", "'Dual MIT/GPL' is not a known license name or SPDX expression"),
        ("Apache 2.0 or MIT", "'Apache 2.0 or MIT' is not a known license name or SPDX expression"),
        ("GPL-2.0-only OR", "'GPL-2.0-only OR' is not a known license name or SPDX expression"),
        ("NOASSERTION", "'NOASSERTION' is not a known license name or SPDX expression"),
        (
            "x" * 100,
            f"'{'x' * 77}...' is not a known license name or SPDX expression",
        ),
    ],
)
def test_unknown_names_say_why(text: str, reason: str) -> None:
    assert to_spdx(text) == Mapped(None, reason)


@pytest.mark.parametrize(
    ("classifier", "expected"),
    [
        (
            "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
            Mapped("GPL-2.0-or-later", "trove classifier"),
        ),
        (
            "License :: OSI Approved :: BSD License",
            Mapped(None, "BSD is ambiguous: which clause count?"),
        ),
        (
            "  License :: OSI Approved :: MIT License ",
            Mapped("MIT", "trove classifier"),
        ),
        (
            "License :: OSI Approved :: Something New",
            Mapped(None, "unknown license classifier 'License :: OSI Approved :: Something New'"),
        ),
    ],
)
def test_classifiers(classifier: str, expected: Mapped) -> None:
    assert classifier_to_spdx(classifier) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MIT", "MIT"),
        ("gpl-2.0+ or mit", "GPL-2.0-or-later OR MIT"),
        ("LicenseRef-RedHat-UBI-EULA", "LicenseRef-RedHat-UBI-EULA"),
        ("DocumentRef-x:LicenseRef-y", "DocumentRef-x:LicenseRef-y"),
        ("NOASSERTION", None),
        ("NONE", None),
        ("non-standard", None),
        ("MIT AND Foo-Bar", None),
        ("MIT (", None),
        ("", None),
        ("MIT OR " * 300 + "MIT", None),
    ],
)
def test_normalize_expression(text: str, expected: str | None) -> None:
    assert normalize_expression(text) == expected


def test_normalize_key() -> None:
    assert normalize_key('  "Apache   License,\tVersion 2.0". ') == "apache license, version 2.0"


def test_table_keys_collide_after_normalization(tmp_path: Path) -> None:
    path = tmp_path / "aliases.toml"
    path.write_text('[aliases]\n"MIT License" = "MIT"\n"mit  license" = "MIT"\n')
    with pytest.raises(ValueError, match=r"\[aliases\] 'mit  license' duplicates another key"):
        load_table(path)


def test_ambiguous_and_aliases_do_not_overlap() -> None:
    table = load_table()
    assert not set(table.aliases) & set(table.ambiguous)
    assert not set(table.classifiers) & set(table.ambiguous_classifiers)

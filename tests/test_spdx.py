"""audit/spdx.py is the one place that parses and normalizes SPDX expressions, and every
public path that turns text into an expression reads it the same way."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import spdx
from audit.licenses import kernel
from audit.licenses.freetext import normalize_expression, to_spdx
from audit.model import LicenseInfo
from audit.policy import expressions
from audit.report import spdx as report_spdx
from audit.scanners.notices import normalize_spdx

AUDIT = Path(spdx.__file__).parent


def test_no_spdx_parsing_outside_audit_spdx() -> None:
    """Only audit/spdx.py builds a license-expression ``Licensing``."""
    pattern = re.compile(r"Licensing\(|get_spdx_licensing")
    offenders = [
        f"{path.relative_to(AUDIT.parent)}:{n}"
        for path in sorted(AUDIT.rglob("*.py"))
        if path != AUDIT / "spdx.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def _report(text: str) -> str | None:
    parsed = report_spdx.parse_expression(text)
    return None if parsed is None else str(parsed.render())


def _declared(text: str) -> str | None:
    stated = report_spdx.declared_text(None, LicenseInfo(None, "pypi", raw=text))
    return report_spdx.declared_expression(stated)


PATHS: dict[str, Callable[[str], str | None]] = {
    "spdx.normalize": spdx.normalize,
    "spdx.parse_expression": lambda t: spdx.parse_expression(t).normalized,
    "policy.expressions.normalize": expressions.normalize,
    "freetext.normalize_expression": normalize_expression,
    "freetext.to_spdx": lambda t: to_spdx(t).expression,
    "notices.normalize_spdx": normalize_spdx,
    "report.spdx.parse_expression": _report,
    "report.spdx.declared_expression": _declared,
}

REF_ONLY_IN_SPDX_DOCUMENTS = {"report.spdx.parse_expression", "report.spdx.declared_expression"}
"""An SPDX 2.3 document names extracted licenses as ``LicenseRef-`` exactly; a lower-case
``licenseref-`` or an external ``DocumentRef-`` is not one it can carry."""

TABLE: list[tuple[str, str, str | None]] = [
    # deprecated ids
    ("deprecated GPL-2.0", "GPL-2.0", "GPL-2.0-only"),
    ("deprecated LGPL-2.1", "LGPL-2.1", "LGPL-2.1-only"),
    (
        "deprecated with-exception id",
        "GPL-2.0-with-classpath-exception",
        "GPL-2.0-only WITH Classpath-exception-2.0",
    ),
    (
        "deprecated with-exception id, lower case",
        "gpl-2.0-with-classpath-exception",
        "GPL-2.0-only WITH Classpath-exception-2.0",
    ),
    (
        "deprecated GCC exception id",
        "GPL-3.0-with-GCC-exception",
        "GPL-3.0-only WITH GCC-exception-3.1",
    ),
    (
        "deprecated id inside an expression",
        "GPL-2.0-with-classpath-exception OR MIT",
        "GPL-2.0-only WITH Classpath-exception-2.0 OR MIT",
    ),
    # + suffixes
    ("plus suffix", "GPL-2.0+", "GPL-2.0-or-later"),
    ("plus suffix LGPL", "LGPL-2.1+", "LGPL-2.1-or-later"),
    ("plus suffix, lower case", "gpl-3.0+", "GPL-3.0-or-later"),
    # WITH
    ("WITH", "Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
    ("with, lower case", "apache-2.0 with llvm-exception", "Apache-2.0 WITH LLVM-exception"),
    ("a license used as an exception", "MIT WITH Apache-2.0", None),
    # LicenseRef
    ("LicenseRef", "LicenseRef-Falco-Proprietary", "LicenseRef-Falco-Proprietary"),
    ("LicenseRef in an expression", "MIT OR LicenseRef-X", "MIT OR LicenseRef-X"),
    # case
    ("case of an id", "mit", "MIT"),
    ("case of operators", "mit or apache-2.0", "MIT OR Apache-2.0"),
    (
        "grouping kept",
        "(MIT OR Apache-2.0) AND BSD-3-Clause",
        "(MIT OR Apache-2.0) AND BSD-3-Clause",
    ),
    # no license
    ("NOASSERTION", "NOASSERTION", None),
    ("NONE", "NONE", None),
    ("unknown id", "Foo-1.0", None),
    ("bad syntax", "MIT AND (", None),
    ("dangling operator", "MIT OR", None),
    ("empty parentheses (boolean.py raises IndexError)", "( )", None),
    ("empty parentheses in an expression", "MIT AND ( )", None),
    ("operator first in parentheses (boolean.py asserts)", "( AND MIT", None),
    ("empty", "  ", None),
]


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize(("case", "text", "expected"), TABLE, ids=[t[0] for t in TABLE])
def test_normalization_is_the_same_on_every_path(
    path: str, case: str, text: str, expected: str | None
) -> None:
    assert PATHS[path](text) == expected, case


@pytest.mark.parametrize("path", sorted(PATHS))
@pytest.mark.parametrize(
    "text", ["licenseref-foo", "DocumentRef-spdx:LicenseRef-x", "MIT AND licenseref-foo"]
)
def test_references_kept_as_written_except_in_spdx_documents(path: str, text: str) -> None:
    expected = None if path in REF_ONLY_IN_SPDX_DOCUMENTS else text
    assert PATHS[path](text) == expected


def test_equivalence_and_keys() -> None:
    assert spdx.equivalent("mit or gpl-2.0+", "GPL-2.0-or-later OR MIT")
    assert spdx.equivalent("Foo", "Foo")  # equal text, even unknown
    assert not spdx.equivalent("Foo", "Bar")
    assert not spdx.equivalent("MIT", "MIT AND Apache-2.0")
    assert spdx.is_equivalent("MIT OR Apache-2.0", "Apache-2.0 OR MIT")
    assert spdx.license_keys("GPL-2.0-only WITH Classpath-exception-2.0 OR LicenseRef-X") == {
        "GPL-2.0-only",
        "Classpath-exception-2.0",
        "LicenseRef-X",
    }
    assert spdx.references("MIT OR LicenseRef-X") == {"LicenseRef-X"}


def test_kernel_families_read_through_the_same_normalization() -> None:
    assert kernel.expression_families("GPL-2.0-with-classpath-exception OR MIT") == {
        "GPL-2.0",
        "MIT",
    }
    assert kernel.expression_families("gpl-2.0+ or mit") == {"GPL-2.0", "MIT"}
    assert kernel.expression_families("MIT AND GPL-2.0-only") is None
    assert kernel.expression_families("MIT OR") is None


def test_parse_problems_say_why() -> None:
    assert spdx.parse_expression("NOASSERTION").problem == "NOASSERTION: no license information"
    assert spdx.parse_expression("Foo-1.0").problem == "unknown license id 'Foo-1.0'"
    assert spdx.parse_expression("").problem == "empty license expression"
    assert spdx.parse_expression("MIT " * 1001).problem == "license expression too long"
    assert spdx.parse_expression("MIT AND (").problem.startswith("cannot parse: ")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.sampled_from(
            [
                "MIT",
                "gpl-2.0+",
                "WITH",
                "with",
                "AND",
                "OR",
                "(",
                ")",
                "+",
                "LicenseRef-x",
                "Classpath-exception-2.0",
                "GPL-2.0-with-classpath-exception",
                "//",
                ":",
                "é",
                " ",
            ]
        ),
        max_size=12,
    ).map(" ".join)
    | st.text(max_size=40)
)
def test_reading_any_text_never_raises(text: str) -> None:
    """license-expression's errors are caught by their types; nothing else escapes."""
    result = spdx.parse_expression(text)
    assert (result.normalized is None) == bool(result.problem)
    for read in PATHS.values():
        read(text)

"""Waivers for findings, and unused waivers (issue 16, item 7).

The tree: src/a.c says ``SPDX-License-Identifier: MIT`` on line 1 and a GPL-2.0 header on
lines 2-6: a ``license-conflict`` finding and its ``fix-notice`` decision for ``source:.``.
CMakeLists.txt:2 downloads zlib from zlib.net, a distributed third-party download whose
license nothing states: an ``add-curation`` decision (``unknown-license``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tree_helpers import write

from audit.cli import main
from audit.errors import ConfigError
from audit.policy.waivers import parse_waivers

A_C = (
    "// SPDX-License-Identifier: MIT\n"
    "/*\n"
    " * This program is free software; you can redistribute it and/or modify it\n"
    " * under the terms of the GNU General Public License version 2 as published by\n"
    " * the Free Software Foundation.\n"
    " */\n"
    "int x;\n"
)
CMAKE = 'ExternalProject_Add(zlib\n  URL "https://zlib.net/zlib-1.3.tar.gz")\n'
ZLIB = "download:zlib.net/zlib-1.3.tar.gz"

FINDING_WAIVER = """
[[waiver]]
id = "header-conflict"
finding = "license-conflict"
subject = "source:*"
reason = "the GPL header is an old copy; the SPDX tag is what the authors chose"
approved-by = "maintainers, 2024-05-02"
expires = 2099-12-31
"""

UNUSED_WAIVER = """
[[waiver]]
id = "old-image"
component = "image:quay.io/old/*"
reason = "gone since 2023"
approved-by = "maintainers"
expires = 2099-12-31
"""


def _scan(tmp_path: Path, waivers: str) -> dict[str, Any]:
    root = write(tmp_path / "tree", {"src/a.c": A_C, "CMakeLists.txt": CMAKE})
    path = tmp_path / "waivers.toml"
    path.write_text(waivers, encoding="utf-8")
    out = tmp_path / "report.json"
    argv = ["scan", str(root), "--offline", "--waivers", str(path), "-o", str(out)]
    assert main([*argv, "--as-of", "2024-06-01"]) in (0, 1)
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def _decisions(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["kind"], a["target"]) for a in doc["actions"]]


def test_without_waivers_both_are_decisions(tmp_path: Path) -> None:
    doc = _scan(tmp_path, "")
    assert _decisions(doc) == [("add-curation", ZLIB), ("fix-notice", "source:.")]
    assert doc["warnings"] == []


def test_a_finding_waiver_takes_the_decision_off(tmp_path: Path) -> None:
    doc = _scan(tmp_path, FINDING_WAIVER)
    assert _decisions(doc) == [("add-curation", ZLIB)]
    # the finding itself stays in the report, with its evidence
    assert [(f["kind"], f["subject"]) for f in doc["findings"]] == [
        ("license-conflict", "source:.")
    ]
    assert doc["warnings"] == []


@pytest.mark.parametrize(
    ("finding", "subject", "left"),
    [
        ("unknown-license", "download:zlib.net/*", [("fix-notice", "source:.")]),
        ("*", "", []),
        ("license-*", "source:*", [("add-curation", ZLIB)]),
        ("license-conflict", "pypi:*", [("add-curation", ZLIB), ("fix-notice", "source:.")]),
    ],
)
def test_kind_and_subject_patterns(
    tmp_path: Path, finding: str, subject: str, left: list[tuple[str, str]]
) -> None:
    waiver = FINDING_WAIVER.replace('"license-conflict"', f'"{finding}"').replace(
        '"source:*"', f'"{subject}"'
    )
    assert _decisions(_scan(tmp_path, waiver)) == left


def test_a_waived_unknown_no_longer_fails_the_run(tmp_path: Path) -> None:
    waiver = FINDING_WAIVER.replace('"license-conflict"', '"unknown-license"').replace(
        '"source:*"', '"download:*"'
    )
    root = write(tmp_path / "tree", {"src/a.c": A_C, "CMakeLists.txt": CMAKE})
    (tmp_path / "w.toml").write_text(waiver, encoding="utf-8")
    argv = ["scan", str(root), "--offline", "--fail-on", "unknown", "--as-of", "2024-06-01"]
    assert main(argv) == 1
    assert main([*argv, "--waivers", str(tmp_path / "w.toml")]) == 0


def test_an_expired_finding_waiver_takes_nothing_off(tmp_path: Path) -> None:
    doc = _scan(tmp_path, FINDING_WAIVER.replace("2099-12-31", "2024-01-31"))
    assert ("fix-notice", "source:.") in _decisions(doc)
    assert doc["warnings"] == [
        "waiver expired on 2024-01-31: the GPL header is an old copy; the SPDX tag is what the"
        " authors chose; approved by maintainers, 2024-05-02, expires 2024-01-31"
    ]


def test_an_unused_waiver_is_a_warning(tmp_path: Path) -> None:
    doc = _scan(tmp_path, FINDING_WAIVER + UNUSED_WAIVER)
    path = tmp_path / "waivers.toml"
    assert doc["warnings"] == [
        f"waiver old-image ({path}) matched nothing in this audit: remove it, or fix its"
        " component, license or finding pattern"
    ]


def test_an_unused_waiver_in_the_text_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _scan(tmp_path, UNUSED_WAIVER)
    root = tmp_path / "tree"
    argv = ["scan", str(root), "--offline", "--waivers", str(tmp_path / "waivers.toml")]
    main([*argv, "--as-of", "2024-06-01"])
    assert "waiver old-image" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"finding": "license-conflict", "license": "MIT"},
            "a waiver names a finding or a license, not both",
        ),
        (
            {"finding": "license-conflict", "component": "x"},
            "a finding waiver names what it covers with `subject`, not `component`",
        ),
        ({"subject": "source:*"}, "`subject` needs `finding`"),
        ({}, "a waiver needs a component, a license or a finding"),
    ],
)
def test_finding_waiver_shape(table: dict[str, str], message: str) -> None:
    base = {"reason": "r", "approved-by": "me", "expires": "2099-01-01"}
    import datetime

    base_t: dict[str, object] = {**base, "expires": datetime.date(2099, 1, 1), **table}
    with pytest.raises(ConfigError) as err:
        parse_waivers({"waiver": [base_t]}, "w.toml")
    assert message in str(err.value)

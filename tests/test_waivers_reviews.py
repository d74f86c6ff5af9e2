"""Waivers for findings and reviews, and unused waivers (issue 16, item 7).

The tree: driver/main.c:1 says ``SPDX-License-Identifier: GPL-2.0-only OR MIT`` and
driver/main.c:3 ``MODULE_LICENSE("GPL")``: a ``license-conflict`` review of
``source:driver``; requirements.txt:1 pins requests, whose license is unknown offline: an
``unknown-license`` review.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from audit.errors import ConfigError
from audit.policy.waivers import parse_waivers

DRIVER_C = (
    "// SPDX-License-Identifier: GPL-2.0-only OR MIT\n"
    "#include <linux/module.h>\n"
    'MODULE_LICENSE("GPL");\n'
)

FINDING_WAIVER = """
[[waiver]]
id = "driver-marker"
finding = "license-conflict"
subject = "source:driver*"
reason = "MODULE_LICENSE(\\"GPL\\") is the kernel's marker; the header is the license"
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
    root = tmp_path / "tree"
    (root / "driver").mkdir(parents=True)
    (root / "driver" / "main.c").write_text(DRIVER_C, encoding="utf-8")
    (root / "requirements.txt").write_text("requests==2.31.0\n", encoding="utf-8")
    path = tmp_path / "waivers.toml"
    path.write_text(waivers, encoding="utf-8")
    out = tmp_path / "report.json"
    argv = ["scan", str(root), "--offline", "--waivers", str(path), "-o", str(out)]
    argv += ["--as-of", "2024-06-01"]
    assert main(argv) in (0, 1)
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return doc


def _reviews(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (a["target"], a["properties"]["review"]) for a in doc["actions"] if a["kind"] == "review"
    ]


def test_without_waivers_both_reviews_are_actions(tmp_path: Path) -> None:
    doc = _scan(tmp_path, "")
    assert _reviews(doc) == [
        ("pypi:requests@2.31.0", "unknown-license"),
        ("source:driver", "license-conflict"),
    ]
    assert doc["warnings"] == []


def test_a_finding_waiver_silences_the_review(tmp_path: Path) -> None:
    doc = _scan(tmp_path, FINDING_WAIVER)
    assert _reviews(doc) == [("pypi:requests@2.31.0", "unknown-license")]
    # the finding itself stays in the report, with its evidence
    assert [(f["kind"], f["subject"]) for f in doc["findings"]] == [
        ("license-conflict", "source:driver")
    ]
    assert doc["warnings"] == []


@pytest.mark.parametrize(
    ("finding", "subject", "silenced"),
    [
        ("unknown-license", "pypi:requests@*", ["pypi:requests@2.31.0"]),
        ("*", "", ["pypi:requests@2.31.0", "source:driver"]),
        ("license-*", "source:*", ["source:driver"]),
    ],
)
def test_kind_and_subject_patterns(
    tmp_path: Path, finding: str, subject: str, silenced: list[str]
) -> None:
    waiver = FINDING_WAIVER.replace('"license-conflict"', f'"{finding}"').replace(
        '"source:driver*"', f'"{subject}"'
    )
    doc = _scan(tmp_path, waiver)
    left = {t for t, _ in _reviews(doc)}
    assert left == {"pypi:requests@2.31.0", "source:driver"} - set(silenced)


def test_an_expired_finding_waiver_silences_nothing(tmp_path: Path) -> None:
    doc = _scan(tmp_path, FINDING_WAIVER.replace("2099-12-31", "2024-01-31"))
    assert ("source:driver", "license-conflict") in _reviews(doc)
    assert doc["warnings"] == [
        'waiver expired on 2024-01-31: MODULE_LICENSE("GPL") is the kernel\'s marker; the header'
        " is the license; approved by maintainers, 2024-05-02, expires 2024-01-31"
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

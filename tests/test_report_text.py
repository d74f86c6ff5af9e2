from __future__ import annotations

import re
from dataclasses import replace

import pytest
from report_fixtures import falco_report, small_report

from audit.model import Evidence, Inventory, PolicyInfo, Report
from audit.report.text import render, summary_line

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def section(text: str, title: str) -> list[str]:
    """The lines of one section: from its title to the next blank line."""
    lines = text.split("\n")
    start = lines.index(title)
    end = lines.index("", start)
    return lines[start:end]


def empty_report() -> Report:
    return Report("empty", None, None, PolicyInfo("cncf"), Inventory("empty", (), (), ()), (), ())


@pytest.mark.parametrize(
    ("report", "line"),
    [
        (
            falco_report(),
            "examples/falco-2023: 8 components; 3 need an exception, 2 not required, 3 allowed",
        ),
        (small_report(), "svc: 2 components; 1 denied, 1 has an unknown license"),
        (empty_report(), "empty: 0 components"),
    ],
)
def test_summary_line(report: Report, line: str) -> None:
    assert summary_line(report) == line
    assert render(report).split("\n")[0] == line


def test_header_lines() -> None:
    assert render(falco_report()).split("\n")[:4] == [
        "examples/falco-2023: 8 components; 3 need an exception, 2 not required, 3 allowed",
        "policy cncf (read 2023-07-01), as of 2023-07-01, project falco, commit 4f6ea9d1c3b2",
        "6 actions: 1 remove, 1 replace, 2 request-exception, 1 elect, 1 review",
        "",
    ]
    assert render(small_report()).split("\n")[:3] == [
        "svc: 2 components; 1 denied, 1 has an unknown license",
        "policy cncf, as of today",
        "no actions",
    ]


def test_actions_grouped_by_kind_with_evidence_and_removable() -> None:
    text = render(falco_report())
    assert section(text, "Remove (1)") == [
        "Remove (1)",
        "  pypi:avocado-framework@69.0",
        "    because: listed under [plan] remove in .depaudit.toml: the integration tests are "
        "being rewritten in Go",
        "    evidence:",
        "      docker/tester/Dockerfile:11  RUN pip install --user avocado-framework==69.0 \\",
        "      test/requirements.txt:2  avocado-framework==69.0",
        "    goes with it:",
        "      - manifest:test/requirements.txt",
        "      - pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0",
    ]
    assert section(text, "Request an exception (2)") == [
        "Request an exception (2)",
        "  source:driver",
        "    because: GPL-2.0-only OR MIT runs in the kernel and is distributed: the CNCF needs "
        "to grant an exception",
        "    request: exceptions/driver.md",
        "    evidence:",
        '      driver/main.c:2998  MODULE_LICENSE("Dual MIT/GPL");',
        "  source:driver/bpf",
        "    because: GPL-2.0-only OR MIT runs in the kernel and is distributed: the CNCF needs "
        "to grant an exception",
        "    request: exceptions/driver-bpf.md",
        "    evidence:",
        '      driver/bpf/probe.c:20  char __license[] SEC("license") = "GPL";',
        "      driver/bpf/types.h:1  // SPDX-License-Identifier: GPL-2.0-only OR MIT",
    ]
    titles = [line for line in text.split("\n") if re.fullmatch(r"[A-Z][a-z ]+ \(\d+\)", line)]
    assert titles == [
        "Remove (1)",
        "Replace (1)",
        "Request an exception (2)",
        "Elect a license (1)",
        "Review (1)",
        "Components (8)",
        "Findings (1)",
        "Incomplete (1)",
        "Warnings (1)",
    ]


def test_component_table() -> None:
    # The table is as wide as its longest row: ids and licenses are never wrapped.
    table = section(render(falco_report()), "Components (8)")
    assert table == [
        "Components (8)",
        "component                                                  license"
        "                                context         distribution       verdict",
        "─" * 148,
        "download:github.com/falcosecurity/libs@0.11.3              Apache-2.0 AND (GPL-2.0-only"
        " OR MIT)   userspace       distributed        allowed",
        "image:falcosecurity/falco-tester:latest                    Apache-2.0"
        "                             test            internal-tooling   allowed",
        "image:registry.access.redhat.com/ubi8/ubi:latest           LicenseRef-RedHat-UBI-EULA"
        "             userspace       distributed        needs-exception",
        "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0   GPL-2.0-or-later"
        "                       test            internal-tooling   not-required",
        "pypi:avocado-framework@69.0                                GPL-2.0-or-later"
        "                       test            internal-tooling   not-required",
        "source:driver                                              GPL-2.0-only OR MIT"
        "                    kernel-module   distributed        needs-exception",
        "source:driver/bpf                                          GPL-2.0-only OR MIT"
        "                    ebpf            distributed        needs-exception",
        "source:userspace                                           Apache-2.0"
        "                             userspace       distributed        allowed",
    ]


def test_findings_incomplete_and_warnings() -> None:
    text = render(falco_report())
    assert section(text, "Findings (1)") == [
        "Findings (1)",
        '  [license-conflict] source:driver/bpf: driver/bpf/probe.c declares "GPL" in its '
        "license section; driver/bpf/types.h says GPL-2.0-only OR MIT",
        '      driver/bpf/probe.c:20  char __license[] SEC("license") = "GPL";',
        "      driver/bpf/types.h:1  // SPDX-License-Identifier: GPL-2.0-only OR MIT",
    ]
    assert section(text, "Incomplete (1)") == [
        "Incomplete (1)",
        "  .circleci/config.yml:120: unresolved: image reference ${BUILDER_IMAGE} holds a variable",
    ]
    assert text.endswith("Warnings (1)\n  exceptions.json: 1 record skipped: no approvedDate\n")


def test_no_color_unless_asked() -> None:
    plain = render(falco_report())
    assert "\x1b[" not in plain
    colored = render(falco_report(), color=True)
    assert "\x1b[" in colored
    assert "\x1b[31mneeds-exception" in colored
    stripped = "\n".join(line.rstrip() for line in ANSI.sub("", colored).split("\n"))
    assert stripped == plain


def test_output_ignores_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = render(falco_report())
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    assert render(falco_report()) == expected


def test_markup_in_data_is_printed_as_is() -> None:
    report = falco_report()
    action = replace(report.actions[0], because="see [bold]this[/bold] and [link=x]y[/link]")
    text = render(replace(report, actions=(action,)))
    assert "    because: see [bold]this[/bold] and [link=x]y[/link]" in text.split("\n")


def test_empty_report() -> None:
    assert render(empty_report()) == (
        "empty: 0 components\npolicy cncf, as of today\nno actions\n\nComponents (0)\n"
    )


def test_deterministic() -> None:
    assert render(falco_report()) == render(falco_report())
    assert render(falco_report(), color=True) == render(falco_report(), color=True)


def test_control_characters_from_files_cannot_reach_the_terminal() -> None:
    report = falco_report()
    hostile = Evidence("x.txt", 1, "evil \x1b[31mRED\x07 bell", "test")
    action = replace(report.actions[0], evidence=(hostile,), because="b\x1b]0;title\x07c\nd")
    text = render(replace(report, actions=(action,)), color=True)
    lines = ANSI.sub("", text).split("\n")
    assert "    because: b\\x1b]0;title\\x07c\\x0ad" in lines
    assert "      x.txt:1  evil \\x1b[31mRED\\x07 bell" in lines
    assert "\x07" not in text
    assert "\x1b]" not in text

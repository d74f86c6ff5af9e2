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


# A summary, not a dump: long lists and lines are cut, and each cut says so ---------------

MORE = "use --format json for all of them"


def _remove_action_with(evidence: int = 0, removable: int = 0, because: str = "b") -> Report:
    report = falco_report()
    action = replace(
        report.actions[0],
        because=because,
        evidence=tuple(
            Evidence(f"src/f{i:02}.c", 1, f"// notice {i}", "t") for i in range(evidence)
        ),
        removable=tuple(f"manifest:m{i:02}.txt" for i in range(removable)),
    )
    return replace(report, actions=(action,))


def test_at_most_ten_evidence_lines_then_how_many_more() -> None:
    lines = section(render(_remove_action_with(evidence=25)), "Remove (1)")
    assert lines[3:] == [
        "    evidence:",
        *(f"      src/f{i:02}.c:1  // notice {i}" for i in range(10)),
        f"      … 15 more evidence lines: {MORE}",
    ]


def test_ten_evidence_lines_are_not_cut_and_eleven_say_one_more() -> None:
    ten = section(render(_remove_action_with(evidence=10)), "Remove (1)")
    assert ten[-1] == "      src/f09.c:1  // notice 9"
    eleven = section(render(_remove_action_with(evidence=11)), "Remove (1)")
    assert eleven[-2:] == [
        "      src/f09.c:1  // notice 9",
        f"      … 1 more evidence line: {MORE}",
    ]


def test_at_most_ten_removable_items_then_how_many_more() -> None:
    lines = section(render(_remove_action_with(removable=12)), "Remove (1)")
    assert lines[3:] == [
        "    goes with it:",
        *(f"      - manifest:m{i:02}.txt" for i in range(10)),
        f"      … 2 more items: {MORE}",
    ]


def test_a_long_line_is_cut_at_a_space_and_says_how_much_is_left_out() -> None:
    because = "word " * 400  # the line is 2,013 characters long
    line = section(render(_remove_action_with(because=because)), "Remove (1)")[2]
    kept = "    because: " + " ".join(["word"] * 197)
    assert len(kept) == 997
    assert line == f"{kept} … 1016 more characters: {MORE}"


def test_a_long_line_without_spaces_is_cut_at_the_limit() -> None:
    line = section(render(_remove_action_with(because="x" * 2000)), "Remove (1)")[2]
    assert line == f"    because: {'x' * 987} … 1013 more characters: {MORE}"


def test_finding_evidence_is_cut_too() -> None:
    report = falco_report()
    finding = replace(
        report.findings[0],
        evidence=tuple(Evidence(f"d/f{i:02}.c", 2, "GPL", "t") for i in range(13)),
    )
    lines = section(render(replace(report, findings=(finding,))), "Findings (1)")
    assert lines[2:] == [
        *(f"      d/f{i:02}.c:2  GPL" for i in range(10)),
        f"      … 3 more evidence lines: {MORE}",
    ]


def test_tabs_become_spaces_in_lines_and_table_cells() -> None:
    report = falco_report()
    hostile = Evidence("x.mk", 3, "a\tb\t\tc", "test")
    action = replace(report.actions[0], evidence=(hostile,))
    comps = tuple(
        replace(c, id="source:ta\tb") if c.id == "source:userspace" else c
        for c in report.inventory.components
    )
    results = tuple(
        replace(r, component_id="source:ta\tb") if r.component_id == "source:userspace" else r
        for r in report.results
    )
    text = render(
        replace(
            report,
            actions=(action,),
            inventory=replace(report.inventory, components=comps),
            results=results,
        )
    )
    # Tab stops every 8 cells from the start of the line (or of the table cell).
    assert "      x.mk:3  a b" + " " * 15 + "c" in text.split("\n")
    table = section(text, "Components (8)")
    assert table[1].startswith("component" + " " * 47 + "   license")
    assert table[-1] == "   ".join(
        [
            "source:ta       b".ljust(56),
            "Apache-2.0".ljust(36),
            "userspace".ljust(13),
            "distributed".ljust(16),
            "allowed",
        ]
    )


def test_wide_characters_are_padded_by_cells() -> None:
    report = falco_report()
    comps = tuple(
        replace(c, id="source:日本") if c.id == "source:userspace" else c
        for c in report.inventory.components
    )
    results = tuple(
        replace(r, component_id="source:日本") if r.component_id == "source:userspace" else r
        for r in report.results
    )
    text = render(
        replace(report, inventory=replace(report.inventory, components=comps), results=results)
    )
    table = section(text, "Components (8)")
    # Each of the two ideographs takes two cells: 11 cells, padded to the column's 56.
    row = next(line for line in table if line.startswith("source:日本"))
    assert row == "   ".join(
        [
            "source:日本" + " " * 45,
            "Apache-2.0".ljust(36),
            "userspace".ljust(13),
            "distributed".ljust(16),
            "allowed",
        ]
    )

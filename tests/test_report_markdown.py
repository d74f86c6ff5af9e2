from __future__ import annotations

from dataclasses import replace

import pytest
from report_fixtures import COMMIT, falco_report, small_report

from audit.model import (
    Action,
    ActionKind,
    Component,
    ComponentKind,
    ComponentResult,
    Evidence,
    LicenseInfo,
    NoteItem,
    Outcome,
    Problem,
    RepoInfo,
    Report,
    Severity,
    Status,
    Verdict,
)
from audit.report.markdown import MIN_CHARS, blob_url, cell, code, location, render, text

BLOB = f"https://github.com/falcosecurity/falco/blob/{COMMIT}"


def block(md: str, first: str) -> list[str]:
    """Lines from ``first`` to the next blank line."""
    lines = md.split("\n")
    start = lines.index(first)
    end = lines.index("", start)
    return lines[start:end]


def test_title_and_summary_table() -> None:
    md = render(falco_report())
    assert md.split("\n")[:10] == [
        "## depaudit: falco (`examples/falco-2023`)",
        "",
        "policy [cncf](https://github.com/cncf/foundation/blob/main/policies-guidance/"
        "allowed-third-party-license-policy.md) · as of 2023-07-01 · commit `4f6ea9d1c3b2` · "
        "8 components · 6 decisions: 3 needs-exception, 3 hygiene; 1 note",
        "",
        "| verdict | components |",
        "|:--|--:|",
        "| needs-exception | 3 |",
        "| not-required | 2 |",
        "| allowed | 3 |",
        "",
    ]
    small = render(small_report())
    assert small.split("\n")[:9] == [
        "## depaudit: `svc`",
        "",
        "policy cncf · as of today · 2 components · no decisions",
        "",
        "| verdict | components |",
        "|:--|--:|",
        "| denied | 1 |",
        "| unknown | 1 |",
        "",
    ]
    assert "No decisions." in small.split("\n")
    outcome = Outcome(1, "exit 1: 3 decisions at or above needs-exception")
    assert render(replace(falco_report(), outcome=outcome)).split("\n")[2:4] == [
        "**exit 1: 3 decisions at or above needs-exception**",
        "",
    ]


def test_decisions_in_priority_order_with_linked_evidence() -> None:
    md = render(falco_report())
    assert [line for line in md.split("\n") if line.startswith("### ")] == [
        "### Decisions (6), most urgent first"
    ]
    assert [line.split("**: ")[0] for line in md.split("\n") if line.startswith("- **[")] == [
        "- **[needs-exception]** replace **`image:registry.access.redhat.com/ubi8/ubi:latest`",
        "- **[needs-exception]** request an exception for **`source:driver`",
        "- **[needs-exception]** request an exception for **`source:driver/bpf`",
        "- **[hygiene]** remove **`pypi:avocado-framework@69.0`",
        "- **[hygiene]** fix the license notices of **`source:driver/bpf`",
        "- **[hygiene]** record the license elected for "
        "**`download:github.com/falcosecurity/libs@0.11.3`",
    ]
    lines = md.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("- **[hygiene]** remove"))
    assert lines[start : start + 8] == [
        "- **[hygiene]** remove **`pypi:avocado-framework@69.0`**: listed under \\[plan\\] remove "
        "in .depaudit.toml: the integration tests are being rewritten in Go",
        "  - evidence:",
        f"    - [`docker/tester/Dockerfile:11`]({BLOB}/docker/tester/Dockerfile#L11) "
        "`RUN pip install --user avocado-framework==69.0 \\`",
        f"    - [`test/requirements.txt:2`]({BLOB}/test/requirements.txt#L2) "
        "`avocado-framework==69.0`",
        "  - goes with it:",
        "    - `manifest:test/requirements.txt`",
        "    - `pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0`",
        "- **[hygiene]** fix the license notices of **`source:driver/bpf`**: driver/bpf/probe.c "
        'declares "GPL" in its license section; driver/bpf/types.h says GPL-2.0-only OR MIT',
    ]


def test_evidence_is_plain_without_remote_or_commit() -> None:
    for repo in (RepoInfo(), RepoInfo("https://github.com/falcosecurity/falco", None)):
        md = render(falco_report(repository=repo))
        assert "](https://github.com/falcosecurity/falco/blob" not in md
        assert '    - `driver/main.c:2998` `MODULE_LICENSE("Dual MIT/GPL");`' in md.split("\n")


def test_long_sections_are_folded() -> None:
    md = render(falco_report())
    assert block(md, "<details>") == ["<details>", "<summary>Components (8)</summary>"]
    rows = block(md, "| component | license | context | distribution | verdict |")
    assert rows[2:4] == [
        "| `download:github.com/falcosecurity/libs@0.11.3` | Apache-2.0 AND (GPL-2.0-only OR "
        "MIT) | userspace | distributed | allowed, elected Apache-2.0 AND MIT |",
        "| `image:falcosecurity/falco-tester:latest` | Apache-2.0 | test | internal-tooling | "
        "allowed |",
    ]
    assert len(rows) == 10
    assert md.endswith(
        "<details>\n<summary>Warnings (1)</summary>\n\n"
        "- exceptions.json: 1 record skipped: no approvedDate\n\n</details>\n"
    )
    notes = md.split("<summary>Notes (1): not decisions, by cause</summary>\n\n")[1]
    assert notes.split("\n")[:2] == [
        "- **Values not expanded (variables the repository does not set)** (1, unexpanded-value)",
        "  - `.circleci/config.yml`: image reference ${BUILDER\\_IMAGE} holds a variable "
        "(unresolved)",
    ]


def test_long_removable_list_is_folded() -> None:
    report = falco_report()
    many = tuple(f"ci-job:circleci/job-{i}" for i in range(7))
    action = Action(ActionKind.REMOVE, "image:centos:7", "only rpm-sign uses it", many)
    md = render(replace(report, actions=(action,)))
    assert block(md, "  <details>") == [
        "  <details>",
        "  <summary>Goes with it (7)</summary>",
    ]
    assert "  - `ci-job:circleci/job-6`" in md.split("\n")
    assert "  </details>" in md.split("\n")


def test_untrusted_text_is_escaped() -> None:
    report = falco_report()
    hostile = Evidence("a|b.txt", 3, "x`y | </details> <script>", "test")
    action = Action(
        ActionKind.FIX_NOTICE,
        "source:x|y",
        "close </details> and [click](https://evil.example) *now*",
        evidence=(hostile,),
    )
    md = render(replace(report, actions=(action,), repository=RepoInfo()))
    assert (
        "- **[hygiene]** fix the license notices of **`source:x|y`**: close &lt;/details&gt; and "
        "\\[click\\](https://evil.example) \\*now\\*"
    ) in md.split("\n")
    assert "    - `a|b.txt:3` ``x`y | </details> <script>``" in md.split("\n")
    assert md.count("</details>") == md.count("<details>") + 1  # the one inside a code span


@pytest.mark.parametrize(
    ("repo", "path", "line", "url"),
    [
        (RepoInfo("https://github.com/o/r", "abc"), "a/b.txt", 10,
         "https://github.com/o/r/blob/abc/a/b.txt#L10"),
        (RepoInfo("https://github.com/o/r.git/", "abc"), "b.txt", 1,
         "https://github.com/o/r/blob/abc/b.txt#L1"),
        (RepoInfo("https://github.com/o/r", "abc", "sub/dir/"), "b.txt", 2,
         "https://github.com/o/r/blob/abc/sub/dir/b.txt#L2"),
        (RepoInfo("https://gitlab.com/g/p", "abc"), "b.txt", 2,
         "https://gitlab.com/g/p/-/blob/abc/b.txt#L2"),
        (RepoInfo("https://github.com/o/r", "abc"), "my file#1.txt", 0,
         "https://github.com/o/r/blob/abc/my%20file%231.txt"),
        (RepoInfo("https://github.com/o/r", None), "b.txt", 2, None),
        (RepoInfo(None, "abc"), "b.txt", 2, None),
        (RepoInfo("git@github.com:o/r.git", "abc"), "b.txt", 2, None),
        (RepoInfo("http://github.com/o/r", "abc"), "b.txt", 2, None),
    ],
)  # fmt: skip
def test_blob_url(repo: RepoInfo, path: str, line: int, url: str | None) -> None:
    assert blob_url(repo, path, line) == url


def test_location() -> None:
    e = Evidence("Makefile", 0, "", "make")
    assert location(RepoInfo(), e) == "`Makefile`"
    assert location(RepoInfo("https://github.com/o/r", "abc"), e) == (
        "[`Makefile`](https://github.com/o/r/blob/abc/Makefile)"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a", "`a`"), ("a`b", "``a`b``"), ("`a", "`` `a ``"), ("a``b`", "``` a``b` ```")],
)
def test_code(value: str, expected: str) -> None:
    assert code(value) == expected


def test_text_and_cell_escaping() -> None:
    assert text("a <b> & *c*\n_d_") == "a &lt;b&gt; &amp; \\*c\\* \\_d\\_"
    assert cell("x | y") == "x \\| y"
    assert code("a|b", in_table=True) == "`a\\|b`"


def test_deterministic() -> None:
    assert render(falco_report()) == render(falco_report())


def test_control_characters_are_dropped() -> None:
    assert text("a\x1b[31mb\x00c\nd") == "a\\[31mbc d"
    assert code("x\x07y") == "`xy`"


# Size limit: GitHub comments are at most 65,536 characters -----------------------------------


def big_report(
    *, components: int = 1500, problems: int = 300, warnings: int = 40, reviews: int = 200
) -> Report:
    """The Falco report grown by synthetic components, problems, warnings and review actions
    (each review with evidence), to well over a comment's size."""
    base = falco_report()
    comps = tuple(
        Component(
            f"pypi:package-{i:05d}@1.0.{i}",
            ComponentKind.PACKAGE,
            f"package-{i:05d}",
            f"1.0.{i}",
            "pypi",
            evidence=(Evidence("requirements.txt", i + 1, f"package-{i:05d}==1.0.{i}", "r"),),
        )
        for i in range(components)
    )
    results = tuple(
        ComponentResult(
            c.id, LicenseInfo("MIT", "pypi"), "userspace", "distributed", (),
            Verdict(Status.ALLOWED, rule="allowlist:MIT"),
        )
        for c in comps
    )  # fmt: skip
    incomplete = tuple(
        Problem(f"ci/job-{i:04d}.yml", 3, "unresolved", f"image ${{IMAGE_{i}}} holds a variable")
        for i in range(problems)
    )
    reviews_ = tuple(
        Action(
            ActionKind.FIX_NOTICE,
            f"source:module-{i:04d}",
            "two notices disagree",
            evidence=(Evidence(f"module-{i:04d}/a.c", 1, "// SPDX-License-Identifier: MIT", "n"),),
        )
        for i in range(reviews)
    )
    return replace(
        base,
        inventory=replace(base.inventory, components=(*base.inventory.components, *comps)),
        results=(*base.results, *results),
        actions=(*base.actions, *reviews_),
        incomplete=(*base.incomplete, *incomplete),
        notes=(
            replace(
                base.notes[0],
                items=(
                    *base.notes[0].items,
                    *(NoteItem(p.path, f"{p.message} ({p.kind})") for p in incomplete),
                ),
            ),
        ),
        warnings=(*base.warnings, *(f"warning number {i}" for i in range(warnings))),
    )


FULL = (
    "For the full report, run depaudit with `--format json` or `--format html` (with the "
    "GitHub Action: name them in its `formats` input and keep its output directory as an "
    "artifact)."
)


def note(md: str) -> str | None:
    found = [line for line in md.split("\n") if line.startswith("> **This report is shortened")]
    assert len(found) <= 1
    return found[0] if found else None


def test_a_report_that_fits_is_whole_and_has_no_note() -> None:
    md = render(falco_report())
    assert note(md) is None
    assert render(falco_report(), max_chars=len(md)) == md


def test_sections_are_cut_in_order_each_only_when_needed() -> None:
    """Each limit one character under the previous output cuts exactly one more part."""
    report = big_report(reviews=0)
    whole = render(report, max_chars=10**9)
    assert len(whole) > 65_536
    assert note(whole) is None
    outputs: list[str] = []
    limit = len(whole) - 1
    while limit >= MIN_CHARS:
        md = render(report, max_chars=limit)
        assert len(md) <= limit
        left_out = note(md).split("Left out: ")[1]  # type: ignore[union-attr]
        if not outputs or left_out != note(outputs[-1]).split("Left out: ")[1]:  # type: ignore[union-attr]
            outputs.append(md)  # (a smaller limit can give the same cut: the number's length)
        limit = len(md) - 1
    lead = "> **This report is shortened to fit in {:,} characters.** Left out: "
    parts = [
        "the components table (1,508 components)",
        "the warnings (41)",
        "the notes (301 items)",
        'the evidence and "goes with it" lists of the actions',
    ]
    got = [note(md) for md in outputs]
    limits = [int(n.split("fit in ")[1].split(" ")[0].replace(",", "")) for n in got]  # type: ignore[union-attr]
    assert got[:4] == [
        lead.format(limits[0]) + parts[0] + ". " + FULL,
        lead.format(limits[1]) + parts[0] + " and " + parts[1] + ". " + FULL,
        lead.format(limits[2]) + ", ".join(parts[:2]) + " and " + parts[2] + ". " + FULL,
        lead.format(limits[3]) + ", ".join(parts[:3]) + " and " + parts[3] + ". " + FULL,
    ]
    first = outputs[0].split("\n")
    assert "<summary>Components (1508)</summary>" not in first
    assert "<summary>Warnings (41)</summary>" in first
    assert "<summary>Notes (301): not decisions, by cause</summary>" in outputs[1].split("\n")
    assert "<summary>Notes (301): not decisions, by cause</summary>" not in outputs[2].split("\n")
    assert "  - evidence:" in outputs[2].split("\n")
    assert "  - evidence:" not in outputs[3].split("\n")
    # then decisions go, the least urgent first
    headings = [[line for line in md.split("\n") if line.startswith("### ")] for md in outputs]
    shown = [[f"### Decisions ({n} of 6), most urgent first"] for n in range(5, 0, -1)]
    assert headings[4:] == [*shown, []]
    assert note(outputs[4]).endswith(  # type: ignore[union-attr]
        "lists of the actions and the last 1 of 6 decisions. " + FULL
    )
    assert note(outputs[-2]).endswith(  # type: ignore[union-attr]
        "lists of the actions and the last 5 of 6 decisions. " + FULL
    )
    assert note(outputs[-1]).endswith(  # type: ignore[union-attr]
        "lists of the actions and all 6 decisions. " + FULL
    )


def test_all_actions_can_go() -> None:
    report = falco_report()
    huge = Action(  # the first action
        ActionKind.REMOVE, "pypi:a@1", "because " * 400, severity=Severity.DENIED
    )
    md = render(replace(report, actions=(huge, *report.actions)), max_chars=2_000)
    assert len(md) <= 2_000
    assert note(md).endswith(  # type: ignore[union-attr]
        "lists of the actions and all 7 decisions. " + FULL
    )
    lines = md.split("\n")
    assert not [line for line in lines if line.startswith("### Decisions")]
    assert "No decisions." not in lines


def test_the_default_limit_keeps_the_first_actions_that_fit() -> None:
    report = big_report(reviews=2000)
    md = render(report)
    assert len(md) <= 65_536
    lines = md.split("\n")
    assert lines[0] == "## depaudit: falco (`examples/falco-2023`)"  # title and summary kept
    assert lines[2].endswith(
        "· 1508 components · 2006 decisions: 3 needs-exception, 2003 hygiene; 301 notes"
    )
    assert lines[4:10] == [
        "| verdict | components |",
        "|:--|--:|",
        "| needs-exception | 3 |",
        "| not-required | 2 |",
        "| allowed | 1503 |",
        "",
    ]
    assert [line for line in lines if line.startswith("### ")] == [
        "### Decisions (712 of 2006), most urgent first"
    ]
    assert note(md) == (
        "> **This report is shortened to fit in 65,536 characters.** Left out: the components "
        "table (1,508 components), the warnings (41), the notes (301 items), the evidence and "
        '"goes with it" lists of the actions and the last 1,294 of 2,006 decisions. ' + FULL
    )
    assert lines[10:12] == [note(md), ""]
    # one more action would not fit
    block = len(
        "- **[hygiene]** fix the license notices of **`source:module-0000`**: two notices "
        "disagree\n"
    )
    assert len(md) + block > 65_536
    assert md.count("<details>") == md.count("</details>")
    assert render(report) == md  # deterministic


def test_the_limit_and_the_hint_are_configurable() -> None:
    report = big_report()
    md = render(report, max_chars=20_000, full_report="download the depaudit-report artifact")
    assert len(md) <= 20_000
    assert note(md).startswith(  # type: ignore[union-attr]
        "> **This report is shortened to fit in 20,000 characters.** Left out: "
    )
    assert note(md).endswith(  # type: ignore[union-attr]
        "For the full report, download the depaudit-report artifact."
    )
    with pytest.raises(ValueError, match="at least 1000 characters"):
        render(report, max_chars=999)


def test_a_giant_title_is_cut_as_text() -> None:
    report = replace(falco_report(), project="p" * 5000)
    md = render(report, max_chars=1000)
    assert len(md) <= 1000
    assert md.endswith("\n\n(cut)\n")

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_fixtures import falco_report, small_report
from rich.cells import cell_len

from audit.model import (
    Evidence,
    Inventory,
    Note,
    NoteCause,
    NoteItem,
    Outcome,
    PolicyInfo,
    Report,
)
from audit.report.text import break_id, render, summary_line

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
        "6 decisions: 3 needs-exception, 3 hygiene; 1 note",
        "",
    ]
    assert render(small_report()).split("\n")[:3] == [
        "svc: 2 components; 1 denied, 1 has an unknown license",
        "policy cncf, as of today",
        "no decisions",
    ]
    outcome = Outcome(1, "exit 1: 3 decisions at or above needs-exception (1 replace, 2 x)")
    assert render(replace(falco_report(), outcome=outcome)).split("\n")[2] == outcome.reason


TITLES = [
    "  1. [needs-exception] replace image:registry.access.redhat.com/ubi8/ubi:latest",
    "  2. [needs-exception] request an exception for source:driver",
    "  3. [needs-exception] request an exception for source:driver/bpf",
    "  4. [hygiene] remove pypi:avocado-framework@69.0",
    "  5. [hygiene] fix the license notices of source:driver/bpf",
]
"""The first five decision lines of the falco report."""


def test_decisions_in_priority_order_with_severity_evidence_and_removable() -> None:
    text = render(falco_report())
    lines = section(text, "Decisions (6), most urgent first")
    titles = [line for line in lines if re.match(r"  \d+\. ", line)]
    assert titles == [
        *TITLES,
        "  6. [hygiene] record the license elected for download:github.com/falcosecurity/libs@0.11.3",  # noqa: E501
    ]
    start = lines.index("  4. [hygiene] remove pypi:avocado-framework@69.0")
    assert lines[start : start + 9] == [
        "  4. [hygiene] remove pypi:avocado-framework@69.0",
        "     because: listed under [plan] remove in .depaudit.toml: the integration tests are being",  # noqa: E501
        "       rewritten in Go",
        "     evidence:",
        "       docker/tester/Dockerfile:11  RUN pip install --user avocado-framework==69.0 \\",
        "       test/requirements.txt:2  avocado-framework==69.0",
        "     goes with it:",
        "       - manifest:test/requirements.txt",
        "       - pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0",
    ]
    headings = [line for line in text.split("\n") if re.match(r"[A-Z][a-z]+ \(\d+\)", line)]
    assert headings == [
        "Decisions (6), most urgent first",
        "Components (8)",
        NOTES.format(1),
        "Warnings (1)",
    ]


def test_quiet_keeps_the_summary_and_one_line_per_decision() -> None:
    outcome = Outcome(1, "exit 1: 3 decisions at or above needs-exception")
    text = render(replace(falco_report(), outcome=outcome), quiet=True)
    assert text.split("\n") == [
        "examples/falco-2023: 8 components; 3 need an exception, 2 not required, 3 allowed",
        "policy cncf (read 2023-07-01), as of 2023-07-01, project falco, commit 4f6ea9d1c3b2",
        "exit 1: 3 decisions at or above needs-exception",
        "6 decisions: 3 needs-exception, 3 hygiene; 1 note",
        *TITLES,
        "  6. [hygiene] record the license elected for download:github.com/falcosecurity/libs@0.11.3",  # noqa: E501
        "",
    ]


@pytest.mark.parametrize("width", [80, 100, 140])
def test_no_line_is_wider_than_the_width(width: int) -> None:
    for report in (falco_report(), small_report()):
        for line in render(report, width=width).split("\n"):
            assert cell_len(line) <= width, line


def test_component_table() -> None:
    """Fitted to 100 columns: ids break after a /, : or -, licenses at a space or after a -;
    never inside a word."""
    table = section(render(falco_report()), "Components (8)")
    assert table == [
        "Components (8)",
        "component                     license             context         distribution       verdict",  # noqa: E501
        "─" * 100,
        "download:github.com/          Apache-2.0 AND      userspace       distributed        allowed",  # noqa: E501
        "falcosecurity/libs@0.11.3     (GPL-2.0-only OR",
        "                              MIT)",
        "image:falcosecurity/falco-    Apache-2.0          test            internal-tooling   allowed",  # noqa: E501
        "tester:latest",
        "image:                        LicenseRef-         userspace       distributed        "
        "needs-exception",
        "registry.access.redhat.com/   RedHat-UBI-EULA",
        "ubi8/ubi:latest",
        "pypi:avocado-framework-       GPL-2.0-or-later    test            internal-tooling   "
        "not-required",
        "plugin-varianter-yaml-to-",
        "mux@69.0",
        "pypi:avocado-framework@69.0   GPL-2.0-or-later    test            internal-tooling   "
        "not-required",
        "source:driver                 GPL-2.0-only OR     kernel-module   distributed        "
        "needs-exception",
        "                              MIT",
        "source:driver/bpf             GPL-2.0-only OR     ebpf            distributed        "
        "needs-exception",
        "                              MIT",
        "source:userspace              Apache-2.0          userspace       distributed        allowed",  # noqa: E501
    ]
    wide = section(render(falco_report(), width=200), "Components (8)")
    assert wide[3] == (
        "download:github.com/falcosecurity/libs@0.11.3              "
        "Apache-2.0 AND (GPL-2.0-only OR MIT)   userspace       distributed        allowed"
    )


@pytest.mark.parametrize(
    ("value", "width", "lines"),
    [
        ("source:driver", 20, ["source:driver"]),
        ("image:registry.example.org/a/b:1", 20, ["image:", "registry.example.org/", "a/b:1"]),
        ("GPL-2.0-only OR MIT", 12, ["GPL-2.0-", "only OR MIT"]),
        (
            "git:github.com/x/y@4d4e1f3f2c8646d14982fbd1d7ea598ccbe4264a",
            24,
            ["git:github.com/x/y@", "4d4e1f3f2c8646d14982", "fbd1d7ea598ccbe4264a"],
        ),
        ("averyveryverylongword", 5, ["averyveryverylongword"]),
        (
            "source:buffer15/container31#GPL-2.0-or-later",
            30,
            ["source:buffer15/", "container31#GPL-2.0-or-later"],
        ),
        ("source:a/b/c", 4, ["source:", "a/b/", "c"]),
        ("a  b", 2, ["a", " b"]),
    ],
)
def test_break_id_never_cuts_a_word(value: str, width: int, lines: list[str]) -> None:
    assert break_id(value, width) == lines


def _break_word_by_word(value: str, width: int) -> list[str]:
    """break_id's definition: the words (_words) taken in order while they fit, a word
    wider than a line alone on its own, each line right-stripped."""
    from audit.report.text import _width, _words

    if _width(value) <= width:
        return [value]
    lines: list[str] = []
    current = ""
    for word in _words(value):
        if current and _width(current + word) > width:
            lines.append(current.rstrip())
            current = ""
        current += word
    return [*lines, current.rstrip()] if current else lines


_ASCII_ID = st.text(alphabet=st.sampled_from([*"ab-/:@_ .#0f", "\t"]))


@given(_ASCII_ID, st.integers(1, 14))
def test_break_id_of_an_ascii_value_in_one_pass_is_word_by_word(value: str, width: int) -> None:
    """An ASCII value without a hash is broken by one pattern's matches (_lines): the
    same lines as word by word."""
    assert break_id(value, width) == _break_word_by_word(value, width)
    assert break_id("x/" + "0f" * 12, 8) == _break_word_by_word("x/" + "0f" * 12, 8)  # a hash


NOTES = "Notes ({}): not decisions; by cause, with 3 examples each (--format json lists every item)"


def test_notes_and_warnings() -> None:
    text = render(falco_report())
    assert section(
        text,
        "Notes (1): not decisions; by cause, with 3 examples each (--format json lists every item)",
    )[1:] == [
        "  Values not expanded (variables the repository does not set) (1, unexpanded-value)",
        "    - .circleci/config.yml: image reference ${BUILDER_IMAGE} holds a variable (unresolved)",  # noqa: E501
    ]
    assert text.endswith("Warnings (1)\n  exceptions.json: 1 record skipped: no approvedDate\n")


def test_a_note_shows_three_examples_then_how_many_more() -> None:
    items = tuple(NoteItem(f"f{i}.yml", f"value {i} not expanded") for i in range(5))
    note = Note(NoteCause.UNEXPANDED_VALUE, "Values not expanded", items)
    text = render(replace(falco_report(), notes=(note,)))
    assert section(
        text,
        "Notes (5): not decisions; by cause, with 3 examples each (--format json lists every item)",
    )[1:] == [
        "  Values not expanded (5, unexpanded-value)",
        "    - f0.yml: value 0 not expanded",
        "    - f1.yml: value 1 not expanded",
        "    - f2.yml: value 2 not expanded",
        f"    … 2 more items: {MORE}",
    ]


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
    assert "     because: see [bold]this[/bold] and [link=x]y[/link]" in text.split("\n")


def test_empty_report() -> None:
    assert render(empty_report()) == (
        "empty: 0 components\npolicy cncf, as of today\nno decisions\n\nComponents (0)\n"
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
    assert "     because: b\\x1b]0;title\\x07c\\x0ad" in lines
    assert "       x.txt:1  evil \\x1b[31mRED\\x07 bell" in lines
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


ONE = "Decisions (1), most urgent first"


def _lines(report: Report) -> list[str]:
    return section(render(report, width=5000), ONE)


def test_at_most_ten_evidence_lines_then_how_many_more() -> None:
    lines = _lines(_remove_action_with(evidence=25))
    assert lines[3:] == [
        "     evidence:",
        *(f"       src/f{i:02}.c:1  // notice {i}" for i in range(10)),
        f"       … 15 more evidence lines: {MORE}",
    ]


def test_ten_evidence_lines_are_not_cut_and_eleven_say_one_more() -> None:
    ten = _lines(_remove_action_with(evidence=10))
    assert ten[-1] == "       src/f09.c:1  // notice 9"
    eleven = _lines(_remove_action_with(evidence=11))
    assert eleven[-2:] == [
        "       src/f09.c:1  // notice 9",
        f"       … 1 more evidence line: {MORE}",
    ]


def test_at_most_ten_removable_items_then_how_many_more() -> None:
    lines = _lines(_remove_action_with(removable=12))
    assert lines[3:] == [
        "     goes with it:",
        *(f"       - manifest:m{i:02}.txt" for i in range(10)),
        f"       … 2 more items: {MORE}",
    ]


def test_a_long_line_is_cut_at_a_space_and_says_how_much_is_left_out() -> None:
    because = "word " * 400  # the line is 2,013 characters long
    line = _lines(_remove_action_with(because=because))[2]
    kept = "because: " + " ".join(["word"] * 198)
    assert len(kept) == 998
    assert line == f"     {kept} … 1011 more characters: {MORE}"


def test_a_long_line_without_spaces_is_cut_at_the_limit() -> None:
    line = _lines(_remove_action_with(because="x" * 2000))[2]
    assert line == f"     because: {'x' * 991} … 1009 more characters: {MORE}"


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
    # Tab stops every 8 cells from the start of the value (or of the table cell).
    assert "       x.mk:3  a       b" + " " * 15 + "c" in text.split("\n")
    assert "\t" not in text
    wide = render(
        replace(report, inventory=replace(report.inventory, components=comps), results=results),
        width=200,
    )
    row = next(line for line in section(wide, "Components (8)") if line.startswith("source:ta"))
    assert row.startswith("source:ta       b   ")


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
    # Each of the two ideographs takes two cells: 11 cells, padded like the ASCII rows.
    row = next(line for line in table if line.startswith("source:日本"))
    other = next(line for line in table if line.startswith("source:driver "))
    assert cell_len(row.split("Apache-2.0")[0]) == cell_len(other.split("GPL-2.0-only")[0])


def test_table_layout_cuts_at_the_column_edge_and_styles_the_whole_verdict() -> None:
    """Columns are padded by cells and three cells apart; a word wider than its column is
    cut at the edge (an 11-cell column holds five two-cell ideographs and a space); in
    color the header is bold and every line of a verdict carries its status's style."""
    from audit.report.text import _laid_out, _Out

    rows = [
        (["abcdefghijklmn", "MIT", "ci", "internal-tooling", "not-required"], "dim"),
        (["日本語日本語", "Apache-2.0 OR MIT", "", "distributed", "allowed (exc-1)"], "green"),
    ]
    widths = [11, 8, 7, 12, 12]
    assert _laid_out(_Out(False, 100), rows, widths) == [
        "component     license    context   distribution   verdict",
        "─" * 62,
        "abcdefghijk   MIT        ci        internal-      not-required",
        "                                   tooling",
        "日本語日本    Apache-              distributed    allowed",
        "              2.0 OR                              (exc-1)",
        "              MIT",
    ]
    colored = _laid_out(_Out(True, 100), rows, widths)
    assert colored[0] == "\x1b[1mcomponent     license    context   distribution   verdict\x1b[0m"
    assert colored[2].endswith("   \x1b[2mnot-required\x1b[0m")
    assert colored[4].endswith("   \x1b[32mallowed\x1b[0m")
    assert colored[5].endswith("   \x1b[32m(exc-1)\x1b[0m")
    assert colored[6] == "              MIT"


def test_clean_writes_control_characters_as_escapes() -> None:
    from audit.report.text import clean

    assert clean("a\x1b[31mred") == "a\\x1b[31mred"
    assert clean("two\nlines\x7f") == "two\\x0alines\\x7f"
    assert clean("tab\there") == "tab\there"  # tabs are expanded later, not escaped
    assert clean("no\u00a0break é") == "no\u00a0break é"
    assert clean("plain") == "plain"


@given(st.text(alphabet=st.sampled_from(["a", " ", "\t", "\n", "\x1b", "\x85", "\u00a0", "é"])))
def test_clean_is_its_definition(value: str) -> None:
    from audit.report.text import _CONTROL, clean

    assert clean(value) == _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)


_CELL = st.text(alphabet=st.sampled_from(["a", "b", "-", "/", ":", " ", "0", "f", "é", "日"]))


@given(_CELL)
def test_widest_word_is_its_definition(value: str) -> None:
    from audit.report.text import _widest_word, _width, _words

    assert _widest_word(value) == max(_width(t) for t in _words(value))
    assert _widest_word("a/" + "0f" * 15 + "/b") == 20  # a hash is broken every 20 cells


def _laid_out_by_cell(rows: list[tuple[list[str], str]], widths: list[int]) -> list[str]:
    """_laid_out's rows without its shortcuts: each cell broken (break_id), then cut or
    padded to its column (_fitted), the verdict's lines right-stripped."""
    from audit.report.text import _GAP, _fitted

    lines: list[str] = []
    for cells, _style in rows:
        wrapped = [break_id(c, w) for c, w in zip(cells, widths, strict=True)]
        for k in range(max(map(len, wrapped))):
            parts = [
                _fitted(cell[k] if k < len(cell) else "", w)
                for cell, w in zip(wrapped[:-1], widths[:-1], strict=True)
            ]
            verdict = wrapped[-1]
            parts.append(_fitted(verdict[k], widths[-1]).rstrip() if k < len(verdict) else "")
            lines.append(_GAP.join(parts).rstrip())
    return lines


@given(
    st.lists(st.lists(_CELL, min_size=5, max_size=5), min_size=1, max_size=4),
    st.lists(st.integers(1, 12), min_size=5, max_size=5),
)
def test_table_rows_are_laid_out_cell_by_cell(cells: list[list[str]], widths: list[int]) -> None:
    """The one-line and ASCII shortcuts of _laid_out give what breaking and fitting each
    cell gives."""
    from audit.report.text import _laid_out, _Out

    rows = [(row, "") for row in cells]
    assert _laid_out(_Out(False, 100), rows, widths)[2:] == _laid_out_by_cell(rows, widths)

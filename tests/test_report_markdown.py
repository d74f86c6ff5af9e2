from __future__ import annotations

from dataclasses import replace

import pytest
from report_fixtures import COMMIT, falco_report, small_report

from audit.model import Action, ActionKind, Evidence, RepoInfo
from audit.report.markdown import blob_url, cell, code, location, render, text

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
        "8 components · 6 actions",
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
        "policy cncf · as of today · 2 components · 0 actions",
        "",
        "| verdict | components |",
        "|:--|--:|",
        "| denied | 1 |",
        "| unknown | 1 |",
        "",
    ]
    assert "No actions." in small.split("\n")


def test_actions_by_kind_with_linked_evidence() -> None:
    md = render(falco_report())
    headings = [line for line in md.split("\n") if line.startswith("#### ")]
    assert headings == [
        "#### Remove (1)",
        "#### Replace (1)",
        "#### Request an exception (2)",
        "#### Elect a license (1)",
        "#### Review (1)",
    ]
    assert block(md, "- **`pypi:avocado-framework@69.0`**: listed under \\[plan\\] remove in "
                 ".depaudit.toml: the integration tests are being rewritten in Go") == [
        "- **`pypi:avocado-framework@69.0`**: listed under \\[plan\\] remove in .depaudit.toml: "
        "the integration tests are being rewritten in Go",
        "  - evidence:",
        f"    - [`docker/tester/Dockerfile:11`]({BLOB}/docker/tester/Dockerfile#L11) "
        "`RUN pip install --user avocado-framework==69.0 \\`",
        f"    - [`test/requirements.txt:2`]({BLOB}/test/requirements.txt#L2) "
        "`avocado-framework==69.0`",
        "  - goes with it:",
        "    - `manifest:test/requirements.txt`",
        "    - `pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0`",
    ]  # fmt: skip
    assert block(md, "#### Elect a license (1)")[0] == "#### Elect a license (1)"
    elect = block(
        md,
        "- **`download:github.com/falcosecurity/libs@0.11.3`**: GPL-2.0-only OR "
        "MIT: elect MIT for the userspace build of falcosecurity/libs",
    )
    assert elect[1:] == [
        "  - declare-in: NOTICE",
        "  - election: MIT",
        "  - evidence:",
        f"    - [`cmake/modules/falcosecurity-libs.cmake:11`]({BLOB}/cmake/modules/"
        'falcosecurity-libs.cmake#L11) `URL "https://github.com/falcosecurity/libs/archive/'
        '0.11.3.tar.gz"`',
    ]  # fmt: skip


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
    assert (
        f"- [`.circleci/config.yml:120`]({BLOB}/.circleci/config.yml#L120) unresolved: image "
        "reference ${BUILDER\\_IMAGE} holds a variable"
    ) in md.split("\n")


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
        ActionKind.REVIEW,
        "source:x|y",
        "close </details> and [click](https://evil.example) *now*",
        evidence=(hostile,),
    )
    md = render(replace(report, actions=(action,), repository=RepoInfo()))
    assert (
        "- **`source:x|y`**: close &lt;/details&gt; and \\[click\\](https://evil.example) \\*now\\*"
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

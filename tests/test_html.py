"""The HTML report: one self-contained page, escaped, with its graph and history chart."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_fixtures import (
    AVOCADO,
    BPF,
    COMMIT,
    DRIVER,
    LIBS,
    TESTER_IMAGE,
    TESTS_JOB,
    UBI,
    falco_report,
    small_report,
)

from audit.cli import main
from audit.history import RunInfo
from audit.model import Evidence, RepoInfo
from audit.report import html
from audit.report.registry import FORMATS, render


class _Page(HTMLParser):
    """Collects ids, every URL the page references, and the text of <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("href", "src", "action", "xlink:href", "srcset", "poster") and value:
                self.urls.append((tag, name, value))


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def run_info(run_id: int, counts: tuple[int, int, int, int], commit: str | None = None) -> RunInfo:
    denied, needs, unknown, by_exception = counts
    return RunInfo(
        id=run_id,
        recorded_at=f"2026-0{run_id}-01T06:00:00+00:00",
        root="falco",
        project=None,
        commit=commit,
        commit_date=None,
        remote=None,
        tool_version="0.1.0",
        policy="cncf",
        policy_read_on="",
        as_of=None,
        worst=None,
        components=10,
        by_status=(
            ("denied", denied),
            ("needs-exception", needs),
            ("unknown", unknown),
            ("allowed-by-exception", by_exception),
            ("not-required", 1),
            ("allowed", 2),
        ),
        by_action=(("remove", 1), ("review", 1)),
    )


def test_registered() -> None:
    fmt = FORMATS["html"]
    assert (fmt.module, fmt.media_type, fmt.extension) == ("html", "text/html", "html")
    page = render("html", falco_report())
    assert page == html.render(falco_report())
    assert page == html.render(falco_report())  # deterministic without history
    assert page.startswith("<!DOCTYPE html>\n") and page.endswith("</html>\n")


def test_self_contained() -> None:
    page = html.render(falco_report(), history=[run_info(1, (0, 3, 0, 0))])
    parsed = _parse(page)
    assert "link" not in parsed.tags and "img" not in parsed.tags and "iframe" not in parsed.tags
    assert "@import" not in page and "url(http" not in page
    assert re.findall(r"url\(([^)]*)\)", page) == ["#arrow"] * 6
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'\">"
    ) in page
    # Only in-page anchors and links a reader follows: the policy, the commit, evidence lines.
    external = sorted({url for tag, _, url in parsed.urls if not url.startswith("#")})
    assert all(tag == "a" for tag, _, _ in parsed.urls)
    assert external[0] == (
        "https://github.com/cncf/foundation/blob/main/policies-guidance/"
        "allowed-third-party-license-policy.md"
    )
    assert f"https://github.com/falcosecurity/falco/commit/{COMMIT}" in external
    assert (
        f"https://github.com/falcosecurity/falco/blob/{COMMIT}/test/requirements.txt#L2" in external
    )
    internal = {url[1:] for _, _, url in parsed.urls if url.startswith("#")}
    assert internal <= set(parsed.ids)


def test_sections() -> None:
    ids = _parse(html.render(falco_report())).ids
    for section in ("summary", "actions", "graph", "components", "problems"):
        assert section in ids
    assert "history" not in ids
    assert "history" in _parse(html.render(falco_report(), history=[run_info(1, (1, 0, 0, 0))])).ids
    small = _parse(html.render(small_report())).ids
    assert "problems" not in small and "graph" in small


def test_decisions_open_notes_collapsed() -> None:
    page = html.render(falco_report())
    assert page.index('<section id="actions">') < page.index('<section id="problems">')
    assert '<span class="tag sev sev-needs-exception">needs-exception</span>' in page
    assert page.count('<article class="action ') == 6
    # Notes are grouped by cause and closed until opened.
    assert '<details class="note note-unexpanded-value">' in page
    assert "<summary>Values not expanded (variables the repository does not set) " in page


def test_component_rows() -> None:
    page = html.render(falco_report())
    row = (
        f'<tbody class="component" id="{html.anchor(AVOCADO)}" data-status="not-required" '
        'data-flagged="1" '
        'data-text="pypi:avocado-framework@69.0 package gpl-2.0-or-later pypi test '
        'internal-tooling not required distribution:internal-tooling">'
    )
    assert row in page
    assert page.count('<tbody class="component" id="c-') == 8
    assert 'data-flagged="1"' in page and page.count('data-flagged="1"') == 5
    assert '<th scope="col" aria-sort="ascending">Component</th>' in page
    assert '<div class="tools" id="table-tools" hidden>' in page  # shown by the script only


def test_escapes_repository_text() -> None:
    hostile = "<script>alert(1)</script>\"'&"
    report = falco_report()
    comp = report.inventory.components[0]
    comp = replace(comp, evidence=(Evidence("a<b>.txt", 1, hostile, "x"),))
    others = report.inventory.components[1:]
    report = replace(
        report,
        inventory=replace(report.inventory, components=(comp, *others)),
        warnings=(hostile,),
        repository=RepoInfo("javascript:alert(1)", COMMIT, ""),
    )
    page = html.render(report)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;" in page
    assert "a&lt;b&gt;.txt:1" in page
    assert "javascript:" not in page
    assert page.count("<script>") == 1


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/x", "https://example.org/x"),
        ("http://example.org", "http://example.org"),
        ("javascript:alert(1)", None),
        ("data:text/html,x", None),
        ("https://", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url(url: str | None, expected: str | None) -> None:
    assert html.safe_url(url) == expected


@pytest.mark.parametrize(
    ("component_id", "expected"),
    [
        ("pypi:avocado-framework@69.0", "c-pypi-avocado-framework-69.0-cbe017c1"),
        ("source:driver", "c-source-driver-c0150397"),
    ],
)
def test_anchor(component_id: str, expected: str) -> None:
    assert html.anchor(component_id) == expected


def test_graph_view() -> None:
    graph = html.graph_view(falco_report())
    assert graph is not None
    assert (graph.width, graph.height, graph.focus, graph.omitted) == (1284.7, 230.0, 5, 0)
    assert [head for _, head in graph.columns] == [
        "CI jobs",
        "images",
        "Dockerfiles · manifests · build files",
        "with findings",
    ]
    assert [(b.id, b.label, b.x, b.y, b.focus, b.status) for b in graph.boxes] == [
        (TESTS_JOB, "circleci/tests-integration", 8.0, 124.0, False, ""),
        (TESTER_IMAGE, "falcosecurity/falco-tester:latest", 273.8, 124.0, False, "allowed"),
        ("dockerfile:docker/ubi/Dockerfile", "docker/ubi/Dockerfile", 590.7, 34.0, False, ""),
        (
            "dockerfile:docker/tester/Dockerfile",
            "docker/tester/Dockerfile",
            590.7,
            124.0,
            False,
            "",
        ),
        ("manifest:test/requirements.txt", "test/requirements.txt", 590.7, 160.0, False, ""),
        (
            "build-file:cmake/modules/falcosecurity-libs.cmake",
            "cmake/modules/falcosecurity-libs.cmake",
            590.7,
            196.0,
            False,
            "",
        ),
        (UBI, "registry.access.redhat.com/ubi8/ubi:latest", 950.1, 34.0, True, "needs-exception"),
        (DRIVER, "source:driver", 950.1, 70.0, True, "needs-exception"),
        (BPF, "source:driver/bpf", 950.1, 106.0, True, "needs-exception"),
        (AVOCADO, "pypi:avocado-framework@69.0", 950.1, 142.0, True, "not-required"),
        (LIBS, "download:github.com/falcosecurity/libs@0.…", 950.1, 178.0, True, "allowed"),
    ]
    assert [(line.src, line.dst, line.relation) for line in graph.lines] == [
        ("build-file:cmake/modules/falcosecurity-libs.cmake", LIBS, "bundles"),
        (TESTS_JOB, TESTER_IMAGE, "runs-in"),
        ("dockerfile:docker/tester/Dockerfile", AVOCADO, "installs"),
        ("dockerfile:docker/ubi/Dockerfile", UBI, "base"),
        (TESTER_IMAGE, "dockerfile:docker/tester/Dockerfile", "built-from"),
        ("manifest:test/requirements.txt", AVOCADO, "requires"),
    ]
    assert graph.lines[1].d == "M217.8,137.0 C245.8,137.0 245.8,137.0 269.8,137.0"


def test_graph_cap_keeps_the_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html, "MAX_GRAPH_NODES", 6)
    graph = html.graph_view(falco_report())
    assert graph is not None
    assert graph.omitted == 5
    assert {b.id for b in graph.boxes} == {
        UBI,
        DRIVER,
        BPF,
        AVOCADO,
        LIBS,
        "dockerfile:docker/ubi/Dockerfile",
    }


def test_no_graph_without_findings() -> None:
    report = small_report()
    report = replace(report, results=(), actions=())
    assert html.graph_view(report) is None
    assert 'id="graph"' not in html.render(report)


def test_chart_view() -> None:
    runs = [run_info(1, (2, 3, 1, 0), "abc"), run_info(2, (0, 3, 0, 1)), run_info(3, (0, 0, 0, 0))]
    chart = html.chart_view(runs)
    assert chart is not None
    assert (chart.width, chart.height, chart.plot_bottom, chart.omitted) == (320.0, 220.0, 174.0, 0)
    assert chart.ticks == ((174.0, 0), (120.0, 2), (66.0, 4), (12.0, 6))
    assert [(b.run, b.label, b.x, b.total, b.commit) for b in chart.bars] == [
        (1, "2026-01-01", 62, 6, "abc"),
        (2, "2026-02-01", 108, 4, ""),
        (3, "2026-03-01", 154, 0, ""),
    ]
    assert [(s.status, s.count, s.y, s.h) for s in chart.bars[0].segments] == [
        ("denied", 2, 120.0, 54.0),
        ("needs-exception", 3, 39.0, 81.0),
        ("unknown", 1, 12.0, 27.0),
    ]
    assert html.chart_view([]) is None


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (1, (0, 1)),
        (4, (0, 1, 2, 3, 4)),
        (7, (0, 2, 4, 6, 8)),
        (12, (0, 5, 10, 15)),
        (40, (0, 10, 20, 30, 40)),
    ],
)
def test_ticks(top: int, ticks: tuple[int, ...]) -> None:
    assert html._ticks(top) == ticks


def test_chart_in_the_page() -> None:
    page = html.render(small_report(), history=[run_info(1, (2, 3, 1, 0), "abc123")])
    assert "<title>run 1, 2026-01-01, commit abc123: 2 denied, 3 needs exception, " in page
    assert "1 unknown license</title>" in page
    assert '<rect class="seg-denied" x="62.0" y="120.0" width="28" height="54.0"/>' in page


def test_scan_with_history_writes_the_chart(tmp_path: Path) -> None:
    tree = tmp_path / "svc"
    tree.mkdir()
    (tree / "requirements.txt").write_text("left-pad==1.0\n", encoding="utf-8")
    db, out = tmp_path / "h.sqlite", tmp_path / "report.html"
    args = ["scan", str(tree), "--offline", "--cache-dir", str(tmp_path / "cache")]
    for _ in range(2):
        code = main([*args, "--history", str(db), "--format", "html", "--output", str(out)])
        assert code == 0
    page = out.read_text(encoding="utf-8")
    assert 'id="history"' in page
    assert page.count('<g class="bar" data-run="') == 2
    assert main([*args, "--format", "html", "--output", str(out)]) == 0
    assert 'id="history"' not in out.read_text(encoding="utf-8")


def test_history_reaches_html_through_the_registry_only() -> None:
    """The CLI renders every format through report/registry.py: ``history`` goes to html."""
    history = [run_info(1, (1, 0, 0, 0))]
    assert render("html", falco_report(), history=history) == html.render(
        falco_report(), history=history
    )
    assert render("html", falco_report(), history=history) != render("html", falco_report())
    assert render("json", falco_report(), history=history) == render("json", falco_report())


def test_graph_filters_by_decision() -> None:
    """The graph draws what the decisions are about; a select shows what leads to one."""
    page = html.render(falco_report())
    assert '<select id="graph-filter">' in page
    assert (
        '<option value="image:registry.access.redhat.com/ubi8/ubi:latest">needs-exception: '
        "replace image:registry.access.redhat.com/ubi8/ubi:latest</option>"
    ) in page
    view = html.graph_view(falco_report())
    assert view is not None
    boxes = {b.id: b for b in view.boxes}
    assert boxes[AVOCADO].leads == (AVOCADO,)
    assert f'data-id="{AVOCADO}" data-for="{AVOCADO}"' in page

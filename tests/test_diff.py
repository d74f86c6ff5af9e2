"""depaudit diff: what changed between two recorded runs, in text, JSON and Markdown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from audit.cli import main
from audit.diff import ActionRef, ComponentRef, NodeRef, VerdictChange, diff_documents
from audit.history import RunInfo
from audit.report import diff as render

EXAMPLE = Path(__file__).parent.parent / "examples" / "falco-2023"


def info(run_id: int, when: str, commit: str | None = None) -> RunInfo:
    return RunInfo(
        id=run_id,
        recorded_at=when,
        root="falco",
        project="Falco",
        commit=commit,
        commit_date=None,
        remote=None,
        tool_version="0.1.0",
        policy="cncf",
        policy_read_on="2025-01-01",
        as_of=None,
        worst="denied",
        components=0,
        by_status=(),
        by_action=(),
    )


def comp(cid: str, status: str | None, lic: str | None = "MIT") -> dict[str, Any]:
    return {
        "id": cid,
        "kind": "package",
        "license": {"expression": lic},
        "verdict": None if status is None else {"status": status},
    }


def doc(
    comps: list[dict[str, Any]], nodes: list[str], actions: list[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "schema": "depaudit/report/1",
        "components": comps,
        "graph": {"nodes": [{"id": n, "kind": n.split(":")[0], "name": n} for n in nodes]},
        "actions": [{"kind": k, "target": t, "because": f"because {t}"} for k, t in actions],
    }


BEFORE = doc(
    [
        comp("pypi:avocado@69", "not-required", "GPL-2.0-or-later"),
        comp("pypi:requests@2", "allowed", "Apache-2.0"),
        comp("image:ubi:8", "needs-exception", "LicenseRef-UBI"),
        comp("npm:left-pad@1", "unknown", None),
    ],
    ["ci-job:circleci/tests", "manifest:test/requirements.txt"],
    [("remove", "pypi:avocado@69"), ("replace", "image:ubi:8"), ("review", "npm:left-pad@1")],
)
AFTER = doc(
    [
        comp("pypi:requests@2", "allowed", "Apache-2.0"),
        comp("image:ubi:8", "allowed-by-exception", "LicenseRef-UBI"),
        comp("npm:left-pad@1", "allowed", "MIT"),
        comp("go:golang.org/x/net@0.1", "allowed", "BSD-3-Clause"),
    ],
    ["manifest:test/requirements.txt", "dockerfile:Dockerfile"],
    [("review", "npm:left-pad@1"), ("elect", "go:golang.org/x/net@0.1")],
)
A = info(4, "2026-01-05T06:00:00+00:00", "4f6ea9d1c3b2a5e7f8091a2b")
B = info(5, "2026-01-12T06:00:00+00:00")


def test_diff_documents() -> None:
    d = diff_documents(BEFORE, AFTER, A, B)
    assert d.components_added == (
        ComponentRef("go:golang.org/x/net@0.1", "package", "BSD-3-Clause", "allowed"),
    )
    assert d.components_removed == (
        ComponentRef("pypi:avocado@69", "package", "GPL-2.0-or-later", "not-required"),
    )
    assert d.nodes_added == (
        NodeRef("dockerfile:Dockerfile", "dockerfile", "dockerfile:Dockerfile"),
    )
    assert d.nodes_removed == (NodeRef("ci-job:circleci/tests", "ci-job", "ci-job:circleci/tests"),)
    assert d.verdicts_changed == (
        VerdictChange(
            "image:ubi:8",
            "needs-exception",
            "allowed-by-exception",
            "LicenseRef-UBI",
            "LicenseRef-UBI",
        ),
        VerdictChange("npm:left-pad@1", "unknown", "allowed", None, "MIT"),
    )
    assert d.actions_new == (
        ActionRef(
            "elect:go:golang.org/x/net@0.1",
            "elect",
            "go:golang.org/x/net@0.1",
            "because go:golang.org/x/net@0.1",
        ),
    )
    assert [a.key for a in d.actions_resolved] == [
        "remove:pypi:avocado@69",
        "replace:image:ubi:8",
    ]
    assert not d.empty


@pytest.mark.parametrize(
    ("before", "after", "empty"),
    [
        (BEFORE, BEFORE, True),
        ({}, {}, True),
        ({"components": "junk", "actions": [1, {"kind": 2}], "graph": []}, {}, True),
        (doc([comp("a:b", None)], [], []), doc([comp("a:b", "allowed")], [], []), False),
    ],
)
def test_diff_documents_is_total(
    before: dict[str, Any], after: dict[str, Any], empty: bool
) -> None:
    assert diff_documents(before, after, A, B).empty is empty


def test_render_text() -> None:
    assert render.render_text(diff_documents(BEFORE, AFTER, A, B)) == (
        "depaudit diff: run 4 -> run 5\n"
        "  before: run 4  2026-01-05T06:00:00+00:00  commit 4f6ea9d1c3b2  falco\n"
        "  after:  run 5  2026-01-12T06:00:00+00:00  falco\n"
        "\n"
        "Components removed (1)\n"
        "  - pypi:avocado@69  not-required\n"
        "\n"
        "Components added (1)\n"
        "  + go:golang.org/x/net@0.1  allowed\n"
        "\n"
        "Consumers removed (1)\n"
        "  - ci-job:circleci/tests\n"
        "\n"
        "Consumers added (1)\n"
        "  + dockerfile:Dockerfile\n"
        "\n"
        "Verdicts changed (2)\n"
        "  ~ image:ubi:8     needs-exception -> allowed-by-exception\n"
        "  ~ npm:left-pad@1  unknown -> allowed (license unknown -> MIT)\n"
        "\n"
        "New actions (1)\n"
        "  + elect  go:golang.org/x/net@0.1\n"
        "\n"
        "Resolved actions (2)\n"
        "  - remove   pypi:avocado@69\n"
        "  - replace  image:ubi:8\n"
    )
    assert render.render_text(diff_documents(AFTER, AFTER, A, B)).endswith("\n\nNo changes.\n")


def test_render_markdown() -> None:
    assert render.render_markdown(diff_documents(BEFORE, AFTER, A, B)) == (
        "## depaudit diff: run 4 → run 5\n"
        "\n"
        "- before: run 4 · 2026-01-05T06:00:00+00:00 · commit `4f6ea9d1c3b2` · `falco`\n"
        "- after: run 5 · 2026-01-12T06:00:00+00:00 · `falco`\n"
        "\n"
        "| change | count |\n"
        "|:--|--:|\n"
        "| components removed | 1 |\n"
        "| components added | 1 |\n"
        "| consumers removed | 1 |\n"
        "| consumers added | 1 |\n"
        "| verdicts changed | 2 |\n"
        "| new actions | 1 |\n"
        "| resolved actions | 2 |\n"
        "\n"
        "### Components removed (1)\n"
        "\n"
        "| component | license | verdict |\n"
        "|:--|:--|:--|\n"
        "| `pypi:avocado@69` | GPL-2.0-or-later | not-required |\n"
        "\n"
        "### Components added (1)\n"
        "\n"
        "| component | license | verdict |\n"
        "|:--|:--|:--|\n"
        "| `go:golang.org/x/net@0.1` | BSD-3-Clause | allowed |\n"
        "\n"
        "### Consumers removed (1)\n"
        "\n"
        "- `ci-job:circleci/tests`\n"
        "\n"
        "### Consumers added (1)\n"
        "\n"
        "- `dockerfile:Dockerfile`\n"
        "\n"
        "### Verdicts changed (2)\n"
        "\n"
        "| component | before | after | license |\n"
        "|:--|:--|:--|:--|\n"
        "| `image:ubi:8` | needs-exception | allowed-by-exception | LicenseRef-UBI |\n"
        "| `npm:left-pad@1` | unknown | allowed | unknown → MIT |\n"
        "\n"
        "### New actions (1)\n"
        "\n"
        "- **elect** `go:golang.org/x/net@0.1`: because go:golang.org/x/net@0.1\n"
        "\n"
        "### Resolved actions (2)\n"
        "\n"
        "- **remove** `pypi:avocado@69`: because pypi:avocado@69\n"
        "- **replace** `image:ubi:8`: because image:ubi:8\n"
    )


def test_render_json() -> None:
    out = json.loads(render.render_json(diff_documents(BEFORE, AFTER, A, B)))
    assert list(out) == [
        "schema",
        "before",
        "after",
        "summary",
        "components",
        "nodes",
        "verdicts_changed",
        "actions",
    ]
    assert out["schema"] == "depaudit/diff/1"
    assert out["before"]["id"] == 4 and out["after"]["commit"] is None
    assert out["summary"] == {
        "components_added": 1,
        "components_removed": 1,
        "nodes_added": 1,
        "nodes_removed": 1,
        "verdicts_changed": 2,
        "actions_new": 1,
        "actions_resolved": 2,
    }
    assert out["verdicts_changed"][1] == {
        "id": "npm:left-pad@1",
        "before": "unknown",
        "after": "allowed",
        "license_before": None,
        "license_after": "MIT",
    }
    assert out["actions"]["resolved"][0] == {
        "key": "remove:pypi:avocado@69",
        "kind": "remove",
        "target": "pypi:avocado@69",
        "because": "because pypi:avocado@69",
    }


# The example, before and after removing the avocado files ---------------------------------


def drop_yaml_blocks(text: str, keys: set[str]) -> str:
    """``text`` without the YAML entries (mapping keys or list items) named in ``keys``,
    each with everything indented under it."""
    out: list[str] = []
    skip: int | None = None
    for line in text.splitlines(keepends=True):
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if skip is not None:
            if not body.strip() or indent > skip:
                continue
            skip = None
        if body.strip().removeprefix("- ").removesuffix(":") in keys:
            skip = indent
            continue
        out.append(line)
    return "".join(out)


AVOCADO_JOBS = {"tests-integration", "tests-integration-static", "tests-integration-arm64"}


def without_avocado(tree: Path) -> None:
    """What the Falco maintainers did: the tester image, its requirements, the three CI jobs
    that ran it, and the decision to remove avocado, gone."""
    shutil.rmtree(tree / "docker" / "tester")
    (tree / "test" / "requirements.txt").unlink()
    cfg = tree / ".circleci" / "config.yml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(
        drop_yaml_blocks(text, {*AVOCADO_JOBS, "tester_defaults: &tester_defaults"}),
        encoding="utf-8",
    )
    conf = tree / ".depaudit.toml"
    text = conf.read_text(encoding="utf-8")
    assert 'remove = ["avocado-framework"]\n' in text
    conf.write_text(text.replace('remove = ["avocado-framework"]\n', ""), encoding="utf-8")


def test_drop_yaml_blocks() -> None:
    text = (
        "jobs:\n  a:\n    steps: [x]\n\n  b:\n    steps: [y]\n"
        "workflows:\n  w:\n    jobs:\n      - a:\n          requires:\n            - b\n"
        "      - b\n      - c:\n          requires:\n            - a\n"
    )
    assert drop_yaml_blocks(text, {"a"}) == (
        "jobs:\n  b:\n    steps: [y]\nworkflows:\n  w:\n    jobs:\n      - b\n      - c:\n"
        "          requires:\n"
    )


def test_diff_of_the_example_after_removing_avocado(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(EXAMPLE, before)
    shutil.copytree(EXAMPLE, after)
    without_avocado(after)
    db = tmp_path / "history.sqlite"
    cache = tmp_path / "cache"
    for tree in (before, after):
        code = main(
            ["scan", str(tree), "--offline", "--cache-dir", str(cache), "--history", str(db)]
        )
        assert code == 1  # the UBI base image stays denied
    capsys.readouterr()

    assert main(["diff", "--db", str(db), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["before"]["id"], out["after"]["id"]) == (1, 2)
    assert (out["before"]["root"], out["after"]["root"]) == (str(before), str(after))
    assert [c["id"] for c in out["components"]["removed"]] == [
        "image:falcosecurity/falco-tester:latest",
        "image:fedora:31",
        "pypi:avocado-framework-plugin-varianter-yaml-to-mux@69.0",
        "pypi:avocado-framework@69.0",
        "rpm:fedora/docker",
        "rpm:fedora/findutils",
        "rpm:fedora/jq",
        "rpm:fedora/python",
        "rpm:fedora/python-pip",
        "rpm:fedora/unzip",
    ]
    assert out["components"]["added"] == []
    assert [n["id"] for n in out["nodes"]["removed"]] == [
        "ci-job:circleci/tests-integration",
        "ci-job:circleci/tests-integration-arm64",
        "ci-job:circleci/tests-integration-static",
        "dockerfile:docker/tester/Dockerfile",
        "manifest:test/requirements.txt",
    ]
    assert out["nodes"]["added"] == []
    assert out["verdicts_changed"] == []
    assert out["actions"]["new"] == []
    assert [a["key"] for a in out["actions"]["resolved"]] == ["remove:pypi:avocado-framework@69.0"]

    assert main(["diff", "1", "2", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "\nResolved actions (1)\n  - remove  pypi:avocado-framework@69.0\n" in text
    assert "  - pypi:avocado-framework@69.0" in text
    assert "  - image:falcosecurity/falco-tester:latest" in text

    assert main(["history", "--db", str(db), "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["id"] for r in runs] == [1, 2]
    assert runs[1]["components"] == runs[0]["components"] - 10
    assert runs[1]["actions"] == runs[0]["actions"] - 1
    assert runs[1]["by_action"]["remove"] == runs[0]["by_action"]["remove"] - 1 == 0

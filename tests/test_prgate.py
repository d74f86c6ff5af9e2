"""The pull-request gate, ``depaudit scan --base REF`` (issue 16, item 3).

The kernel module driver/main.c (``SPDX-License-Identifier: GPL-2.0-only OR MIT`` on line 1,
``MODULE_LICENSE("GPL")`` on line 3) needs an exception under the CNCF policy: a
``request-exception`` decision for ``source:driver``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tree_helpers import git, write

from audit.cli import main

DRIVER_C = (
    "// SPDX-License-Identifier: GPL-2.0-only OR MIT\n"
    "#include <linux/module.h>\n"
    'MODULE_LICENSE("GPL");\n'
)
README = "# service\n"


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = write(tmp_path / "repo", files)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def _scan(root: Path, *extra: str) -> int:
    return main(["scan", str(root), "--offline", *extra])


def test_a_new_decision_fails_and_the_report_says_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo(tmp_path, {"README.md": README})
    (root / "driver").mkdir()
    (root / "driver" / "main.c").write_text(DRIVER_C, encoding="utf-8")  # the pull request
    assert _scan(root, "--base", "HEAD") == 1
    out = capsys.readouterr().out
    diff = out[out.index("depaudit scan --base HEAD: ") :]
    assert diff.splitlines()[4:] == [
        "Components added (1)",
        "  + source:driver  needs-exception",
        "",
        "New actions (1)",
        "  + request-exception  source:driver",
    ]


def test_what_the_base_already_had_does_not_fail(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"README.md": README, "driver/main.c": DRIVER_C})
    assert _scan(root) == 1  # without --base the known debt fails the run
    assert _scan(root, "--base", "HEAD") == 0
    out = tmp_path / "r.json"
    assert _scan(root, "--base", "HEAD", "-o", str(out)) == 0
    actions = json.loads(out.read_text())["actions"]
    assert [(a["kind"], a["properties"]["new"]) for a in actions] == [("request-exception", "no")]


def test_a_removal_is_a_resolved_action(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _repo(tmp_path, {"README.md": README, "driver/main.c": DRIVER_C})
    (root / "driver" / "main.c").unlink()
    assert _scan(root, "--base", "HEAD", "-f", "markdown") == 0
    out = capsys.readouterr().out
    assert "## depaudit scan --base HEAD: " in out
    assert "source:driver" in out[out.index("Components removed") :]
    assert "Resolved actions" in out


def test_a_subdirectory_is_compared_with_itself(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"svc/README.md": README, "driver/main.c": DRIVER_C})
    # the kernel module outside svc/ is not part of svc's audit, then or now
    assert _scan(root / "svc", "--base", "HEAD") == 0
    (root / "svc" / "mod").mkdir()
    (root / "svc" / "mod" / "main.c").write_text(DRIVER_C, encoding="utf-8")
    assert _scan(root / "svc", "--base", "HEAD") == 1


def test_nothing_from_the_base_runs(tmp_path: Path) -> None:
    """A filter driver the repository configures for every path (.gitattributes) would run
    on `git archive`; depaudit turns every configured driver off."""
    marker = tmp_path / "ran"
    root = _repo(tmp_path, {"README.md": README, ".gitattributes": "* filter=evil\n"})
    git(root, "config", "filter.evil.smudge", f"touch {marker}; cat")
    git(root, "config", "filter.evil.clean", f"touch {marker}; cat")
    marker.unlink(missing_ok=True)
    assert _scan(root, "--base", "HEAD") == 0
    assert not marker.exists()


@pytest.mark.parametrize(
    ("where", "argv", "message"),
    [
        ("repo", ["--base", "no-such-branch"], "--base 'no-such-branch' names no commit"),
        ("plain", ["--base", "HEAD"], "--base needs a git work tree"),
        ("repo", ["--base", "HEAD", "--baseline", "r.json"], "--base and --baseline"),
    ],
)
def test_bad_base_is_one_line_and_exit_2(
    tmp_path: Path,
    where: str,
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if where == "repo":
        root = _repo(tmp_path, {"README.md": README})
    else:
        root = tmp_path / "plain"
        root.mkdir()
    assert _scan(root, *argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err

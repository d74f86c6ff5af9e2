"""The CI entry points: the composite GitHub Action (action.yml) and the pre-commit hook."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).parent.parent


def _action() -> dict[str, Any]:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def _step(action: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in action["runs"]["steps"] if s["name"] == name)


def test_action_shape() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    for name in ("policy", "fail-on", "baseline", "formats", "history", "offline"):
        assert name in action["inputs"], name
    assert action["inputs"]["fail-on"]["default"] == "needs-exception"
    assert [s["name"] for s in action["runs"]["steps"]] == [
        "Set up Python",
        "Install depaudit",
        "Audit",
        "Upload SARIF to code scanning",
        "Job summary",
        "Result",
    ]
    assert _step(action, "Upload SARIF to code scanning")["uses"] == (
        "github/codeql-action/upload-sarif@v3"
    )
    assert "GITHUB_STEP_SUMMARY" in _step(action, "Job summary")["run"]
    # Inputs reach the scripts through the environment only, never by template expansion.
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]


def _run_audit_step(
    tmp_path: Path, step: str = "Audit", **inputs: str
) -> tuple[int, dict[str, str], Path]:
    """Run a step's script as the runner would, with depaudit from this checkout."""
    runner_temp = tmp_path / "runner"
    bin_dir = runner_temp / "depaudit-venv" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "depaudit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m audit "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    out_file = tmp_path / "github_output"
    out_file.write_text("", encoding="utf-8")
    action = _action()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(out_file),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "DEPAUDIT_CACHE_DIR": str(tmp_path / "cache"),
    }
    for name, spec in action["inputs"].items():
        env[f"IN_{name.upper().replace('-', '_')}"] = inputs.get(name, spec.get("default", ""))
    script = _step(action, step)["run"]
    proc = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    outputs = dict(
        line.split("=", 1) for line in out_file.read_text(encoding="utf-8").splitlines() if line
    )
    return proc.returncode, outputs, tmp_path / inputs.get("output-dir", "depaudit-report")


def test_audit_step_writes_the_reports(tmp_path: Path) -> None:
    tree = tmp_path / "svc"
    tree.mkdir()
    (tree / "requirements.txt").write_text("left-pad==1.0\n", encoding="utf-8")
    code, outputs, out_dir = _run_audit_step(
        tmp_path, path="svc", offline="true", formats="json, html", history="h.sqlite"
    )
    assert code == 0
    assert outputs == {
        "exit-code": "0",
        "report-dir": "depaudit-report",
        "sarif": "depaudit-report/depaudit.sarif",
    }
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "depaudit.html",
        "depaudit.json",
        "depaudit.md",
        "depaudit.sarif",
    ]
    assert (tmp_path / "h.sqlite").is_file()
    assert 'id="history"' in (out_dir / "depaudit.html").read_text(encoding="utf-8")


def test_audit_step_reports_findings_and_errors(tmp_path: Path) -> None:
    tree = tmp_path / "svc"
    tree.mkdir()
    (tree / "requirements.txt").write_text("left-pad==1.0\n", encoding="utf-8")
    # The downloaded json's license is unknown only because --offline made no lookup: a
    # note, which decides a --strict run only (it is distributed).
    (tree / "CMakeLists.txt").write_text(
        'ExternalProject_Add(njson URL "https://github.com/nlohmann/json/archive/v3.11.2.tar.gz")\n',
        encoding="utf-8",
    )
    code, outputs, _ = _run_audit_step(
        tmp_path, path="svc", offline="true", **{"fail-on": "unknown"}
    )
    assert (code, outputs["exit-code"]) == (0, "0")
    code, outputs, _ = _run_audit_step(tmp_path, path="svc", offline="true", args="--strict")
    assert (code, outputs["exit-code"]) == (0, "1")
    code, outputs, _ = _run_audit_step(tmp_path, path="missing", offline="true")
    assert (code, outputs["exit-code"]) == (0, "2")
    code, outputs, _ = _run_audit_step(tmp_path, path="svc", formats="pdf")
    assert (code, outputs) == (2, {})


@pytest.fixture(scope="module")
def hook() -> dict[str, Any]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in hooks] == ["depaudit"]
    return hooks[0]


def test_hook(hook: dict[str, Any]) -> None:
    assert hook["entry"] == "depaudit scan --offline"
    assert (hook["language"], hook["pass_filenames"]) == ("python", False)


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("pyproject.toml", True),
        ("test/requirements.txt", True),
        ("requirements-dev.in", True),
        ("docker/tester/Dockerfile", True),
        ("Dockerfile.ubi", True),
        ("build/app.dockerfile", True),
        (".circleci/config.yml", True),
        (".github/workflows/ci.yaml", True),
        (".gitlab-ci.yml", True),
        ("cmake/modules/njson.cmake", True),
        ("CMakeLists.txt", True),
        (".depaudit.toml", True),
        (".depaudit/curations.toml", True),
        ("COPYING", True),
        ("driver/LICENSE.GPL", True),
        ("src/main.c", False),
        ("README.md", False),
        ("docs/workflows.yml", False),
    ],
)
def test_hook_files(hook: dict[str, Any], path: str, runs: bool) -> None:
    assert bool(re.search(hook["files"], path)) is runs


def test_job_summary_says_what_changed(tmp_path: Path) -> None:
    tree = tmp_path / "svc"
    tree.mkdir()
    (tree / "requirements.txt").write_text("left-pad==1.0\n", encoding="utf-8")
    inputs = {"path": "svc", "offline": "true", "history": "h.sqlite"}
    _run_audit_step(tmp_path, **inputs)
    code, _, _ = _run_audit_step(tmp_path, step="Job summary", **inputs)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert code == 0 and summary.startswith("## depaudit: `svc`\n")
    assert "depaudit diff" not in summary  # one run: nothing to compare yet

    (tree / "requirements.txt").write_text("left-pad==1.0\nright-pad==2.0\n", encoding="utf-8")
    _run_audit_step(tmp_path, **inputs)
    (tmp_path / "summary.md").write_text("", encoding="utf-8")
    code, _, _ = _run_audit_step(tmp_path, step="Job summary", **inputs)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert code == 0
    assert "\n## depaudit diff: run 1 → run 2\n" in summary
    assert "| components added | 1 |" in summary

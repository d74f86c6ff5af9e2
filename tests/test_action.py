"""The CI entry points: the composite GitHub Action (action.yml) and the pre-commit hook."""

from __future__ import annotations

import json
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
        "Cache pip downloads",
        "Locate the history database",
        "Restore the history database",
        "Install depaudit",
        "Audit",
        "Upload SARIF to code scanning",
        "Save the history database",
        "Job summary",
        "Result",
    ]
    assert _step(action, "Upload SARIF to code scanning")["uses"] == (
        "github/codeql-action/upload-sarif@ff0a06e83cb2de871e5a09832bc6a81e7276941f"
    )
    # third-party actions are pinned by commit SHA
    for step in action["runs"]["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
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
    if not (bin_dir / "depaudit").exists():  # else: a real install (see _install_step)
        shim = bin_dir / "depaudit"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m audit "$@"\n', encoding="utf-8")
        shim.chmod(0o755)
        python = bin_dir / "python"
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
        python.chmod(0o755)
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
    values = _inputs(action, inputs)

    for name, value in values.items():
        env[f"IN_{name.upper().replace('-', '_')}"] = value
    env.update(_step_env(_step(action, step), values, tmp_path))
    script = _step(action, step)["run"]
    proc = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    outputs = dict(
        line.split("=", 1) for line in out_file.read_text(encoding="utf-8").splitlines() if line
    )
    return proc.returncode, outputs, tmp_path / inputs.get("output-dir", "depaudit-report")


_TEMPLATE = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def _inputs(action: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    """Every input: as given, else its default with the runner's contexts (outside a pull
    request: no event, so ``github.event.pull_request.base.sha`` is empty)."""
    out = {}
    for name, spec in action["inputs"].items():
        default = _TEMPLATE.sub(lambda m: "", str(spec.get("default", "")))
        out[name] = given.get(name, default)
    return out


def _step_env(step: dict[str, Any], inputs: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The step's ``env:`` as the runner would set it, for the contexts the action uses."""
    context = {f"inputs.{k}": v for k, v in inputs.items()}
    context["github.action_path"] = str(REPO)
    history = inputs.get("history", "")
    if inputs.get("cache-history") == "true" and not history:
        history = str(tmp_path / "runner" / "depaudit-history" / "history.sqlite")
    context["steps.history.outputs.db"] = history
    out: dict[str, str] = {}
    for key, template in (step.get("env") or {}).items():
        out[key] = _TEMPLATE.sub(lambda m: context.get(m[1], ""), str(template))
    return out


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


def test_args_split_like_a_shell_and_never_expanded(tmp_path: Path) -> None:
    tree = tmp_path / "svc"
    (tree / "my docs").mkdir(parents=True)
    (tree / "requirements.txt").write_text("left-pad==1.0\n", encoding="utf-8")
    (tree / "my docs" / "requirements.txt").write_text("right-pad==2.0\n", encoding="utf-8")
    args = "--exclude 'my docs/*' --project \"$(touch pwned) *\""
    code, outputs, out_dir = _run_audit_step(
        tmp_path, path="svc", offline="true", formats="json", args=args
    )
    assert (code, outputs["exit-code"]) == (0, "0")
    doc = json.loads((out_dir / "depaudit.json").read_text(encoding="utf-8"))
    assert doc["project"] == "$(touch pwned) *"  # one word, as written
    assert [c["id"] for c in doc["components"]] == ["pypi:left-pad@1.0"]  # 'my docs/*' excluded
    assert not (tmp_path / "pwned").exists()


def test_args_with_an_unclosed_quote_fail_the_step(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    code, outputs, _ = _run_audit_step(tmp_path, path="svc", offline="true", args="--project 'x")
    assert (code, outputs) == (2, {})


def _readme_yaml() -> list[dict[str, Any]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    return [yaml.safe_load(b) for b in blocks]


def _readme_steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for doc in _readme_yaml():
        for job in (doc.get("jobs") or {}).values() if isinstance(doc, dict) else ():
            steps.extend(job.get("steps", []))
    return steps


def _resolves_here(ref: str) -> bool:
    for candidate in (ref, f"origin/{ref}"):
        proc = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"],
            capture_output=True,
        )
        if proc.returncode == 0:
            return True
    return False


def test_readme_snippets_resolve_against_this_repository() -> None:
    """Every `uses: depaudit/depaudit@REF` and the pre-commit `rev:` name a commit of this
    repository; third-party actions are pinned by commit SHA; every `with:` key is an input."""
    inside = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--git-dir"], capture_output=True)
    if inside.returncode != 0:
        pytest.skip("not a git checkout of depaudit (an unpacked source tree): no refs to check")
    inputs = set(_action()["inputs"])
    ours = [s for s in _readme_steps() if str(s.get("uses", "")).startswith("depaudit/depaudit@")]
    assert len(ours) >= 3
    for step in ours:
        assert _resolves_here(step["uses"].split("@", 1)[1]), step["uses"]
        assert set(step.get("with", {})) <= inputs, step
    for step in _readme_steps():
        uses = str(step.get("uses", ""))
        if uses and not uses.startswith("depaudit/depaudit@"):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), uses
    hooks = [d for d in _readme_yaml() if isinstance(d, dict) and "repos" in d]
    assert len(hooks) == 1
    (repo,) = hooks[0]["repos"]
    assert repo["repo"] == "https://github.com/depaudit/depaudit"
    assert _resolves_here(repo["rev"]), repo["rev"]
    assert [h["id"] for h in repo["hooks"]] == ["depaudit"]


def test_readme_precommit_snippet_runs_the_hook(tmp_path: Path) -> None:
    """The hook the snippet names, run as pre-commit runs it (its entry, no file names)."""
    (hook_def,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    tree = tmp_path / "svc"
    (tree / "src").mkdir(parents=True)
    (tree / "src" / "main.c").write_text("// SPDX-License-Identifier: Apache-2.0\n")
    entry = hook_def["entry"].split()
    assert entry[0] == "depaudit"
    proc = subprocess.run(
        [sys.executable, "-m", "audit", *entry[1:]],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(REPO), "DEPAUDIT_CACHE_DIR": str(tmp_path / "c")},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def _install_step(tmp_path: Path, **inputs: str) -> None:
    """The Install step as written: a venv in RUNNER_TEMP and a non-editable pip install of
    this checkout (with the extras the formats need)."""
    action = _action()
    values = _inputs(action, inputs)
    step = _step(action, "Install depaudit")
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path / "runner")}
    env.pop("PYTHONPATH", None)
    env.update(_step_env(step, values, tmp_path))
    (tmp_path / "runner").mkdir(exist_ok=True)
    proc = subprocess.run(
        ["bash", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_readme_release_gate_through_the_action_steps(tmp_path: Path) -> None:
    """The README's pre-release gate, its `with:` as written, through the Install (non-editable,
    into a fresh venv) and Audit steps: the SBOM formats get the sbom extra and are written."""
    (gate,) = [
        s
        for doc in _readme_yaml()
        if isinstance(doc, dict) and "license-gate" in (doc.get("jobs") or {})
        for s in doc["jobs"]["license-gate"]["steps"]
        if str(s.get("uses", "")).startswith("depaudit/depaudit@")
    ]
    inputs = {k: str(v) for k, v in gate["with"].items()}
    assert "cyclonedx" in inputs["formats"] and "spdx" in inputs["formats"]
    tree = tmp_path / "src"  # first-party code only: nothing to look up on the network
    tree.mkdir()
    (tree / "main.c").write_text("// SPDX-License-Identifier: Apache-2.0\nint main(void);\n")
    _install_step(tmp_path, **inputs)
    installed = tmp_path / "runner" / "depaudit-venv"
    assert not list(installed.glob("lib/python*/site-packages/__editable__*"))
    code, outputs, out_dir = _run_audit_step(tmp_path, path="src", **inputs)
    assert (code, outputs["exit-code"]) == (0, "0")
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "depaudit.cdx.json",
        "depaudit.html",
        "depaudit.json",
        "depaudit.md",
        "depaudit.sarif",
        "depaudit.spdx.json",
    ]
    assert json.loads((out_dir / "depaudit.cdx.json").read_text())["bomFormat"] == "CycloneDX"


@pytest.mark.parametrize(
    ("inputs", "db"),
    [
        ({}, ""),
        ({"history": "h.sqlite"}, "h.sqlite"),
        ({"cache-history": "true"}, "{temp}/depaudit-history/history.sqlite"),
        ({"cache-history": "true", "history": "/data/h.sqlite"}, "/data/h.sqlite"),
    ],
)
def test_history_database_lives_outside_the_checkout(
    tmp_path: Path, inputs: dict[str, str], db: str
) -> None:
    if db.startswith("/data"):
        db = str(tmp_path / "data" / "h.sqlite")
        inputs = {**inputs, "history": db}
    code, outputs, _ = _run_audit_step(tmp_path, step="Locate the history database", **inputs)
    assert code == 0
    assert outputs == {"db": db.replace("{temp}", str(tmp_path / "runner"))}
    step = _step(_action(), "Restore the history database")
    assert step["with"]["path"] == "${{ steps.history.outputs.db }}"


def test_base_input_gates_a_pull_request(tmp_path: Path) -> None:
    """The Audit step passes `base` on as --base: the base's own debt does not fail.

    A download whose license nothing states is an add-curation decision (unknown)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e.org"}
    env.update(GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e.org")
    tree = tmp_path / "svc"
    tree.mkdir()
    zlib = 'ExternalProject_Add(zlib URL "https://zlib.net/zlib-1.3.tar.gz")\n'
    (tree / "CMakeLists.txt").write_text(zlib, encoding="utf-8")
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "base"]):
        subprocess.run(["git", "-C", str(tree), *cmd], check=True, env=env, capture_output=True)
    unknown = {"fail-on": "unknown", "offline": "true", "path": "svc"}
    code, outputs, _ = _run_audit_step(tmp_path, **unknown)
    assert (code, outputs["exit-code"]) == (0, "1")  # no base outside a pull request
    code, outputs, out_dir = _run_audit_step(tmp_path, base="HEAD", **unknown)
    assert (code, outputs["exit-code"]) == (0, "0")
    assert "depaudit scan --base HEAD: " in (out_dir / "depaudit.md").read_text(encoding="utf-8")
    curl = 'ExternalProject_Add(curl URL "https://curl.se/download/curl-8.5.0.tar.gz")\n'
    (tree / "CMakeLists.txt").write_text(zlib + curl, encoding="utf-8")
    code, outputs, _ = _run_audit_step(tmp_path, base="HEAD", **unknown)
    assert (code, outputs["exit-code"]) == (0, "1")
    code, outputs, _ = _run_audit_step(tmp_path, base="none", **unknown)
    assert (code, outputs["exit-code"]) == (0, "1")

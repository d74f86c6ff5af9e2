"""Nothing from the scanned tree is ever executed, imported or evaluated.

A tree full of traps: Python files that would write a marker when imported or run
(setup.py, conftest.py, modules named like depaudit's own dependencies), a git
configuration whose fsmonitor, hooks, filters and pager run a script, npm lifecycle
scripts, a Makefile. depaudit is run on it the ways users run it; no marker may appear.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tree_helpers import git

from audit.cli import main

TRAP_PY = 'import pathlib\npathlib.Path({marker!r}).write_text("ran")\n'
TRAP_SH = "#!/bin/sh\necho ran > {marker}\n"
HOOKS = (
    "pre-commit", "post-checkout", "post-index-change", "reference-transaction",
    "fsmonitor-watchman", "pre-auto-gc", "post-rewrite", "pre-push", "post-merge",
)  # fmt: skip
SHADOWED = ("yaml", "requests", "bashlex", "dockerfile", "license_expression", "packaging")


def _script(path: Path, marker: Path) -> Path:
    path.write_text(TRAP_SH.format(marker=marker))
    path.chmod(0o755)
    return path


@pytest.fixture
def trapped(tmp_path: Path) -> tuple[Path, Path]:
    """``(tree, markers)``: a git work tree full of traps, and where a sprung trap writes."""
    markers = tmp_path / "markers"
    markers.mkdir()
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("setup.py", "conftest.py", "noxfile.py", "sitecustomize.py", "usercustomize.py"):
        (tree / name).write_text(TRAP_PY.format(marker=str(markers / name)))
    for name in SHADOWED:
        (tree / f"{name}.py").write_text(TRAP_PY.format(marker=str(markers / f"{name}.py")))
    (tree / "requirements.txt").write_text("requests==2.31.0\n")
    (tree / "package.json").write_text(
        '{"name": "x", "scripts": {"preinstall": "echo ran > %s"}}' % (markers / "npm")
    )
    (tree / "Makefile").write_text(f"all:\n\techo ran > {markers / 'make'}\n")
    (tree / ".gitattributes").write_text("* filter=trap diff=trap\n")
    git(tree, "init", "-q")
    git(tree, "add", "requirements.txt")
    git(tree, "commit", "-q", "-m", "init")
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for key in (
        "core.fsmonitor", "core.pager", "core.editor", "core.sshCommand", "diff.external",
        "filter.trap.clean", "filter.trap.smudge", "filter.trap.process", "diff.trap.textconv",
        "core.alternateRefsCommand", "credential.helper",
    ):  # fmt: skip
        git(tree, "config", key, str(_script(scripts / key, markers / key)))
    hooks = tree / ".git" / "hooks"
    for hook in HOOKS:
        _script(hooks / hook, markers / f"hook-{hook}")
    custom = tmp_path / "custom-hooks"
    custom.mkdir()
    for hook in HOOKS:
        _script(custom / hook, markers / f"hooksPath-{hook}")
    git(tree, "config", "core.hooksPath", str(custom))
    (tree / "requirements.txt").write_text("requests==2.31.0\nflask==2.3.3\n")  # dirty tree
    return tree, markers


def _console_script() -> str:
    found = Path(sys.executable).parent / "depaudit"
    if found.exists():
        return str(found)
    which = shutil.which("depaudit")
    if which is None:
        pytest.skip("the depaudit console script is not installed")
    return which


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSAFEPATH")}
    env["DEPAUDIT_CACHE_DIR"] = str(tmp / "cache")
    return env


def test_the_traps_are_armed(trapped: tuple[Path, Path]) -> None:
    """Control: the traps do fire when the tree's git configuration or code is used."""
    tree, markers = trapped
    git(tree, "status")  # runs core.fsmonitor
    subprocess.run(
        [sys.executable, "-c", "import yaml"], cwd=tree, env=_env(tree.parent),
        capture_output=True, timeout=60,
    )  # fmt: skip
    assert {"core.fsmonitor", "yaml.py"} <= {p.name for p in markers.iterdir()}


def test_in_process_run_springs_no_trap(
    trapped: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree, markers = trapped
    monkeypatch.setenv("DEPAUDIT_CACHE_DIR", str(tree.parent / "cache"))
    assert main(["inventory", str(tree)]) == 0
    assert main(["scan", str(tree), "--offline", "--fail-on", "never", "-f", "json"]) == 0
    out = capsys.readouterr().out
    assert '"pypi:flask@2.3.3"' in out  # the tree was read
    assert sorted(p.name for p in markers.iterdir()) == []


def test_console_script_inside_the_tree_springs_no_trap(trapped: tuple[Path, Path]) -> None:
    """``depaudit`` run from the repository's own directory, as CI does."""
    tree, markers = trapped
    for argv in (["inventory", "."], ["scan", ".", "--offline", "--fail-on", "never"]):
        done = subprocess.run(
            [_console_script(), *argv], cwd=tree, env=_env(tree.parent),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    assert sorted(p.name for p in markers.iterdir()) == []


def test_python_dash_m_inside_the_tree_springs_no_trap(trapped: tuple[Path, Path]) -> None:
    """``python -m`` puts the working directory first on sys.path: the tree's yaml.py and
    requests.py must still not be imported."""
    tree, markers = trapped
    done = subprocess.run(
        [sys.executable, "-m", "audit", "inventory", "."], cwd=tree, env=_env(tree.parent),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in markers.iterdir()) == []


@pytest.mark.skipif(sys.version_info < (3, 11), reason="python -P is new in 3.11")
def test_python_safe_path_inside_the_tree_springs_no_trap(trapped: tuple[Path, Path]) -> None:
    tree, markers = trapped
    done = subprocess.run(
        [sys.executable, "-P", "-m", "audit", "inventory", "."], cwd=tree,
        env=_env(tree.parent), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in markers.iterdir()) == []

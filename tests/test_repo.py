from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from audit import repo
from audit.model import RepoInfo
from audit.repo import repo_info, web_url


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:falcosecurity/falco.git", "https://github.com/falcosecurity/falco"),
        ("https://github.com/falcosecurity/falco.git", "https://github.com/falcosecurity/falco"),
        ("https://x-access-token:ghp_secret@github.com/o/r", "https://github.com/o/r"),
        ("ssh://git@gitlab.com/group/sub/proj.git", "https://gitlab.com/group/sub/proj"),
        ("/srv/git/local.git", None),
    ],
)
def test_web_url(remote: str, url: str | None) -> None:
    assert web_url(remote) == url


def test_repo_info(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f").write_text("x")

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(tmp_path), *args], check=True, env=env, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "c")
    git("remote", "add", "origin", "git@github.com:o/r.git")
    info = repo_info(tmp_path / "sub")
    assert info == RepoInfo("https://github.com/o/r", git("rev-parse", "HEAD"), "sub")


def test_not_a_repo(tmp_path: Path) -> None:
    assert repo_info(tmp_path) == RepoInfo()


def test_no_git_run_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``.git`` in the tree or above it: git is not started (each run costs a process),
    and the report's time is not a commit's. (pytest's tmp_path has no .git above it.)"""
    runs: list[tuple[str, ...]] = []
    monkeypatch.setattr(repo, "run_git", lambda root, *args, **kw: runs.append(args))
    assert repo_info(tmp_path) == RepoInfo()
    assert repo.created_time(tmp_path, "2024-03-01", {}) == "2024-03-01T00:00:00Z"
    assert repo.created_time(tmp_path, None, {"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01T00:00:00Z"
    repo.created_time(tmp_path, None, {})  # now
    assert runs == []


def test_repository_without_commits(tmp_path: Path) -> None:
    """``git init`` and nothing committed: the top is known, no commit (the one-run
    ``rev-parse --show-toplevel HEAD`` fails on the missing HEAD and is asked again alone)."""
    subprocess.run(["git", "-C", str(tmp_path), "init", "-q"], check=True)
    (tmp_path / "sub").mkdir()
    assert repo_info(tmp_path / "sub") == RepoInfo(None, None, "sub")

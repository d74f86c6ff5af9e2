"""A scanned git repository is hostile: its configuration, its index and the caller's git
environment never make depaudit run a program or read a file outside the root.

Every repository here is a real one, built by the test with git. A trap is a script that
writes a marker when run; no marker may appear. Each depaudit run is bounded in time and
memory (tests/bounds.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
from pathlib import Path

import pytest
from bounds import bounded, run_depaudit
from tree_helpers import git

from audit.discover import discover, is_tree_path
from audit.safegit import run_git

TRAP = '#!/bin/sh\necho ran "$@" >> {marker}\nexit 1\n'


def _trap(where: Path) -> tuple[Path, Path]:
    """``(script, marker)``: a script that appends its arguments to ``marker`` when run."""
    marker = where / "marker"
    script = where / "trap.sh"
    script.write_text(TRAP.format(marker=marker))
    script.chmod(0o755)
    return script, marker


@pytest.fixture
def partial_clone(tmp_path: Path) -> tuple[Path, Path]:
    """``(tree, marker)``: a partial clone whose promisor remote is reached over ssh through
    ``core.sshCommand`` (the trap), and whose index marks a ``.gitignore`` skip-worktree
    while its blob is missing: listing untracked files next to it makes git read the
    ``.gitignore`` from the index, so a plain ``git ls-files --others`` fetches it."""
    script, marker = _trap(tmp_path)
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / ".gitignore").write_text("*.log\n")
    (tree / "sub" / "tracked.txt").write_text("x\n")
    (tree / "requirements.txt").write_text("requests==2.31.0\n")
    git(tree, "init", "-q")
    git(tree, "add", ".")
    git(tree, "commit", "-qm", "one")
    blob = git(tree, "rev-parse", "HEAD:sub/.gitignore")
    for key, value in (
        ("core.repositoryformatversion", "1"),
        ("extensions.partialClone", "origin"),
        ("remote.origin.url", "ssh://attacker.invalid/x.git"),
        ("remote.origin.promisor", "true"),
        ("core.sshCommand", str(script)),
    ):
        git(tree, "config", key, value)
    git(tree, "update-index", "--skip-worktree", "sub/.gitignore")
    (tree / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    (tree / "sub" / ".gitignore").unlink()
    (tree / "sub" / "untracked.txt").write_text("y\n")  # makes git consult sub/.gitignore
    (tree / "sub" / "requirements.txt").write_text("flask==3.0.0\n")
    return tree, marker


def test_the_partial_clone_trap_is_armed(partial_clone: tuple[Path, Path]) -> None:
    """Plain git springs it: what discovery did before it went through audit.safegit."""
    tree, marker = partial_clone
    subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=tree, capture_output=True, timeout=60, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    )  # fmt: skip
    assert marker.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["inventory", "{tree}", "--no-cache"],
        ["scan", "{tree}", "--offline", "--no-cache", "--format", "json"],
        ["explain", "requests", "{tree}", "--offline", "--no-cache"],
    ],
    ids=["inventory", "scan-offline", "explain"],
)
def test_partial_clone_never_fetches(
    partial_clone: tuple[Path, Path], tmp_path: Path, args: list[str]
) -> None:
    tree, marker = partial_clone
    ran = run_depaudit(
        [a.format(tree=tree) for a in args], cwd=tmp_path, seconds=120, megabytes=1536,
        env={"DEPAUDIT_CACHE_DIR": str(tmp_path / "cache")},
    )  # fmt: skip
    assert not marker.exists(), marker.read_text()
    assert ran.code in (0, 1), ran.stderr
    if args[0] == "inventory":
        ids = {c["id"] for c in json.loads(ran.stdout)["components"]}
        assert {"pypi:requests@2.31.0", "pypi:flask@3.0.0"} <= ids


def test_partial_clone_missing_object_is_missing_not_fetched(
    partial_clone: tuple[Path, Path],
) -> None:
    """The one runner: asking for the missing blob is an error, never a fetch."""
    tree, marker = partial_clone
    with bounded(seconds=60, megabytes=64):
        out = run_git(tree, "cat-file", "-p", ":sub/.gitignore")
    assert not out.ok
    assert not marker.exists()


@pytest.mark.parametrize(
    "key",
    ["core.fsmonitor", "core.pager", "core.askPass", "credential.helper", "core.sshCommand"],
)
def test_programs_in_the_repository_config_never_run(tmp_path: Path, key: str) -> None:
    script, marker = _trap(tmp_path)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "requirements.txt").write_text("requests==2.31.0\n")
    git(tree, "init", "-q")
    git(tree, "add", ".")
    git(tree, "commit", "-qm", "one")
    git(tree, "config", key, str(script))
    git(tree, "config", "remote.origin.url", "ssh://attacker.invalid/x.git")
    with bounded(seconds=60, megabytes=64):
        found = discover(tree)
        for args in (("ls-files", "-z"), ("fetch", "origin"), ("log", "-1"), ("push", "origin")):
            run_git(tree, *args)
    assert found.method == "git"
    assert [c.path for c in found.files] == ["requirements.txt"]
    assert not marker.exists()


def test_callers_git_variables_never_reach_git(tmp_path: Path) -> None:
    """A hook that runs depaudit leaves GIT_DIR, GIT_INDEX_FILE, GIT_SSH_COMMAND... set: none
    of them redirects or arms the git depaudit runs."""
    script, marker = _trap(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "elsewhere.txt").write_text("x\n")
    git(other, "init", "-q")
    git(other, "add", ".")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "requirements.txt").write_text("requests==2.31.0\n")
    git(tree, "init", "-q")
    git(tree, "add", ".")
    ran = run_depaudit(
        ["inventory", "--no-cache", str(tree)], cwd=tmp_path, seconds=120, megabytes=1536,
        env={
            "GIT_DIR": str(other / ".git"), "GIT_WORK_TREE": str(other),
            "GIT_INDEX_FILE": str(other / ".git" / "index"), "GIT_SSH_COMMAND": str(script),
            "GIT_EXTERNAL_DIFF": str(script), "GIT_PAGER": str(script), "PAGER": str(script),
            "GIT_ASKPASS": str(script), "SSH_ASKPASS": str(script),
            "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.fsmonitor",
            "GIT_CONFIG_VALUE_0": str(script),
        },
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    assert not marker.exists()
    ids = {c["id"] for c in json.loads(ran.stdout)["components"]}
    assert "pypi:requests@2.31.0" in ids


def _index_entry(path: str) -> bytes:
    name = path.encode()
    empty_blob = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    stat = struct.pack(">10I", 0, 0, 0, 0, 0, 0, 0o100644, 0, 0, 0)
    body = stat + bytes.fromhex(empty_blob) + struct.pack(">H", min(len(name), 0xFFF)) + name
    return body + b"\0" * (8 - len(body) % 8)


def _write_index(tree: Path, paths: list[str]) -> None:
    """A version 2 git index listing ``paths`` (git itself refuses to add such names)."""
    paths = sorted(paths, key=str.encode)
    data = b"DIRC" + struct.pack(">II", 2, len(paths)) + b"".join(map(_index_entry, paths))
    (tree / ".git" / "index").write_bytes(data + hashlib.sha1(data).digest())


ESCAPES = [
    "../outside/requirements.txt",
    "a/../../outside/requirements.txt",
    "./../outside/requirements.txt",
    "sub//../../outside/requirements.txt",
]


def test_index_paths_outside_the_root_are_never_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "requirements.txt").write_text("leaked-secret-package==6.6.6\n")
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    (tree / "sub").mkdir()
    (tree / "requirements.txt").write_text("requests==2.31.0\n")
    git(tree, "init", "-q")
    absolute = str(outside / "requirements.txt")
    _write_index(tree, [*ESCAPES, absolute, "requirements.txt"])
    listed = run_git(tree, "ls-files", "-z").stdout.split(b"\0")
    assert b"../outside/requirements.txt" in listed  # git lists them as they are
    with bounded(seconds=60, megabytes=64):
        found = discover(tree)
    assert found.method == "git"
    assert [c.path for c in found.files] == ["requirements.txt"]
    assert sorted(p.message for p in found.problems) == sorted(
        f"the git index lists {p!r}, which is not a path inside the tree; not read"
        for p in [*ESCAPES, absolute]
    )
    assert {p.path for p in found.problems} == {".git/index"}
    ran = run_depaudit(
        ["inventory", "--no-cache", str(tree)], cwd=tmp_path, seconds=120, megabytes=1536
    )
    assert ran.code == 0, ran.stderr
    assert "leaked-secret-package" not in ran.stdout
    assert "6.6.6" not in ran.stdout


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("a", True),
        ("a/b.txt", True),
        (".github/workflows/ci.yml", True),
        ("..a/b", True),
        ("a..", True),
        ("", False),
        ("/etc/passwd", False),
        ("..", False),
        ("../a", False),
        ("a/..", False),
        ("a/../b", False),
        ("./a", False),
        ("a/./b", False),
        ("a//b", False),
        ("a/", False),
        ("a\0b", False),
    ],
)
def test_tree_paths(path: str, ok: bool) -> None:
    assert is_tree_path(path) is ok

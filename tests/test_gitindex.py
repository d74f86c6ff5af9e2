"""Submodule pins read from the git index of tiny repositories built in tmp_path (no network)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tree_helpers import git, write

from audit.discover import discover
from audit.gitindex import IndexEntry, parse_ls_files, pin_submodules
from audit.graph import link
from audit.model import Edge, Evidence, Inventory, Problem, Relation
from audit.safegit import head_commit, resolve_commit, work_tree_at
from audit.scan import scan

LIBS_SHA = "4d4e1f3f2c8646d14982fbd1d7ea598ccbe4264a"
PLUGINS_SHA = "0123456789abcdef0123456789abcdef01234567"
GITMODULES = """\
[submodule "libs"]
\tpath = deps/libs
\turl = https://github.com/falcosecurity/libs.git
[submodule "plugins"]
\tpath = "plugins dir"
\turl = git@github.com:falcosecurity/plugins.git
"""
LIBS = "submodule:github.com/falcosecurity/libs"
PLUGINS = "submodule:github.com/falcosecurity/plugins"
URL_LIBS = Evidence(
    ".gitmodules", 3, "url = https://github.com/falcosecurity/libs.git", "gitmodules"
)
URL_PLUGINS = Evidence(
    ".gitmodules", 6, "url = git@github.com:falcosecurity/plugins.git", "gitmodules"
)


def gitlink(repo: Path, sha: str, path: str) -> None:
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sha},{path}")


def superproject(tmp_path: Path, gitmodules: str = GITMODULES) -> Path:
    root = write(tmp_path / "root", {".gitmodules": gitmodules})
    git(root, "init", "-q")
    git(root, "add", ".gitmodules")
    return root


def inventory(root: Path, *, use_git: bool = True) -> Inventory:
    """discover -> scan -> pin_submodules -> link: the pipeline's order."""
    found = discover(root, use_git=use_git)
    result = pin_submodules(found.root, scan(found).result)
    return link(str(root), result)


def test_each_submodule_gets_its_gitlink_commit(tmp_path: Path) -> None:
    root = superproject(tmp_path)
    gitlink(root, LIBS_SHA, "deps/libs")
    gitlink(root, PLUGINS_SHA, "plugins dir")
    inv = inventory(root)
    rows = [(c.id, c.version, c.purl, c.evidence) for c in inv.components]
    assert rows == [
        (
            f"{LIBS}@{LIBS_SHA}",
            LIBS_SHA,
            f"pkg:github/falcosecurity/libs@{LIBS_SHA}",
            (Evidence(".gitmodules", 3, f"160000 {LIBS_SHA} 0\tdeps/libs", "git-index"), URL_LIBS),
        ),
        (
            f"{PLUGINS}@{PLUGINS_SHA}",
            PLUGINS_SHA,
            f"pkg:github/falcosecurity/plugins@{PLUGINS_SHA}",
            (
                Evidence(".gitmodules", 6, f"160000 {PLUGINS_SHA} 0\tplugins dir", "git-index"),
                URL_PLUGINS,
            ),
        ),
    ]
    assert dict(inv.components[0].properties) == {
        "path": "deps/libs",
        "submodule": "libs",
        "url": "https://github.com/falcosecurity/libs.git",
    }
    assert inv.edges == (
        Edge("manifest:.gitmodules", f"{LIBS}@{LIBS_SHA}", Relation.BUNDLES, URL_LIBS),
        Edge("manifest:.gitmodules", f"{PLUGINS}@{PLUGINS_SHA}", Relation.BUNDLES, URL_PLUGINS),
    )
    assert inv.problems == ()


def test_not_a_git_work_tree_the_version_is_unknown_with_the_reason(tmp_path: Path) -> None:
    root = write(tmp_path / "root", {".gitmodules": GITMODULES})
    inv = inventory(root)
    reason = "not a git work tree: submodule commits are recorded in the git index"
    assert [(c.id, c.version, c.prop("version_unknown")) for c in inv.components] == [
        (LIBS, None, reason),
        (PLUGINS, None, reason),
    ]
    assert inv.problems == (
        Problem(
            ".gitmodules",
            0,
            "unresolved",
            f"the commits of its 2 submodules (libs, plugins) are unknown: {reason}",
            "git-index",
        ),
    )
    assert [e.dst for e in inv.edges] == [LIBS, PLUGINS]


def test_a_sub_directory_of_a_repository_is_not_its_top(tmp_path: Path) -> None:
    repo = write(tmp_path / "mono", {"sub/.gitmodules": GITMODULES})
    git(repo, "init", "-q")
    git(repo, "add", ".")
    gitlink(repo, LIBS_SHA, "sub/deps/libs")
    inv = inventory(repo / "sub")
    assert [p.message for p in inv.problems] == [
        "the commits of its 2 submodules (libs, plugins) are unknown: not the top of a git "
        "work tree (the work tree's top is a parent directory): submodule commits are "
        "recorded in the git index"
    ]
    assert [c.version for c in inv.components] == [None, None]


def test_per_submodule_reasons(tmp_path: Path) -> None:
    gitmodules = (
        GITMODULES
        + '[submodule "file"]\n\tpath = vendored\n\turl = https://github.com/o/file\n'
        + '[submodule "conflict"]\n\tpath = c\n\turl = https://github.com/o/conflict\n'
        + '[submodule "escape"]\n\tpath = ../outside\n\turl = https://github.com/o/escape\n'
        + '[submodule "nopath"]\n\turl = https://github.com/o/nopath\n'
    )
    root = superproject(tmp_path, gitmodules)
    gitlink(root, LIBS_SHA, "deps/libs")  # plugins: declared, never added
    write(root, {"vendored": "a file, not a submodule\n"})
    git(root, "add", "vendored")
    stages = "".join(f"160000 {sha} {n}\tc\n" for n, sha in ((1, LIBS_SHA), (2, PLUGINS_SHA)))
    subprocess.run(
        ["git", "-C", str(root), "update-index", "--index-info"],
        input=stages.encode(), check=True, capture_output=True,
    )  # fmt: skip
    inv = inventory(root)
    assert [(c.id, c.prop("version_unknown")) for c in inv.components] == [
        (f"{LIBS}@{LIBS_SHA}", None),
        (PLUGINS, "the git index has no commit for plugins dir (declared but never added)"),
        ("submodule:github.com/o/conflict", "c is unmerged in the git index (a merge conflict)"),
        ("submodule:github.com/o/escape", "path '../outside' is not inside the work tree"),
        ("submodule:github.com/o/file",
         "vendored is not a submodule in the git index (mode 100644)"),
        ("submodule:github.com/o/nopath", "it has no path"),
    ]  # fmt: skip
    assert [(p.line, p.message) for p in inv.problems] == [
        (6, "the commit of submodule 'plugins' is unknown: the git index has no commit for "
            "plugins dir (declared but never added)"),
        (9, "the commit of submodule 'file' is unknown: vendored is not a submodule in the git "
            "index (mode 100644)"),
        (12, "the commit of submodule 'conflict' is unknown: c is unmerged in the git index "
             "(a merge conflict)"),
        (15, "the commit of submodule 'escape' is unknown: path '../outside' is not inside the "
             "work tree"),
        (17, "the commit of submodule 'nopath' is unknown: it has no path"),
    ]  # fmt: skip


def test_a_nested_gitmodules_reads_the_index_of_its_own_work_tree(tmp_path: Path) -> None:
    """A tree that is no repository (a walk), holding a checked-out repository with its own
    submodules: that ``.gitmodules`` is read against that repository's index."""
    root = write(tmp_path / "root", {"README": "x\n"})
    nested = superproject(root / "vendor", GITMODULES.split('[submodule "plugins"]')[0])
    gitlink(nested, LIBS_SHA, "deps/libs")
    inv = inventory(root, use_git=False)
    assert [(c.id, c.evidence[0]) for c in inv.components] == [
        (
            f"{LIBS}@{LIBS_SHA}",
            Evidence("vendor/root/.gitmodules", 3, f"160000 {LIBS_SHA} 0\tdeps/libs", "git-index"),
        )
    ]
    assert inv.problems == ()


def test_the_scanned_repository_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = superproject(tmp_path)
    gitlink(root, LIBS_SHA, "deps/libs")
    trap = tmp_path / "trapped"
    hook = write(tmp_path / "hooks", {"hook.sh": f"#!/bin/sh\ntouch {trap}\n"}) / "hook.sh"
    hook.chmod(0o755)
    for name in ("post-index-change", "reference-transaction", "fsmonitor-watchman"):
        (hook.parent / name).symlink_to(hook)
    git(root, "config", "core.fsmonitor", str(hook))
    git(root, "config", "core.hooksPath", str(hook.parent))
    git(root, "config", "core.pager", str(hook))
    # a hook that runs depaudit leaves GIT_DIR / GIT_INDEX_FILE of another repository
    other = write(tmp_path / "other", {"x": "y\n"})
    git(other, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(other / ".git" / "index"))
    result = pin_submodules(root, scan(discover(root, use_git=False)).result)
    assert [c.version for c in result.components] == [LIBS_SHA, None]
    assert not trap.exists()
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_INDEX_FILE")
    git(root, "ls-files", "--stage")  # control: plain git runs the repository's fsmonitor
    assert trap.exists()


def test_without_submodules_git_is_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "root", {"requirements.txt": "flask==2.3.3\n"})
    result = scan(discover(root)).result

    def no_git(*args: object, **kw: object) -> None:
        raise AssertionError("git was run")

    monkeypatch.setattr("audit.gitindex.run_git", no_git)
    monkeypatch.setattr("audit.safegit.run_git", no_git)
    assert pin_submodules(root, result) == result


def test_parse_ls_files() -> None:
    data = (
        f"160000 {LIBS_SHA} 0\tdeps/libs\0"
        f"100644 {PLUGINS_SHA} 0\tname with\ttab\0"
        "garbage\0"
        f"160000 {LIBS_SHA} x\tbad-stage\0"
    ).encode()
    assert parse_ls_files(data) == (
        IndexEntry("160000", LIBS_SHA, 0, "deps/libs"),
        IndexEntry("100644", PLUGINS_SHA, 0, "name with\ttab"),
    )
    assert parse_ls_files(data)[0].text == f"160000 {LIBS_SHA} 0\tdeps/libs"


def test_safegit_work_tree_head_and_refs(tmp_path: Path) -> None:
    assert work_tree_at(tmp_path / "missing").reason == "not a directory"
    plain = write(tmp_path / "plain", {"a": "b\n"})
    assert work_tree_at(plain).reason == "not a git work tree"
    repo = write(tmp_path / "repo", {"a": "b\n"})
    git(repo, "init", "-q")
    assert work_tree_at(repo).top == repo.resolve()
    assert head_commit(repo) == (None, "HEAD names no commit (a repository without commits)")
    git(repo, "add", "a")
    git(repo, "commit", "-q", "-m", "a")
    git(repo, "tag", "v1")
    head = git(repo, "rev-parse", "HEAD")
    assert head_commit(repo) == (head, "")
    assert resolve_commit(repo, "v1") == head
    assert resolve_commit(repo, "v2") is None
    assert resolve_commit(repo, "--output=x") is None  # never an option
    (repo / "sub").mkdir()
    assert work_tree_at(repo / "sub").reason == (
        "not the top of a git work tree (the work tree's top is a parent directory)"
    )

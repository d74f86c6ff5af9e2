from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from audit.discover import discover
from audit.scan import decode, is_binary, scan


def _tree(root: Path, files: dict[str, bytes | str]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            p.write_text(content, encoding="utf-8")
        else:
            p.write_bytes(content)


def test_walk_skips_git_excludes_and_large_files(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "a/requirements.txt": "x==1\n",
            ".git/config": "[core]\n",
            "vendor/lib/requirements.txt": "y==1\n",
            "big.txt": "x" * 2048,
            "b.txt": "hi",
        },
    )
    found = discover(tmp_path, excludes=["vendor"], max_file_size=1024, use_git=False)
    assert [c.path for c in found.files] == ["a/requirements.txt", "b.txt"]
    assert [(s.path, s.reason) for s in found.skipped] == [
        ("big.txt", "larger than the size limit (2048 > 1024 bytes)")
    ]
    assert found.method == "walk"


def test_symlinks_out_of_root_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    root = tmp_path / "root"
    _tree(outside, {"secret.txt": "s3cret"})
    _tree(root, {"real.txt": "ok", "sub/x.txt": "ok"})
    os.symlink(outside / "secret.txt", root / "leak.txt")
    os.symlink(root / "real.txt", root / "inside.txt")
    os.symlink(outside, root / "linkdir")
    os.symlink(root, root / "sub" / "loop")  # a loop: never descended into
    found = discover(root, use_git=False)
    assert [c.path for c in found.files] == ["inside.txt", "real.txt", "sub/x.txt"]
    assert [(s.path, s.reason) for s in found.skipped] == [
        ("leak.txt", "symlink points outside the scanned root"),
        ("linkdir", "symlink points outside the scanned root"),
        ("sub/loop", "symlink to a directory or special file"),
    ]


def test_git_tree_lists_tracked_and_untracked_not_ignored(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "tracked.txt": "a",
            ".gitignore": "ignored.txt\n",
            "ignored.txt": "b",
            "new.txt": "c",
        },
    )
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(tmp_path), "add", "tracked.txt", ".gitignore"], check=True, env=env
    )
    found = discover(tmp_path)
    assert found.method == "git"
    assert [c.path for c in found.files] == [".gitignore", "new.txt", "tracked.txt"]


@pytest.mark.parametrize(
    ("data", "text", "problem", "line"),
    [
        (b"a\nb\n", "a\nb\n", None, 1),
        (b"\xef\xbb\xbfa\n", "a\n", None, 1),
        ("h\xe9\n".encode("utf-16"), "h\xe9\n", None, 1),
        (b"ok\n\xff\xfe bad\n", "ok\n\ufffd\ufffd bad\n", "not valid UTF-8", 2),
    ],
)
def test_decode(data: bytes, text: str, problem: str | None, line: int) -> None:
    d = decode(data)
    assert (d.text, d.problem, d.line) == (text, problem, line)


def test_binary_detection() -> None:
    assert is_binary(b"\x7fELF\0\0\0")
    assert not is_binary(b"plain text")
    assert not is_binary("utf16".encode("utf-16"))


def test_scan_lists_binary_and_undecodable_files(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "requirements.txt": b"avocado-framework==69.0\n",
            "bin/requirements.txt": b"\0\x01\x02",
            "bin/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",  # no scanner wants it: never read
            "latin/requirements.txt": b"# caf\xe9\nflask==2.0\n",
        },
    )
    out = scan(discover(tmp_path, use_git=False))
    assert [(s.path, s.reason) for s in out.skipped] == [("bin/requirements.txt", "binary file")]
    # A binary file a scanner wanted leaves the audit incomplete: it is a problem too.
    assert [(p.path, p.line, p.kind, p.message) for p in out.result.problems] == [
        (
            "bin/requirements.txt",
            0,
            "skipped",
            "not read: binary file (a NUL byte in its first 8 KiB)",
        ),
        (
            "latin/requirements.txt",
            1,
            "unreadable",
            "not valid UTF-8; decoded with replacement characters",
        ),
    ]
    ids = sorted(c.id for c in out.result.components)
    assert ids == ["pypi:avocado-framework@69.0", "pypi:flask@2.0"]


def test_where_each_file_was_found(tmp_path: Path) -> None:
    """The files come sorted by path; told to a ``found`` callback, they come in the walk's
    order (a folder's files before its sub-folders), and ``found_order`` tells the place
    of each sorted file in that order."""
    for rel in ("a/b.c", "a/b/x.c", "a/c.c", "z.c"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    told: list[str] = []
    found = discover(tmp_path, use_git=False, found=lambda c: told.append(c.path))
    assert told == ["z.c", "a/b.c", "a/c.c", "a/b/x.c"]
    assert [c.path for c in found.files] == ["a/b.c", "a/b/x.c", "a/c.c", "z.c"]
    assert found.found_order == (1, 3, 2, 0)
    assert discover(tmp_path, use_git=False).found_order == ()


def test_files_by_path() -> None:
    from audit.discover import Candidate, by_path

    a, b = Candidate("a.c", 1), Candidate("d/b.c", 2, True)
    assert by_path([a, b]) == {"a.c": a, "d/b.c": b}
    assert by_path(iter((b,))) == {"d/b.c": b}
    assert by_path(()) == {}

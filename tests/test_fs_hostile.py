"""A hostile file system: loops, links out of the tree, files that change under the scan,
huge and special files, a very large directory. The scan never hangs, never reads outside
the root, and says what it could not read."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tree_helpers import git

from audit.discover import discover
from audit.model import Problem, SkippedFile
from audit.scan import ScanSettings, scan

SECRET = "s3cret-token-never-read"
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0

_opened: list[str] | None = None


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _opened is not None and event == "open" and args and isinstance(args[0], (str, bytes)):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Every path this process opens while the test runs (from the ``open`` audit event)."""
    global _opened
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the scanned root, holding what must never be read."""
    out = tmp_path / "outside"
    _write(out, {"requirements.txt": f"{SECRET}==1.0\n", "Dockerfile": f"FROM {SECRET}\n"})
    return out


def test_symlink_loops_and_links_out_of_the_root(
    tmp_path: Path, outside: Path, opened: list[str]
) -> None:
    root = tmp_path / "root"
    _write(root, {"requirements.txt": "requests==2.31.0\n", "a/b/keep.txt": "x"})
    os.symlink("..", root / "a" / "b" / "up")  # a loop through the parent
    os.symlink("self", root / "self")  # a link to itself
    os.symlink("ping", root / "pong")
    os.symlink("pong", root / "ping")  # two links to each other
    os.symlink(outside, root / "vendor")  # a directory outside
    os.symlink(outside / "requirements.txt", root / "dev-requirements.txt")  # a file outside
    os.symlink("requirements.txt", root / "constraints.txt")  # inside: followed
    found = discover(root, use_git=False)
    assert [c.path for c in found.files] == ["a/b/keep.txt", "constraints.txt", "requirements.txt"]
    assert list(found.skipped) == [
        SkippedFile("a/b/up", "symlink to a directory or special file"),
        SkippedFile("dev-requirements.txt", "symlink points outside the scanned root"),
        SkippedFile("ping", "broken symlink"),
        SkippedFile("pong", "broken symlink"),
        SkippedFile("self", "broken symlink"),
        SkippedFile("vendor", "symlink points outside the scanned root"),
    ]
    out = scan(found)
    assert list(out.result.problems) == [  # a manifest not read makes the audit incomplete
        Problem(
            "dev-requirements.txt",
            0,
            "skipped",
            "not read: symlink points outside the scanned root",
        )
    ]
    assert sorted((c.id, c.evidence[0].path) for c in out.result.components) == [
        ("pypi:requests@2.31.0", "constraints.txt"),
        ("pypi:requests@2.31.0", "requirements.txt"),
    ]
    assert not [p for p in opened if p.startswith(str(outside))]


def test_tracked_directory_replaced_by_a_link_out_is_not_read(
    tmp_path: Path, outside: Path, opened: list[str]
) -> None:
    """The index says ``deps/requirements.txt``; the work tree made ``deps`` a symlink out."""
    root = tmp_path / "root"
    _write(root, {"deps/requirements.txt": "flask==2.3.3\n", "requirements.txt": "x==1\n"})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "init")
    (root / "deps" / "requirements.txt").unlink()
    (root / "deps").rmdir()
    os.symlink(outside, root / "deps")
    found = discover(root)
    assert found.method == "git"
    assert [c.path for c in found.files] == ["requirements.txt"]
    assert list(found.skipped) == [
        SkippedFile("deps", "symlink points outside the scanned root"),
        SkippedFile("deps/requirements.txt", "path goes through a symlinked directory"),
    ]
    out = scan(found)
    assert [c.id for c in out.result.components] == ["pypi:x@1"]
    assert list(out.result.problems) == [
        Problem(
            "deps/requirements.txt",
            0,
            "skipped",
            "not read: path goes through a symlinked directory",
        )
    ]
    assert not [p for p in opened if p.startswith(str(outside))]


def test_file_that_vanishes_before_it_is_read(tmp_path: Path) -> None:
    _write(tmp_path, {"requirements.txt": "requests==2.31.0\n", "go.mod": "module x\n"})
    found = discover(tmp_path, use_git=False)
    (tmp_path / "go.mod").unlink()
    out = scan(found)
    assert list(out.result.problems) == [
        Problem("go.mod", 0, "unreadable", "cannot read: No such file or directory")
    ]
    assert [c.id for c in out.result.components] == ["pypi:requests@2.31.0"]


@pytest.mark.skipif(ROOT_USER, reason="root reads files whatever their mode")
def test_file_and_directory_that_lose_permission(tmp_path: Path) -> None:
    _write(tmp_path, {"requirements.txt": "requests==2.31.0\n", "go.mod": "module x\n"})
    _write(tmp_path, {"locked/requirements.txt": "flask==2.3.3\n"})
    found = discover(tmp_path, use_git=False)
    (tmp_path / "go.mod").chmod(0)
    (tmp_path / "locked").chmod(0)
    try:
        out = scan(found)
        again = discover(tmp_path, use_git=False)
    finally:
        (tmp_path / "go.mod").chmod(0o644)
        (tmp_path / "locked").chmod(0o755)
    assert [(p.path, p.line, p.kind, p.message) for p in out.result.problems] == [
        ("go.mod", 0, "unreadable", "cannot read: Permission denied"),
        ("locked/requirements.txt", 0, "unreadable", "cannot read: Permission denied"),
    ]
    assert [c.id for c in out.result.components] == ["pypi:requests@2.31.0"]
    assert list(again.problems) == [
        Problem("locked", 0, "unreadable", "cannot list: Permission denied")
    ]


def test_permission_lost_as_the_os_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same outcome whoever runs the tests (root ignores file modes): EACCES from the
    OS on a file and on a directory."""
    _write(tmp_path, {"requirements.txt": "requests==2.31.0\n", "go.mod": "module x\n"})
    _write(tmp_path, {"locked/requirements.txt": "flask==2.3.3\n"})
    found = discover(tmp_path, use_git=False)
    real_open, real_scandir = os.open, os.scandir
    denied = (str(tmp_path / "go.mod"), str(tmp_path / "locked"))

    def fake_open(path: str, *args: object, **kwargs: object) -> int:
        if str(path) == denied[0]:
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    def fake_scandir(path: str) -> object:
        if str(path) == denied[1]:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)
    out = scan(found)
    again = discover(tmp_path, use_git=False)
    assert list(out.result.problems) == [
        Problem("go.mod", 0, "unreadable", "cannot read: Permission denied")
    ]
    assert sorted(c.id for c in out.result.components) == [
        "pypi:flask@2.3.3",
        "pypi:requests@2.31.0",
    ]
    assert list(again.problems) == [
        Problem("locked", 0, "unreadable", "cannot list: Permission denied")
    ]
    assert [c.path for c in again.files] == ["go.mod", "requirements.txt"]


def test_fifo_in_place_of_a_file_does_not_hang(tmp_path: Path) -> None:
    _write(tmp_path, {"requirements.txt": "requests==2.31.0\n", "go.mod": "module x\n"})
    os.mkfifo(tmp_path / "Dockerfile")  # there from the start: listed, never opened
    found = discover(tmp_path, use_git=False)
    assert list(found.skipped) == [
        SkippedFile("Dockerfile", "not a regular file (FIFO, socket or device)")
    ]
    (tmp_path / "go.mod").unlink()
    os.mkfifo(tmp_path / "go.mod")  # swapped in after discovery: opening must not block
    out = scan(found)
    assert list(out.result.problems) == [
        Problem(
            "Dockerfile", 0, "skipped", "not read: not a regular file (FIFO, socket or device)"
        ),
        Problem("go.mod", 0, "unreadable", "cannot read: no longer a regular file"),
    ]
    assert [c.id for c in out.result.components] == ["pypi:requests@2.31.0"]


def test_files_swapped_for_links_out_after_discovery(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "root"
    _write(root, {"requirements.txt": "x==1\n", "Dockerfile": "FROM debian:12\n"})
    os.symlink("requirements.txt", root / "constraints.txt")
    found = discover(root, use_git=False)
    (root / "Dockerfile").unlink()
    os.symlink(outside / "Dockerfile", root / "Dockerfile")  # a plain file became a link
    (root / "constraints.txt").unlink()
    os.symlink(outside / "requirements.txt", root / "constraints.txt")  # a link re-pointed
    out = scan(found)
    assert [(p.path, p.kind) for p in out.result.problems] == [
        ("Dockerfile", "unreadable"),
        ("constraints.txt", "unreadable"),
    ]
    assert out.result.problems[1].message == (
        "cannot read: symlink now points outside the scanned root"
    )
    assert [c.id for c in out.result.components] == ["pypi:x@1"]


def test_two_gigabyte_file_is_skipped_by_size_and_never_opened(
    tmp_path: Path, opened: list[str]
) -> None:
    _write(tmp_path, {"requirements.txt": "requests==2.31.0\n"})
    huge = tmp_path / "requirements-huge.txt"
    with open(huge, "wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: no 2 GB written
    opened.clear()
    found = discover(tmp_path, use_git=False)
    out = scan(found)
    assert list(out.skipped) == [
        SkippedFile(
            "requirements-huge.txt",
            f"larger than the size limit ({2 * 1024**3} > {5 * 1024 * 1024} bytes)",
        )
    ]
    assert list(out.result.problems) == [
        Problem(
            "requirements-huge.txt",
            0,
            "skipped",
            f"not read: larger than the size limit ({2 * 1024**3} > {5 * 1024 * 1024} bytes)",
        )
    ]
    assert [c.id for c in out.result.components] == ["pypi:requests@2.31.0"]
    assert str(huge) not in opened
    assert opened == [str(tmp_path / "requirements.txt")]


def test_deep_directories(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["d"] * 300)
    deep.mkdir(parents=True)
    (deep / "requirements.txt").write_text("requests==2.31.0\n")
    out = scan(discover(tmp_path, use_git=False))
    assert [(c.id, c.evidence[0].path) for c in out.result.components] == [
        ("pypi:requests@2.31.0", "d/" * 300 + "requirements.txt")
    ]


def test_file_names_that_are_not_utf8_are_listed_not_read(tmp_path: Path) -> None:
    base = os.fsencode(tmp_path)
    with open(base + b"/requirements-caf\xe9.txt", "wb") as fh:
        fh.write(b"flask==2.3.3\n")
    os.mkdir(base + b"/d\xff")
    with open(base + b"/d\xff/requirements.txt", "wb") as fh:
        fh.write(b"flask==2.3.3\n")
    _write(tmp_path, {"requirements.txt": "requests==2.31.0\n"})
    out = scan(discover(tmp_path, use_git=False))
    assert list(out.result.problems) == [
        Problem("d\\xff/requirements.txt", 0, "skipped", "file name is not valid UTF-8; not read"),
        Problem(
            "requirements-caf\\xe9.txt", 0, "skipped", "file name is not valid UTF-8; not read"
        ),
    ]
    assert [c.id for c in out.result.components] == ["pypi:requests@2.31.0"]


def test_hundred_thousand_files_in_one_directory(tmp_path: Path) -> None:
    """Kept to a few seconds: empty files no scanner wants (never opened) and three that one
    does, in memory (/dev/shm) when the machine has it."""
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else tmp_path) as where:
        root = Path(where)
        big = root / "big"
        big.mkdir()
        base = os.fsencode(big)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        for i in range(100_000):
            os.close(os.open(base + b"/f%06d.dat" % i, flags, 0o644))
        for i in range(3):
            (big / f"requirements-{i}.txt").write_text(f"pkg{i}==1.0\n")
        found = discover(root, use_git=False)
        assert len(found.files) == 100_003
        out = scan(found, settings=ScanSettings())
    assert out.files_scanned == 3
    assert [c.id for c in out.result.components] == [f"pypi:pkg{i}@1.0" for i in range(3)]

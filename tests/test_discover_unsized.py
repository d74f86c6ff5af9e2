"""A walk that leaves the size of regular files to the scan (``discover(..., sized=False)``,
what a cold run's early scan uses): the scan learns each size from the file it opens, and
the files, skipped files, problems and results are those of a walk that took every file's
status, whatever the files turn out to be (too large, gone, no longer readable...)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from audit import discover as discover_module
from audit.discover import Candidate, Discovery, discover, listed_as, relisted, unsized
from audit.model import Problem, SkippedFile
from audit.scan import ScanOutput, ScanSettings, _read, scan, scan_ahead

LIMIT = 1000
"""The size limit of these tests (bytes)."""


def _tree(root: Path) -> Path:
    files = {
        "requirements.txt": "flask==2.3.3\n",
        "src/a.c": "// SPDX-License-Identifier: MIT\nint a;\n",
        "src/b.c": "// SPDX-License-Identifier: GPL-2.0-only\nint b;\n",
        "src/data.json": "{}\n",
        "src/image.png": "\x89PNG",
        # over the limit: one a scanner wants, one none does
        "big/requirements-big.txt": "requests==2.31.0\n" * 100,
        "big/blob.o": "x" * (LIMIT + 1),
        # at the limit: read
        "edge/c.c": "/" * LIMIT,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    os.mkfifo(root / "src" / "go.mod")  # not a regular file: its entry says so
    os.symlink("a.c", root / "src" / "link.c")  # a link inside: its status is taken
    os.symlink("missing.c", root / "src" / "broken.c")
    return root


def _same(out: ScanOutput, plain: ScanOutput) -> None:
    assert out.result == plain.result
    assert out.skipped == plain.skipped
    assert out.files_scanned == plain.files_scanned


def _paths(found: Discovery) -> list[str]:
    return [c.path for c in found.files]


def test_regular_files_are_listed_by_their_entry(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t")
    found = discover(root, use_git=False, max_file_size=LIMIT, sized=False)
    plain = discover(root, use_git=False, max_file_size=LIMIT)
    assert not found.sized and plain.sized
    assert unsized(LIMIT) == -LIMIT - 1
    sizes = {c.path: c.size for c in found.files}
    # every regular file, the large ones too; the link's status was taken
    assert sizes == {
        "big/blob.o": unsized(LIMIT),
        "big/requirements-big.txt": unsized(LIMIT),
        "edge/c.c": unsized(LIMIT),
        "requirements.txt": unsized(LIMIT),
        "src/a.c": unsized(LIMIT),
        "src/b.c": unsized(LIMIT),
        "src/data.json": unsized(LIMIT),
        "src/image.png": unsized(LIMIT),
        "src/link.c": 39,
    }
    assert found.skipped == (
        SkippedFile("src/broken.c", "broken symlink"),
        SkippedFile("src/go.mod", "not a regular file (FIFO, socket or device)"),
    )
    assert [s.path for s in plain.skipped] == [
        "big/blob.o",
        "big/requirements-big.txt",
        "src/broken.c",
        "src/go.mod",
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_scan_finds_what_a_walk_that_took_each_status_finds(tmp_path: Path, jobs: int) -> None:
    root = _tree(tmp_path / "t")
    plain_found = discover(root, use_git=False, max_file_size=LIMIT)
    plain = scan(plain_found, settings=ScanSettings())
    settings = ScanSettings(jobs=jobs, ahead_min_files=1, fork_min_files=1)
    with scan_ahead(root, settings) as ahead:
        found = discover(
            root,
            use_git=False,
            max_file_size=LIMIT,
            found=ahead.add if ahead is not None else None,
            sized=False,
        )
        out = scan(found, settings=settings, ahead=ahead)
    _same(out, plain)
    assert out.discovery is not None
    again = out.discovery
    assert _paths(again) == _paths(plain_found)
    assert again.skipped == plain_found.skipped
    assert again.problems == plain_found.problems
    assert [s.reason for s in again.skipped[:2]] == [
        f"larger than the size limit ({LIMIT + 1} > {LIMIT} bytes)",
        f"larger than the size limit ({17 * 100} > {LIMIT} bytes)",
    ]
    assert Problem(
        "big/requirements-big.txt",
        0,
        "skipped",
        f"not read: larger than the size limit ({17 * 100} > {LIMIT} bytes)",
    ) in list(out.result.problems)


def test_without_surprises_the_discovery_stands(tmp_path: Path) -> None:
    root = tmp_path / "t"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.c").write_text("// SPDX-License-Identifier: MIT\n")
    (root / "notes.o").write_text("x")
    found = discover(root, use_git=False, sized=False)
    out = scan(found, settings=ScanSettings())
    assert out.discovery is None
    _same(out, scan(discover(root, use_git=False), settings=ScanSettings()))


def test_files_gone_or_grown_after_the_walk(tmp_path: Path) -> None:
    """What the walk listed by its entry and is gone when the scan comes is left out, as a
    walk after it would leave it out; what grew past the limit is skipped, unread."""
    root = _tree(tmp_path / "t")
    found = discover(root, use_git=False, max_file_size=LIMIT, sized=False)
    (root / "src" / "b.c").unlink()  # wanted
    (root / "src" / "data.json").unlink()  # wanted by no scanner
    (root / "requirements.txt").write_text("flask==2.3.3\n" + "#" * LIMIT)
    out = scan(found, settings=ScanSettings())
    plain_found = discover(root, use_git=False, max_file_size=LIMIT)
    _same(out, scan(plain_found, settings=ScanSettings()))
    assert out.discovery is not None
    assert _paths(out.discovery) == _paths(plain_found)
    assert out.discovery.skipped == plain_found.skipped


def test_a_file_that_cannot_be_stated_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose status cannot be taken (a folder without search permission: here the
    system's answer is faked) is a problem, as the walk that took each status says."""
    root = tmp_path / "t"
    root.mkdir()
    (root / "a.c").write_text("// SPDX-License-Identifier: MIT\n")
    (root / "b.o").write_text("x")
    found = discover(root, use_git=False, sized=False)
    real_lstat, real_open = os.lstat, os.open

    def denied(path: str) -> None:
        if os.path.basename(path) in ("a.c", "b.o"):
            raise PermissionError(13, "Permission denied", path)

    def lstat(path: str, *args: object, **kwargs: object) -> os.stat_result:
        denied(path)
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    def fake_open(path: str, *args: object, **kwargs: object) -> int:
        denied(path)
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", lstat)
    monkeypatch.setattr(os, "open", fake_open)
    out = scan(found, settings=ScanSettings())
    assert out.discovery is not None
    assert out.discovery.files == ()
    assert out.discovery.problems == (
        Problem("a.c", 0, "unreadable", "cannot stat: Permission denied"),
        Problem("b.o", 0, "unreadable", "cannot stat: Permission denied"),
    )
    assert out.files_scanned == 0
    assert list(out.result.problems) == list(out.discovery.problems)


def test_listed_as(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t")
    base = str(root.resolve())
    assert listed_as(base, "src/a.c", LIMIT) == Candidate(
        "src/a.c",
        39,
        False,
        os.lstat(root / "src/a.c").st_mtime_ns,
        os.lstat(root / "src/a.c").st_ino,
    )
    assert listed_as(base, "big/blob.o", LIMIT) == SkippedFile(
        "big/blob.o", f"larger than the size limit ({LIMIT + 1} > {LIMIT} bytes)"
    )
    assert listed_as(base, "src/go.mod", LIMIT) == SkippedFile(
        "src/go.mod", "not a regular file (FIFO, socket or device)"
    )
    assert listed_as(base, "src/gone.c", LIMIT) is None


def test_relisted_keeps_where_each_file_was_found(tmp_path: Path) -> None:
    files = tuple(Candidate(p, 1) for p in ("a", "b", "c", "d"))
    found = Discovery(tmp_path, files, (), (), "walk", (3, 0, 2, 1), 10, False)
    again = relisted(found, {0: None, 2: SkippedFile("c", "x")})
    assert again.files == (files[1], files[3])
    # found in the order b, d, c, a: without c and a, b then d
    assert again.found_order == (0, 1)
    assert again.skipped == (SkippedFile("c", "x"),)
    assert again.max_file_size == 10 and not again.sized


def test_reading_a_file_of_unknown_size(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"12345")
    assert _read(str(tmp_path), "f.txt", unsized(5), False)[0] == b"12345"
    with pytest.raises(OSError, match="larger than the size limit"):
        _read(str(tmp_path), "f.txt", unsized(4), False)


def test_the_default_walk_takes_every_status(tmp_path: Path) -> None:
    assert discover_module.discover(_tree(tmp_path / "t"), use_git=False).sized

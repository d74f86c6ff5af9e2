"""Safe archive extraction: traversal, links, special files, bombs, formats."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from audit.archive import ArchiveError, Extracted, Limits, extract_archive, safe_name

# (name, kind, payload): kind is file, dir, symlink, hardlink or fifo; payload is the file
# content or the link target.
Entry = tuple[str, str, str]


def make_tar(entries: list[Entry], mode: str = "w:gz") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:  # type: ignore[call-overload]
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            data = b""
            if kind == "file":
                data = payload.encode()
                info.size = len(data)
                info.mode = 0o755  # an executable bit that must not survive
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


def make_zip(entries: list[Entry]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, kind, payload in entries:
            info = zipfile.ZipInfo(name)
            if kind == "symlink":
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            elif kind == "dir":
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
            else:
                info.external_attr = (stat.S_IFREG | 0o755) << 16
            zf.writestr(info, payload)
    return buf.getvalue()


def tree(root: Path) -> dict[str, str]:
    """Every entry under root: file content, or ``<dir>``; fails on a link."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            assert not full.is_symlink(), f"a link was created: {full}"
            rel = full.relative_to(root).as_posix()
            out[rel] = "<dir>" if full.is_dir() else full.read_text()
    return out


GITHUB_LIKE: list[Entry] = [
    ("libs-4d4e1f3f/", "dir", ""),
    ("libs-4d4e1f3f/CMakeLists.txt", "file", "project(libs)\n"),
    ("libs-4d4e1f3f/driver/main.c", "file", 'MODULE_LICENSE("GPL");\n'),
]


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_formats_single_top_dir_is_the_root(tmp_path: Path, mode: str) -> None:
    got = extract_archive(make_tar(GITHUB_LIKE, mode), tmp_path / "x")
    assert got == Extracted(tmp_path / "x" / "libs-4d4e1f3f", 2, 37, ())
    assert tree(got.root) == {
        "CMakeLists.txt": "project(libs)\n",
        "driver": "<dir>",
        "driver/main.c": 'MODULE_LICENSE("GPL");\n',
    }
    mode_bits = stat.S_IMODE((got.root / "CMakeLists.txt").stat().st_mode)
    assert mode_bits & 0o111 == 0


def test_zip_and_no_single_top_dir(tmp_path: Path) -> None:
    data = make_zip([("a.txt", "file", "A"), ("b/c.txt", "file", "C")])
    got = extract_archive(data, tmp_path / "x")
    assert got == Extracted(tmp_path / "x", 2, 2, ())
    assert tree(got.root) == {"a.txt": "A", "b": "<dir>", "b/c.txt": "C"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a/b.c", "a/b.c"),
        ("./a//b/", "a/b"),
        ("./", ""),
        ("/etc/passwd", None),
        ("../evil", None),
        ("a/../../evil", None),
        ("a/../b", None),
        ("C:evil", None),
        ("a\\..\\evil", None),
        ("a\0b", None),
        ("", None),
    ],
)
def test_safe_name(name: str, expected: str | None) -> None:
    assert safe_name(name) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../evil.txt", "member '../evil.txt' escapes the archive root"),
        ("/tmp/evil.txt", "member '/tmp/evil.txt' escapes the archive root"),
        ("ok/../../evil.txt", "member 'ok/../../evil.txt' escapes the archive root"),
    ],
)
@pytest.mark.parametrize("fmt", ["tar", "zip"])
def test_traversal_refuses_the_archive(tmp_path: Path, name: str, message: str, fmt: str) -> None:
    entries: list[Entry] = [("ok/a.txt", "file", "A"), (name, "file", "evil")]
    data = make_tar(entries) if fmt == "tar" else make_zip(entries)
    dest = tmp_path / "deep" / "x"
    with pytest.raises(ArchiveError) as err:
        extract_archive(data, dest)
    assert str(err.value) == message
    assert not (tmp_path / "deep" / "evil.txt").exists()
    assert not (tmp_path / "evil.txt").exists()
    assert tree(dest) == {}  # names are all checked before anything is written


def test_links_are_copied_inside_and_skipped_outside(tmp_path: Path) -> None:
    entries: list[Entry] = [
        ("t/COPYING", "file", "Apache"),
        ("t/LICENSE", "symlink", "COPYING"),
        ("t/sub/LICENSE", "symlink", "../LICENSE"),
        ("t/hard", "hardlink", "t/COPYING"),
        ("t/passwd", "symlink", "/etc/passwd"),
        ("t/up", "symlink", "../../outside"),
        ("t/dir-link", "symlink", "sub"),
        ("t/loop1", "symlink", "loop2"),
        ("t/loop2", "symlink", "loop1"),
        ("t/missing", "symlink", "nowhere"),
        ("t/fifo", "fifo", ""),
        ("t/.git/config", "file", "[core]\n\tfsmonitor = evil\n"),
    ]
    got = extract_archive(make_tar(entries), tmp_path / "x")
    assert got.root == tmp_path / "x" / "t"
    assert tree(got.root) == {
        "COPYING": "Apache",
        "LICENSE": "Apache",
        "hard": "Apache",
        "sub": "<dir>",
        "sub/LICENSE": "Apache",
    }
    assert got.skipped == (
        ("t/fifo", "device, FIFO or other special file: not extracted"),
        ("t/.git/config", "git metadata: not extracted"),
        ("t/passwd", "symlink to outside the archive: not extracted"),
        ("t/up", "symlink to outside the archive: not extracted"),
        ("t/dir-link", "symlink to a directory or missing member"),
        ("t/loop1", "symlink loop or chain too long: not extracted"),
        ("t/loop2", "symlink loop or chain too long: not extracted"),
        ("t/missing", "symlink to a directory or missing member"),
    )
    assert (got.files, got.bytes) == (4, 24)


def test_zip_symlink_is_a_copy(tmp_path: Path) -> None:
    data = make_zip([("COPYING", "file", "MIT"), ("LICENSE", "symlink", "COPYING")])
    got = extract_archive(data, tmp_path / "x")
    assert tree(got.root) == {"COPYING": "MIT", "LICENSE": "MIT"}


def test_hard_link_out_of_the_archive_refuses_it(tmp_path: Path) -> None:
    data = make_tar([("a", "file", "A"), ("b", "hardlink", "../../etc/passwd")])
    with pytest.raises(ArchiveError) as err:
        extract_archive(data, tmp_path / "x")
    assert str(err.value) == "hard link 'b' points outside the archive"


def test_too_many_members(tmp_path: Path) -> None:
    data = make_tar([(f"f{i}", "file", "x") for i in range(4)])
    with pytest.raises(ArchiveError) as err:
        extract_archive(data, tmp_path / "x", limits=Limits(max_members=3))
    assert str(err.value) == "more than 3 members"


def test_declared_total_over_the_limit_stops_before_writing(tmp_path: Path) -> None:
    data = make_tar([("a", "file", "x" * 600), ("b", "file", "y" * 600)])
    with pytest.raises(ArchiveError) as err:
        extract_archive(data, tmp_path / "x", limits=Limits(max_total_bytes=1000))
    assert str(err.value) == "members declare more than 1000 bytes, over the limit"
    assert tree(tmp_path / "x") == {}


def test_compression_ratio_bomb(tmp_path: Path) -> None:
    data = make_tar([("zeros", "file", "\0" * 1_000_000)])
    assert len(data) < 5_000
    with pytest.raises(ArchiveError) as err:
        extract_archive(data, tmp_path / "x", limits=Limits(max_ratio=100, ratio_floor=0))
    assert str(err.value) == (
        f"members declare 1000000 bytes from {len(data)} compressed bytes: "
        "a ratio over 100 looks like an archive bomb"
    )


def test_zip_bomb_by_declared_sizes(tmp_path: Path) -> None:
    data = make_zip([("a", "file", "\0" * 300_000), ("b", "file", "\0" * 300_000)])
    with pytest.raises(ArchiveError) as err:
        extract_archive(data, tmp_path / "x", limits=Limits(max_total_bytes=500_000))
    assert str(err.value) == "members declare 600000 bytes, over the limit of 500000"


def test_a_member_over_the_file_limit_is_skipped(tmp_path: Path) -> None:
    data = make_tar([("small", "file", "ok"), ("big", "file", "z" * 2000)])
    got = extract_archive(data, tmp_path / "x", limits=Limits(max_file_bytes=1000))
    assert tree(got.root) == {"small": "ok"}
    assert got.skipped == (("big", "declares 2000 bytes, over the 1000-byte limit"),)


@pytest.mark.parametrize(
    ("data", "prefix"),
    [
        (b"not an archive at all", "not a readable archive: ReadError:"),
        (b"PK\x03\x04broken", "not a readable archive: BadZipFile:"),
        (make_tar(GITHUB_LIKE)[:200], "not a readable archive: EOFError:"),
        (
            make_tar(GITHUB_LIKE, "w:bz2")[:-30],
            "not a readable archive: ReadError: file could not be opened successfully: - method",
        ),
        (make_tar(GITHUB_LIKE, "w:xz")[:-30], "not a readable archive: EOFError:"),
    ],
)
def test_unreadable_archives(tmp_path: Path, data: bytes, prefix: str) -> None:
    with pytest.raises(ArchiveError) as err:
        extract_archive(data, tmp_path / "x")
    assert str(err.value).startswith(prefix)


def test_a_file_in_the_way_of_a_directory(tmp_path: Path) -> None:
    data = make_tar([("a", "file", "A"), ("a/b", "file", "B")])
    with pytest.raises(ArchiveError) as err:
        extract_archive(data, tmp_path / "x")
    assert str(err.value) == "a: a file is in the way of a directory"

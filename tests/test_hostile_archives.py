"""Archives whose headers alone are the bomb: a tar extended header (GNU long name or link,
PAX record) of 1.5 GiB that tarfile would read whole before any member limit applies, and a
zip whose central directory holds 3 million entries (zipfile builds an object for each one
before a member count can be checked). Each is refused, within time and memory bounds
(tests/bounds.py), before the header is read.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
from bounds import MIB, bounded

from audit.archive import ArchiveError, Limits, extract_archive, zip_directory_entries

HUGE = 1536 * MIB  # 1.5 GiB


def _header(name: bytes, kind: bytes, size: int) -> bytes:
    """One 512-byte ustar header block with a correct checksum."""
    block = bytearray(512)
    block[0 : len(name)] = name
    block[100:108] = b"0000644\0"
    block[108:116] = b"0000000\0"
    block[116:124] = b"0000000\0"
    block[124:136] = f"{size:011o}\0".encode()
    block[136:148] = b"00000000000\0"
    block[148:156] = b" " * 8
    block[156:157] = kind
    block[257:265] = b"ustar\x0000"
    block[148:156] = f"{sum(block):06o}\0 ".encode()
    return bytes(block)


def _gzip_of(head: bytes, zeros: int) -> bytes:
    """gzip of ``head`` followed by ``zeros`` zero bytes (zeros compress about 1000:1)."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    out = [packer.compress(head)]
    block = b"\0" * MIB
    for _ in range(zeros // MIB):
        out.append(packer.compress(block))
    out.append(packer.flush())
    return b"".join(out)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        (b"././@LongLink", b"L"),
        (b"././@LongLink", b"K"),
        (b"./PaxHeaders/x", b"x"),
        (b"./PaxHeaders/global", b"g"),
    ],
    ids=["gnu-long-name", "gnu-long-link", "pax", "pax-global"],
)
def test_a_huge_extended_tar_header_is_refused_before_it_is_read(
    tmp_path: Path, name: bytes, kind: bytes
) -> None:
    """The header says 1.5 GiB; 256 MiB of it follow (250 KiB of gzip): enough to show that
    nothing is read, as the memory bound is far below."""
    data = _gzip_of(_header(name, kind, HUGE), 256 * MIB)
    assert len(data) < 2 * MIB
    with bounded(seconds=60, megabytes=64), pytest.raises(ArchiveError) as refused:
        extract_archive(data, tmp_path / "out")
    assert str(refused.value) == (
        f"an extended tar header of {HUGE} bytes, over the {Limits().max_header_bytes}-byte limit"
    )
    assert list((tmp_path / "out").iterdir()) == []


def test_many_extended_headers_count_against_the_archive_limit(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(12):
            info = tarfile.TarInfo(f"f{i}.txt")
            info.pax_headers = {"comment": "c" * (900 * 1024)}
            tar.addfile(info, io.BytesIO(b""))
    limits = Limits(max_total_bytes=8 * MIB)
    with bounded(seconds=60, megabytes=64), pytest.raises(ArchiveError) as refused:
        extract_archive(buf.getvalue(), tmp_path / "out", limits=limits)
    assert str(refused.value) == f"extended tar headers of more than {8 * MIB} bytes"


def test_ordinary_long_names_and_pax_headers_still_extract(tmp_path: Path) -> None:
    buf = io.BytesIO()
    long_name = "d/" + "n" * 150 + "/" + "m" * 150 + ".txt"
    for fmt in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
            info = tarfile.TarInfo(long_name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"ok"))
        out = tmp_path / f"out-{fmt}"
        with bounded(seconds=30, megabytes=32):
            got = extract_archive(buf.getvalue(), out)
        assert got.files == 1
        assert (out / long_name).read_bytes() == b"ok"


def _central_entry(name: bytes) -> bytes:
    """One central directory entry (46 bytes + name) for an empty stored member."""
    return (
        b"PK\x01\x02"
        + bytes([20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        + b"\0" * 12  # crc, sizes
        + len(name).to_bytes(2, "little")
        + b"\0" * 12  # extra, comment, disk, attributes
        + (0o40755 << 16).to_bytes(4, "little")
        + b"\0" * 4  # local header offset
        + name
    )


def _eocd(entries: int, size: int, offset: int) -> bytes:
    count = min(entries, 0xFFFF).to_bytes(2, "little")
    return (
        b"PK\x05\x06"
        + b"\0" * 4
        + count
        + count
        + size.to_bytes(4, "little")
        + offset.to_bytes(4, "little")
        + b"\0\0"
    )


@pytest.mark.parametrize("claimed", [3_000_000, 1], ids=["counted", "end-record-lies"])
def test_a_zip_of_three_million_directory_entries_is_refused_before_parsing(
    tmp_path: Path, claimed: int
) -> None:
    local = b"PK\x03\x04" + b"\0" * 22 + (2).to_bytes(2, "little") + b"\0\0" + b"d/"
    directory = _central_entry(b"d/") * 3_000_000
    data = local + directory + _eocd(claimed, len(directory), len(local))
    assert zip_directory_entries(data) == 3_000_000
    with bounded(seconds=60, megabytes=64), pytest.raises(ArchiveError) as refused:
        extract_archive(data, tmp_path / "out")
    assert str(refused.value) == (
        "a central directory of 3000000 entries, over the limit of 100000 members"
    )


def test_zip64_directory_is_counted(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", allowZip64=True) as zf:
        for i in range(5):
            zf.writestr(f"d{i}/", b"")
        zf.writestr("a.txt", b"hello")
    plain = buf.getvalue()
    assert zip_directory_entries(plain) == 6
    limits = Limits(max_members=5)
    with bounded(seconds=30, megabytes=32), pytest.raises(ArchiveError) as refused:
        extract_archive(plain, tmp_path / "out", limits=limits)
    assert str(refused.value) == "a central directory of 6 entries, over the limit of 5 members"
    got = extract_archive(plain, tmp_path / "ok")
    assert (got.root / "a.txt").read_bytes() == b"hello"

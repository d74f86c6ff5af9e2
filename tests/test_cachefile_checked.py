"""A cache file of compiled data is CRC-checked once per file (audit.licenses.cachefile):
once it checks, its identity (device, inode, size, modification and change times) is
recorded beside it and a read of the very same file computes no CRC; a file damaged in place
(even with its modification time put back) or replaced by another of the same size and times
is checked again, and is not used when it does not check."""

from __future__ import annotations

import os
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from audit.licenses import cachefile

FMT = "depaudit/test/1"
KEY = "k" * 32


class _Counting:
    """``zlib`` with its CRC-32 calls counted."""

    def __init__(self) -> None:
        self.crcs = 0

    def crc32(self, data: Any) -> int:
        self.crcs += 1
        return zlib.crc32(data)


@pytest.fixture
def crcs(monkeypatch: pytest.MonkeyPatch) -> _Counting:
    counting = _Counting()
    monkeypatch.setattr(cachefile, "zlib", counting)
    # Settled after 20 ms (not 2 s) here: _settle() waits that long before a file is read.
    monkeypatch.setattr(cachefile, "SETTLED", 20_000_000)
    return counting


def _settle(path: Path) -> None:
    """Wait until the file's last change is older than the settling time (and than the
    file system's clock tick, a few milliseconds)."""
    while time.time_ns() - path.stat().st_ctime_ns <= 40_000_000:
        time.sleep(0.01)


def _written(tmp_path: Path, crcs: _Counting) -> Path:
    path = tmp_path / "license-index" / "data.bin"
    path.parent.mkdir(mode=0o700)
    path.write_bytes(cachefile.dump(FMT, KEY, {"words": "a b c"}, [b"\x01" * 4096, b"blob"]))
    _settle(path)
    crcs.crcs = 0  # the one dump() computed
    return path


def _read(path: Path) -> object:
    found = cachefile.read(FMT, KEY, path)
    return None if found is None else (found.value, [bytes(b) for b in found.blobs])


WHOLE = ({"words": "a b c"}, [b"\x01" * 4096, b"blob"])


def test_a_file_that_checked_is_not_checked_again(tmp_path: Path, crcs: _Counting) -> None:
    path = _written(tmp_path, crcs)
    assert _read(path) == WHOLE
    assert crcs.crcs == 1
    st = path.stat()
    record = path.with_suffix(".checked").read_bytes().split()
    assert record == [
        str(n).encode() for n in (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    ]
    assert _read(path) == WHOLE
    assert _read(path) == WHOLE
    assert crcs.crcs == 1


def _flip(path: Path, keep_times: bool) -> None:
    """Change one byte of the file's first blob in place, its modification time put back."""
    st = path.stat()
    with open(path, "r+b") as fh:
        fh.seek(st.st_size - 4 - 2048)
        fh.write(b"\x02")
    if keep_times:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("keep_times", [False, True], ids=["plain", "modification time put back"])
def test_a_file_damaged_in_place_is_checked_again(
    tmp_path: Path, crcs: _Counting, keep_times: bool
) -> None:
    path = _written(tmp_path, crcs)
    assert _read(path) == WHOLE
    before = path.stat()
    _flip(path, keep_times)
    after = path.stat()
    assert (after.st_size, after.st_ino) == (before.st_size, before.st_ino)
    assert (after.st_mtime_ns == before.st_mtime_ns) == keep_times
    assert _read(path) is None
    assert crcs.crcs == 2
    assert _read(path) is None  # and never recorded as checked
    assert crcs.crcs == 3


def test_a_file_replaced_by_one_of_the_same_size_and_times_is_checked_again(
    tmp_path: Path, crcs: _Counting
) -> None:
    path = _written(tmp_path, crcs)
    assert _read(path) == WHOLE
    st = path.stat()
    other = path.with_name("other.bin")
    other.write_bytes(path.read_bytes())
    _flip(other, keep_times=False)
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    assert _read(path) is None
    assert crcs.crcs == 2


def test_a_file_changed_just_now_is_not_recorded(
    tmp_path: Path, crcs: _Counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change made in the file system's clock tick of the last one would leave the
    identity as it was: a file changed less than SETTLED ago is checked on every read."""
    monkeypatch.setattr(cachefile, "SETTLED", 3600 * 10**9)
    path = _written(tmp_path, crcs)
    assert _read(path) == WHOLE
    assert _read(path) == WHOLE
    assert crcs.crcs == 2
    assert not path.with_suffix(".checked").exists()


def test_a_record_of_another_file_is_no_check(tmp_path: Path, crcs: _Counting) -> None:
    path = _written(tmp_path, crcs)
    path.with_suffix(".checked").write_bytes(b"1 2 3 4 5")
    assert _read(path) == WHOLE
    assert crcs.crcs == 1


def test_an_unwritable_folder_checks_on_every_read(tmp_path: Path, crcs: _Counting) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    path = _written(tmp_path, crcs)
    path.parent.chmod(0o500)
    try:
        assert _read(path) == WHOLE
        assert _read(path) == WHOLE
    finally:
        path.parent.chmod(0o700)
    assert crcs.crcs == 2


def test_records_are_removed_with_their_files(tmp_path: Path, crcs: _Counting) -> None:
    folder = tmp_path / "license-index"
    folder.mkdir(mode=0o700)
    for n in range(cachefile.KEEP):
        path = folder / f"{n}.bin"
        path.write_bytes(cachefile.dump(FMT, KEY, n))
        os.utime(path, ns=(10**18 + n * 10**9, 10**18 + n * 10**9))
    for n in range(cachefile.KEEP):
        _settle(folder / f"{n}.bin")
        assert cachefile.read(FMT, KEY, folder / f"{n}.bin") is not None
    assert len(list(folder.glob("*.checked"))) == cachefile.KEEP
    cachefile.write(folder / "new.bin", cachefile.dump(FMT, KEY, "new"))
    kept = range(1, cachefile.KEEP)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*(f"{n}.bin" for n in kept), *(f"{n}.checked" for n in kept), "new.bin"]
    )

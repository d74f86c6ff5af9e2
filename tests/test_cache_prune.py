"""Kept files do not pile up: writing one removes the older files of its kind in its folder
but the most recently written (audit.cachedir.prune, through audit.licenses.cachefile.write
and the scan cache)."""

from __future__ import annotations

import os
from pathlib import Path

from audit.cachedir import prune
from audit.licenses import cachefile


def _files(folder: Path, names: list[str]) -> None:
    """``names`` written oldest first (a second apart)."""
    folder.mkdir(parents=True, exist_ok=True)
    for age, name in enumerate(reversed(names), start=1):
        (folder / name).write_bytes(b"old")
        os.utime(folder / name, ns=(10**18 - age * 10**9, 10**18 - age * 10**9))


def test_writing_keeps_the_newest_files_of_its_kind_with_their_locks(tmp_path: Path) -> None:
    folder = tmp_path / "license-index"
    _files(folder, ["a.bin", "a.lock", "b.bin", "c.bin", "c.lock", "d.bin", "e.bin", "old.marshal"])
    cachefile.write(folder / "new.bin", cachefile.dump("fmt", "key", {"x": 1}))
    assert cachefile.KEEP == 4
    # newest first: new (just written), e, d, c kept; b and a removed, a's lock with it
    assert sorted(p.name for p in folder.iterdir()) == [
        "c.bin",
        "c.lock",
        "d.bin",
        "e.bin",
        "new.bin",
        "old.marshal",
    ]
    loaded = cachefile.read("fmt", "key", folder / "new.bin")
    assert loaded is not None and loaded.value == {"x": 1}


def test_a_file_rewritten_counts_as_newest(tmp_path: Path) -> None:
    folder = tmp_path / "classcode"
    _files(folder, ["cpython-311.bin", "v.bin", "w.bin", "x.bin", "y.bin"])
    cachefile.write(folder / "cpython-311.bin", cachefile.dump("fmt", "key", 1))
    # cpython-311.bin was the oldest; written again, it is kept with y, x and w
    assert sorted(p.name for p in folder.iterdir()) == [
        "cpython-311.bin",
        "w.bin",
        "x.bin",
        "y.bin",
    ]


def test_links_and_folders_are_never_removed(tmp_path: Path) -> None:
    folder = tmp_path / "kept"
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"not ours")
    _files(folder, ["a.bin", "b.bin", "c.bin"])
    (folder / "link.bin").symlink_to(outside)
    (folder / "dir.bin").mkdir()
    prune(folder, ".bin", 1)
    assert sorted(p.name for p in folder.iterdir()) == ["c.bin", "dir.bin", "link.bin"]
    assert outside.read_bytes() == b"not ours"


def test_a_missing_folder_is_no_error(tmp_path: Path) -> None:
    prune(tmp_path / "absent", ".bin", 1)
    assert not (tmp_path / "absent").exists()

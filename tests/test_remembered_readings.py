"""The follow stage's readings kept between runs (audit.scan.Remembered).

A called workflow read with a caller's inputs, or a Makefile or script read with a CI
step's environment, depends on the file's bytes and on the reader's ``cache_key()`` only:
a second run takes the reading from ``<cache dir>/follow/`` while the file's stat key is
unchanged and trusted, and reads again otherwise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from audit import scancache
from audit.discover import Candidate, discover
from audit.model import Evidence, Notice, ScanResult
from audit.scan import Remembered
from audit.scanners.base import SourceFile

OLD = 1_000_000_000  # an mtime long settled


@dataclass
class _Unkeyed:
    """A reader that finds one notice naming its key, and counts its readings; it has no
    ``cache_key``."""

    key: str
    calls: list[str] = field(default_factory=list)
    name: str = "counting"

    def matches(self, path: str) -> bool:
        return True

    def scan(self, source: SourceFile) -> ScanResult:
        self.calls.append(source.path)
        ev = Evidence(source.path, 1, source.text.splitlines()[0], self.name)
        return ScanResult(notices=(Notice(source.path, 1, "prose", self.key, self.key, ev),))


@dataclass
class _Counting(_Unkeyed):
    """:class:`_Unkeyed` with a ``cache_key``: its key."""

    def cache_key(self) -> str:
        return self.key


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "t"
    root.mkdir()
    (root / "Makefile").write_text("push:\n\tdocker push x\n")
    os.utime(root / "Makefile", ns=(OLD, OLD))
    return root


def _cand(root: Path) -> Candidate:
    return next(c for c in discover(root, use_git=False).files if c.path == "Makefile")


def test_a_reading_is_taken_from_the_cache_while_the_file_is_unchanged(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    cache = tmp_path / "cache"
    reader = _Counting("MIT")
    first = Remembered(root.resolve(), cache)
    got = first.read(root, _cand(root), [reader])
    first.save()
    assert [n.expression for n in got.notices] == ["MIT"]
    assert reader.calls == ["Makefile"]
    path = scancache.cache_file(cache, root.resolve())
    assert (path.parent.parent / "follow" / path.name).is_file()

    second = Remembered(root.resolve(), cache)
    assert second.read(root, _cand(root), [reader]) == got
    assert reader.calls == ["Makefile"]  # not read again
    # another reading of the same file (another caller's inputs) is read
    other = _Counting("Apache-2.0")
    assert [n.expression for n in second.read(root, _cand(root), [other]).notices] == ["Apache-2.0"]
    assert other.calls == ["Makefile"]
    second.save()

    (root / "Makefile").write_text("push:\n\tdocker push y:1\n")
    os.utime(root / "Makefile", ns=(OLD, OLD))
    third = Remembered(root.resolve(), cache)
    third.read(root, _cand(root), [reader])
    assert reader.calls == ["Makefile", "Makefile"]  # changed: read again


def test_no_cache_a_fresh_file_or_an_unkeyed_reader_reads_every_time(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    cache = tmp_path / "cache"
    reader = _Counting("MIT")
    for _ in range(2):
        Remembered(root.resolve(), None).read(root, _cand(root), [reader])
    assert len(reader.calls) == 2
    unkeyed = _Unkeyed("MIT")
    for _ in range(2):
        r = Remembered(root.resolve(), cache)
        r.read(root, _cand(root), [unkeyed])
        r.save()
    assert len(unkeyed.calls) == 2
    (root / "Makefile").write_text("push:\n\tdocker push z\n")  # modified just now
    fresh = _Counting("MIT")
    for _ in range(2):
        r = Remembered(root.resolve(), cache)
        r.read(root, _cand(root), [fresh])
        r.save()
    assert len(fresh.calls) == 2  # a stat key seen within the settle time is not trusted

"""The scan progress bar: on a terminal only, for scans of more than a few hundred files."""

from __future__ import annotations

import io
import re
from pathlib import Path

from audit import progress
from audit.discover import discover
from audit.scan import scan

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_nothing_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with progress.scan_progress(stream) as bar:
        assert bar is None
        assert progress.current() is None
    assert stream.getvalue() == ""


def test_nothing_for_a_small_scan() -> None:
    stream = _Terminal()
    with progress.scan_progress(stream, threshold=300) as bar:
        assert bar is not None
        assert progress.current() is bar
        for i in range(1, 301):
            bar(i, 300)
    assert stream.getvalue() == ""
    assert progress.current() is None


def test_bar_for_a_large_scan() -> None:
    stream = _Terminal()
    with progress.scan_progress(stream, threshold=300) as bar:
        assert bar is not None
        for i in range(1, 1001):
            bar(i, 1000)
    out = _ANSI.sub("", stream.getvalue())
    assert "scanning" in out
    assert "1000/1000 files" in out
    drawn = re.findall(r" (\d+)/1000 files", out)
    assert drawn[:4] == ["0", "4", "9", "14"]  # redrawn every total // 200 files
    assert drawn[-1] == "1000" and len(drawn) == 203


def test_reporting_nests_and_restores() -> None:
    calls: list[tuple[int, int]] = []
    with progress.reporting(lambda d, t: calls.append((d, t))):
        callback = progress.current()
        assert callback is not None
        callback(1, 2)
        with progress.reporting(None):
            assert progress.current() is None
        assert progress.current() is callback
    assert progress.current() is None
    assert calls == [(1, 2)]


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("left-pad==1.0\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM debian:12\n", encoding="utf-8")
    (tmp_path / "notes.bin").write_bytes(b"\0\1")
    return tmp_path


def test_scan_reports_each_file(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    found = discover(_tree(tmp_path), use_git=False)
    scan(found, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_scan_reports_to_the_enclosing_block(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    found = discover(_tree(tmp_path), use_git=False)
    with progress.reporting(lambda done, total: calls.append((done, total))):
        scan(found)
    assert calls[-1] == (3, 3)
    scan(found)
    assert len(calls) == 3

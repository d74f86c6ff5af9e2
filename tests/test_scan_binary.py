"""A binary file that a scanner wanted leaves the audit incomplete; one nobody wanted does not.

The scan reads only files some scanner wants (by name). When such a file turns out to be
binary (a NUL byte in its first 8 KiB), it is listed as skipped *and* as a ``skipped``
problem, which the report lists as incomplete: a binary ``Dockerfile`` or ``.c`` file may
hide what the audit is looking for. A PNG no scanner wants is never read and never listed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.config import Config
from audit.discover import discover
from audit.model import Problem
from audit.pipeline import AuditOptions, run_audit
from audit.scan import ScanSettings, scan

MESSAGE = "not read: binary file (a NUL byte in its first 8 KiB)"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    files = {
        "Dockerfile": b"FROM debian:12\0\x01",
        "src/blob.c": b"\x7fELF\0\0\0",
        "img/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        "README.md": b"# Notes\n",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_wanted_binary_files_are_incomplete(tree: Path, tmp_path: Path) -> None:
    options = AuditOptions(offline=True, cache_path=tmp_path / "http.sqlite")
    report = run_audit(tree, Config(), options)
    assert list(report.incomplete) == [
        Problem("Dockerfile", 0, "skipped", MESSAGE),
        Problem("src/blob.c", 0, "skipped", MESSAGE),
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_cached_and_pooled_scans_list_them_too(tree: Path, tmp_path: Path, jobs: int) -> None:
    settings = ScanSettings(jobs=jobs, cache_dir=tmp_path / "cache", pool_min_files=1)
    runs = [scan(discover(tree, use_git=False), settings=settings) for _ in range(2)]
    for out in runs:  # cold, then from the cache
        assert [(s.path, s.reason) for s in out.skipped] == [
            ("Dockerfile", "binary file"),
            ("src/blob.c", "binary file"),
        ]
        assert list(out.result.problems) == [
            Problem("Dockerfile", 0, "skipped", MESSAGE),
            Problem("src/blob.c", 0, "skipped", MESSAGE),
        ]
        assert out.files_scanned == 2

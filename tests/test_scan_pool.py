"""The scan's process pool started ahead, and cache entries written where files are scanned.

:func:`audit.scan.prestart` boots the pool's fork server while discovery walks a large tree,
only when a pool is likely and this process cannot fork copies of itself instead
(:mod:`audit.forked`); a pool whose server is ready takes every chunk of files. The
cache entries written by the scan (JSON object members) load back as the plain entries.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit import forked, scancache
from audit import scan as scan_module
from audit.discover import PROGRESS_STEP, discover
from audit.model import Evidence, Notice, ScanResult
from audit.scan import ScanSettings, prestart, scan


@pytest.fixture(autouse=True)
def _no_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool is what is tested here: as where this process cannot fork."""
    monkeypatch.setattr(forked, "ready", lambda: False)


def _tree(root: Path, count: int) -> Path:
    for i in range(count):
        sub = root / f"d{i % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i}.c").write_text(f"// SPDX-License-Identifier: MIT\nint f{i};\n")
    (root / "requirements.txt").write_text("flask==2.3.3\n")
    return root


def test_discover_tells_progress_every_step(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t", 2 * PROGRESS_STEP + 500)
    seen: list[int] = []
    found = discover(root, use_git=False, progress=seen.append)
    assert len(found.files) == 2 * PROGRESS_STEP + 501
    assert seen == [PROGRESS_STEP, 2 * PROGRESS_STEP]


class _Started:
    def __init__(self) -> None:
        self.count = 0
        self.licenses: list[bool] = []

    def start(self, licenses: bool = True) -> None:
        self.count += 1
        self.licenses.append(licenses)


@pytest.mark.parametrize(
    ("found", "settings", "starts"),
    [
        (10_000, ScanSettings(jobs=1), 0),  # one process: no pool
        (1_499, ScanSettings(jobs=2), 0),  # too few files for a pool
        (1_500, ScanSettings(jobs=2), 1),
        (500, ScanSettings(jobs=4, pool_min_files=100), 1),
    ],
)
def test_prestart_only_when_a_pool_is_likely(
    found: int, settings: ScanSettings, starts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = _Started()
    monkeypatch.setattr(scan_module, "_SERVER", server)
    prestart(found, settings)
    assert server.count == starts


def test_prestart_takes_the_settings_of_the_enclosing_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = _Started()
    monkeypatch.setattr(scan_module, "_SERVER", server)
    prestart(5_000)
    assert server.count == 0  # default settings: one process
    with scan_module.scan_settings(ScanSettings(jobs=2)):
        prestart(5_000)
    assert server.count == 1


def test_no_prestart_where_the_scan_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where this process can fork copies of itself, the scan does that: no server."""
    server = _Started()
    monkeypatch.setattr(scan_module, "_SERVER", server)
    monkeypatch.setattr(forked, "ready", lambda: True)
    prestart(10_000, ScanSettings(jobs=2))
    assert server.count == 0


def test_no_prestart_where_the_scan_cache_holds_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run with the tree's results cached (a warm run) reads only what changed: the pool
    is not booted ahead; without a cache file of this root, or without a cache, it is."""
    root = _tree(tmp_path / "t", 3)
    cache_dir = tmp_path / "cache"
    server = _Started()
    monkeypatch.setattr(scan_module, "_SERVER", server)
    with scan_module.scan_settings(ScanSettings(jobs=2, cache_dir=cache_dir)):
        prestart(5_000, root=root)  # nothing cached yet: started
        scan(discover(root, use_git=False))
        assert scancache.cache_file(cache_dir, root.resolve()).is_file()
        prestart(5_000, root=root)  # warm: not started
        prestart(5_000, root=tmp_path / "other")  # another tree: started
    with scan_module.scan_settings(ScanSettings(jobs=2)):
        prestart(5_000, root=root)  # no cache: started
    assert server.count == 3


def test_ready_server_pool_takes_every_chunk(tmp_path: Path) -> None:
    root = _tree(tmp_path / "t", 60)
    plain = scan(discover(root, use_git=False))
    settings = ScanSettings(jobs=2, pool_min_files=1, chunk_files=4)
    prestart(10_000, settings)
    assert scan_module._SERVER.ready.wait(60)
    found = discover(root, use_git=False)
    batch = [(c, "") for c in found.files]
    chunks = [batch[i : i + 4] for i in range(0, len(batch), 4)]
    pooled = scan_module._Pooled(found.root, chunks, False, 2, None)
    done = pooled.run()
    assert sorted(pooled.futures) == list(range(len(chunks)))  # none scanned here
    assert [len(outcomes) for outcomes, _ in done] == [len(c) for c in chunks]
    assert scan(found, settings=settings) == plain


def test_written_members_load_as_plain_entries(tmp_path: Path) -> None:
    ev = Evidence("src/caf\xe9.c", 1, "// SPDX-License-Identifier: MIT", "notices")
    result = ScanResult(notices=(Notice("src/caf\xe9.c", 1, "spdx-tag", "MIT", "MIT", ev),))
    old = 10**9  # an mtime long settled
    entries = {
        "src/caf\xe9.c": scancache.entry((10, old, 7), 10**19, "ab" * 32, None, result),
        "bin/x": scancache.entry((3, 10**19, 8), 10**19, "", "binary file", ScanResult()),
    }
    members = scancache.members(entries)
    assert members.isascii()
    path = tmp_path / "cache.json"
    plain = {"a.png": None, "old.c": [1, 2, 3, "", None, []]}
    scancache.save(path, tmp_path, plain, [members])
    loaded = scancache.load(path, tmp_path)
    assert loaded == {
        "a.png": None,
        "old.c": [1, 2, 3, "", None, []],
        "src/caf\xe9.c": [10, old, 7, "ab" * 32, None, _data(result)],
        "bin/x": [3, -1, 8, "", "binary file", []],  # mtime not settled, nothing found
    }
    assert scancache.decode_result(loaded["src/caf\xe9.c"][5]) == result


def _data(result: ScanResult) -> list[object]:
    """The cache data of ``result``, spelled out."""
    (notice,) = result.notices
    ev = notice.evidence
    return [
        3,  # notices, the only tuple of the result that holds something
        [[notice.path, notice.line, notice.kind, notice.expression, notice.raw,
          [ev.path, ev.line, ev.text, ev.scanner], notice.confidence, notice.rule,
          notice.end_line]],
    ]  # fmt: skip
